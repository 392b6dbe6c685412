// The components built into the otelcol-k8s collector image (otel/opentelemetry-collector-k8s), by
// the type name a collector config uses for them. A config that names anything else makes the
// collector exit at start-up; a deprecated alias works but logs a warning on every start.
//
// Source: open-telemetry/opentelemetry-collector-releases, distributions/otelcol-k8s/manifest.yaml,
// version 0.159.0, commit ceccc19da2df99e24c1d826bd1600e0edbdbea3d (the module list is copied from it).
// The manifest names Go modules; each module's type name comes from its metadata.yaml (`type`, and
// `deprecated_type` for the alias). Checked upstream: the types this project uses (file_log,
// memory_limiter, batch, resource, otlp_grpc, file_storage), the core components, and the renames
// in the alias column (collector 0.144: otlp -> otlp_grpc, otlphttp -> otlp_http; contrib 0.149 and
// later: filelog, k8sattributes, cgroupruntime, spanmetrics). Entries marked `unverified` were
// renamed around contrib 0.153-0.160 and are not confirmed for 0.159.0; the remaining contrib entries
// carry their long-standing type names, not rechecked one by one. Check metadata.yaml before use.

/** A component of the distribution. */
export interface CollectorComponent {
  /** Go module, as in the manifest. */
  readonly module: string;
  /** Type name to use in a collector config. */
  readonly type: string;
  /** Older type name still accepted, with a deprecation warning. */
  readonly deprecatedAlias?: string;
  /** The type name was not confirmed against the module's metadata.yaml at 0.159.0. */
  readonly unverified?: true;
}

export type ComponentKind = 'receivers' | 'processors' | 'exporters' | 'extensions' | 'connectors';

/** Where the list was taken from. */
export const OTELCOL_K8S_SOURCE = {
  repository: 'open-telemetry/opentelemetry-collector-releases',
  path: 'distributions/otelcol-k8s/manifest.yaml',
  version: '0.159.0',
  commit: 'ceccc19da2df99e24c1d826bd1600e0edbdbea3d',
} as const;

/** Version of the distribution the list was taken from. */
export const OTELCOL_K8S_VERSION = OTELCOL_K8S_SOURCE.version;

const CORE = 'go.opentelemetry.io/collector';
const CONTRIB = 'github.com/open-telemetry/opentelemetry-collector-contrib';

