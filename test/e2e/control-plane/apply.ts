// Server-side apply of synthesized objects to the test control plane, as `npm run deploy` applies
// them (same field manager, JSON stream), but without its waits for Jobs and Pods, which never run here.
import { FIELD_MANAGER } from '../../../deploy/deploy';
import { ControlPlane, RunResult } from './control-plane';

export { FIELD_MANAGER };

export const describe = (o: any): string => `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

const stream = (objects: any[]): string => objects.map((o) => `${JSON.stringify(o)}\n`).join('');

/** `kubectl apply --server-side` of the objects; the result as kubectl printed it. */
export function serverSideApply(cp: ControlPlane, objects: any[], fieldManager = FIELD_MANAGER): Promise<RunResult> {
  return cp.kubectl(['apply', '--server-side', '--force-conflicts', `--field-manager=${fieldManager}`, '-f', '-'], stream(objects));
}

/** Every object as the apiserver stores it, in the same order (`kubectl get -f -`). */
export async function getAll(cp: ControlPlane, objects: any[]): Promise<any[]> {
  const r = await cp.kubectl(['get', '-f', '-', '-o', 'json', '--show-managed-fields'], stream(objects));
  if (r.code !== 0) throw new Error(`kubectl get -f - exited ${r.code}:\n${r.stderr}`);
  const parsed = JSON.parse(r.stdout);
  return parsed.kind === 'List' ? parsed.items : [parsed];
}

export interface ApplyReport {
  /** Objects kubectl reported as applied, as `Kind namespace/name`. */
  readonly applied: string[];
  /** What kubectl printed on stderr (admission warnings, errors). */
  readonly stderr: string;
}

/**
 * Applies the objects in two steps, as the deploy's waves do: Namespaces and CRDs first (and waits
 * until the CRDs are established), then everything else. Throws with kubectl's stderr if any object is refused.
 */
export async function applyInOrder(cp: ControlPlane, objects: any[]): Promise<ApplyReport> {
  const first = objects.filter((o) => o.kind === 'Namespace' || o.kind === 'CustomResourceDefinition');
  const rest = objects.filter((o) => !first.includes(o));
  const applied: string[] = [];
  let stderr = '';
  for (const batch of [first, rest]) {
    if (!batch.length) continue;
    const r = await serverSideApply(cp, batch);
    stderr += r.stderr;
    if (r.code !== 0) throw new Error(`server-side apply refused (exit ${r.code}):\n${r.stderr}`);
    applied.push(...r.stdout.trim().split('\n').filter(Boolean));
    const crds = batch.filter((o) => o.kind === 'CustomResourceDefinition').map((o) => `crd/${o.metadata.name}`);
    if (crds.length) await cp.kubectlOk(['wait', '--for=condition=established', '--timeout=60s', ...crds]);
  }
  return { applied, stderr };
}
