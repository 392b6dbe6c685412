import { createHash } from 'crypto';
import { ApiObject } from 'cdk8s';
// The generated Kubernetes API classes only: cdk8s-plus-28's index would load all of cdk8s-plus (≈0.1 s).
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s';
import { Construct } from 'constructs';
import { COMMON_EXCEPTIONS, lintExceptionAnnotations } from '../k8s/lint-exceptions';
import { IMAGES } from '../pins';

/**
 * kube-webhook-certgen as ingress-nginx pins it in its controller-v1.15.1 manifests (chart 4.15.1).
 * Distroless, runs as 65532. `create` skips an existing Secret; `patch` sets the CA on every webhook
 * of one configuration, and cannot patch CRDs.
 */
export const CERTGEN_IMAGE = IMAGES.certgen;
/** The Kubernetes project's kubectl image: distroless (no shell), entrypoint /bin/kubectl. */
export const KUBECTL_IMAGE = IMAGES.kubectl;
/** A shell with base64, to turn the CA file into a JSON patch for kubectl. */
export const SHELL_IMAGE = IMAGES.shell;

/** Key under which kube-webhook-certgen stores the CA in the Secret (fixed in the tool). */
export const CA_KEY = 'ca';

export interface WebhookCertJobsProps {
  /** The namespaced Service in front of the webhook server; the certificate is made for its DNS names. */
  readonly service: ApiObject;
  /**
   * Secret the webhook server mounts, created in the Service's namespace with `tls.crt`, `tls.key`
   * and the CA under `ca`. An existing Secret is kept as it is.
   */
  readonly secretName: string;
  /** MutatingWebhookConfiguration whose every webhook gets the CA as caBundle. */
  readonly mutatingWebhookConfiguration: ApiObject;
  /** ValidatingWebhookConfiguration whose every webhook gets the CA as caBundle. */
  readonly validatingWebhookConfiguration: ApiObject;
  /** CRDs whose conversion webhook gets the CA as caBundle. @default - none */
  readonly conversionCrds?: ApiObject[];
  /** Prefix of the names of the Jobs, their ServiceAccount and RBAC. @default - the Service's name */
  readonly namePrefix?: string;
  /** kube-webhook-certgen image. @default CERTGEN_IMAGE */
  readonly certgenImage?: string;
  /** kubectl image. @default KUBECTL_IMAGE */
  readonly kubectlImage?: string;
  /** Image with `sh`, `base64` and `tr`. @default SHELL_IMAGE */
  readonly shellImage?: string;
}

/**
 * Jobs that make the webhook certificates inside the cluster, the way ingress-nginx does with
 * kube-webhook-certgen: no key material in the synthesized output, and the same output at every synth.
 *
 * - Job `<prefix>-certgen-<hash>` creates the serving-cert Secret if it does not exist yet (so a
 *   re-run never rotates the CA under a running webhook server), then patches the CA into every
 *   webhook of both configurations, retrying until they exist.
 * - Job `<prefix>-crd-cabundle-<hash>` mounts that Secret (its pod waits until it exists) and patches
 *   the CA into each CRD's conversion webhook with kubectl.
 *
 * The hash is taken over the pod template: pod templates are immutable, so a changed template must
 * be a new Job rather than an update that `kubectl apply` or Argo CD would reject. No
 * ttlSecondsAfterFinished: a GitOps tool would re-create a Job deleted after its TTL, at every sync.
 */
export class WebhookCertJobs extends Construct {
  public readonly serviceAccount: k8s.KubeServiceAccount;
  public readonly certgenJob: k8s.KubeJob;
  /** The Job that patches the CRDs; undefined without conversion CRDs. */
  public readonly crdJob?: k8s.KubeJob;
  /** DNS names the serving certificate is made for. */
  public readonly hosts: string[];
  public readonly namespace: string;

  constructor(scope: Construct, id: string, props: WebhookCertJobsProps) {
    super(scope, id);
    const service = props.service.toJson();
    const crds = props.conversionCrds ?? [];
    validate(props, crds);
    this.namespace = service.metadata.namespace;
    this.hosts = serviceDnsNames(service.metadata.name, this.namespace);
    const prefix = props.namePrefix ?? service.metadata.name;
    const names = {
      rbac: `${prefix}-certgen`,
      mutating: props.mutatingWebhookConfiguration.name,
      validating: props.validatingWebhookConfiguration.name,
      crds: crds.map((crd) => crd.name),
    };

    this.serviceAccount = new k8s.KubeServiceAccount(this, 'service-account', {
      metadata: { name: names.rbac, namespace: this.namespace, labels: LABELS },
    });
    this.grantAccess(names.rbac, props.secretName, names);

    const certgenImage = props.certgenImage ?? CERTGEN_IMAGE;
    const certgenArgs = { namespace: this.namespace, secretName: props.secretName };
    this.certgenJob = this.hashedJob('certgen', `${prefix}-certgen`, {
      initContainers: [
        container('create', certgenImage, [
          'create',
          `--host=${this.hosts.join(',')}`,
          `--namespace=${this.namespace}`,
          `--secret-name=${props.secretName}`,
          '--cert-name=tls.crt',
          '--key-name=tls.key',
        ]),
      ],
      containers: [
        container('patch-mutating', certgenImage, patchArgs(names.mutating, certgenArgs, 'mutating')),
        container('patch-validating', certgenImage, patchArgs(names.validating, certgenArgs, 'validating')),
      ],
    });

    if (crds.length > 0) {
      this.crdJob = this.hashedJob('crd-cabundle', `${prefix}-crd-cabundle`, crdPatchPod(props, names.crds));
    }
  }

