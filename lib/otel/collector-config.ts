// The OpenTelemetry Collector configuration that FalcoCollector runs: tail the Falco container's
// pod logs on the node, parse each JSON alert into falco.* attributes, ship to Honeycomb over OTLP.
// Operators are from the stanza library (opentelemetry-collector-contrib pkg/stanza/docs/operators);
// component type names are the current ones of otelcol-k8s (./otelcol-k8s-components.ts).

import { OpenTelemetryCollectorSpecConfig } from '../../imports/opentelemetry.io';

/** Inputs of the collector configuration. */
export interface CollectorConfigInput {
  /** Glob of the log files to read. */
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

/** IDs of the pipeline's components. */
export const RECEIVER = 'file_log';
export const STORAGE = 'file_storage';
export const EXPORTER = 'otlp_grpc';
export const PROCESSORS = ['memory_limiter', 'batch', 'resource'] as const;

/** Builds the collector's `config` (receivers, processors, exporters, extensions, service). */
export function collectorConfig(input: CollectorConfigInput): OpenTelemetryCollectorSpecConfig {
  return {
    extensions: { [STORAGE]: fileStorage(input.storageDirectory) },
    receivers: { [RECEIVER]: fileLogReceiver(input.include) },
    processors: {
      memory_limiter: {
        check_interval: '1s',
        limit_mib: input.memoryLimitMib,
        spike_limit_mib: input.memorySpikeLimitMib,
      },
      batch: {},
      resource: {
        attributes: [
          { key: 'service.name', value: 'falco', action: 'upsert' },
          { key: 'k8s.cluster.name', value: input.clusterName, action: 'upsert' },
          { key: 'k8s.node.name', value: envRef(input.nodeNameEnv), action: 'upsert' },
        ],
      },
    },
    exporters: { [EXPORTER]: honeycombExporter(input) },
    service: {
      extensions: [STORAGE],
      pipelines: {
        logs: { receivers: [RECEIVER], processors: [...PROCESSORS], exporters: [EXPORTER] },
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
    // Falco prints plain-text start-up lines on stderr. They skip this parser and go on as plain
    // logs (body: the text line, no severity, no falco.* attributes), so a Falco that fails to
    // load its rules is visible in Honeycomb too.
    {
      type: 'json_parser',
      id: 'falco-alert',
      if: 'body startsWith "{"',
      parse_from: 'body',
      parse_to: FALCO_ATTRIBUTES,
      timestamp: { parse_from: `${FALCO_ATTRIBUTES}.time`, layout_type: 'gotime', layout: FALCO_TIME_LAYOUT },
      // The default preset stays: it also maps Falco's legacy spelling "Info". Matching ignores case.
      severity: { parse_from: `${FALCO_ATTRIBUTES}.priority`, mapping: severityMapping() },
    },
    // The alert sentence becomes the body, so the log view reads like `kubectl logs`.
    {
      type: 'move',
      id: 'falco-output-to-body',
      if: `${FALCO_ATTRIBUTES} != nil and ${FALCO_ATTRIBUTES}.output != nil`,
      from: `${FALCO_ATTRIBUTES}.output`,
      to: 'body',
    },
  ];
}

/** Stanza's mapping: severity alias → Falco priority. */
function severityMapping(): Record<string, string> {
  return Object.fromEntries(FALCO_SEVERITY_MAPPING.map(({ priority, severity }) => [severity, priority]));
}

function fileLogReceiver(include: string): Record<string, unknown> {
  return {
    include: [include],
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
    headers: {
      'x-honeycomb-team': envRef(input.apiKeyEnv),
      'x-honeycomb-dataset': input.dataset,
    },
    // A queue on disk and retries that never give up: an outage plus a restart loses nothing.
    // A full queue blocks the pipeline, so file_log stops reading instead of dropping.
    sending_queue: { enabled: true, storage: STORAGE, block_on_overflow: true },
    retry_on_failure: { enabled: true, max_elapsed_time: 0 },
  };
}

/** A reference the collector expands from its environment at start-up. */
function envRef(variable: string): string {
  return `\${env:${variable}}`;
}
