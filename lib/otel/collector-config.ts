// The OpenTelemetry Collector configuration that FalcoCollector runs: tail the Falco container's
// pod logs on the node, parse each JSON alert into falco.* attributes, ship to Honeycomb over OTLP.
// Operators are from the stanza library (opentelemetry-collector-contrib pkg/stanza/docs/operators).

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

/**
 * Falco's priorities (as its JSON output spells them) and the OpenTelemetry severity each maps to,
 * most severe first; severity numbers strictly decrease down the list.
 */
export const FALCO_SEVERITY_MAPPING: ReadonlyArray<readonly [priority: string, severity: string]> = [
  ['Emergency', 'fatal2'],
  ['Alert', 'fatal'],
  ['Critical', 'error3'],
  ['Error', 'error'],
  ['Warning', 'warn'],
  ['Notice', 'info2'],
  ['Informational', 'info'],
  ['Debug', 'debug'],
];

/** Falco's time layout: RFC 3339 with nanoseconds, as a Go reference time. */
export const FALCO_TIME_LAYOUT = '2006-01-02T15:04:05.999999999Z07:00';

/** Builds the collector's `config` (receivers, processors, exporters, extensions, service). */
export function collectorConfig(input: CollectorConfigInput): Record<string, any> {
  return {
    extensions: {
      file_storage: {
        directory: input.storageDirectory,
        // The checkpoints must survive restarts; a new pod on the node reuses them.
        create_directory: false,
      },
    },
    receivers: {
      file_log: {
        include: [input.include],
        // With checkpoints in storage, "beginning" only applies to files never seen before:
        // a new collector reads what Falco wrote before it started; a restarted one resumes.
        start_at: 'beginning',
        include_file_path: true,
        storage: 'file_storage',
        operators: [
          // CRI-O/containerd and docker formats; recombines partial (P) lines.
          { type: 'container', id: 'container' },
          // Falco's start-up lines on stderr are plain text: they skip this parser and are sent
          // as plain logs with their text as body, so a Falco that fails to start is visible too.
          {
            type: 'json_parser',
            id: 'falco-alert',
            if: 'body startsWith "{"',
            parse_from: 'body',
            parse_to: 'attributes.falco',
            timestamp: {
              parse_from: 'attributes.falco.time',
              layout_type: 'gotime',
              layout: FALCO_TIME_LAYOUT,
            },
            severity: {
              parse_from: 'attributes.falco.priority',
              mapping: Object.fromEntries(FALCO_SEVERITY_MAPPING.map(([priority, severity]) => [severity, priority])),
            },
          },
          // The alert sentence becomes the body, so the log view reads like `kubectl logs`.
          {
            type: 'move',
            id: 'falco-output-to-body',
            if: 'attributes.falco != nil and attributes.falco.output != nil',
            from: 'attributes.falco.output',
            to: 'body',
          },
        ],
      },
    },
    processors: {
      memory_limiter: {
        check_interval: '1s',
        limit_mib: input.memoryLimitMib,
        spike_limit_mib: input.memorySpikeLimitMib,
      },
      resource: {
        attributes: [
          { key: 'service.name', value: 'falco', action: 'upsert' },
          { key: 'k8s.cluster.name', value: input.clusterName, action: 'upsert' },
          { key: 'k8s.node.name', value: `\${env:${input.nodeNameEnv}}`, action: 'upsert' },
        ],
      },
      batch: {},
    },
    exporters: {
      otlp: {
        endpoint: input.endpoint,
        headers: {
          'x-honeycomb-team': `\${env:${input.apiKeyEnv}}`,
          'x-honeycomb-dataset': input.dataset,
        },
        // Persisted queue + unbounded retries: an outage plus a collector restart loses nothing.
        sending_queue: { enabled: true, storage: 'file_storage' },
        retry_on_failure: { enabled: true, max_elapsed_time: 0 },
      },
    },
    service: {
      extensions: ['file_storage'],
      pipelines: {
        logs: {
          receivers: ['file_log'],
          processors: ['memory_limiter', 'resource', 'batch'],
          exporters: ['otlp'],
        },
      },
    },
  };
}
