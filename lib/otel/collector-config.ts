// The OpenTelemetry Collector configuration that FalcoCollector runs: tail the Falco container's
// pod logs on the node, parse each JSON alert into falco.* attributes, ship to Honeycomb over OTLP.
// Operators are from the stanza library (opentelemetry-collector-contrib pkg/stanza/docs/operators);
// component type names are the current ones of otelcol-k8s (./otelcol-k8s-components.ts).

import { OpenTelemetryCollectorSpecConfig } from '../../imports/opentelemetry.io';

/** Inputs of the collector configuration. */
export interface CollectorConfigInput {
  /** Glob of the current log files (`…/<container>/*.log`); the rotated ones beside them are read too. */
  readonly include: string;
  /** Directory (in the collector container) where file_storage keeps checkpoints and the queue. */
  readonly storageDirectory: string;
  /** OTLP gRPC endpoint, host:port. */
  readonly endpoint: string;
  /** Honeycomb dataset. */
  readonly dataset: string;
  /** Environment variable holding the API key. */
  readonly apiKeyEnv: string;
  /** Environment variable holding the node's name (downward API). */
  readonly nodeNameEnv: string;
  /** Environment variable holding the pod's IP (downward API): health_check and metrics listen there. */
  readonly podIpEnv: string;
  /** Value of k8s.cluster.name. */
  readonly clusterName: string;
  /** memory_limiter's hard limit, MiB; below the container's memory limit. */
  readonly memoryLimitMib: number;
  /** memory_limiter's spike allowance, MiB. */
  readonly memorySpikeLimitMib: number;
}

/** A Falco priority and the stanza severity alias it maps to. */
export interface FalcoSeverity {
  /** The priority as Falco's JSON output spells it (falco_common.cpp priority_names). */
  readonly priority: string;
  /** Stanza severity alias (pkg/stanza/docs/types/severity.md). */
  readonly severity: string;
}

/**
 * Falco's eight priorities, most severe first, and the severity each becomes. Emergency and Alert
 * land in the FATAL range, Critical above ERROR2; the severity numbers strictly decrease.
 */
export const FALCO_SEVERITY_MAPPING: readonly FalcoSeverity[] = [
  { priority: 'Emergency', severity: 'fatal2' },
  { priority: 'Alert', severity: 'fatal' },
  { priority: 'Critical', severity: 'error3' },
  { priority: 'Error', severity: 'error' },
  { priority: 'Warning', severity: 'warn' },
  { priority: 'Notice', severity: 'info2' },
  { priority: 'Informational', severity: 'info' },
  { priority: 'Debug', severity: 'debug' },
];

/** Falco's `time` layout: RFC 3339 with nanoseconds, as a Go reference time. */
export const FALCO_TIME_LAYOUT = '2006-01-02T15:04:05.999999999Z07:00';

/** Where json_parser puts a parsed alert; Honeycomb flattens it to falco.rule, falco.output_fields.… */
export const FALCO_ATTRIBUTES = 'attributes.falco';

/** IDs of the pipeline's components. file_storage names its files after the receiver's and the
 * exporter's IDs, so these never change: a new ID is a new checkpoint file, and every node re-sends. */
export const RECEIVER = 'file_log';
export const STORAGE = 'file_storage';
export const EXPORTER = 'otlp_grpc';
export const HEALTH_CHECK = 'health_check';
export const PROCESSORS = ['memory_limiter', 'resource'] as const;

/** The stanza gate that makes the receiver hand entries to the pipeline before it records their offset. */
export const SYNCHRONOUS_EMITTER_GATE = 'stanza.synchronousLogEmitter';

/** The collector's command-line flags, as OpenTelemetryCollector `spec.args` (`--key=value`). */
export function collectorArgs(): Record<string, string> {
  // Without the gate the adapter buffers up to 100 entries (or 100 ms) after the file offset moved
  // past them; kill -9 loses that buffer (contrib pkg/stanza/README.md, issue 35456).
  return { 'feature-gates': SYNCHRONOUS_EMITTER_GATE };
}

/** What the kubelet keeps of one container's log: containerLogMaxFiles (5) × containerLogMaxSize (10 MiB). */
export const KUBELET_LOG_BYTES = 5 * 10 * 1024 * 1024;

/**
 * The disk queue's size in bytes of OTLP data (the `bytes` sizer). A record carries the alert's
 * fields once more as attribute keys plus the file path, so it is about as large as its log line;
 * 2.5× what the kubelet keeps leaves room for that. At 128 MiB, the queue's bbolt file on the node
 * grows to about that much in a long outage, and shrinks back (compaction.on_rebound).
 */
