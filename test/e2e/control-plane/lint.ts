// Security/best-practice lint of synthesized manifests with kube-score (kube-linter is not served by
// this machine's module proxy), and the project's rule for exceptions: a finding is excepted only
// when the object both lists the check in `kube-score/ignore` (which kube-score honours) and gives
// the reason in `ignore-reason.kube-score/<check>` (which this test requires; kube-score has no
// reason field). kube-linter's own `ignore-check.kube-linter.io/<check>: <reason>` annotations are
// checked for a known check name and a reason, so they are ready for when kube-linter can run.
import * as fs from 'fs';
import * as path from 'path';
import { runProcess } from './control-plane';
import { buildLinter } from './peers';

export const KUBE_SCORE_IGNORE = 'kube-score/ignore';
export const KUBE_SCORE_REASON_PREFIX = 'ignore-reason.kube-score/';
export const KUBE_LINTER_PREFIX = 'ignore-check.kube-linter.io/';

/**
 * kube-linter's built-in check names, from its documentation (docs/generated/checks.md of
 * stackrox/kube-linter, read for this test; kube-linter itself cannot be built here).
 */
export const KUBE_LINTER_CHECKS: ReadonlySet<string> = new Set([
  'access-to-create-pods', 'access-to-secrets', 'cluster-admin-role-binding', 'dangling-horizontalpodautoscaler',
  'dangling-ingress', 'dangling-networkpolicy', 'dangling-networkpolicypeer-podselector', 'dangling-service',
  'dangling-servicemonitor', 'default-service-account', 'deprecated-service-account-field', 'dnsconfig-options',
  'docker-sock', 'drop-net-raw-capability', 'duplicate-env-var', 'env-var-secret', 'exposed-services', 'host-ipc',
  'host-network', 'host-pid', 'hpa-minimum-three-replicas', 'invalid-target-ports', 'latest-tag', 'liveness-port',
  'minimum-three-replicas', 'mismatching-selector', 'no-anti-affinity', 'no-extensions-v1beta', 'no-liveness-probe',
  'no-node-affinity', 'no-read-only-root-fs', 'no-readiness-probe', 'no-rolling-update-strategy',
  'non-existent-service-account', 'non-isolated-pod', 'pdb-max-unavailable', 'pdb-min-available',
  'pdb-unhealthy-pod-eviction-policy', 'privilege-escalation-container', 'privileged-container', 'privileged-ports',
  'read-secret-from-env-var', 'readiness-port', 'required-annotation-email', 'required-label-owner', 'run-as-non-root',
  'scc-deny-privileged-container', 'sensitive-host-mounts', 'ssh-port', 'startup-port', 'unsafe-proc-mount',
  'unsafe-sysctls', 'unset-cpu-requirements', 'unset-memory-requirements', 'use-namespace', 'wildcard-in-rules',
  'writable-host-mount',
]);

export interface Finding {
  /** `Kind namespace/name`. */
  readonly object: string;
  readonly check: string;
  readonly grade: 'CRITICAL' | 'WARNING';
  /** kube-score's comments, one per container or field. */
  readonly messages: string[];
}

export interface Exception {
  readonly object: string;
  readonly check: string;
  /** The reason annotation's value, undefined when missing. */
  readonly reason?: string;
}

export interface LintResult {
  readonly findings: Finding[];
  readonly exceptions: Exception[];
  readonly version: string;
}

/** Checks kube-score skips when another is ignored (impliedIgnoreAnnotations in its scorecard package). */
const IMPLIED_IGNORES: Record<string, string[]> = { 'container-resources': ['container-ephemeral-storage-request-and-limit'] };

/** Kubernetes minor kube-score checks deprecations against: that of the apiserver under test. */
export const LINT_KUBERNETES_VERSION = 'v1.33';

export async function kubeScore(dir: string): Promise<LintResult> {
  const linter = await buildLinter();
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort().map((f) => path.join(dir, f));
  const version = (await runProcess(linter.bin['kube-score'], ['version'])).stdout.trim();
  // Exit 1 means findings at CRITICAL; the JSON says which. Anything else is kube-score failing.
  const r = await runProcess(linter.bin['kube-score'], ['score', '--output-format', 'json', '--kubernetes-version', LINT_KUBERNETES_VERSION, ...files]);
  if (r.code !== 0 && r.code !== 1) throw new Error(`kube-score exited ${r.code}:\n${r.stderr}`);
  const scored: any[] = JSON.parse(r.stdout);
  const findings: Finding[] = [];
  const exceptions: Exception[] = [];
  for (const o of scored) {
    const object = `${o.type_meta.kind} ${o.object_meta.namespace ? `${o.object_meta.namespace}/` : ''}${o.object_meta.name}`;
    const annotations: Record<string, string> = o.object_meta.annotations ?? {};
    for (const c of o.checks) {
      if (c.skipped) {
        // kube-score also marks optional checks it did not run as "ignored": only the checks the
        // object lists are exceptions. Ignoring container-resources implies its ephemeral-storage check.
        const listed = (annotations[KUBE_SCORE_IGNORE] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
        const by = listed.includes(c.check.id) ? c.check.id : listed.find((l) => IMPLIED_IGNORES[l]?.includes(c.check.id));
        if (by) {
          const reason = annotations[`${KUBE_SCORE_REASON_PREFIX}${by}`]?.trim();
          exceptions.push({ object, check: c.check.id, reason: reason || undefined });
        }
        continue;
      }
      if (c.grade > 5) continue;
      findings.push({
        object,
        check: c.check.id,
        grade: c.grade === 1 ? 'CRITICAL' : 'WARNING',
        messages: (c.comments ?? []).map((m: any) => `${m.path ? `${m.path}: ` : ''}${m.summary}`),
      });
    }
  }
  return { findings, exceptions, version };
}

/** Problems with the kube-linter annotations of the objects: unknown check names, missing reasons. */
export function kubeLinterAnnotationProblems(objects: any[]): string[] {
  const problems: string[] = [];
  for (const o of objects) {
    const annotations: Record<string, string> = o.metadata?.annotations ?? {};
    for (const [key, value] of Object.entries(annotations)) {
      if (!key.startsWith(KUBE_LINTER_PREFIX)) continue;
      const check = key.slice(KUBE_LINTER_PREFIX.length);
      const where = `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
      if (!KUBE_LINTER_CHECKS.has(check)) problems.push(`${where}: ${key} names no kube-linter check`);
      if (!String(value ?? '').trim()) problems.push(`${where}: ${key} gives no reason`);
    }
  }
  return problems;
}
