import { describeObject, KubeObject, Wave } from './manifests';

/** A workload whose rollout `kubectl rollout status` can follow. */
export type WorkloadResource = 'deployment' | 'daemonset' | 'statefulset';

export type Step =
  /** Server-side apply of the objects. */
  | { readonly type: 'apply'; readonly objects: KubeObject[] }
  /** `kubectl wait --for condition=established` on CRDs. */
  | { readonly type: 'established'; readonly crds: string[] }
  /** `kubectl wait --for=condition=<condition>` on Jobs (complete) or Pods (Ready) of one namespace. */
  | { readonly type: 'condition'; readonly resource: 'job' | 'pod'; readonly condition: string; readonly namespace: string; readonly names: string[] }
  /** Polls until a workload that a controller creates asynchronously exists. */
  | { readonly type: 'created'; readonly resource: WorkloadResource; readonly namespace: string; readonly name: string; readonly owner: string }
  /** `kubectl rollout status`. */
  | { readonly type: 'rollout'; readonly resource: WorkloadResource; readonly namespace: string; readonly name: string };

export interface PlannedStep {
  readonly step: Step;
  /** What a failure of this step says to look at (kubectl commands, without --context). */
  readonly hints: string[];
}

export interface Stage {
  readonly name: string;
  readonly steps: PlannedStep[];
}

/** Where the admission webhooks of the objects are served: what to look at when they refuse. */
export interface WebhookBackend {
  readonly namespace: string;
  readonly service: string;
  /** Deployments in the service's namespace (the server is presumably one of them). */
  readonly deployments: string[];
  /** Webhook configurations pointing at the service. */
  readonly configurations: string[];
}

const WORKLOAD_KINDS: Record<string, WorkloadResource> = {
  Deployment: 'deployment',
  StatefulSet: 'statefulset',
  DaemonSet: 'daemonset',
};

/** The OpenTelemetryCollector kinds the operator turns into `<name>-collector` workloads. */
const COLLECTOR_KIND = 'OpenTelemetryCollector';
const COLLECTOR_MODES: Record<string, WorkloadResource> = {
  daemonset: 'daemonset',
  deployment: 'deployment',
  statefulset: 'statefulset',
};

const ns = (o: KubeObject): string => o.metadata.namespace ?? 'default';

/** The webhook services of the given objects, with the Deployments that presumably serve them. */
export function webhookBackends(objects: KubeObject[]): WebhookBackend[] {
  const byService = new Map<string, { namespace: string; service: string; configurations: Set<string> }>();
  for (const config of objects.filter((o) => /^(Mutating|Validating)WebhookConfiguration$/.test(o.kind))) {
    for (const webhook of config.webhooks ?? []) {
      const svc = webhook.clientConfig?.service;
      if (!svc?.name || !svc?.namespace) continue;
      const key = `${svc.namespace}/${svc.name}`;
      const entry = byService.get(key) ?? { namespace: svc.namespace, service: svc.name, configurations: new Set<string>() };
      entry.configurations.add(`${config.kind.toLowerCase()}/${config.metadata.name}`);
      byService.set(key, entry);
    }
  }
  return [...byService.values()].map((b) => ({
    namespace: b.namespace,
    service: b.service,
    configurations: [...b.configurations],
    deployments: objects.filter((o) => o.kind === 'Deployment' && ns(o) === b.namespace).map((o) => o.metadata.name),
  }));
}

/** What to look at when an admission or conversion webhook refuses. */
export function webhookHints(backends: WebhookBackend[]): string[] {
  return backends.flatMap((b) => [
    ...b.deployments.map((d) => `kubectl -n ${b.namespace} logs deployment/${d}   # the webhook server's log`),
    `kubectl -n ${b.namespace} get endpoints ${b.service}   # empty: no ready webhook pod`,
    ...b.configurations.map((c) => `kubectl get ${c} -o yaml   # is clientConfig.caBundle set? (the cert Jobs patch it)`),
  ]);
}

/** Names of the Secrets an object reads through secretKeyRef (e.g. the collector's API key). */
function referencedSecrets(o: KubeObject): string[] {
  const names = new Set<string>();
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') {
      const ref = (v as any).secretKeyRef;
      if (ref?.name) names.add(ref.name);
      Object.values(v).forEach(visit);
    }
  };
  visit(o.spec);
  return [...names].sort();
}

function rolloutHints(resource: WorkloadResource, namespace: string, name: string): string[] {
  return [
    `kubectl -n ${namespace} describe ${resource}/${name}`,
    `kubectl -n ${namespace} logs ${resource}/${name} --all-containers`,
    `kubectl -n ${namespace} get events --sort-by=.lastTimestamp`,
  ];
}

