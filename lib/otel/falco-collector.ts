import { Construct } from 'constructs';
import { collectorConfig } from './collector-config';
import {
  OpenTelemetryCollector, OpenTelemetryCollectorSpecMode, OpenTelemetryCollectorSpecResourcesLimits as Limit,
  OpenTelemetryCollectorSpecResourcesRequests as Request,
} from '../../imports/opentelemetry.io';
import { FalcoDaemonSet } from '../falco/falco-daemonset';
import { OTEL_OPERATOR_CHART } from '../helm/pinned';
import { HoneycombSecret } from '../honeycomb/honeycomb-secret';

/** Honeycomb's OTLP gRPC endpoints per region. */
export const HONEYCOMB_ENDPOINTS = {
  us: 'api.honeycomb.io:443',
  eu: 'api.eu1.honeycomb.io:443',
} as const;

export type HoneycombRegion = keyof typeof HONEYCOMB_ENDPOINTS;

export interface FalcoCollectorProps {
  /** The Falco whose alerts are collected; the log glob and tolerations come from it. */
  readonly falco: FalcoDaemonSet;
  /** The Secret holding the Honeycomb API key; the collector runs in its namespace. */
  readonly secret: HoneycombSecret;
  /** Value of the resource attribute k8s.cluster.name. */
  readonly clusterName: string;
  /** Honeycomb region. @default 'us' */
  readonly region?: HoneycombRegion;
  /** OTLP gRPC endpoint (host:port); overrides `region`. @default - the region's endpoint */
  readonly endpoint?: string;
  /** Honeycomb dataset. @default 'falco' */
  readonly dataset?: string;
  /** Name of the OpenTelemetryCollector; its pods are named `<name>-collector-…`. @default 'falco' */
  readonly name?: string;
  /** Collector image. @default 'otel/opentelemetry-collector-k8s:0.158.0', what operator 0.158.0 defaults to */
  readonly image?: string;
  /** Container memory limit in MiB; memory_limiter is set to 80% of it. @default 256 */
  readonly memoryLimitMib?: number;
  /** Host directory for checkpoints and the export queue. @default '/var/lib/otelcol/<namespace>-<name>' */
  readonly hostStorageDirectory?: string;
}

const LOG_ROOT = '/var/log/pods';
const STORAGE_MOUNT = '/var/lib/otelcol/storage';
const API_KEY_ENV = 'HONEYCOMB_API_KEY';
const NODE_NAME_ENV = 'K8S_NODE_NAME';

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
  public readonly collector: OpenTelemetryCollector;

  constructor(scope: Construct, id: string, props: FalcoCollectorProps) {
    super(scope, id);
    const { falco, secret } = props;
    this.namespace = secret.namespace;
    this.name = props.name ?? 'falco';
    // The kubelet writes /var/log/pods/<namespace>_<pod>_<uid>/<container>/<n>.log; Falco's pods are
    // named <release>-<suffix>. Only the falco container: not the falcoctl sidecar, nor anything else.
    this.logGlob = `${LOG_ROOT}/${falco.namespace}_${falco.releaseName}-*_*/${falco.containerName}/*.log`;

    const memoryLimitMib = props.memoryLimitMib ?? 256;
    if (!Number.isInteger(memoryLimitMib) || memoryLimitMib < 64) {
      throw new Error(`FalcoCollector: memoryLimitMib must be an integer of at least 64 (got ${memoryLimitMib})`);
    }
    const limitMib = Math.floor(memoryLimitMib * 0.8);
    const hostStorage = props.hostStorageDirectory ?? `/var/lib/otelcol/${this.namespace}-${this.name}`;

    this.collector = new OpenTelemetryCollector(this, 'collector', {
      metadata: { name: this.name, namespace: this.namespace },
      spec: {
        mode: OpenTelemetryCollectorSpecMode.DAEMONSET,
        image: props.image ?? `otel/opentelemetry-collector-k8s:${OTEL_OPERATOR_CHART.appVersion}`,
        config: collectorConfig({
          include: this.logGlob,
          storageDirectory: STORAGE_MOUNT,
          endpoint: props.endpoint ?? HONEYCOMB_ENDPOINTS[props.region ?? 'us'],
          dataset: props.dataset ?? 'falco',
          apiKeyEnv: API_KEY_ENV,
          nodeNameEnv: NODE_NAME_ENV,
          clusterName: props.clusterName,
          memoryLimitMib: limitMib,
          memorySpikeLimitMib: Math.floor(limitMib / 4),
        }) as any,
        env: [
          { name: NODE_NAME_ENV, valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
          { name: API_KEY_ENV, valueFrom: { secretKeyRef: { name: secret.secretName, key: secret.secretKey } } },
        ],
        volumes: [
          { name: 'pod-logs', hostPath: { path: LOG_ROOT, type: 'Directory' } },
          { name: 'storage', hostPath: { path: hostStorage, type: 'DirectoryOrCreate' } },
        ],
        volumeMounts: [
          { name: 'pod-logs', mountPath: LOG_ROOT, readOnly: true },
          { name: 'storage', mountPath: STORAGE_MOUNT },
        ],
        // Root, because the kubelet's log files are root-owned and mode 0640; as their owner, root
        // reads them without any capability, so every capability is dropped.
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
          requests: { cpu: Request.fromString('50m'), memory: Request.fromString('128Mi') },
          limits: { cpu: Limit.fromString('500m'), memory: Limit.fromString(`${memoryLimitMib}Mi`) },
        },
        tolerations: falco.tolerations.map((t) => ({ ...t })),
      },
    });
  }
}
