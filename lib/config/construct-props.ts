import type { Config } from './schema';
import { falcoRelease } from '../falco/falco-release';
import type { FalcoDaemonSetProps } from '../falco/falco-daemon-set';
import type { HelmReleaseProps } from '../helm/helm-release';
import { otelOperatorRelease } from '../otel/otel-operator-release';
import type { OtelOperatorProps } from '../otel/otel-operator';

// The props main.ts gives the two chart-rendering constructs, from a validated config. Without
// cdk8s, so that synth knows the two chart renders before the constructs load (chartReleases).

/** The OtelOperator of the app; `chartsDir` as BuildOptions.chartsDir. */
export function otelOperatorProps(config: Config, chartsDir?: string): OtelOperatorProps {
  return {
    namespace: config.otel.namespace,
    webhookCerts: config.otel.webhookCerts,
    kubernetesVersion: config.kubernetesVersion,
    chartsDir,
  };
}

/** The FalcoDaemonSet of the app. */
export function falcoDaemonSetProps(config: Config, chartsDir?: string): FalcoDaemonSetProps {
  return {
    namespace: config.falco.namespace,
    driver: config.falco.driver,
    leastPrivileged: config.falco.leastPrivileged,
    rulesVersion: config.falco.rulesVersion,
    followRulesUpdates: config.falco.followRulesUpdates,
    rules: config.falco.rules,
    macros: config.falco.macros,
    lists: config.falco.lists,
    disabledRules: config.falco.disabledRules,
    disabledTags: config.falco.disabledTags,
    resources: config.falco.resources,
    tolerations: config.falco.tolerations,
    kubernetesVersion: config.kubernetesVersion,
    chartsDir,
  };
}

/** The chart releases the app renders, in the order buildApp renders them. */
export function chartReleases(config: Config, chartsDir?: string): HelmReleaseProps[] {
  return [otelOperatorRelease(otelOperatorProps(config, chartsDir)), falcoRelease(falcoDaemonSetProps(config, chartsDir))];
}
