import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, Helm, Yaml } from 'cdk8s';
import { _child_process } from 'cdk8s/lib/_child_process';
import { Construct } from 'constructs';
import { helmFlags, helmTemplateCommand, PLAIN_CDK8S_ENV, RENDER_CACHE_ENV, runTemplate, writeValuesFile } from './chart-renders';
import { loadRenderedManifest } from './load-rendered';
import { chartLocation, PinnedChart, resolveHelm } from './pinned';
import { UserError } from '../errors';
import { StaticApiObject } from '../k8s/static-api-object';

export interface HelmReleaseProps {
  /** The pinned chart to render. */
  readonly chart: PinnedChart;
  /** Helm release name. */
  readonly releaseName: string;
  /** Namespace the release is rendered into (`helm template --namespace`). */
  readonly namespace: string;
  /** Chart values. @default - the chart's defaults */
  readonly values?: Record<string, unknown>;
  /**
   * Kubernetes version passed as `--kube-version`, so that the output does not depend on how the
   * helm binary was built. @default '1.28.0'
   */
  readonly kubernetesVersion?: string;
  /** Path of the helm binary. @default - HELM_BIN, else the pinned helm that `npm ci` installed */
  readonly helmExecutable?: string;
  /** Folder of packaged charts to read the chart from, offline. @default - CHARTS_DIR, else the chart's repository */
  readonly chartsDir?: string;
}

/**
 * A pinned Helm chart rendered with cdk8s's `Helm` construct (`helm template`), with clear errors,
 * without helm test hooks, and without leaving temporary folders behind.
 */
export class HelmRelease extends Construct {
  /** The cdk8s Helm construct holding the rendered objects. */
  public readonly helm: Helm;
  public readonly releaseName: string;
  public readonly namespace: string;
  /** The document each rendered object was made from, where this construct loaded them (not under PLAIN_CDK8S_ENV). */
  private readonly documents = new Map<ApiObject, any>();

  constructor(scope: Construct, id: string, props: HelmReleaseProps) {
    super(scope, id);
    this.releaseName = props.releaseName;
    this.namespace = props.namespace;
    const location = chartLocation(props.chart, props.chartsDir);
    const helmExecutable = props.helmExecutable ?? resolveHelm();
    let loaded: any[] | undefined;
    try {
      this.helm = inPrivateTmpdir(() => withFastLoad((documents) => { loaded = documents; }, () => withRenderCache(() => new Helm(this, 'chart', {
        ...location,
        releaseName: props.releaseName,
        namespace: props.namespace,
        values: props.values,
        helmExecutable,
        helmFlags: helmFlags(props),
      }))));
    } catch (err) {
      const reason = (err as Error).message.trim() || 'helm exited non-zero without a message';
      const offline = location.repo ? ' To render offline, set CHARTS_DIR to a folder holding the packaged chart.' : '';
      throw new UserError(`helm template of chart ${props.chart.name} ${props.chart.version} failed (helm: ${helmExecutable}): ${reason}.${offline} Check that helm runs (\`${helmExecutable} version\`) or set HELM_BIN.`);
    }
    // Include makes one ApiObject per document, in order.
    if (loaded?.length === this.apiObjects.length) this.apiObjects.forEach((o, i) => this.documents.set(o, loaded![i]));
    // Test hooks are Pods that `helm test` runs by hand; applied by kubectl they would run once and linger.
    this.removeObjects((o) => /\btest(-success)?\b/.test(o.metadata.toJson().annotations?.['helm.sh/hook'] ?? ''));
  }

  /** All rendered objects. */
  public get apiObjects(): ApiObject[] {
    return this.helm.apiObjects;
  }

  /** The rendered object of this kind and name, or an error naming what the chart rendered. */
  public findObject(kind: string, name: string): ApiObject {
    const found = this.apiObjects.find((o) => o.kind === kind && o.name === name);
    if (!found) {
      const rendered = this.apiObjects.map((o) => `${o.kind}/${o.name}`).join(', ');
      throw new Error(`the chart rendered no ${kind}/${name} (it rendered: ${rendered})`);
    }
    return found;
  }