export const QUEUE_BYTES = 128 * 1024 * 1024;

/** Prefix of the reporting Falco pod's attributes (the container parser's k8s.* from the file path). */
export const REPORTER_PREFIX = 'falco.reporter.';

/** Resource attributes the container parser derives from the log file's path, all about Falco's own pod. */
export const REPORTER_ATTRIBUTES = [
  'k8s.namespace.name', 'k8s.pod.name', 'k8s.pod.uid', 'k8s.container.name', 'k8s.container.restart_count',
] as const;

/** Builds the collector's `config` (receivers, processors, exporters, extensions, service). */
export function collectorConfig(input: CollectorConfigInput): OpenTelemetryCollectorSpecConfig {
  return {
    extensions: {
      [STORAGE]: fileStorage(input.storageDirectory),
      // The operator derives liveness and readiness probes from this extension's endpoint. The pod
      // IP, not localhost, because the kubelet probes from outside the pod's loopback.
      [HEALTH_CHECK]: { endpoint: `${envRef(input.podIpEnv)}:13133` },
    },
    receivers: { [RECEIVER]: fileLogReceiver(input.include) },
    processors: {
      memory_limiter: {
        check_interval: '1s',
        limit_mib: input.memoryLimitMib,
        spike_limit_mib: input.memorySpikeLimitMib,
      },
      resource: {
        attributes: [
          // Honeycomb takes a log's dataset from service.name and reads x-honeycomb-dataset only when
          // service.name is empty or unknown_service* (husky otlp/common.go, getLogsDataset). So the
          // dataset is service.name; nothing else decides it, and no header pretends to.
          { key: 'service.name', value: literal(input.dataset), action: 'upsert' },
          { key: 'k8s.cluster.name', value: input.clusterName, action: 'upsert' },
          // The node is the same for Falco's pod and for the pod an alert is about: it stays k8s.node.name.
          { key: 'k8s.node.name', value: envRef(input.nodeNameEnv), action: 'upsert' },
          // The container parser names Falco's own pod k8s.pod.name, k8s.namespace.name, …: the
          // columns every other dataset uses for the pod an event is about. For an alert that pod is
          // falco.output_fields.k8s.pod.name, so these move under falco.reporter.* and cannot be
          // mistaken for it. Here, once per resource, rather than as stanza operators on every line.
          ...REPORTER_ATTRIBUTES.flatMap((name) => [
            { key: `${REPORTER_PREFIX}${name}`, from_attribute: name, action: 'insert' },
            { key: name, action: 'delete' },
          ]),
        ],
      },
    },
    exporters: { [EXPORTER]: honeycombExporter(input) },
    service: {
      extensions: [STORAGE, HEALTH_CHECK],
      pipelines: {
        // No batch processor: it answers the receiver before anything is on disk, so the file offset
        // moves past records held only in memory. Batching happens in the exporter's queue instead.
        logs: { receivers: [RECEIVER], processors: [...PROCESSORS], exporters: [EXPORTER] },
      },
      telemetry: {
        // The collector's own metrics on the pod IP, for Prometheus: otelcol_exporter_send_failed_log_records
        // counts what Honeycomb refused for good (README, "What survives what").
        metrics: {
          level: 'normal',
          readers: [{ pull: { exporter: { prometheus: { host: envRef(input.podIpEnv), port: 8888 } } } }],
        },
      },
    },
  };
}

