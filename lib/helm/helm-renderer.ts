import { spawn, spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { chartFromFolder, downloadChart, VerifiedChart } from './chart-archive';
import { HelmBinary, resolveHelm } from './helm-binary';
import { loadRenderedManifest } from './load-rendered';
import { UserError } from '../errors';
import { createPrivateTempDir, removePrivateTempDir } from '../fs/private-temp';
import { DEFAULT_KUBERNETES_VERSION } from '../k8s/kubernetes-versions';
import { PinnedChart } from '../pins';
import { cut } from '../text';

/** One `helm template` of a pinned chart. */
export interface HelmTemplate {
  readonly chart: PinnedChart;
  readonly releaseName: string;
  /** `helm template --namespace`. */
  readonly namespace: string;
  /** Chart values. @default - the chart's defaults */
  readonly values?: Record<string, unknown>;
  /** `--kube-version`, so that the output does not depend on how helm was built. @default DEFAULT_KUBERNETES_VERSION */
  readonly kubernetesVersion?: string;
}

/** Where rendered charts are kept by key; the default keeps them in memory for the renderer's life. */
export interface RenderCache {
  get(key: string): readonly unknown[] | undefined;
  set(key: string, documents: readonly unknown[]): void;
}

export interface HelmRendererProps {
  /** The helm binary. @default - the pinned helm that `npm ci` installs */
  readonly helmBinary?: string;
  /** Folder of packaged charts to read charts from, offline. @default - each chart's repository */
  readonly chartsDir?: string;
  /** Bound of each helm run, in ms. @default 120000 */
  readonly timeoutMs?: number;
  /** Rendered charts by key. @default - in memory */
  readonly cache?: RenderCache;
}

/** helm's output is never near this; more is an error, not a hang. */
const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

/**
 * Renders pinned charts with `helm template`, checked by digest, and parses the output in-process.
 * Renders are keyed by everything the output depends on (helm, chart digest, release, namespace,
 * Kubernetes version, values), so a fleet of clusters with the same chart values costs one render
 * per chart. `renderAll` runs several at once; `render` one, synchronously (inside a constructor).
 */
export class HelmRenderer {
  /** A renderer for HELM_BIN and CHARTS_DIR of `env`. */
  public static fromEnvironment(env: NodeJS.ProcessEnv = process.env, props: Omit<HelmRendererProps, 'helmBinary' | 'chartsDir'> = {}): HelmRenderer {
    return new HelmRenderer({ ...props, helmBinary: env.HELM_BIN || undefined, chartsDir: env.CHARTS_DIR || undefined });
  }

  /** The renderer constructs use when given none: fromEnvironment(), made once. */
  public static shared(): HelmRenderer {
    HelmRenderer.sharedRenderer ??= HelmRenderer.fromEnvironment();
    return HelmRenderer.sharedRenderer;
  }

  private static sharedRenderer?: HelmRenderer;

  public readonly chartsDir?: string;
  public readonly timeoutMs: number;
  private readonly helmBinary?: string;
  private readonly cache: RenderCache;
  private readonly charts = new Map<string, VerifiedChart & { file: string }>();
  private resolvedHelm?: HelmBinary;
  private workDir?: string;

  constructor(props: HelmRendererProps = {}) {
    this.helmBinary = props.helmBinary;
    this.chartsDir = props.chartsDir;
    this.timeoutMs = props.timeoutMs ?? 120_000;
    const memory = new Map<string, readonly unknown[]>();
    this.cache = props.cache ?? { get: (k) => memory.get(k), set: (k, d) => memory.set(k, d) };
  }

  /** The helm binary, checked once. */
  public get helm(): HelmBinary {
    this.resolvedHelm ??= resolveHelm(this.helmBinary, Math.min(this.timeoutMs, 30_000));
    return this.resolvedHelm;
  }

  /** The process this renderer starts for `template`: helm, its arguments, stdin and environment. */
  public command(template: HelmTemplate): { helm: string; args: string[]; input: string; env: NodeJS.ProcessEnv } {
    const { args, input } = this.prepare(template);
    return { helm: this.helm.path, args, input, env: this.env() };
  }

  /** The rendered documents of `template` (frozen: copy before changing), rendering it unless it was. */
  public render(template: HelmTemplate): readonly any[] {
    const { key, args, input } = this.prepare(template);
    const cached = this.cache.get(key);
    if (cached) return cached;
    // Output into files, not pipes: a helm (or a wrapper script) whose children hold a pipe open
    // after it was killed at the timeout would keep spawnSync waiting for them.
    const out = path.join(this.work(), `render-${process.pid}-${key.slice(0, 16)}`);
    const stdoutFd = fs.openSync(`${out}.out`, 'w+', 0o600);
    const stderrFd = fs.openSync(`${out}.err`, 'w+', 0o600);
    try {
      const run = spawnSync(this.helm.path, args, { input, env: this.env(), timeout: this.timeoutMs, killSignal: 'SIGKILL', stdio: ['pipe', stdoutFd, stderrFd] });
      const timedOut = (run.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT';
      const size = fs.fstatSync(stdoutFd).size;
      const stdout = size > MAX_OUTPUT_BYTES ? Buffer.alloc(0) : fs.readFileSync(`${out}.out`);
      const stderr = fs.readFileSync(`${out}.err`).subarray(0, 64 * 1024).toString('utf8');
      const error = timedOut ? 'timeout' : (size > MAX_OUTPUT_BYTES ? `printed more than ${MAX_OUTPUT_BYTES} bytes` : run.error?.message);
      return this.finish(template, key, run.status, stdout, stderr, error);
    } finally {
      fs.closeSync(stdoutFd);
      fs.closeSync(stderrFd);
      fs.rmSync(`${out}.out`, { force: true });
      fs.rmSync(`${out}.err`, { force: true });
    }
  }

  /** Renders every template not rendered yet, at once. */
  public async renderAll(templates: readonly HelmTemplate[]): Promise<void> {
    const pending = new Map<string, { template: HelmTemplate; args: string[]; input: string }>();
    for (const template of templates) {
      const prepared = this.prepare(template);
      if (!this.cache.get(prepared.key)) pending.set(prepared.key, { template, ...prepared });
    }
    const failures: UserError[] = [];
    await Promise.all([...pending].map(async ([key, { template, args, input }]) => {
      const run = await this.spawn(args, input);
      try {
        this.finish(template, key, run.status, run.stdout, run.stderr, run.error);
      } catch (err) {
        if (!(err instanceof UserError)) throw err;
        failures.push(err);
      }
    }));
    if (failures.length > 0) throw new UserError(failures.map((f) => f.message).join('\n'));
  }

  /** The key, arguments and stdin of one render; verifies (and downloads) the chart first. */
  private prepare(template: HelmTemplate): { key: string; args: string[]; input: string } {
    const chart = this.verifiedChart(template.chart);
    const kubernetesVersion = template.kubernetesVersion ?? DEFAULT_KUBERNETES_VERSION;
    const values = template.values ?? {};
    const key = createHash('sha256').update(JSON.stringify([
      this.helm.path, this.helm.version, chart.sha256, template.releaseName, template.namespace, kubernetesVersion, canonical(values),
    ])).digest('hex');
    // Values as JSON on stdin: JSON is YAML without YAML's ambiguous scalars.
    const args = ['template', template.releaseName, chart.file, '--namespace', template.namespace, '--kube-version', kubernetesVersion, '--values', '-'];
    return { key, args, input: JSON.stringify(values) };
  }

  private finish(template: HelmTemplate, key: string, status: number | null, stdout: Buffer, stderr: string, error?: string): readonly any[] {
    const label = `helm template of chart ${template.chart.name} ${template.chart.version}`;
    if (error === 'timeout') {
      throw new UserError(`${label}: did not finish within ${this.timeoutMs / 1000} s (helm: ${this.helm.path}); expected helm to render in time: raise --helm-timeout, or check HELM_BIN`);
    }
    if (error || status !== 0) {
      const reason = cut(stderr.trim() || error || `exit code ${status}`);
      throw new UserError(`${label} failed (helm: ${this.helm.path}): ${reason}; expected helm to render the pinned chart: check that helm runs (\`${this.helm.path} version\`) or set HELM_BIN`);
    }
    const documents = parseManifests(stdout.toString('utf8'), label);
    deepFreeze(documents);
    this.cache.set(key, documents);
    return documents;
  }

  private spawn(args: string[], input: string): Promise<{ status: number | null; stdout: Buffer; stderr: string; error?: string }> {
    return new Promise((resolve) => {
      // Its own process group, so that the timeout stops helm and anything it started.
      const child = spawn(this.helm.path, args, { env: this.env(), stdio: ['pipe', 'pipe', 'pipe'], detached: true });
      const stop = () => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
      };
      const out: Buffer[] = [];
      let size = 0;
      let stderr = '';
      let error: string | undefined;
      const timer = setTimeout(() => { error = 'timeout'; stop(); }, this.timeoutMs);
      child.stdout.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_OUTPUT_BYTES) { error = `printed more than ${MAX_OUTPUT_BYTES} bytes`; stop(); } else out.push(chunk);
      });
      child.stderr.on('data', (chunk: Buffer) => { if (stderr.length < 64 * 1024) stderr += chunk; });
      child.on('error', (err) => { error ??= err.message; });
      child.on('close', (status) => { clearTimeout(timer); resolve({ status, stdout: Buffer.concat(out), stderr, error }); });
      child.stdin.on('error', () => undefined);
      child.stdin.end(input);
    });
  }

  /** The chart's verified archive, as a file in the private work folder that only helm reads. */
  private verifiedChart(chart: PinnedChart): VerifiedChart & { file: string } {
    const id = `${chart.name}@${chart.version}`;
    let verified = this.charts.get(id);
    if (!verified) {
      const work = this.work();
      const archive = this.chartsDir
        ? chartFromFolder(chart, this.chartsDir)
        : downloadChart(chart, this.helm.path, work, this.env(), this.timeoutMs);
      const file = path.join(work, `${chart.name}-${archive.sha256}.tgz`);
      fs.writeFileSync(file, archive.bytes, { mode: 0o600 });
      verified = { ...archive, file };
      this.charts.set(id, verified);
    }
    return verified;
  }

  /** Removes the renderer's temporary folder (verified charts, helm's home); renders stay usable from the cache. */
  public dispose(): void {
    if (this.workDir) removePrivateTempDir(this.workDir);
    this.workDir = undefined;
    this.charts.clear();
  }

  private work(): string {
    this.workDir ??= createPrivateTempDir('helm');
    return this.workDir;
  }

  /**
   * helm's environment: its own empty home (no repositories, plugins or settings of the user's
   * reach the output), the proxy and CA settings a download needs, and nothing else.
   */
  private env(): NodeJS.ProcessEnv {
    const home = this.work();
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, HELM_CACHE_HOME: path.join(home, 'cache'), HELM_CONFIG_HOME: path.join(home, 'config'), HELM_DATA_HOME: path.join(home, 'data') };
    for (const name of ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy', 'SSL_CERT_FILE', 'SSL_CERT_DIR']) {
      if (process.env[name] !== undefined) env[name] = process.env[name];
    }
    return env;
  }
}

/** The objects of helm's output; a UserError if it is not a stream of Kubernetes objects. */
function parseManifests(text: string, label: string): any[] {
  let documents: unknown[];
  try {
    documents = loadRenderedManifest(text);
  } catch (err) {
    throw new UserError(`${label}: helm printed something that is not YAML (${cut((err as Error).message.split('\n')[0], 200)}); expected Kubernetes manifests: check HELM_BIN`);
  }
  documents.forEach((d: any, i) => {
    if (typeof d !== 'object' || Array.isArray(d) || typeof d.kind !== 'string' || typeof d.apiVersion !== 'string') {
      throw new UserError(`${label}: document ${i + 1} of helm's output is not a Kubernetes object (${cut(JSON.stringify(d) ?? String(d), 80)}); expected objects with apiVersion and kind: check HELM_BIN`);
    }
  });
  return documents;
}

/** JSON with object keys sorted: values that differ only in key order render the same. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}
