// The pipeline benchmark's peer: what the upstream OpenTelemetry Collector Helm chart runs for pod
// logs with its `logsCollection` preset. Source: open-telemetry/opentelemetry-helm-charts,
// charts/opentelemetry-collector/templates/_config.tpl, `opentelemetry-collector.logsCollectionConfig`
// (commit 0028bf0397c68a8196cf4e097a7b35f9fe768053): file_log on /var/log/pods/*/*/*.log without the
// collector's own logs, start_at end, retry_on_failure, include_file_path, the container parser with
// max_log_size = maxRecombineLogSize (102400, values.yaml) — no JSON parsing, no storage
// (storeCheckpoints defaults to false). The chart's default logs pipeline adds memory_limiter
// (limit_percentage 80, spike_limit_percentage 25, check_interval 5s) and batch. Its default
// exporter is debug; here an otlp_grpc exporter to the stand-in takes its place, with the chart's
// exporter defaults (in-memory queue), so both configurations end at the same place.

export function peerConfig(podLogRoot: string, endpoint: string, apiKey: string): any {
  return {
    receivers: {
      // `filelog` in the chart; `file_log` is the current name of the same receiver.
      file_log: {
        include: [`${podLogRoot}/*/*/*.log`],
        exclude: [`${podLogRoot}/otel_opentelemetry-collector*_*/opentelemetry-collector/*.log`],
        start_at: 'end',
        retry_on_failure: { enabled: true },
        include_file_path: true,
        include_file_name: false,
        operators: [{ type: 'container', id: 'container-parser', max_log_size: 102400 }],
      },
    },
    processors: {
      memory_limiter: { check_interval: '5s', limit_percentage: 80, spike_limit_percentage: 25 },
      batch: {},
    },
    exporters: {
      otlp_grpc: {
        endpoint,
        tls: { insecure: true },
        headers: { 'x-honeycomb-team': apiKey, 'x-honeycomb-dataset': 'falco' },
      },
    },
    service: {
      pipelines: { logs: { receivers: ['file_log'], processors: ['memory_limiter', 'batch'], exporters: ['otlp_grpc'] } },
      telemetry: { metrics: { readers: [{ pull: { exporter: { prometheus: { host: '127.0.0.1', port: 8888 } } } }] } },
    },
  };
}