  /** Secrets: read the serving cert, create it once. Cluster: get and patch only the named objects. */
  private grantAccess(name: string, secretName: string, names: { mutating: string; validating: string; crds: string[] }): void {
    const subjects = [{ kind: 'ServiceAccount', name, namespace: this.namespace }];
    new k8s.KubeRole(this, 'role', {
      metadata: { name, namespace: this.namespace, labels: LABELS },
      rules: [
        { apiGroups: [''], resources: ['secrets'], resourceNames: [secretName], verbs: ['get'] },
        // create requests carry no name that resourceNames could match.
        { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
      ],
    });
    new k8s.KubeRoleBinding(this, 'role-binding', {
      metadata: { name, namespace: this.namespace, labels: LABELS },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects,
    });

    const rules: k8s.PolicyRule[] = [
      // kube-webhook-certgen reads the configuration and writes it back with Update.
      { apiGroups: ['admissionregistration.k8s.io'], resources: ['mutatingwebhookconfigurations'], resourceNames: [names.mutating], verbs: ['get', 'update'] },
      { apiGroups: ['admissionregistration.k8s.io'], resources: ['validatingwebhookconfigurations'], resourceNames: [names.validating], verbs: ['get', 'update'] },
    ];
    if (names.crds.length > 0) {
      rules.push({ apiGroups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], resourceNames: names.crds, verbs: ['get', 'patch'] });
    }
    new k8s.KubeClusterRole(this, 'cluster-role', { metadata: { name, labels: LABELS }, rules });
    new k8s.KubeClusterRoleBinding(this, 'cluster-role-binding', {
      metadata: { name, labels: LABELS },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects,
    });
  }

  /** A Job named `<baseName>-<hash of its pod template>`. */
  private hashedJob(id: string, baseName: string, pod: Pick<k8s.PodSpec, 'containers' | 'initContainers' | 'volumes'>): k8s.KubeJob {
    const template: k8s.PodTemplateSpec = {
      metadata: { labels: LABELS },
      spec: {
        ...pod,
        serviceAccountName: this.serviceAccount.name,
        automountServiceAccountToken: true,
        // OnFailure restarts a container in place (with back-off) while it waits for its target.
        restartPolicy: 'OnFailure',
        nodeSelector: { 'kubernetes.io/os': 'linux' },
        securityContext: {
          runAsNonRoot: true,
          runAsUser: 65532,
          runAsGroup: 65532,
          seccompProfile: { type: 'RuntimeDefault' },
        },
      },
    };
    const name = `${baseName}-${shortHash(template)}`;
    if (name.length > 63) {
      throw new Error(`Job name ${name} is longer than 63 characters (a label value): pass a shorter namePrefix, or use a shorter release name`);
    }
    return new k8s.KubeJob(this, id, {
      metadata: { name, namespace: this.namespace, labels: LABELS, annotations: lintExceptionAnnotations(COMMON_EXCEPTIONS) },
      spec: {
        // Restarts of all its containers count against it; with back-off from 10 s to 5 min this
        // leaves minutes for the webhook configurations to appear, then fails visibly.
        backoffLimit: 10,
        template,
      },
    });
  }
}

const LABELS = {
  'app.kubernetes.io/name': 'kube-webhook-certgen',
  'app.kubernetes.io/component': 'webhook-certs',
};

/** The names under which the API server may call the Service. */
export function serviceDnsNames(name: string, namespace: string): string[] {
  return [name, `${name}.${namespace}`, `${name}.${namespace}.svc`, `${name}.${namespace}.svc.cluster.local`];
}

function patchArgs(configuration: string, args: { namespace: string; secretName: string }, kind: 'mutating' | 'validating'): string[] {
  // One configuration per run: with both kinds, certgen requires them to share one name.
  return [
    'patch',
    `--webhook-name=${configuration}`,
    `--namespace=${args.namespace}`,
    `--secret-name=${args.secretName}`,
    `--patch-mutating=${kind === 'mutating'}`,
    `--patch-validating=${kind === 'validating'}`,
  ];
}

const CA_DIR = '/cert';
const WORK_DIR = '/work';
const CRD_PATCH_FILE = `${WORK_DIR}/crd-patch.json`;

/**
 * kubectl has no shell and a CRD's caBundle must be the base64 of the CA, so a shell renders the
 * JSON patch from the mounted Secret into a shared folder first.
 */
