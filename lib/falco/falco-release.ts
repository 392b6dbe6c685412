import { DEFAULT_RULES_REPOSITORY, DEFAULT_RULES_VERSION } from './default-ruleset';
import type { FalcoDaemonSetProps, Toleration } from './falco-daemon-set';
import type { HelmReleaseProps } from '../helm/helm-release';
import { FALCO_CHART } from '../helm/pinned';

// What FalcoDaemonSet asks of the falco chart. Kept apart from the construct (and from cdk8s) so
// that synth can start rendering the chart before the constructs load (lib/synth/synthesize.ts).

/** The tolerations in the chart's values.yaml (falco 9.1.0): Falco runs on control-plane nodes too. */
export const CHART_TOLERATIONS: readonly Toleration[] = [
  { effect: 'NoSchedule', key: 'node-role.kubernetes.io/master' },
  { effect: 'NoSchedule', key: 'node-role.kubernetes.io/control-plane' },
];

/** The file under /etc/falco/rules.d that holds custom rules. */
export const CUSTOM_RULES_FILE = 'custom-rules.yaml';

/** Tolerations of the DaemonSet's pods: the chart's and the extra ones. */
export function falcoTolerations(props: FalcoDaemonSetProps): Toleration[] {
  return [...CHART_TOLERATIONS, ...(props.tolerations ?? [])];
}

/** OCI references of the default ruleset: installed at pod start, and followed when following is on. */
export function falcoRulesRefs(props: FalcoDaemonSetProps): { rulesRef: string; followedRulesRef?: string } {
  const rulesVersion = props.rulesVersion ?? DEFAULT_RULES_VERSION;
  return {
    rulesRef: `${DEFAULT_RULES_REPOSITORY}:${rulesVersion}`,
    // The exact version never moves; following makes sense only for the major tag.
    followedRulesRef: props.followRulesUpdates ? `${DEFAULT_RULES_REPOSITORY}:${rulesVersion.split('.')[0]}` : undefined,
  };
}

/** The chart release of a FalcoDaemonSet with these props. */
export function falcoRelease(props: FalcoDaemonSetProps): HelmReleaseProps {
  const { rulesRef, followedRulesRef } = falcoRulesRefs(props);
  return {
    chart: FALCO_CHART,
    releaseName: props.releaseName ?? 'falco',
    namespace: props.namespace ?? 'falco',
    kubernetesVersion: props.kubernetesVersion,
    helmExecutable: props.helmExecutable,
    chartsDir: props.chartsDir,
    values: {
      tty: true,
      falco: { json_output: true },
      driver: { kind: props.driver ?? 'auto', modernEbpf: { leastPrivileged: props.leastPrivileged ?? false } },
      tolerations: falcoTolerations(props),
      // Placeholder: it makes the chart mount /etc/falco/rules.d; the content comes at synth time.
      customRules: { [CUSTOM_RULES_FILE]: '[]' },
      falcoctl: {
        artifact: { follow: { enabled: followedRulesRef !== undefined } },
        config: {
          artifact: {
            // The chart appends its container plugin to these refs.
            install: { refs: [rulesRef] },
            follow: { refs: followedRulesRef ? [followedRulesRef] : [] },
          },
        },
      },
    },
  };
}
