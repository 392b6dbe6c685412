// The only changes the end-to-end tests make to a synthesized collector before running it: the
// node's paths (the pod-log root and the storage directory, as the pod mounts them) become
// temporary folders, and the exporter points at the Honeycomb stand-in in plaintext. The rewrite
// checks that nothing else changed, so a test never runs a config the product does not emit.

import { isDeepStrictEqual } from 'node:util';
import { SynthesizedCollector } from './synthesized';

export interface NodeRewrite {
  /** Folder standing in for the node's /var/log/pods. */
  readonly podLogRoot: string;
  /** Folder standing in for the storage hostPath. */
  readonly storageDir: string;
  /** host:port of the stand-in's OTLP gRPC listener. */
  readonly endpoint: string;
  /** Values of the pod's environment (downward API, Secret). */
  readonly nodeName?: string;
  readonly apiKey?: string;
}

export interface RunnableCollector {
  readonly config: any;
  /** Command-line flags, from spec.args. */
  readonly argv: string[];
  /** The container's environment, as the kubelet would set it. */
  readonly env: Record<string, string>;
  /** Every leaf the rewrite changed, `path: before -> after`. */
  readonly changes: string[];
}

/** Where the pod mounts the volume with this hostPath (pod-logs) or this name. */
function mountPathOf(spec: any, volumeName: string): string {
  const mount = (spec.volumeMounts ?? []).find((m: any) => m.name === volumeName);
  if (!mount) throw new Error(`the collector has no volumeMount ${volumeName}`);
  return mount.mountPath;
}

export function rewriteForNode(collector: SynthesizedCollector, rewrite: NodeRewrite): RunnableCollector {
  const prefixes: [string, string][] = [
    [mountPathOf(collector.spec, 'pod-logs'), rewrite.podLogRoot],
    [mountPathOf(collector.spec, 'storage'), rewrite.storageDir],
  ];
  const exporterIds = Object.keys(collector.config.exporters ?? {}).filter((id) => id.split('/')[0] === 'otlp_grpc');
  if (exporterIds.length !== 1) throw new Error(`expected one otlp_grpc exporter, found ${exporterIds.join(', ') || 'none'}`);
  const exporterId = exporterIds[0];

  const replacePrefix = (s: string): string => {
    for (const [from, to] of prefixes) {
      if (s === from || s.startsWith(`${from}/`)) return to + s.slice(from.length);
    }
    return s;
  };
  const config = mapStrings(collector.config, replacePrefix);
  config.exporters[exporterId].endpoint = rewrite.endpoint;
  // Plaintext to a stand-in on loopback; everything else about the exporter stays.
  config.exporters[exporterId].tls = { ...(config.exporters[exporterId].tls ?? {}), insecure: true };

  const leaves: LeafChange[] = [];
  diffLeaves(collector.config, config, '', leaves);
  const changes = leaves.map(({ where, before, after }) => `${where}: ${JSON.stringify(before) ?? '(none)'} -> ${JSON.stringify(after)}`);
  for (const [i, { where, before, after }] of leaves.entries()) {
    const allowed = where === `exporters.${exporterId}.endpoint`
      || where === `exporters.${exporterId}.tls.insecure`
      || (where === `exporters.${exporterId}.tls` && isDeepStrictEqual(after, { insecure: true }))
      || (typeof before === 'string' && replacePrefix(before) === after);
    if (!allowed) throw new Error(`rewriteForNode changed more than node paths and the endpoint: ${changes[i]}`);
  }
  // And the inverse gives back exactly what was synthesized.
  const undone = mapStrings(config, (s) => {
    for (const [from, to] of prefixes) if (s === to || s.startsWith(`${to}/`)) return from + s.slice(to.length);
    return s;
  });
  undone.exporters[exporterId].endpoint = collector.config.exporters[exporterId].endpoint;
  if (collector.config.exporters[exporterId].tls === undefined) delete undone.exporters[exporterId].tls;
  else undone.exporters[exporterId].tls = collector.config.exporters[exporterId].tls;
  if (!isDeepStrictEqual(undone, collector.config)) throw new Error('rewriteForNode: the rewrite is not reversible');

  return {
    config,
    argv: Object.entries(collector.args).map(([k, v]) => `--${k}=${v}`),
    env: podEnv(collector.spec, rewrite),
    changes,
  };
}

/** The container's environment: downward API fields and the Secret's key, by what they reference. */
function podEnv(spec: any, rewrite: NodeRewrite): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of spec.env ?? []) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.fieldRef?.fieldPath === 'spec.nodeName') env[e.name] = rewrite.nodeName ?? 'node-1';
    else if (e.valueFrom?.fieldRef?.fieldPath === 'status.podIP') env[e.name] = '127.0.0.1';
    else if (e.valueFrom?.secretKeyRef) env[e.name] = rewrite.apiKey ?? 'e2e-api-key';
    else throw new Error(`podEnv: no test value for env ${e.name} (${JSON.stringify(e.valueFrom)})`);
  }
  return env;
}

function mapStrings(value: any, f: (s: string) => string): any {
  if (typeof value === 'string') return f(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, f));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v, f)]));
  return value;
}

interface LeafChange { where: string; before: unknown; after: unknown }

function diffLeaves(a: any, b: any, where: string, out: LeafChange[]): void {
  const isObj = (v: any) => v !== null && typeof v === 'object';
  if (isObj(a) && isObj(b) && Array.isArray(a) === Array.isArray(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) diffLeaves(a[k], b[k], where ? `${where}.${k}` : k, out);
    return;
  }
  if (!isDeepStrictEqual(a, b)) out.push({ where, before: a, after: b });
}
