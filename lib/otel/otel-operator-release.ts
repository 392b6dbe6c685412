import type { HelmReleaseProps } from '../helm/helm-release';
import { OTEL_OPERATOR_CHART } from '../helm/pinned';
import type { OtelOperatorProps, WebhookCertMode } from './otel-operator';

// What OtelOperator asks of the opentelemetry-operator chart. Kept apart from the construct (and
// from cdk8s) so that synth can start rendering the chart before the constructs load
// (lib/synth/synthesize.ts).

/** Who makes the webhook certificates, by default the in-cluster Jobs. */
export function webhookCertMode(props: OtelOperatorProps): WebhookCertMode {
  return props.webhookCerts ?? 'certgen';
}

/** Repository of the collector image the operator defaults to. */
export function collectorImageRepository(props: OtelOperatorProps): string {
  return props.collectorImageRepository ?? 'otel/opentelemetry-collector-k8s';
}

/** The chart release of an OtelOperator with these props. */
export function otelOperatorRelease(props: OtelOperatorProps): HelmReleaseProps {
  const webhookCerts = webhookCertMode(props);
  return {
    chart: OTEL_OPERATOR_CHART,
    releaseName: props.releaseName ?? 'opentelemetry-operator',
    namespace: props.namespace ?? 'otel',
    kubernetesVersion: props.kubernetesVersion,
    helmExecutable: props.helmExecutable,
    chartsDir: props.chartsDir,
    values: {
      manager: { collectorImage: { repository: collectorImageRepository(props), tag: OTEL_OPERATOR_CHART.appVersion } },
      admissionWebhooks: {
        certManager: { enabled: webhookCerts === 'cert-manager' },
        autoGenerateCert: { enabled: webhookCerts === 'helm' },
      },
    },
  };
}
