import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { collectorImageRepository, otelOperatorRelease, webhookCertMode } from './otel-operator-release';
import { WebhookCertJobs } from './webhook-cert-jobs';
import { HelmRelease } from '../helm/helm-release';
import { OTEL_OPERATOR_CHART } from '../helm/pinned';
import { ensureNamespace } from '../k8s/ensure-namespace';

/**
 * Who makes the certificates of the operator's webhooks.
 * - `certgen`: Jobs in the cluster create the serving-cert Secret and patch the CA into the webhook
 *   configurations and the CRD's conversion webhook (the ingress-nginx pattern). No cert-manager,
 *   no key material in the output.
 * - `cert-manager`: the chart's Certificate and Issuer; needs cert-manager in the cluster.
 * - `helm`: the chart's autoGenerateCert, as `helm install` does it. A new CA and private key on every
 *   synth: output is not reproducible and carries a private key. Never the default.
 */
export type WebhookCertMode = 'certgen' | 'cert-manager' | 'helm';

export interface OtelOperatorProps {
  /** Namespace of the operator; a Namespace object is emitted for it. @default 'otel' */
  readonly namespace?: string;
  /** Helm release name. @default 'opentelemetry-operator' */
  readonly releaseName?: string;
  /** Who makes the webhook certificates. @default 'certgen' */
  readonly webhookCerts?: WebhookCertMode;
  /** Image repository of the collectors the operator starts. @default 'otel/opentelemetry-collector-k8s' */
  readonly collectorImageRepository?: string;
  /** Kubernetes version the chart is rendered for. @default '1.28.0' */
  readonly kubernetesVersion?: string;
  /** Where the Namespace and the CRDs go, so an app can apply them first. @default - this construct */
  readonly namespaceScope?: Construct;
  /** Path of the helm binary. @default - HELM_BIN, else the pinned helm */
  readonly helmExecutable?: string;
  /** Folder of packaged charts. @default - CHARTS_DIR, else the chart repository */
  readonly chartsDir?: string;
}

/** The OpenTelemetry Operator from its pinned chart, with its CRDs and webhooks. */
export class OtelOperator extends Construct {
  public readonly namespace: string;
  public readonly releaseName: string;
  public readonly webhookCerts: WebhookCertMode;
  /** The collector image the operator defaults to (repository:tag). */
  public readonly collectorImage: string;
  public readonly release: HelmRelease;
  /** The operator's CustomResourceDefinitions. */
  public readonly crds: ApiObject[];
  /** The Jobs that make the webhook certificates; only with `webhookCerts: 'certgen'`. */
  public readonly webhookCertJobs?: WebhookCertJobs;

  constructor(scope: Construct, id: string, props: OtelOperatorProps = {}) {
    super(scope, id);
    const release = otelOperatorRelease(props);
    this.namespace = release.namespace;
    this.releaseName = release.releaseName;
    this.webhookCerts = webhookCertMode(props);
    this.collectorImage = `${collectorImageRepository(props)}:${OTEL_OPERATOR_CHART.appVersion}`;

    const namespaceScope = props.namespaceScope ?? this;
    ensureNamespace(namespaceScope, this.namespace);
    this.release = new HelmRelease(this, 'release', release);

    this.crds = this.release.apiObjects
      .filter((o) => o.kind === 'CustomResourceDefinition')
      .map((crd) => this.release.moveObject(crd, namespaceScope));

    if (this.webhookCerts === 'certgen') {
      this.dropCertPlaceholders();
      this.webhookCertJobs = new WebhookCertJobs(this, 'webhook-certs', {
        service: this.release.findObject('Service', this.webhookServiceName),
        secretName: this.webhookSecretName,
        mutatingWebhookConfiguration: this.onlyObject('MutatingWebhookConfiguration'),
        validatingWebhookConfiguration: this.onlyObject('ValidatingWebhookConfiguration'),
        conversionCrds: this.crds.filter((crd) => crd.toJson().spec?.conversion?.strategy === 'Webhook'),
      });
    }
  }

  /** Name of the Service in front of the operator's webhooks (the one the webhook configurations call). */
  public get webhookServiceName(): string {
    return this.onlyObject('MutatingWebhookConfiguration').toJson().webhooks[0].clientConfig.service.name;
  }

  /** Name of the Secret the operator reads its serving certificate from (its Deployment's `cert` volume). */
  public get webhookSecretName(): string {
    const deployment = this.onlyObject('Deployment').toJson();
    const volume = deployment.spec.template.spec.volumes?.find((v: any) => v.name === 'cert');
    if (!volume?.secret?.secretName) {
      throw new Error(`the operator Deployment ${deployment.metadata.name} mounts no Secret as volume "cert": the chart changed, check its webhook certificate options`);
    }
    return volume.secret.secretName;
  }

  /** The one rendered object of this kind. */
  private onlyObject(kind: string): ApiObject {
    const found = this.release.apiObjects.filter((o) => o.kind === kind);
    if (found.length !== 1) {
      throw new Error(`expected the chart to render one ${kind}, it rendered ${found.length}: check the chart values`);
    }
    return found[0];
  }

  /**
   * With neither cert-manager nor autoGenerateCert the chart still renders a Secret with empty
   * tls.crt/tls.key/ca.crt and `caBundle:` keys without value. Re-applying those would wipe what the
   * cert Jobs filled in, so they are left out.
   */
  private dropCertPlaceholders(): void {
    this.release.removeObjects((o) => o.kind === 'Secret' && o.name === this.webhookSecretName);
    for (const kind of ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']) {
      for (const config of this.release.apiObjects.filter((o) => o.kind === kind)) {
        this.release.replaceObject(config, (json) => ({
          ...json,
          webhooks: json.webhooks.map((w: any) => {
            const { caBundle, ...clientConfig } = w.clientConfig;
            return { ...w, clientConfig };
          }),
        }));
      }
    }
  }
}