/** The operators that turn a kubelet log line of the falco container into an alert record. */
export function falcoLogOperators(): Record<string, unknown>[] {
  return [
    // containerd/CRI-O (`<time> <stream> <P|F> <line>`) and docker JSON; joins partial (P) lines.
    // Needs include_file_path: it also sets k8s.pod.name etc. of Falco's pod from the file path.
    { type: 'container', id: 'container' },
    // Falco prints plain-text start-up lines on stderr. They fail this parser and go on as plain
    // logs (body: the text line, no severity, no falco.* attributes), so a Falco that fails to
    // load its rules is visible in Honeycomb too.
    {
      type: 'json_parser',
      id: 'falco-alert',
      // Not JSON (a start-up line): sent on as it is, without an error log for each. No `if`
      // expression: evaluating one on every line cost ~8 % of the CPU (npm run bench:pipeline).
      on_error: 'send_quiet',
      parse_from: 'body',
      parse_to: FALCO_ATTRIBUTES,
      // Integers stay integers: evt.time has 19 digits, more than a double holds exactly, and uid,
      // pid and tty are integers in Falco too. Without it every JSON number becomes a double.
      parse_ints: true,
      timestamp: { parse_from: `${FALCO_ATTRIBUTES}.time`, layout_type: 'gotime', layout: FALCO_TIME_LAYOUT },
      // The default preset stays: it also maps Falco's legacy spelling "Info". Matching ignores case.
      severity: { parse_from: `${FALCO_ATTRIBUTES}.priority`, mapping: severityMapping() },
    },
    // The alert sentence becomes the body, so the log view reads like `kubectl logs`.
    {
      type: 'move',
      id: 'falco-output-to-body',
      // Lines that are no alert have no output: they keep their body.
      on_error: 'send_quiet',
      from: `${FALCO_ATTRIBUTES}.output`,
      to: 'body',
    },
  ];
}

/** Stanza's mapping: severity alias → Falco priority. */
function severityMapping(): Record<string, string> {
  return Object.fromEntries(FALCO_SEVERITY_MAPPING.map(({ priority, severity }) => [severity, priority]));
}

/**
 * The rotated files beside the current ones: the kubelet renames `0.log` to `0.log.<timestamp>` and
 * gzips it at the next rotation. The uncompressed one keeps the fingerprint (first bytes) the
 * receiver knows, so it resumes at its offset there instead of reading anything twice.
 */
export function rotatedGlob(include: string): string {
  return `${include}.*`;
}

function fileLogReceiver(include: string): Record<string, unknown> {
  const rotated = rotatedGlob(include);
  return {
    include: [include, rotated],
    // The gzipped ones hold the same lines as the file they were made from (already read, or lost:
    // README, "What survives what"); `.tmp` is the kubelet's half-written gzip.
    exclude: [`${include}.*.gz`, `${include}.*.tmp`],
    // With checkpoints in storage, "beginning" applies only to files never seen before: a new
    // collector reads what Falco wrote before it started; a restarted one resumes at its offset.
    start_at: 'beginning',
    storage: STORAGE,
    include_file_path: true,
    // memory_limiter refuses data under memory pressure; without retries the receiver drops it.
    retry_on_failure: { enabled: true, max_elapsed_time: 0 },
    operators: falcoLogOperators(),
  };
}

function fileStorage(directory: string): Record<string, unknown> {
  return {
    directory,
    // The hostPath volume (DirectoryOrCreate) creates it; the root filesystem is read-only anyway.
    create_directory: false,
    // bbolt without fsync can lose or corrupt the checkpoints and the queue when the node crashes.
    fsync: true,
    // Reclaims the space a long outage grew the queue to; its temporary files stay on the volume.
    compaction: { directory, on_rebound: true },
  };
}

function honeycombExporter(input: CollectorConfigInput): Record<string, unknown> {
  return {
    endpoint: input.endpoint,
    headers: { 'x-honeycomb-team': envRef(input.apiKeyEnv) },
    // A queue on disk and retries that never give up: an outage plus a restart loses nothing.
    // A full queue blocks the pipeline, so file_log stops reading instead of dropping; it holds
    // more than the kubelet keeps, so a full queue is reached only after the kubelet deleted logs.
    sending_queue: {
      enabled: true,
      storage: STORAGE,
      block_on_overflow: true,
      sizer: 'bytes',
      queue_size: QUEUE_BYTES,
      // Batches are cut from the queue, so what is batched is already on disk, and queue entries
      // are removed only once their batch is exported. At most 4 MiB of (uncompressed) OTLP per
      // request keeps under gRPC's usual 4 MiB message limit; 200 ms bounds the added latency.
      batch: { sizer: 'bytes', flush_timeout: '200ms', min_size: 1024 * 1024, max_size: 4 * 1024 * 1024 },
    },
    retry_on_failure: { enabled: true, max_elapsed_time: 0 },
  };
}

/** A reference the collector expands from its environment at start-up. */
function envRef(variable: string): string {
  return `\${env:${variable}}`;
}

/**
 * A string the collector keeps as written: it expands `${…}` in every config value and reads `$$`
 * as `$` (confmap), so each `$` is doubled. Without this, dataset `a$$b` arrived as `a$b`
 * (test/e2e/collector/literal-values.e2e.ts shows both on the real collector).
 */
export function literal(value: string): string {
  return value.replace(/\$/g, '$$$$');
}