/** The steps that `<kind>/<name>-collector` of one OpenTelemetryCollector goes through. */
function collectorSteps(collector: KubeObject, backends: WebhookBackend[]): PlannedStep[] {
  const resource = COLLECTOR_MODES[collector.spec?.mode ?? 'deployment'];
  if (!resource) return []; // sidecar: no workload of its own
  const namespace = ns(collector);
  const name = `${collector.metadata.name}-collector`;
  const owner = `opentelemetrycollector/${collector.metadata.name}`;
  const operatorLogs = webhookHints(backends).filter((h) => h.includes(' logs '));
  const secrets = referencedSecrets(collector).map((s) => `kubectl -n ${namespace} get secret ${s}   # the collector reads it: create it, or apply the secrets folder`);
  return [
    { step: { type: 'created', resource, namespace, name, owner }, hints: [`kubectl -n ${namespace} describe ${owner}`, ...operatorLogs] },
    { step: { type: 'rollout', resource, namespace, name }, hints: [...rolloutHints(resource, namespace, name), ...secrets] },
  ];
}

/** Apply, then wait: CRDs established, Jobs complete, Pods ready, workloads rolled out, collectors' workloads. */
function waveSteps(objects: KubeObject[], backends: WebhookBackend[]): PlannedStep[] {
  const steps: PlannedStep[] = [{ step: { type: 'apply', objects }, hints: [] }];
  const crds = objects.filter((o) => o.kind === 'CustomResourceDefinition').map((o) => o.metadata.name);
  if (crds.length) {
    steps.push({ step: { type: 'established', crds }, hints: crds.map((c) => `kubectl describe crd/${c}   # conditions NamesAccepted, Established`) });
  }
  for (const [kind, resource, condition] of [['Job', 'job', 'complete'], ['Pod', 'pod', 'Ready']] as const) {
    const matching = objects.filter((o) => o.kind === kind);
    for (const namespace of [...new Set(matching.map(ns))]) {
      const names = matching.filter((o) => ns(o) === namespace).map((o) => o.metadata.name);
      const hints = names.flatMap((n) => [`kubectl -n ${namespace} describe ${resource}/${n}`, `kubectl -n ${namespace} logs ${resource}/${n} --all-containers`]);
      steps.push({ step: { type: 'condition', resource, condition, namespace, names }, hints });
    }
  }
  for (const o of objects.filter((x) => WORKLOAD_KINDS[x.kind])) {
    const resource = WORKLOAD_KINDS[o.kind];
    steps.push({ step: { type: 'rollout', resource, namespace: ns(o), name: o.metadata.name }, hints: rolloutHints(resource, ns(o), o.metadata.name) });
  }
  for (const collector of objects.filter((o) => o.kind === COLLECTOR_KIND)) steps.push(...collectorSteps(collector, backends));
  return steps;
}

/** "2 Namespaces, 4 CRDs" or "DaemonSet falco/falco (+6 more)": the objects a reader cares about. */
function waveTitle(objects: KubeObject[]): string {
  const notable = objects.filter((o) => WORKLOAD_KINDS[o.kind] || ['Job', 'Pod', COLLECTOR_KIND].includes(o.kind));
  const counted = ['Namespace', 'CustomResourceDefinition']
    .map((kind) => [kind, objects.filter((o) => o.kind === kind).length] as const)
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${n} ${kind === 'CustomResourceDefinition' ? 'CRD' : kind}${n > 1 ? 's' : ''}`);
  const named = notable.map(describeObject);
  const shownCount = notable.length + objects.filter((o) => o.kind === 'Namespace' || o.kind === 'CustomResourceDefinition').length;
  const rest = objects.length - shownCount;
  const parts = [...counted, ...named];
  if (!parts.length) return `${objects.length} objects`;
  return `${parts.join(', ')}${rest > 0 ? ` (+${rest} more)` : ''}`;
}

/**
 * The stages of a deploy: one per sync wave, in order, plus the Secrets of the secrets folder right
 * before the first wave holding an OpenTelemetryCollector (the collector reads them), or last.
 */
export function planStages(waves: Wave[], secrets: KubeObject[] = [], secretsDir = 'secrets'): Stage[] {
  const all = waves.flatMap((w) => w.objects);
  const backends = webhookBackends(all);
  const stages: Stage[] = waves.map((w) => ({ name: `wave ${w.wave}: ${waveTitle(w.objects)}`, steps: waveSteps(w.objects, backends) }));
  if (secrets.length) {
    const secretsStage: Stage = {
      name: `secrets: ${secrets.length} object${secrets.length > 1 ? 's' : ''} from ${secretsDir}/`,
      steps: [{ step: { type: 'apply', objects: secrets }, hints: [] }],
    };
    const at = waves.findIndex((w) => w.objects.some((o) => o.kind === COLLECTOR_KIND));
    stages.splice(at < 0 ? stages.length : at, 0, secretsStage);
  }
  return stages;
}