function crdPatchPod(props: WebhookCertJobsProps, crdNames: string[]): Pick<k8s.PodSpec, 'containers' | 'initContainers' | 'volumes'> {
  const renderPatch = [
    'set -eu',
    `ca="$(base64 ${CA_DIR}/ca.crt | tr -d '\\n')"`,
    `[ -n "$ca" ] || { echo "no CA in ${CA_DIR}/ca.crt" >&2; exit 1; }`,
    `printf '[{"op":"add","path":"/spec/conversion/webhook/clientConfig/caBundle","value":"%s"}]' "$ca" > ${CRD_PATCH_FILE}`,
  ].join('\n');
  const workMount = { name: 'work', mountPath: WORK_DIR };
  return {
    volumes: [
      // Not optional: the pod waits until the certgen Job has created the Secret.
      { name: 'cert', secret: { secretName: props.secretName, items: [{ key: CA_KEY, path: 'ca.crt' }] } },
      { name: 'work', emptyDir: { sizeLimit: k8s.Quantity.fromString('16Mi') } },
    ],
    initContainers: [
      container('render-patch', props.shellImage ?? SHELL_IMAGE, ['-c', renderPatch], {
        command: ['sh'],
        volumeMounts: [{ name: 'cert', mountPath: CA_DIR, readOnly: true }, workMount],
      }),
    ],
    containers: crdNames.map((crd, i) => container(`patch-crd-${i}`, props.kubectlImage ?? KUBECTL_IMAGE, [
      'patch', 'customresourcedefinition', crd,
      '--type=json',
      `--patch-file=${CRD_PATCH_FILE}`,
      // The root filesystem is read-only; kubectl caches API discovery on disk.
      `--cache-dir=${WORK_DIR}/kube-cache`,
    ], { volumeMounts: [workMount] })),
  };
}

function container(name: string, image: string, args: string[], extra: Pick<k8s.Container, 'command' | 'volumeMounts'> = {}): k8s.Container {
  return {
    name,
    image,
    imagePullPolicy: 'IfNotPresent',
    ...extra,
    args,
    resources: {
      requests: { 'cpu': k8s.Quantity.fromString('10m'), 'memory': k8s.Quantity.fromString('32Mi'), 'ephemeral-storage': k8s.Quantity.fromString('16Mi') },
      limits: { 'cpu': k8s.Quantity.fromString('200m'), 'memory': k8s.Quantity.fromString('256Mi'), 'ephemeral-storage': k8s.Quantity.fromString('64Mi') },
    },
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    },
  };
}

function shortHash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 8);
}

function validate(props: WebhookCertJobsProps, crds: ApiObject[]): void {
  const service = props.service.toJson();
  if (props.service.kind !== 'Service' || !service.metadata?.namespace) {
    throw new Error(`service must be a Service with a namespace, got ${props.service.kind}/${props.service.name}: pass the Service the webhooks call`);
  }
  if (!props.secretName) {
    throw new Error('secretName is empty: pass the name of the Secret the webhook server mounts');
  }
  const target = `${service.metadata.namespace}/${service.metadata.name}`;
  expectKind(props.mutatingWebhookConfiguration, 'MutatingWebhookConfiguration', 'mutatingWebhookConfiguration');
  expectKind(props.validatingWebhookConfiguration, 'ValidatingWebhookConfiguration', 'validatingWebhookConfiguration');
  for (const config of [props.mutatingWebhookConfiguration, props.validatingWebhookConfiguration]) {
    for (const webhook of config.toJson().webhooks ?? []) {
      expectClientConfig(webhook.clientConfig, `webhook ${webhook.name} of ${config.kind}/${config.name}`, target);
    }
  }
  for (const crd of crds) {
    expectKind(crd, 'CustomResourceDefinition', 'conversionCrds');
    const conversion = crd.toJson().spec?.conversion;
    if (conversion?.strategy !== 'Webhook') {
      throw new Error(`CRD ${crd.name} has no conversion webhook (strategy ${conversion?.strategy ?? 'None'}): leave it out of conversionCrds`);
    }
    expectClientConfig(conversion.webhook?.clientConfig, `the conversion webhook of CRD ${crd.name}`, target);
  }
}

function expectKind(object: ApiObject, kind: string, prop: string): void {
  if (object.kind !== kind) {
    throw new Error(`${prop} must be a ${kind}, got ${object.kind}/${object.name}`);
  }
}

function expectClientConfig(clientConfig: any, what: string, target: string): void {
  const calls = `${clientConfig?.service?.namespace}/${clientConfig?.service?.name}`;
  if (calls !== target) {
    throw new Error(`${what} calls service ${calls}, but the certificate is made for ${target}: pass the Service the webhooks call`);
  }
  if (clientConfig.caBundle !== undefined) {
    throw new Error(`${what} carries a caBundle: remove it from the manifest, or every apply would overwrite the CA the Jobs patched in`);
  }
}