export const OTELCOL_K8S_COMPONENTS: Readonly<Record<ComponentKind, readonly CollectorComponent[]>> = {
  extensions: [
    { module: `${CORE}/extension/zpagesextension`, type: 'zpages' },
    { module: `${CONTRIB}/extension/ackextension`, type: 'ack' },
    { module: `${CONTRIB}/extension/basicauthextension`, type: 'basicauth' },
    { module: `${CONTRIB}/extension/bearertokenauthextension`, type: 'bearertokenauth' },
    { module: `${CONTRIB}/extension/cgroupruntimeextension`, type: 'cgroup_runtime', deprecatedAlias: 'cgroupruntime' },
    { module: `${CONTRIB}/extension/headerssetterextension`, type: 'headers_setter' },
    { module: `${CONTRIB}/extension/healthcheckextension`, type: 'health_check' },
    { module: `${CONTRIB}/extension/httpforwarderextension`, type: 'http_forwarder' },
    { module: `${CONTRIB}/extension/oauth2clientauthextension`, type: 'oauth2client' },
    { module: `${CONTRIB}/extension/observer/hostobserver`, type: 'host_observer' },
    { module: `${CONTRIB}/extension/observer/k8sobserver`, type: 'k8s_observer' },
    { module: `${CONTRIB}/extension/oidcauthextension`, type: 'oidc' },
    { module: `${CONTRIB}/extension/opampextension`, type: 'opamp' },
    { module: `${CONTRIB}/extension/pprofextension`, type: 'pprof' },
    { module: `${CONTRIB}/extension/storage/filestorage`, type: 'file_storage' },
    { module: `${CONTRIB}/extension/k8sleaderelector`, type: 'k8s_leader_elector' },
  ],
  exporters: [
    { module: `${CORE}/exporter/debugexporter`, type: 'debug' },
    { module: `${CORE}/exporter/nopexporter`, type: 'nop' },
    { module: `${CORE}/exporter/otlpexporter`, type: 'otlp_grpc', deprecatedAlias: 'otlp' },
    { module: `${CORE}/exporter/otlphttpexporter`, type: 'otlp_http', deprecatedAlias: 'otlphttp' },
    { module: `${CONTRIB}/exporter/fileexporter`, type: 'file' },
    { module: `${CONTRIB}/exporter/loadbalancingexporter`, type: 'loadbalancing' },
    { module: `${CONTRIB}/exporter/otelarrowexporter`, type: 'otelarrow' },
  ],
  processors: [
    { module: `${CORE}/processor/batchprocessor`, type: 'batch' },
    { module: `${CORE}/processor/memorylimiterprocessor`, type: 'memory_limiter' },
    { module: `${CONTRIB}/processor/attributesprocessor`, type: 'attributes' },
    { module: `${CONTRIB}/processor/cumulativetodeltaprocessor`, type: 'cumulativetodelta' },
    { module: `${CONTRIB}/processor/deltatocumulativeprocessor`, type: 'deltatocumulative' },
    { module: `${CONTRIB}/processor/deltatorateprocessor`, type: 'deltatorate' },
    { module: `${CONTRIB}/processor/drainprocessor`, type: 'drain' },
    { module: `${CONTRIB}/processor/filterprocessor`, type: 'filter' },
    { module: `${CONTRIB}/processor/groupbyattrsprocessor`, type: 'groupbyattrs' },
    { module: `${CONTRIB}/processor/groupbytraceprocessor`, type: 'groupbytrace' },
    { module: `${CONTRIB}/processor/intervalprocessor`, type: 'interval' },
    { module: `${CONTRIB}/processor/k8sattributesprocessor`, type: 'k8s_attributes', deprecatedAlias: 'k8sattributes' },
    { module: `${CONTRIB}/processor/logdedupprocessor`, type: 'logdedup' },
    { module: `${CONTRIB}/processor/metricsgenerationprocessor`, type: 'metricsgeneration' },
    { module: `${CONTRIB}/processor/metricstransformprocessor`, type: 'metricstransform' },
    { module: `${CONTRIB}/processor/probabilisticsamplerprocessor`, type: 'probabilistic_sampler' },
    { module: `${CONTRIB}/processor/redactionprocessor`, type: 'redaction' },
    { module: `${CONTRIB}/processor/remotetapprocessor`, type: 'remotetap' },
    { module: `${CONTRIB}/processor/resourcedetectionprocessor`, type: 'resource_detection', deprecatedAlias: 'resourcedetection', unverified: true },
    { module: `${CONTRIB}/processor/resourceprocessor`, type: 'resource' },
    { module: `${CONTRIB}/processor/tailsamplingprocessor`, type: 'tail_sampling' },
    { module: `${CONTRIB}/processor/transformprocessor`, type: 'transform' },
  ],
  receivers: [
    { module: `${CORE}/receiver/otlpreceiver`, type: 'otlp' },
    { module: `${CONTRIB}/receiver/filelogreceiver`, type: 'file_log', deprecatedAlias: 'filelog' },
    { module: `${CONTRIB}/receiver/fluentforwardreceiver`, type: 'fluentforward' },
    { module: `${CONTRIB}/receiver/hostmetricsreceiver`, type: 'host_metrics', deprecatedAlias: 'hostmetrics', unverified: true },
    { module: `${CONTRIB}/receiver/httpcheckreceiver`, type: 'httpcheck' },
    { module: `${CONTRIB}/receiver/jaegerreceiver`, type: 'jaeger' },
    { module: `${CONTRIB}/receiver/journaldreceiver`, type: 'journald' },
    { module: `${CONTRIB}/receiver/k8sclusterreceiver`, type: 'k8s_cluster' },
    { module: `${CONTRIB}/receiver/k8seventsreceiver`, type: 'k8s_events' },
    { module: `${CONTRIB}/receiver/k8sobjectsreceiver`, type: 'k8sobjects' },
    { module: `${CONTRIB}/receiver/kubeletstatsreceiver`, type: 'kubelet_stats', deprecatedAlias: 'kubeletstats', unverified: true },
    { module: `${CONTRIB}/receiver/otelarrowreceiver`, type: 'otelarrow' },
    { module: `${CONTRIB}/receiver/prometheusreceiver`, type: 'prometheus' },
    { module: `${CONTRIB}/receiver/receivercreator`, type: 'receiver_creator' },
    { module: `${CONTRIB}/receiver/zipkinreceiver`, type: 'zipkin' },
  ],
  connectors: [
    { module: `${CORE}/connector/forwardconnector`, type: 'forward' },
    { module: `${CONTRIB}/connector/countconnector`, type: 'count' },
    { module: `${CONTRIB}/connector/exceptionsconnector`, type: 'exceptions' },
    { module: `${CONTRIB}/connector/failoverconnector`, type: 'failover' },
    { module: `${CONTRIB}/connector/otlpjsonconnector`, type: 'otlpjson' },
    { module: `${CONTRIB}/connector/roundrobinconnector`, type: 'roundrobin' },
    { module: `${CONTRIB}/connector/routingconnector`, type: 'routing' },
    { module: `${CONTRIB}/connector/servicegraphconnector`, type: 'servicegraph' },
    { module: `${CONTRIB}/connector/spanmetricsconnector`, type: 'span_metrics', deprecatedAlias: 'spanmetrics' },
  ],
};

