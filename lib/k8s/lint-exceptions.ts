// Exceptions to security linters, written into the YAML with their reasons, so that a reviewer of
// dist/ reads why a privileged or root container is so, and linters skip only what is explained.
// kube-score honours `kube-score/ignore: <check>,<check>`; it has no field for a reason, so each
// ignored check also gets `ignore-reason.kube-score/<check>: <reason>` (this project's convention).
// kube-linter honours `ignore-check.kube-linter.io/<check>: <reason>`.

/** One linter finding that is accepted on purpose. */
export interface LintException {
  /** kube-score check. */
  readonly kubeScore?: string;
  /** kube-linter checks that report the same. */
  readonly kubeLinter?: readonly string[];
  /** Why the object is as it is. */
  readonly reason: string;
}

export const KUBE_SCORE_IGNORE = 'kube-score/ignore';

/** The annotations that except `exceptions`, merged with the `kube-score/ignore` list already in `existing`. */
export function lintExceptionAnnotations(exceptions: readonly LintException[], existing: Record<string, string> = {}): Record<string, string> {
  const annotations: Record<string, string> = {};
  const ignored = new Set((existing[KUBE_SCORE_IGNORE] ?? '').split(',').filter(Boolean));
  for (const e of exceptions) {
    if (e.kubeScore) {
      ignored.add(e.kubeScore);
      annotations[`ignore-reason.kube-score/${e.kubeScore}`] = e.reason;
    }
    for (const check of e.kubeLinter ?? []) annotations[`ignore-check.kube-linter.io/${check}`] = e.reason;
  }
  if (ignored.size > 0) annotations[KUBE_SCORE_IGNORE] = [...ignored].sort().join(',');
  return annotations;
}

/** Exceptions every workload of this project shares. */
export const COMMON_EXCEPTIONS: readonly LintException[] = [
  {
    kubeScore: 'container-image-pull-policy',
    reason: 'images are pinned by release tag or digest, so Always would pull the same bytes again; IfNotPresent lets pods start while the registry is unreachable',
  },
  {
    kubeScore: 'pod-networkpolicy',
    reason: 'no NetworkPolicy is shipped: the egress these pods need (the API server, ghcr.io, Honeycomb) has no fixed addresses, and a wrong default-deny would silently stop alerts; add policies that fit your cluster\'s CNI',
  },
];
