import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, Helm } from 'cdk8s';
import { Construct } from 'constructs';
import { chartLocation, PinnedChart, resolveHelm } from './pinned';
import { UserError } from '../errors';

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

  constructor(scope: Construct, id: string, props: HelmReleaseProps) {
    super(scope, id);
    this.releaseName = props.releaseName;
    this.namespace = props.namespace;
    const location = chartLocation(props.chart, props.chartsDir);
    const helmExecutable = props.helmExecutable ?? resolveHelm();
    try {
      this.helm = inPrivateTmpdir(() => new Helm(this, 'chart', {
        ...location,
        releaseName: props.releaseName,
        namespace: props.namespace,
        values: props.values,
        helmExecutable,
        helmFlags: ['--kube-version', props.kubernetesVersion ?? '1.28.0'],
      }));
    } catch (err) {
      const reason = (err as Error).message.trim() || 'helm exited non-zero without a message';
      const offline = location.repo ? ' To render offline, set CHARTS_DIR to a folder holding the packaged chart.' : '';
      throw new UserError(`helm template of chart ${props.chart.name} ${props.chart.version} failed (helm: ${helmExecutable}): ${reason}.${offline} Check that helm runs (\`${helmExecutable} version\`) or set HELM_BIN.`);
    }
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
