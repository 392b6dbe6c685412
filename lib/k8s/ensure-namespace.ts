import { ApiObject } from 'cdk8s';
// The generated Kubernetes API classes only: cdk8s-plus-28's index would load all of cdk8s-plus (≈0.1 s).
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s';
import { Construct } from 'constructs';

/** Pod Security Admission levels, least to most restricted. */
export const POD_SECURITY_LEVELS = ['privileged', 'baseline', 'restricted'] as const;
export type PodSecurityLevel = (typeof POD_SECURITY_LEVELS)[number];

/** What the pods of a namespace need from Pod Security Admission, and why. */
export interface PodSecurity {
  readonly level: PodSecurityLevel;
  readonly reason: string;
}

const LEVEL_LABELS = ['enforce', 'audit', 'warn'].map((mode) => `pod-security.kubernetes.io/${mode}`);
/** Why the namespace has its level: one sentence per construct that asked. */
export const POD_SECURITY_REASON = 'falco-otel-honeycomb/pod-security-reason';

/**
 * The Namespace object `name` in `scope`, created unless one is there already: Falco and the
 * operator may share a namespace and a scope, and two objects of the same name would make
 * `kubectl apply` and Argo CD report duplicates. With `security`, its Pod Security labels allow at
 * least that level (the least restricted level any construct asked for wins), with the reason.
 */
export function ensureNamespace(scope: Construct, name: string, security?: PodSecurity): ApiObject {
  const existing = scope.node.children.find((c): c is ApiObject => c instanceof ApiObject && c.kind === 'Namespace' && c.name === name);
  const namespace = existing ?? new k8s.KubeNamespace(scope, `namespace-${name}`, { metadata: { name } });
  if (security) requirePodSecurity(namespace, security);
  return namespace;
}

function requirePodSecurity(namespace: ApiObject, security: PodSecurity): void {
  const current = namespace.metadata.getLabel(LEVEL_LABELS[0]) as PodSecurityLevel | undefined;
  const rank = (l: PodSecurityLevel) => POD_SECURITY_LEVELS.indexOf(l);
  const level = current && rank(current) < rank(security.level) ? current : security.level;
  for (const label of LEVEL_LABELS) namespace.metadata.addLabel(label, level);
  const reasons = namespace.metadata.toJson().annotations?.[POD_SECURITY_REASON] as string | undefined;
  namespace.metadata.addAnnotation(POD_SECURITY_REASON, reasons ? `${reasons} ${security.reason}` : security.reason);
}
