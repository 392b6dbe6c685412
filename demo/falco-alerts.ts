/** The rules the walkthrough's three commands fire (default ruleset, all maturity_stable). */
export const EXPECTED_RULES = [
  'Terminal shell in container', // the shell opened with a terminal
  'Search Private Keys or Passwords', // find . -name "*id_rsa*"
  'Find AWS Credentials', // grep "aws_access_key_id" *
] as const;

/** One Falco alert as printed with `json_output: true`. */
export interface FalcoAlert {
  readonly time: string;
  readonly priority: string;
  readonly rule: string;
  readonly output: string;
  readonly output_fields?: Record<string, unknown>;
}

/**
 * The alerts in `kubectl logs` output of the falco container. Falco also writes plain-text start-up
 * lines and the container has a tty (lines may end in \r), so only lines that parse as an alert count.
 */
export function parseAlerts(log: string): FalcoAlert[] {
  return log.split('\n').flatMap((raw) => {
    const line = raw.trim();
    if (!line.startsWith('{')) return [];
    try {
      const alert = JSON.parse(line);
      return typeof alert?.rule === 'string' && typeof alert?.output === 'string' ? [alert as FalcoAlert] : [];
    } catch {
      return [];
    }
  });
}

/** Whether the alert is about this pod (Falco fills k8s.* from the container runtime's labels). */
export function isAboutPod(alert: FalcoAlert, namespace: string, pod: string): boolean {
  const fields = alert.output_fields ?? {};
  return fields['k8s.ns.name'] === namespace && fields['k8s.pod.name'] === pod;
}

/** The expected rules, each with whether one of the alerts is of it. */
export function ruleChecklist(alerts: readonly FalcoAlert[], expected: readonly string[] = EXPECTED_RULES): { rule: string; fired: boolean }[] {
  const fired = new Set(alerts.map((a) => a.rule));
  return expected.map((rule) => ({ rule, fired: fired.has(rule) }));
}