  /** Removes the rendered objects for which `predicate` holds. */
  public removeObjects(predicate: (o: ApiObject) => boolean): void {
    for (const o of this.apiObjects.filter(predicate)) {
      this.helm.node.tryRemoveChild(o.node.id);
    }
  }

  /**
   * Moves a rendered object, as helm printed it and with its metadata, to `scope` (CRDs to a chart
   * applied first, say), as a StaticApiObject: its JSON is sorted once and cheap at every
   * toJson(). Move an object before changing it otherwise (JSON patches are not carried over).
   */
  public moveObject(object: ApiObject, scope: Construct): ApiObject {
    // From the document where there is one: without resolving its 780 kB (the operator's CRDs) first.
    const document = this.documents.get(object);
    const json = document ? { ...document, metadata: object.metadata.toJson() } : object.toJson();
    this.helm.node.tryRemoveChild(object.node.id);
    return new StaticApiObject(scope, `${this.node.id}-${object.node.id}`, json);
  }

  /**
   * Replaces a rendered object by a new one built from its JSON, in `scope` (default: where it
   * was). Values in the returned JSON may be cdk8s Lazy values, resolved at synth time.
   */
  public replaceObject(object: ApiObject, transform: (json: any) => any, scope: Construct = this.helm): ApiObject {
    const json = object.toJson();
    const id = object.node.id;
    this.helm.node.tryRemoveChild(id);
    return new ApiObject(scope, scope === this.helm ? id : `${this.node.id}-${id}`, transform(json));
  }
}

/**
 * Runs `fn` with os.tmpdir() pointing at a fresh folder, then deletes it: cdk8s's Helm construct
 * writes the values file and the rendered chart into a temporary folder that it never removes.
 */
