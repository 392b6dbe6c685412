import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { FalcoCollector, FalcoCollectorProps } from './falco-collector';
import { WebhookCertJobs } from './webhook-cert-jobs';
import { HelmRelease } from '../helm/helm-release';
import { HelmRenderer, HelmTemplate } from '../helm/helm-renderer';
import { ensureNamespace, PodSecurity } from '../k8s/ensure-namespace';
import { COMMON_EXCEPTIONS, lintExceptionAnnotations } from '../k8s/lint-exceptions';
import { kubernetesVersionProblem } from '../k8s/kubernetes-versions';
import { namespaceProblem } from '../k8s/patterns';
import { IMAGES, OTEL_OPERATOR_CHART } from '../pins';

/**
 * Who makes the certificates of the operator's webhooks.
 * - `certgen`: Jobs in the cluster create the serving-cert Secret and patch the CA into the webhook
 *   configurations and the CRD's conversion webhook (the ingress-nginx pattern). No cert-manager,
 *   no key material in the output.
 * - `cert-manager`: the chart's Certificate and Issuer; needs cert-manager in the cluster.
 * - `helm`: the chart's autoGenerateCert, as `helm install` does it. A new CA and private key on every
 *   synth: output is not reproducible and carries a private key. Never the default.
 */
export const WEBHOOK_CERT_MODES = ['certgen', 'cert-manager', 'helm'] as const;
export type WebhookCertMode = (typeof WEBHOOK_CERT_MODES)[number];

/** The defaults of OtelOperatorProps; the config schema takes its defaults from here. */
export const OTEL_OPERATOR_DEFAULTS = {
  namespace: 'otel',
  releaseName: 'opentelemetry-operator',
  webhookCerts: 'certgen' as WebhookCertMode,
} as const;

/** The operator's own pods meet Pod Security's restricted level; collectors may need more (FalcoCollector raises it). */
export const OPERATOR_POD_SECURITY: PodSecurity = {
  level: 'restricted',
  reason: 'The operator and its cert Jobs run as non-root with all capabilities dropped, a read-only root filesystem and the RuntimeDefault seccomp profile.',
};

/** The manager's resources, which the chart leaves unset (its commented example, with room for a cluster's worth of collectors). */
const MANAGER_RESOURCES = {
  requests: { 'cpu': '100m', 'memory': '128Mi', 'ephemeral-storage': '50Mi' },
  limits: { 'cpu': '500m', 'memory': '256Mi', 'ephemeral-storage': '50Mi' },
};

/** The collector image the pinned operator starts by default, split as the chart's values take it. */
const [COLLECTOR_IMAGE_REPOSITORY, COLLECTOR_IMAGE_TAG] = IMAGES.collector.split(':');

export interface OtelOperatorProps {
  /** Namespace of the operator; a Namespace object is emitted for it. @default 'otel' */
  readonly namespace?: string;
  /** Helm release name. @default 'opentelemetry-operator' */
  readonly releaseName?: string;
  /** Who makes the webhook certificates. @default 'certgen' */
  readonly webhookCerts?: WebhookCertMode;
  /** Image repository of the collectors the operator starts. @default - the pinned collector image's (lib/helm/pins.json) */
  readonly collectorImageRepository?: string;
  /** Kubernetes version the chart is rendered for. @default DEFAULT_KUBERNETES_VERSION */
  readonly kubernetesVersion?: string;
  /** Where the Namespace and the CRDs go, so an app can apply them first. @default - this construct */
  readonly namespaceScope?: Construct;
  /** Renders the chart. @default HelmRenderer.shared() */
  readonly renderer?: HelmRenderer;
}

/** The OpenTelemetry Operator from its pinned chart, with its CRDs and webhooks. */
export class OtelOperator extends Construct {
  /** The `helm template` this construct renders for `props`. */
  public static chartTemplate(props: OtelOperatorProps = {}): HelmTemplate {
    const webhookCerts = props.webhookCerts ?? OTEL_OPERATOR_DEFAULTS.webhookCerts;
    return {
      chart: OTEL_OPERATOR_CHART,
      releaseName: props.releaseName ?? OTEL_OPERATOR_DEFAULTS.releaseName,
      namespace: props.namespace ?? OTEL_OPERATOR_DEFAULTS.namespace,
      kubernetesVersion: props.kubernetesVersion,
      values: {
        manager: {
          collectorImage: { repository: props.collectorImageRepository ?? COLLECTOR_IMAGE_REPOSITORY, tag: COLLECTOR_IMAGE_TAG },
          resources: MANAGER_RESOURCES,
          // Added to the chart's: the manager writes nothing outside its mounted certificate folder.
          securityContext: { readOnlyRootFilesystem: true },
        },
        admissionWebhooks: {
          certManager: { enabled: webhookCerts === 'cert-manager' },
          autoGenerateCert: { enabled: webhookCerts === 'helm' },
        },
      },
    };
  }

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
  /** Where this construct's Namespace object is. */
  private readonly namespaceScope: Construct;

  constructor(scope: Construct, id: string, props: OtelOperatorProps = {}) {
    super(scope, id);
    const template = OtelOperator.chartTemplate(props);
    const problem = namespaceProblem(template.namespace)
      ?? (props.kubernetesVersion === undefined ? undefined : kubernetesVersionProblem(props.kubernetesVersion))
      ?? (props.webhookCerts === undefined || WEBHOOK_CERT_MODES.includes(props.webhookCerts) ? undefined : `webhookCerts ${JSON.stringify(props.webhookCerts)} is not accepted; expected one of: ${WEBHOOK_CERT_MODES.join(', ')}`);
    if (problem) throw new Error(`OtelOperator ${this.node.path}: ${problem}`);
    this.namespace = template.namespace;
    this.releaseName = template.releaseName;
    this.webhookCerts = props.webhookCerts ?? OTEL_OPERATOR_DEFAULTS.webhookCerts;
    this.collectorImage = `${props.collectorImageRepository ?? COLLECTOR_IMAGE_REPOSITORY}:${COLLECTOR_IMAGE_TAG}`;

    const namespaceScope = this.namespaceScope = props.namespaceScope ?? this;
    ensureNamespace(namespaceScope, this.namespace, OPERATOR_POD_SECURITY);
    this.release = new HelmRelease(this, 'release', { ...template, renderer: props.renderer });
    const deployment = this.onlyObject('Deployment');
    const exceptions = lintExceptionAnnotations([
      {
        kubeScore: 'deployment-replicas',
        reason: 'one replica: with leader election a second one would only wait, and collectors keep running while the operator restarts',
      },
      ...COMMON_EXCEPTIONS,
    ]);
    for (const [key, value] of Object.entries(exceptions)) deployment.metadata.addAnnotation(key, value);

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

  /**
   * A FalcoCollector that this operator runs, as a child of this construct (for an app of one
   * chart), with the operator's collector image and Namespace scope unless `props` says otherwise:
   * the collector's host mounts then lower the Pod Security level of its namespace's object, so
   * that its pods are admitted.
   */
  public addFalcoCollector(id: string, props: FalcoCollectorProps): FalcoCollector {
    return new FalcoCollector(this, id, { image: this.collectorImage, namespaceScope: this.namespaceScope, ...props });
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