/**
 * The type of a component ID as a collector config writes it: `type` or `type/name`.
 * (`otlp_grpc/honeycomb` is an otlp_grpc exporter named honeycomb.)
 */
export function componentType(id: string): string {
  return id.split('/')[0];
}

/** Whether otelcol-k8s has a component of this kind under this current (non-deprecated) type name. */
export function isOtelcolK8sComponent(kind: ComponentKind, id: string): boolean {
  return OTELCOL_K8S_COMPONENTS[kind].some((c) => c.type === componentType(id));
}

/** The current type name if `id` uses a deprecated alias of this kind, else undefined. */
export function replacementForDeprecatedAlias(kind: ComponentKind, id: string): string | undefined {
  return OTELCOL_K8S_COMPONENTS[kind].find((c) => c.deprecatedAlias === componentType(id))?.type;
}

const KINDS: readonly ComponentKind[] = ['receivers', 'processors', 'exporters', 'extensions', 'connectors'];

/**
 * What in a collector config otelcol-k8s would reject or warn about: components it lacks,
 * deprecated aliases, and pipelines or service extensions that name undefined components.
 */
export function componentProblems(config: Record<string, any>): string[] {
  const problems: string[] = [];
  for (const kind of KINDS) {
    for (const id of Object.keys(config[kind] ?? {})) {
      const replacement = replacementForDeprecatedAlias(kind, id);
      if (replacement) problems.push(`${kind}.${id} uses a deprecated alias; use ${replacement}`);
      else if (!isOtelcolK8sComponent(kind, id)) problems.push(`${kind}.${id} is not in otelcol-k8s ${OTELCOL_K8S_VERSION}`);
    }
  }
  for (const [name, pipeline] of Object.entries<Record<string, string[]>>(config.service?.pipelines ?? {})) {
    for (const kind of ['receivers', 'processors', 'exporters'] as const) {
      for (const id of pipeline[kind] ?? []) {
        const defined = id in (config[kind] ?? {}) || (kind !== 'processors' && id in (config.connectors ?? {}));
        if (!defined) problems.push(`pipeline ${name} names ${kind} ${id}, which the config does not define`);
      }
    }
  }
  for (const id of config.service?.extensions ?? []) {
    if (!(id in (config.extensions ?? {}))) problems.push(`service.extensions names ${id}, which the config does not define`);
  }
  return problems;
}