function inPrivateTmpdir<T>(fn: () => T): T {
  const saved = process.env.TMPDIR;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'helm-release-'));
  process.env.TMPDIR = dir;
  try {
    return fn();
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export { PLAIN_CDK8S_ENV };

/**
 * Runs `fn` (which constructs a Helm) with cdk8s's Yaml.load replaced by an in-process js-yaml load
 * of the rendered file (lib/helm/load-rendered.ts says why), handing the documents to `onLoad`, then
 * puts Yaml.load back. Where that loader is not sure to give what cdk8s would, cdk8s's own
 * Yaml.load does the work.
 */
function withFastLoad<T>(onLoad: (documents: any[]) => void, fn: () => T): T {
  if (process.env[PLAIN_CDK8S_ENV] === '1') return fn();
  const cdk8sLoad = Yaml.load;
  Yaml.load = (file: string) => {
    const documents = loadManifest(fs.readFileSync(file, 'utf8'));
    if (!documents) return cdk8sLoad.call(Yaml, file);
    onLoad(documents);
    return documents;
  };
  try {
    return fn();
  } finally {
    Yaml.load = cdk8sLoad;
  }
}

export { RENDER_CACHE_ENV };

/**
 * loadRenderedManifest(text); in test runs (RENDER_CACHE_ENV) kept in that folder as JSON by the
 * text's digest, since JSON.parse reads the operator chart's objects ten times faster than YAML.
 */
function loadManifest(text: string): any[] | undefined {
  const dir = process.env[RENDER_CACHE_ENV];
  if (!dir) return loadRenderedManifest(text);
  const file = path.join(dir, `${createHash('sha256').update(text).digest('hex')}.json`);
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8'));
  const objects = loadRenderedManifest(text);
  if (objects) writeAtomically(file, JSON.stringify(objects));
  return objects;
}

/**
 * Only when RENDER_CACHE_ENV is set (the test suite renders the same charts with the same values
 * hundreds of times): runs `fn` with cdk8s's spawnSync seam (`_child_process`, which Helm calls)
 * answering from that folder once helm has rendered the same thing twice with the same bytes.
 * Charts can render random values (the operator chart's autoGenerateCert, webhookCerts 'helm',
 * makes a new CA each time, and a test checks that): the second render of a key is always real and
 * compared with the first, and a key whose renders differ is never served. Restores the seam afterwards.
 */
function withRenderCache<T>(fn: () => T): T {
  const dir = process.env[RENDER_CACHE_ENV];
  if (!dir) return fn();
  const spawnSync = _child_process.spawnSync;
  _child_process.spawnSync = ((command: string, args: readonly string[], options: object) => {
    const key = renderKey(command, args);
    if (!key) return spawnSync(command, args, options);
    const file = path.join(dir, key);
    if (fs.existsSync(`${file}.same`)) {
      return { pid: 0, output: [], stdout: fs.readFileSync(`${file}.yaml`), stderr: Buffer.alloc(0), status: 0, signal: null };
    }
    const result = spawnSync(command, args, options);
    if (result.status === 0 && !result.error && !fs.existsSync(`${file}.differs`)) {
      const first = fs.existsSync(`${file}.yaml`) ? fs.readFileSync(`${file}.yaml`) : undefined;
      if (!first) writeAtomically(`${file}.yaml`, result.stdout);
      else writeAtomically(first.equals(result.stdout) ? `${file}.same` : `${file}.differs`, '');
    }
    return result;
  }) as typeof spawnSync;
  try {
    return fn();
  } finally {
    _child_process.spawnSync = spawnSync;
  }
}

/**
 * Test runs: puts the `helm template` runs of `releases` into the render cache folder `dir` as
 * withRenderCache leaves them after two uses (each rendered twice, at once, and compared), so that
 * test files are served from their first use instead of each rendering them while the cache fills
 * (test/global-setup.ts).
 */
export async function fillRenderCache(dir: string, releases: readonly HelmReleaseProps[]): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'render-cache-'));
  try {
    await Promise.all(releases.map(async (release, i) => {
      const command = helmTemplateCommand(release, path.join(work, `values-${i}.yaml`));
      writeValuesFile(command);
      const key = renderKey(command.command, command.args);
      if (!key) return;
      const [first, second] = await Promise.all([runTemplate(command), runTemplate(command)]);
      if (first === undefined || second === undefined) return;
      writeAtomically(path.join(dir, `${key}.yaml`), first);
      writeAtomically(path.join(dir, `${key}.${first.equals(second) ? 'same' : 'differs'}`), '');
    }));
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Test files run in parallel processes: a file is complete once it has its name. */
function writeAtomically(file: string, data: string | Buffer): void {
  const partial = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(partial, data);
  fs.renameSync(partial, file);
}

/**
 * Everything `helm template` output depends on: the binary, the arguments with the values file and
 * a local chart archive replaced by their content's digest (their paths are temporary), and the
 * environment variables helm reads its configuration from.
 */
function renderKey(command: string, args: readonly string[]): string | undefined {
  const binary = fs.statSync(command, { throwIfNoEntry: false });
  if (!binary?.isFile()) return undefined; // helm's own error, as without the cache
  const argv = args.map((arg) => (path.isAbsolute(arg) && fs.statSync(arg, { throwIfNoEntry: false })?.isFile()
    ? { file: createHash('sha256').update(fs.readFileSync(arg)).digest('hex') }
    : arg));
  const env = Object.keys(process.env).filter((k) => /^(HOME|KUBECONFIG|HELM_.*|XDG_.*)$/.test(k) && k !== RENDER_CACHE_ENV).sort();
  const key = [command, binary.size, binary.mtimeMs, argv, env.map((k) => [k, process.env[k]])];
  return createHash('sha256').update(JSON.stringify(key)).digest('hex');
}
