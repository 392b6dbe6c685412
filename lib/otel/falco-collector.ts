import { Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { collectorArgs, collectorConfig, PROCESSORS } from './collector-config';
import { componentProblems, isOtelcolK8sComponent, OTELCOL_K8S_VERSION, replacementForDeprecatedAlias } from './otelcol-k8s-components';
import {
  OpenTelemetryCollector, OpenTelemetryCollectorSpecConfig, OpenTelemetryCollectorSpecMode, OpenTelemetryCollectorSpecResourcesLimits as Limit,
  OpenTelemetryCollectorSpecResourcesRequests as Request,
} from '../../imports/opentelemetry.io';
import { IFalcoLogSource } from '../falco/falco-log-source';
import { ensureNamespace, PodSecurity } from '../k8s/ensure-namespace';
import { COMMON_EXCEPTIONS, lintExceptionAnnotations } from '../k8s/lint-exceptions';
import { DNS_LABEL, HOST_PORT } from '../k8s/patterns';
import { ISecretKeyRef } from '../k8s/secret-key-ref';
import { IMAGES } from '../pins';

/** Honeycomb's OTLP gRPC endpoints per region. */
export const HONEYCOMB_ENDPOINTS = {
  us: 'api.honeycomb.io:443',
  eu: 'api.eu1.honeycomb.io:443',
} as const;

export type HoneycombRegion = keyof typeof HONEYCOMB_ENDPOINTS;

/** The defaults of FalcoCollectorProps; the config schema takes its defaults from here. */
export const FALCO_COLLECTOR_DEFAULTS = {
  region: 'us' as HoneycombRegion,
  dataset: 'falco',
  name: 'falco',
} as const;

/**
 * The collector image operator 0.158.0 starts by default (OtelOperator pins it so, lib/helm/pins.json),
 * written out so that a synth says exactly what runs. Its components: ./otelcol-k8s-components.ts.
 */
export const DEFAULT_COLLECTOR_IMAGE = IMAGES.collector;

/**
 * A dataset name: one line of printable characters, without `${` (the collector expands
 * `${env:…}` in its configuration: `${env:HONEYCOMB_API_KEY}` would send the key as the dataset).
 */
export const DATASET_PATTERN = /^(?!.*\$\{)[^\x00-\x1f\x7f]{1,255}$/;

/** Why the collector's namespace must allow privileged pods (Pod Security baseline forbids hostPath volumes). */
export const COLLECTOR_POD_SECURITY: PodSecurity = {
  level: 'privileged',
  reason: 'The Falco collector mounts host paths (/var/log/pods read-only, its checkpoint and queue folder read-write), which Pod Security\'s baseline level forbids; it runs as root with every capability dropped.',
};

/** Where the kubelet writes pod logs: <root>/<namespace>_<pod>_<uid>/<container>/<restart>.log. */
export const POD_LOG_ROOT = '/var/log/pods';

export interface FalcoCollectorProps {
  /**
   * Where the alerts are read: a FalcoDaemonSet, or an IFalcoLogSource describing another Falco;
   * the log glob and the tolerations come from it. @default - none: required
   */
  readonly falco: IFalcoLogSource;
  /** The Secret key holding the Honeycomb API key (a HoneycombSecret); the collector runs in its namespace. @default - none: required */
  readonly secret: ISecretKeyRef;
  /** Value of the resource attribute k8s.cluster.name. @default - none: required (no value tells clusters apart) */
  readonly clusterName: string;
  /** Honeycomb region. @default 'us' */
  readonly region?: HoneycombRegion;
  /** OTLP gRPC endpoint (host:port); overrides `region`. @default - the region's endpoint */
  readonly endpoint?: string;
  /** Honeycomb dataset. @default 'falco' */
  readonly dataset?: string;
  /** Name of the OpenTelemetryCollector; its pods are named `<name>-collector-…`. @default 'falco' */
  readonly name?: string;
  /** Collector image; must be an otelcol-k8s build. @default DEFAULT_COLLECTOR_IMAGE */
  readonly image?: string;
  /** Container memory limit in MiB; memory_limiter's hard limit is 80% of it. @default 256 */
  readonly memoryLimitMib?: number;
  /** Host directory for checkpoints and the export queue. @default DEFAULT_HOST_STORAGE_DIRECTORY */
  readonly hostStorageDirectory?: string;
  /**
   * Where the collector's Namespace object is (or goes), so that its Pod Security labels allow the
   * collector's host mounts. @default - none: the namespace is left as it is
   */
  readonly namespaceScope?: Construct;
}

/** A processor added with addProcessor(). */
interface AddedProcessor {
  readonly id: string;
  readonly config: Record<string, unknown>;
}

/**
 * The host directory of the checkpoints and the queue. It names neither the collector nor its
 * namespace, so renaming either keeps the checkpoints: no node re-sends its Falco logs.
 */
export const DEFAULT_HOST_STORAGE_DIRECTORY = '/var/lib/otelcol/falco-otel-honeycomb';

const STORAGE_MOUNT = '/var/lib/otelcol/storage';
const API_KEY_ENV = 'HONEYCOMB_API_KEY';
const NODE_NAME_ENV = 'K8S_NODE_NAME';
const POD_IP_ENV = 'K8S_POD_IP';
// The API server names a DaemonSet's pods <name>-<5 random characters> and cuts <name> to 58
// characters including the dash; past that the pods no longer start with the DaemonSet's name.
const MAX_DAEMONSET_NAME = 57;

/**
 * An OpenTelemetryCollector (DaemonSet mode) that tails the Falco container's logs on each node,
 * parses every alert into falco.* attributes and ships it to Honeycomb over OTLP, without loss
 * across collector restarts or Honeycomb outages.
 */
export class FalcoCollector extends Construct {
  public readonly namespace: string;
  public readonly name: string;
  /** Glob of the files the collector reads. */
  public readonly logGlob: string;
  /** Host directory holding the checkpoints and the export queue. */
  public readonly hostStorageDirectory: string;
  public readonly collector: OpenTelemetryCollector;
  private readonly processors: AddedProcessor[] = [];

  // No `props = {}`: the Falco and the Secret are references to other constructs, and the cluster's
  // name has no meaningful default.
  constructor(scope: Construct, id: string, props: FalcoCollectorProps) {
    super(scope, id);
    validateProps(props);
    const { falco, secret } = props;
    if (props.namespaceScope) ensureNamespace(props.namespaceScope, secret.namespace, COLLECTOR_POD_SECURITY);
    this.namespace = secret.namespace;
    this.name = props.name ?? 'falco';
    this.logGlob = falcoLogGlob(falco);
    this.hostStorageDirectory = props.hostStorageDirectory ?? DEFAULT_HOST_STORAGE_DIRECTORY;

    const memoryLimitMib = props.memoryLimitMib ?? 256;
    const limiterMib = Math.floor(memoryLimitMib * 0.8);
    const baseConfig = collectorConfig({
      include: this.logGlob,
      storageDirectory: STORAGE_MOUNT,
      endpoint: props.endpoint ?? HONEYCOMB_ENDPOINTS[props.region ?? 'us'],
      dataset: props.dataset ?? 'falco',
      apiKeyEnv: API_KEY_ENV,
      nodeNameEnv: NODE_NAME_ENV,
      podIpEnv: POD_IP_ENV,
      clusterName: props.clusterName,
      memoryLimitMib: limiterMib,
      memorySpikeLimitMib: Math.floor(limiterMib / 4),
    });
    // The image would exit at start-up on a component it lacks: fail the synth instead.
    this.node.addValidation({ validate: () => componentProblems(this.config(baseConfig)).map((p) => `the collector config does not fit otelcol-k8s ${OTELCOL_K8S_VERSION}: ${p}`) });

    this.collector = new OpenTelemetryCollector(this, 'collector', {
      // The operator copies these onto the DaemonSet it makes, where linters look.
      metadata: { name: this.name, namespace: this.namespace, annotations: lintExceptionAnnotations(COLLECTOR_LINT_EXCEPTIONS) },
      spec: {
        mode: OpenTelemetryCollectorSpecMode.DAEMONSET,
        image: props.image ?? DEFAULT_COLLECTOR_IMAGE,
        // Produced at synth time, with the processors added after construction.
        config: Lazy.any({ produce: () => this.config(baseConfig) }) as unknown as OpenTelemetryCollectorSpecConfig,
        args: collectorArgs(),
        env: [
          { name: NODE_NAME_ENV, valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
          { name: POD_IP_ENV, valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          { name: API_KEY_ENV, valueFrom: { secretKeyRef: { name: secret.secretName, key: secret.secretKey } } },
        ],
        volumes: [
          { name: 'pod-logs', hostPath: { path: POD_LOG_ROOT, type: 'Directory' } },
          { name: 'storage', hostPath: { path: this.hostStorageDirectory, type: 'DirectoryOrCreate' } },
        ],
        volumeMounts: [
          { name: 'pod-logs', mountPath: POD_LOG_ROOT, readOnly: true },
          { name: 'storage', mountPath: STORAGE_MOUNT },
        ],
        // Root, because the container runtime writes the log files root-owned and unreadable to
        // others, and the kubelet creates the hostPath storage directory root-owned. As their
        // owner, root reads and writes them without any capability (no DAC_OVERRIDE): all dropped.
        securityContext: {
          runAsUser: 0,
          runAsGroup: 0,
          runAsNonRoot: false,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          privileged: false,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        },
        resources: {
          requests: { cpu: Request.fromString('50m'), memory: Request.fromString(`${Math.min(128, memoryLimitMib)}Mi`) },
          limits: { cpu: Limit.fromString('500m'), memory: Limit.fromString(`${memoryLimitMib}Mi`) },
        },
        // Same nodes as Falco: every node that produces alerts has a collector.
        tolerations: falco.tolerations.map((t) => ({ ...t })),
      },
    });
  }

  /**
   * Adds a processor to the logs pipeline, after the built-in ones (memory_limiter, resource) and
   * before the exporter: a `filter` that drops noisy rules, a `redaction`, a `transform`. `id` is
   * the component's ID in the config, `<type>` or `<type>/<name>`; the type must be a processor of
   * otelcol-k8s under its current name (the image would exit at start-up otherwise).
   */
  public addProcessor(id: string, config: Record<string, unknown> = {}): void {
    const type = id.split('/')[0];
    const fail = (why: string): never => { throw new Error(`FalcoCollector.addProcessor(${JSON.stringify(id)}): ${why}`); };
    if (!/^[a-z][a-z0-9_]*(\/[A-Za-z0-9_.-]+)?$/.test(id)) fail('is not a component ID; use <type> or <type>/<name>, such as filter/noisy-rules');
    const replacement = replacementForDeprecatedAlias('processors', type);
    if (replacement) fail(`${type} is a deprecated alias that logs a warning at every start; use ${replacement}`);
    if (!isOtelcolK8sComponent('processors', type)) fail(`${type} is not a processor of otelcol-k8s ${OTELCOL_K8S_VERSION} (lib/otel/otelcol-k8s-components.ts lists them)`);
    if ((PROCESSORS as readonly string[]).includes(id) || this.processors.some((p) => p.id === id)) fail('is in the pipeline already; give it another name, such as <type>/<name>');
    this.processors.push({ id, config });
  }

  /** The collector's config: the pipeline's, with the added processors. */
  private config(base: OpenTelemetryCollectorSpecConfig): OpenTelemetryCollectorSpecConfig {
    if (this.processors.length === 0) return base;
    const config: any = structuredClone(base);
    for (const { id, config: processor } of this.processors) config.processors[id] = processor;
    config.service.pipelines.logs.processors.push(...this.processors.map((p) => p.id));
    return config;
  }
}

/** The linter findings on the collector's DaemonSet that are so on purpose, and why. */
const COLLECTOR_LINT_EXCEPTIONS = [
  {
    kubeScore: 'container-security-context-user-group-id',
    kubeLinter: ['run-as-non-root'],
    reason: 'uid 0 because the kubelet writes pod log files as root with mode 0640 and creates the hostPath queue folder root-owned; as their owner root reads and writes them without any capability, so all are dropped, with a read-only root filesystem and no privilege escalation',
  },
  {
    kubeScore: 'pod-probes-identical',
    reason: 'the operator derives both probes from the collector\'s one health_check endpoint, which answers once the pipeline runs',
  },
  {
    kubeScore: 'container-ephemeral-storage-request-and-limit',
    reason: 'the queue and the checkpoints are on the host (hostPath), not in ephemeral storage; a limit would count the collector\'s own logs, which grow during an outage, and could evict it then',
  },
  {
    kubeLinter: ['sensitive-host-mounts', 'writable-host-mount'],
    reason: 'the collector reads the pod logs under /var/log/pods (read-only) and keeps its checkpoints and disk queue in a host folder (read-write), so that no alert is lost when the pod restarts',
  },
  ...COMMON_EXCEPTIONS,
];

/**
 * The glob of the falco container's log files of the Falco DaemonSet's pods, and nothing else:
 * `?????` is the random suffix of a DaemonSet pod, so longer names starting with the DaemonSet's
 * (`falco-falcosidekick-…`, a `falco-k8saudit-…` Deployment whose container is also `falco`) do not
 * match; the container segment leaves out the falcoctl sidecar; the namespace leaves out the rest.
 */
export function falcoLogGlob(falco: IFalcoLogSource): string {
  return `${POD_LOG_ROOT}/${falco.namespace}_${falco.daemonSetName}-?????_*/${falco.containerName}/*.log`;
}

function validateProps(props: FalcoCollectorProps): void {
  const fail = (message: string): never => { throw new Error(`FalcoCollector: ${message}`); };
  if (!props.clusterName?.trim()) fail('clusterName is empty; set it to the cluster\'s name, sent as k8s.cluster.name');
  if (props.dataset !== undefined && !props.dataset.trim()) fail('dataset is empty; set a Honeycomb dataset name or leave it out for \'falco\'');
  if (props.dataset !== undefined && !DATASET_PATTERN.test(props.dataset)) fail(`dataset ${JSON.stringify(props.dataset)} is not a dataset name; use one line of printable characters, at most 255, without "\${" (the collector would expand it)`);
  if (props.region !== undefined && !Object.hasOwn(HONEYCOMB_ENDPOINTS, props.region)) {
    fail(`region ${JSON.stringify(props.region)} is unknown; use one of ${Object.keys(HONEYCOMB_ENDPOINTS).join(', ')}, or set endpoint`);
  }
  if (props.endpoint !== undefined && !HOST_PORT.test(props.endpoint)) {
    fail(`endpoint ${JSON.stringify(props.endpoint)} is not host:port; write it like 'api.honeycomb.io:443', without a scheme`);
  }
  if (props.name !== undefined && !DNS_LABEL.test(props.name)) {
    fail(`name ${JSON.stringify(props.name)} is not a DNS label; use lower-case letters, digits and '-'`);
  }
  const memory = props.memoryLimitMib;
  if (memory !== undefined && (!Number.isInteger(memory) || memory < 64)) {
    fail(`memoryLimitMib must be an integer of at least 64 (got ${memory})`);
  }
  if (props.hostStorageDirectory !== undefined && !props.hostStorageDirectory.startsWith('/')) {
    fail(`hostStorageDirectory ${JSON.stringify(props.hostStorageDirectory)} is not an absolute path; write it from the host's root`);
  }
  const daemonSetName = props.falco.daemonSetName;
  if (daemonSetName.length > MAX_DAEMONSET_NAME) {
    fail(`the Falco DaemonSet's name ${JSON.stringify(daemonSetName)} is longer than ${MAX_DAEMONSET_NAME} characters, so its pods' names do not start with it; use a shorter Falco release name`);
  }
}
