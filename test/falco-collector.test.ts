import * as fs from 'fs';
import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import { minimatch } from 'minimatch';
import { findOne, synthStack, testConfig, testRenderer } from './support/helpers';
import { OpenTelemetryCollector } from '../imports/opentelemetry.io';
import { FalcoDaemonSet, FalcoDaemonSetProps } from '../lib/falco/falco-daemon-set';
import { HoneycombSecret, HoneycombSecretProps } from '../lib/honeycomb/honeycomb-secret';
import { KUBELET_LOG_BYTES, QUEUE_BYTES, SYNCHRONOUS_EMITTER_GATE } from '../lib/otel/collector-config';
import { DEFAULT_COLLECTOR_IMAGE, DEFAULT_HOST_STORAGE_DIRECTORY, FalcoCollector, FalcoCollectorProps } from '../lib/otel/falco-collector';
import { OtelOperator } from '../lib/otel/otel-operator';
import { componentProblems, OTELCOL_K8S_COMPONENTS, OTELCOL_K8S_SOURCE } from '../lib/otel/otelcol-k8s-components';

// Issue 3, point by point, on the synthesized OpenTelemetryCollector, as configuration facts. What
// the configuration does is shown by the real collector in the end-to-end tests (npm run test:e2e,
// test/e2e/collector/): parsing, fields, times, datasets, crashes, outages and rotations. Here: the
// glob with minimatch (doublestar-compatible for `*` and `?`), and each setting those runs rely on.

const UID = '3f1c9a2e-5b7d-4e8a-9c6f-1a2b3c4d5e6f';
const FALCO_POD_LOG = `/var/log/pods/falco_falco-x7k2p_${UID}/falco/0.log`;
/** Stanza's severity numbers of the aliases used (pkg/stanza/docs/types/severity.md). */
const STANZA_SEVERITY_NUMBERS: Record<string, number> = { debug: 5, info: 9, info2: 10, warn: 13, error: 17, error3: 19, fatal: 21, fatal2: 22 };

/** A small app: Falco in one chart, the Secret and the collector in another. */
function buildCollector(falcoProps: FalcoDaemonSetProps = {}, collectorProps: Partial<FalcoCollectorProps> = {}) {
  const app = Testing.app();
  const falco = new FalcoDaemonSet(new Chart(app, 'falco'), 'falco', { renderer: testRenderer(), ...falcoProps });
  const chart = new Chart(app, 'collector');
  const secret = new HoneycombSecret(chart, 'honeycomb');
  const collector = new FalcoCollector(chart, 'collector', { falco, secret, clusterName: 'prod-eu', ...collectorProps });
  const objects = Testing.synth(chart);
  return { app, falco, secret, collector, chart, objects, resource: findOne(objects, 'OpenTelemetryCollector') };
}

/** Another collector on an existing Falco (saves a helm render). */
let added = 0;
function addCollector(falco: FalcoDaemonSet, options: Partial<FalcoCollectorProps> & { secretProps?: HoneycombSecretProps } = {}) {
  const { secretProps, ...props } = options;
  const chart = new Chart(falco.node.root, `collector-${++added}`);
  const secret = new HoneycombSecret(chart, 'honeycomb', secretProps);
  const collector = new FalcoCollector(chart, 'collector', { falco, secret, clusterName: 'prod-eu', ...props });
  const objects = Testing.synth(chart);
  return { secret, collector, objects, resource: findOne(objects, 'OpenTelemetryCollector') };
}

function mebibytes(quantity: string): number {
  const m = /^(\d+)Mi$/.exec(quantity);
  if (!m) throw new Error(`not a Mi quantity: ${quantity}`);
  return Number(m[1]);
}

function millicores(quantity: string): number {
  return quantity.endsWith('m') ? Number(quantity.slice(0, -1)) : Number(quantity) * 1000;
}

describe('FalcoCollector', () => {
  const built = buildCollector();
  const { falco, secret, resource } = built;
  const spec = resource.spec;
  const config = spec.config;
  const operators: any[] = config.receivers.file_log.operators;
  const falcoDaemonSet = findOne(Testing.synth(falco.node.scope as Chart), 'DaemonSet');

  test('snapshot of the collector chart', () => {
    expect(built.objects).toMatchSnapshot();
  });

  describe('1. an OpenTelemetryCollector v1beta1 in daemonset mode with a pinned image', () => {
    test('typed class from imports/, v1beta1, daemonset', () => {
      expect(built.collector.collector).toBeInstanceOf(OpenTelemetryCollector);
      expect(resource.apiVersion).toBe('opentelemetry.io/v1beta1');
      expect(resource.kind).toBe('OpenTelemetryCollector');
      expect(spec.mode).toBe('daemonset');
    });

    test('image pinned to the otelcol-k8s version operator 0.158.0 defaults to', () => {
      expect(DEFAULT_COLLECTOR_IMAGE).toBe('otel/opentelemetry-collector-k8s:0.158.0');
      expect(spec.image).toBe(DEFAULT_COLLECTOR_IMAGE);
    });

    test('runs in the Secret\'s namespace', () => {
      expect(resource.metadata.namespace).toBe(secret.namespace);
    });
  });

  describe('2. only components of otelcol-k8s, under their current names', () => {
    test('the list names its source and holds the manifest\'s 63 modules', () => {
      expect(OTELCOL_K8S_SOURCE).toEqual({
        repository: 'open-telemetry/opentelemetry-collector-releases',
        path: 'distributions/otelcol-k8s/manifest.yaml',
        version: '0.159.0',
        commit: 'ceccc19da2df99e24c1d826bd1600e0edbdbea3d',
      });
      const counts = Object.fromEntries(Object.entries(OTELCOL_K8S_COMPONENTS).map(([k, v]) => [k, v.length]));
      expect(counts).toEqual({ extensions: 16, exporters: 7, processors: 22, receivers: 15, connectors: 9 });
      const types = Object.values(OTELCOL_K8S_COMPONENTS).flat().map((c) => c.type);
      expect(types.filter((t) => !/^[a-z][a-z0-9_]*$/.test(t))).toEqual([]); // type names, not module paths
    });

    test('every component is defined, in the list and not a deprecated alias', () => {
      expect(componentProblems(config)).toEqual([]);
      const pipeline = config.service.pipelines.logs;
      expect(pipeline).toEqual({ receivers: ['file_log'], processors: ['memory_limiter', 'resource'], exporters: ['otlp_grpc'] });
      expect(config.service.extensions).toEqual(['file_storage', 'health_check']);
    });

    test('the check fails on old names, unknown components and undefined pipeline entries', () => {
      const renamed = structuredClone(config);
      renamed.receivers = { filelog: renamed.receivers.file_log };
      renamed.exporters = { otlp: renamed.exporters.otlp_grpc };
      expect(componentProblems(renamed)).toEqual(expect.arrayContaining([
        'receivers.filelog uses a deprecated alias; use file_log',
        'exporters.otlp uses a deprecated alias; use otlp_grpc',
        'pipeline logs names receivers file_log, which the config does not define',
      ]));
      const foreign = structuredClone(config);
      foreign.exporters.splunk_hec = {};
      foreign.processors.k8sattributes = {};
      expect(componentProblems(foreign)).toEqual([
        'processors.k8sattributes uses a deprecated alias; use k8s_attributes',
        'exporters.splunk_hec is not in otelcol-k8s 0.159.0',
      ]);
      const noStorage = structuredClone(config);
      noStorage.extensions = { health_check: noStorage.extensions.health_check };
      expect(componentProblems(noStorage)).toEqual(['service.extensions names file_storage, which the config does not define']);
    });
  });

  describe('3. file_log reads only the falco container of the Falco DaemonSet\'s pods', () => {
    const glob = config.receivers.file_log.include;
    const matches = (p: string) => glob.some((g: string) => minimatch(p, g, { dot: true }));

    const excluded = (p: string) => config.receivers.file_log.exclude.some((g: string) => minimatch(p, g, { dot: true }));

    test('the glob comes from Falco\'s namespace and DaemonSet (defaults); rotated files beside, gzipped ones excluded', () => {
      expect(glob).toEqual(['/var/log/pods/falco_falco-?????_*/falco/*.log', '/var/log/pods/falco_falco-?????_*/falco/*.log.*']);
      expect(built.collector.logGlob).toBe(glob[0]);
      expect(config.receivers.file_log.exclude).toEqual(['/var/log/pods/falco_falco-?????_*/falco/*.log.*.gz', '/var/log/pods/falco_falco-?????_*/falco/*.log.*.tmp']);
    });

    test('the fixture\'s file is one the collector reads', () => {
      expect(matches(FALCO_POD_LOG) && !excluded(FALCO_POD_LOG)).toBe(true);
    });

    test.each([
      ['0.log renamed by the kubelet (read on, from the offset of 0.log)', `/var/log/pods/falco_falco-abcde_${UID}/falco/0.log.20241222-133540`, true],
      ['its gzipped copy (same lines: excluded)', `/var/log/pods/falco_falco-abcde_${UID}/falco/0.log.20241222-133540.gz`, false],
      ['the kubelet\'s half-written gzip', `/var/log/pods/falco_falco-abcde_${UID}/falco/0.log.20241222-133540.gz.tmp`, false],
    ])('%s', (_what, p, read) => expect(matches(p) && !excluded(p)).toBe(read));

    test.each([
      ['the falco container', `/var/log/pods/falco_falco-abcde_${UID}/falco/0.log`],
      ['the falco container after a restart', `/var/log/pods/falco_falco-x7k2p_${UID}/falco/3.log`],
    ])('matches %s', (_what, p) => expect(matches(p)).toBe(true));

    test.each([
      ['the falcoctl-artifact-follow sidecar', `/var/log/pods/falco_falco-abcde_${UID}/falcoctl-artifact-follow/0.log`],
      ['the falcoctl-artifact-install init container', `/var/log/pods/falco_falco-abcde_${UID}/falcoctl-artifact-install/0.log`],
      ['another workload', `/var/log/pods/default_nginx_${UID}/nginx/0.log`],
      ['the collector itself', `/var/log/pods/otel_falco-collector-xyz12_${UID}/otc-container/0.log`],
      ['the collector, were it in Falco\'s namespace', `/var/log/pods/falco_falco-collector-xyz12_${UID}/otc-container/0.log`],
      ['falco-exporter in the falco namespace', `/var/log/pods/falco_falco-exporter-7b9x2_${UID}/falco-exporter/0.log`],
      ['falcosidekick in the falco namespace', `/var/log/pods/falco_falco-falcosidekick-6d8f9c7b5-x2k4p_${UID}/falcosidekick/0.log`],
      ['a falco-k8saudit Deployment whose container is also falco', `/var/log/pods/falco_falco-k8saudit-6d8f9c7b5-x2k4p_${UID}/falco/0.log`],
      ['a Falco pod of another namespace', `/var/log/pods/security_falco-abcde_${UID}/falco/0.log`],
    ])('does not match %s', (_what, p) => expect(matches(p)).toBe(false));

    test('only * and ? wildcards, so minimatch and the collector\'s doublestar agree', () => {
      for (const g of glob) expect(g).not.toMatch(/\*\*|[[\]{}]/);
      expect(minimatch(`/var/log/pods/falco_falco-ab/de_${UID}/falco/0.log`, glob[0], { dot: true })).toBe(false);
    });
  });

  describe('4. parsing with stanza operators', () => {
    const parser = operators.find((o) => o.type === 'json_parser');

    test('container first, then json_parser, then move; all exist in stanza', () => {
      expect(operators.map((o) => o.type)).toEqual(['container', 'json_parser', 'move']);
      expect(operators[0].format).toBeUndefined(); // auto-detects containerd, CRI-O and docker
      expect(operators[0].max_log_size).toBeUndefined(); // default 1MiB recombines partial lines
      expect(config.receivers.file_log.include_file_path).toBe(true); // container needs log.file.path
    });

    test('json_parser into attributes.falco; lines that are not JSON pass on quietly', () => {
      expect(parser.if).toBeUndefined();
      expect(parser.on_error).toBe('send_quiet');
      expect(parser.parse_from).toBe('body');
      expect(parser.parse_to).toBe('attributes.falco');
    });

    test('parse_ints: integers stay integers (19-digit evt.time, uid, tty)', () => {
      expect(parser.parse_ints).toBe(true);
    });

    test('the container parser\'s k8s.* of Falco\'s own pod move to falco.reporter.* (resource processor)', () => {
      const renames = config.processors.resource.attributes.filter((a: any) => a.from_attribute || a.action === 'delete');
      expect(renames).toEqual(['k8s.namespace.name', 'k8s.pod.name', 'k8s.pod.uid', 'k8s.container.name', 'k8s.container.restart_count']
        .flatMap((k) => [{ key: `falco.reporter.${k}`, from_attribute: k, action: 'insert' }, { key: k, action: 'delete' }]));
    });

    test('timestamp from Falco\'s time, RFC 3339 nano, gotime', () => {
      expect(parser.timestamp).toEqual({
        parse_from: 'attributes.falco.time', layout_type: 'gotime', layout: '2006-01-02T15:04:05.999999999Z07:00',
      });
    });

    test('all eight priorities mapped, in order, to the required severity ranges', () => {
      expect(parser.severity.parse_from).toBe('attributes.falco.priority');
      const mapping: Record<string, string | string[]> = parser.severity.mapping;
      const numberOf = (priority: string) => {
        const aliases = Object.entries(mapping)
          .filter(([, values]) => ([] as string[]).concat(values).some((v) => v.toLowerCase() === priority.toLowerCase()))
          .map(([alias]) => alias);
        expect(aliases).toHaveLength(1);
        return STANZA_SEVERITY_NUMBERS[aliases[0]];
      };
      const priorities = ['Emergency', 'Alert', 'Critical', 'Error', 'Warning', 'Notice', 'Informational', 'Debug'];
      const numbers = priorities.map(numberOf);
      numbers.slice(1).forEach((n, i) => expect(n).toBeLessThan(numbers[i]));
      const [emergency, alert, critical, error, warning, notice, informational, debug] = numbers;
      [emergency, alert].forEach((n) => expect(n).toBeGreaterThanOrEqual(21)); // FATAL range 21-24
      expect(critical).toBeGreaterThanOrEqual(18); // ERROR2 or above
      expect(critical).toBeLessThanOrEqual(20);
      expect([error, warning, notice, informational, debug]).toEqual([17, 13, 10, 9, 5]); // ERROR WARN INFO2 INFO DEBUG
    });

    test('body set to Falco\'s output sentence', () => {
      expect(operators[2]).toEqual({
        type: 'move', id: 'falco-output-to-body', on_error: 'send_quiet',
        from: 'attributes.falco.output', to: 'body',
      });
    });

    test('resource attributes: service.name (Honeycomb\'s dataset), k8s.cluster.name, k8s.node.name from the downward API', () => {
      const attributes = Object.fromEntries(config.processors.resource.attributes.map((a: any) => [a.key, a]));
      expect(attributes['service.name']).toEqual({ key: 'service.name', value: 'falco', action: 'upsert' });
      expect(attributes['k8s.cluster.name']).toEqual({ key: 'k8s.cluster.name', value: 'prod-eu', action: 'upsert' });
      expect(attributes['k8s.node.name'].value).toBe('${env:K8S_NODE_NAME}');
      expect(spec.env).toContainEqual({ name: 'K8S_NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } });
    });
  });

  describe('5. no data loss', () => {
    const receiver = config.receivers.file_log;
    const exporter = config.exporters.otlp_grpc;
    const storage = config.extensions.file_storage;

    test('file_storage on a DirectoryOrCreate hostPath holds the receiver\'s checkpoints; start_at beginning', () => {
      expect(receiver.storage).toBe('file_storage');
      expect(receiver.start_at).toBe('beginning');
      const mount = spec.volumeMounts.find((m: any) => m.mountPath === storage.directory);
      expect(mount).toBeDefined();
      expect(mount.readOnly).not.toBe(true);
      const volume = spec.volumes.find((v: any) => v.name === mount.name);
      expect(volume.hostPath).toEqual({ path: '/var/lib/otelcol/falco-otel-honeycomb', type: 'DirectoryOrCreate' });
      expect(storage.compaction.directory).toBe(storage.directory); // the only writable place
      expect(storage.fsync).toBe(true);
    });

    test('the exporter queue persists in the same storage, batches there, holds more than the kubelet keeps; retries never give up', () => {
      expect(exporter.sending_queue).toEqual({
        enabled: true, storage: 'file_storage', block_on_overflow: true, sizer: 'bytes', queue_size: QUEUE_BYTES,
        batch: { sizer: 'bytes', flush_timeout: '200ms', min_size: 1024 * 1024, max_size: 4 * 1024 * 1024 },
      });
      expect(KUBELET_LOG_BYTES).toBe(5 * 10 * 1024 * 1024);
      expect(QUEUE_BYTES).toBeGreaterThanOrEqual(2 * KUBELET_LOG_BYTES);
      expect(exporter.retry_on_failure).toEqual({ enabled: true, max_elapsed_time: 0 });
    });

    test('the synchronous emitter gate through spec.args', () => {
      expect(SYNCHRONOUS_EMITTER_GATE).toBe('stanza.synchronousLogEmitter');
      expect(spec.args).toEqual({ 'feature-gates': 'stanza.synchronousLogEmitter' });
    });

    test('health_check on the pod IP, so the operator adds probes the kubelet can reach', () => {
      expect(config.extensions.health_check).toEqual({ endpoint: '${env:K8S_POD_IP}:13133' });
      expect(spec.env).toContainEqual({ name: 'K8S_POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } });
    });

    test('the receiver retries what memory_limiter refuses instead of dropping it', () => {
      expect(receiver.retry_on_failure).toEqual({ enabled: true, max_elapsed_time: 0 });
    });

    test('memory_limiter first; no batch processor (it would acknowledge before the disk queue has the data)', () => {
      const processors = config.service.pipelines.logs.processors;
      expect(processors[0]).toBe('memory_limiter');
      expect(processors).not.toContain('batch');
      expect(config.processors.batch).toBeUndefined();
    });

    test('the host directory does not move when the collector or its namespace is renamed', () => {
      const other = addCollector(falco, { name: 'falco-b' });
      const volume = other.resource.spec.volumes.find((v: any) => v.name === 'storage');
      expect(volume.hostPath.path).toBe(DEFAULT_HOST_STORAGE_DIRECTORY);
      const moved = addCollector(falco, { hostStorageDirectory: '/var/lib/otelcol/second' });
      expect(moved.resource.spec.volumes.find((v: any) => v.name === 'storage').hostPath.path).toBe('/var/lib/otelcol/second');
    });
  });

  describe('6. otlp_grpc exporter to Honeycomb', () => {
    test('api.honeycomb.io:443 by default, team header; no dataset header (Honeycomb ignores it beside service.name)', () => {
      expect(config.exporters.otlp_grpc.endpoint).toBe('api.honeycomb.io:443');
      expect(config.exporters.otlp_grpc.headers).toEqual({ 'x-honeycomb-team': '${env:HONEYCOMB_API_KEY}' });
    });

    test('eu region, endpoint override, dataset', () => {
      const exporterOf = (props: Partial<FalcoCollectorProps>) => addCollector(falco, props).resource.spec.config.exporters.otlp_grpc;
      expect(exporterOf({ region: 'eu' }).endpoint).toBe('api.eu1.honeycomb.io:443');
      expect(exporterOf({ region: 'eu', endpoint: 'refinery.internal:4317' }).endpoint).toBe('refinery.internal:4317');
      const datasetOf = (props: Partial<FalcoCollectorProps>) => addCollector(falco, props).resource.spec.config.processors.resource.attributes
        .find((a: any) => a.key === 'service.name').value;
      expect(datasetOf({ dataset: 'security' })).toBe('security');
    });

    test('the API key comes from the HoneycombSecret by secretKeyRef, never as a literal', () => {
      const apiKeyEnv = spec.env.find((e: any) => e.name === 'HONEYCOMB_API_KEY');
      expect(apiKeyEnv).toEqual({ name: 'HONEYCOMB_API_KEY', valueFrom: { secretKeyRef: { name: secret.secretName, key: secret.secretKey } } });
      expect(apiKeyEnv.value).toBeUndefined();
      expect(config.exporters.otlp_grpc.headers['x-honeycomb-team']).toMatch(/^\$\{env:[A-Z_][A-Z0-9_]*\}$/);
    });

    test('with the key at hand (source env), it is in no synthesized object of the chart', () => {
      const apiKey = 'hcaik_01testkeyneverinoutput0123456789';
      const other = addCollector(falco, { secretProps: { source: 'env', apiKey, secretName: 'hc', secretKey: 'key' } });
      const text = JSON.stringify(other.objects);
      expect(text).not.toContain(apiKey);
      expect(text).not.toContain(Buffer.from(apiKey).toString('base64'));
      expect(other.objects.filter((o: any) => o.kind === 'Secret')).toEqual([]);
      const env = other.resource.spec.env.find((e: any) => e.name === 'HONEYCOMB_API_KEY');
      expect(env.valueFrom.secretKeyRef).toEqual({ name: 'hc', key: 'key' });
    });
  });

  describe('7. the pod', () => {
    test('/var/log/pods read-only from the host', () => {
      const mount = spec.volumeMounts.find((m: any) => m.mountPath === '/var/log/pods');
      expect(mount.readOnly).toBe(true);
      expect(spec.volumes.find((v: any) => v.name === mount.name).hostPath).toEqual({ path: '/var/log/pods', type: 'Directory' });
    });

    test('root without privileges: read-only root fs, no escalation, every capability dropped, none added', () => {
      const sc = spec.securityContext;
      expect(sc).toMatchObject({ runAsUser: 0, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, privileged: false });
      expect(sc.capabilities).toEqual({ drop: ['ALL'] });
      expect(spec.podSecurityContext?.privileged).toBeUndefined();
      expect(spec.hostNetwork).toBeUndefined();
      expect(spec.hostPid).toBeUndefined();
      const source = fs.readFileSync(path.resolve(__dirname, '../lib/otel/falco-collector.ts'), 'utf8');
      expect(source).toMatch(/\/\/ Root, because/); // the why is written next to it
    });

    test('requests and limits for CPU and memory; memory_limiter below the limit', () => {
      const { requests, limits } = spec.resources;
      expect(millicores(requests.cpu)).toBeLessThanOrEqual(millicores(limits.cpu));
      expect(mebibytes(requests.memory)).toBeLessThanOrEqual(mebibytes(limits.memory));
      const limiter = config.processors.memory_limiter;
      expect(limiter.limit_mib).toBeLessThan(mebibytes(limits.memory));
      expect(limiter.spike_limit_mib).toBeGreaterThan(0);
      expect(limiter.spike_limit_mib).toBeLessThan(limiter.limit_mib);
    });

    test('memoryLimitMib moves the limit and memory_limiter together', () => {
      const other = addCollector(falco, { memoryLimitMib: 512 }).resource.spec;
      expect(other.resources.limits.memory).toBe('512Mi');
      expect(other.config.processors.memory_limiter.limit_mib).toBe(409);
      const small = addCollector(falco, { memoryLimitMib: 64 }).resource.spec;
      expect(mebibytes(small.resources.requests.memory)).toBeLessThanOrEqual(64);
      expect(small.config.processors.memory_limiter.limit_mib).toBeLessThan(64);
    });

    test('the Falco DaemonSet\'s tolerations', () => {
      expect(spec.tolerations).toEqual(falcoDaemonSet.spec.template.spec.tolerations);
      expect(spec.tolerations.length).toBeGreaterThan(0);
    });
  });

  describe('validation', () => {
    test.each([
      [{ clusterName: ' ' }, /clusterName is empty/],
      [{ endpoint: 'https://api.honeycomb.io' }, /is not host:port/],
      [{ region: 'ap' as any }, /region "ap" is unknown/],
      [{ dataset: '' }, /dataset is empty/],
      [{ memoryLimitMib: 32 }, /at least 64/],
      [{ hostStorageDirectory: 'var/lib/x' }, /not an absolute path/],
      [{ name: 'Falco_Collector' }, /not a DNS label/],
    ])('rejects %j', (props, message) => {
      expect(() => addCollector(falco, props)).toThrow(message);
    });
  });
});

describe('FalcoCollector on a Falco of another namespace and release, with an extra toleration', () => {
  const extra = { key: 'dedicated', operator: 'Equal' as const, value: 'security', effect: 'NoSchedule' as const };
  const built = buildCollector({ namespace: 'security', releaseName: 'falco-prod', tolerations: [extra] });
  const spec = built.resource.spec;

  test('the glob follows the namespace and the DaemonSet', () => {
    expect(built.falco.daemonSet.name).toBe('falco-prod');
    expect(spec.config.receivers.file_log.include).toEqual(['/var/log/pods/security_falco-prod-?????_*/falco/*.log', '/var/log/pods/security_falco-prod-?????_*/falco/*.log.*']);
    expect(minimatch(`/var/log/pods/security_falco-prod-k2x7p_${UID}/falco/0.log`, built.collector.logGlob, { dot: true })).toBe(true);
    expect(minimatch(`/var/log/pods/falco_falco-k2x7p_${UID}/falco/0.log`, built.collector.logGlob, { dot: true })).toBe(false);
  });

  test('the extra toleration reaches the collector', () => {
    expect(spec.tolerations).toContainEqual(extra);
    const falcoDaemonSet = findOne(Testing.synth(built.falco.node.scope as Chart), 'DaemonSet');
    expect(spec.tolerations).toEqual(falcoDaemonSet.spec.template.spec.tolerations);
  });
});

describe('FalcoCollector in the app (main.ts wiring from the config)', () => {
  test('defaults: operator namespace, the operator\'s default image, us endpoint', () => {
    const stack = synthStack();
    const resource = findOne(stack.objects, 'OpenTelemetryCollector');
    expect(resource.metadata.namespace).toBe(stack.operator.namespace);
    expect(resource.spec.image).toBe(stack.operator.collectorImage);
    expect(resource.spec.config.exporters.otlp_grpc.endpoint).toBe('api.honeycomb.io:443');
  });

  test('honeycomb.region eu, dataset, cluster name and namespace from the config', () => {
    const stack = synthStack(testConfig({
      cluster: { name: 'prod-eu' }, otel: { namespace: 'observability' }, honeycomb: { region: 'eu', dataset: 'security' },
    }));
    const resource = findOne(stack.objects, 'OpenTelemetryCollector');
    const config = resource.spec.config;
    expect(resource.metadata.namespace).toBe('observability');
    expect(config.exporters.otlp_grpc.endpoint).toBe('api.eu1.honeycomb.io:443');
    expect(config.processors.resource.attributes).toContainEqual({ key: 'service.name', value: 'security', action: 'upsert' });
    expect(config.processors.resource.attributes).toContainEqual({ key: 'k8s.cluster.name', value: 'prod-eu', action: 'upsert' });
  });

  test('honeycomb.endpoint overrides the region', () => {
    const stack = synthStack(testConfig({ honeycomb: { region: 'eu', endpoint: 'refinery.internal:4317' } }));
    expect(findOne(stack.objects, 'OpenTelemetryCollector').spec.config.exporters.otlp_grpc.endpoint).toBe('refinery.internal:4317');
  });
});

describe('FalcoCollector\'s open API', () => {
  const secret = { namespace: 'telemetry', secretName: 'hc', secretKey: 'key' };

  test('takes any Falco log source and Secret key, not only the constructs of this library', () => {
    const chart = new Chart(Testing.app(), 'own-falco');
    const falco = { namespace: 'security', daemonSetName: 'falco-node', containerName: 'falco', tolerations: [{ operator: 'Exists' as const }] };
    new FalcoCollector(chart, 'collector', { falco, secret, clusterName: 'c' });
    const resource = findOne(Testing.synth(chart), 'OpenTelemetryCollector');
    expect(resource.metadata.namespace).toBe('telemetry');
    expect(resource.spec.config.receivers.file_log.include[0]).toBe('/var/log/pods/security_falco-node-?????_*/falco/*.log');
    expect(resource.spec.tolerations).toEqual([{ operator: 'Exists' }]);
    expect(resource.spec.env.find((e: any) => e.name === 'HONEYCOMB_API_KEY').valueFrom.secretKeyRef).toEqual({ name: 'hc', key: 'key' });
  });

  test('addProcessor adds to the logs pipeline, after the built-in processors, checked against otelcol-k8s', () => {
    const chart = new Chart(Testing.app(), 'processors');
    const falco = { namespace: 'falco', daemonSetName: 'falco', containerName: 'falco', tolerations: [] };
    const collector = new FalcoCollector(chart, 'collector', { falco, secret, clusterName: 'c' });
    // Added after construction: the config is produced at synth time.
    collector.addProcessor('filter/noisy', { logs: { log_record: ['attributes["falco"]["rule"] == "Read sensitive file untrusted"'] } });
    collector.addProcessor('redaction');
    const config = findOne(Testing.synth(chart), 'OpenTelemetryCollector').spec.config;
    expect(config.service.pipelines.logs.processors).toEqual(['memory_limiter', 'resource', 'filter/noisy', 'redaction']);
    expect(config.processors['filter/noisy']).toEqual({ logs: { log_record: ['attributes["falco"]["rule"] == "Read sensitive file untrusted"'] } });
    expect(() => collector.addProcessor('batch2')).toThrow('FalcoCollector.addProcessor("batch2"): batch2 is not a processor of otelcol-k8s 0.159.0 (lib/otel/otelcol-k8s-components.ts lists them)');
    expect(() => collector.addProcessor('k8sattributes')).toThrow(/k8sattributes is a deprecated alias that logs a warning at every start; use k8s_attributes/);
    expect(() => collector.addProcessor('redaction')).toThrow(/is in the pipeline already/);
    expect(() => collector.addProcessor('Bad Id')).toThrow(/is not a component ID/);
  });

  test('with namespaceScope, the namespace allows the host mounts (privileged), saying why; the CR carries its linter exceptions', () => {
    const chart = new Chart(Testing.app(), 'psa');
    const falco = { namespace: 'falco', daemonSetName: 'falco', containerName: 'falco', tolerations: [] };
    new FalcoCollector(chart, 'collector', { falco, secret, clusterName: 'c', namespaceScope: chart });
    const objects = Testing.synth(chart);
    const namespace = findOne(objects, 'Namespace', 'telemetry');
    expect(namespace.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('privileged');
    expect(namespace.metadata.annotations['falco-otel-honeycomb/pod-security-reason']).toMatch(/mounts host paths/);
    const annotations = findOne(objects, 'OpenTelemetryCollector').metadata.annotations;
    expect(annotations['kube-score/ignore'].split(',')).toEqual(expect.arrayContaining(['container-security-context-user-group-id', 'pod-networkpolicy']));
    expect(annotations['ignore-check.kube-linter.io/run-as-non-root']).toMatch(/uid 0 because the kubelet writes pod log files as root/);
  });

  test('the operator can make a collector, with its own collector image, whose pods its Namespace admits', () => {
    const chart = new Chart(Testing.app(), 'one-chart');
    const operator = new OtelOperator(chart, 'operator', { renderer: testRenderer(), collectorImageRepository: 'example.com/otelcol-k8s' });
    const falco = { namespace: 'falco', daemonSetName: 'falco', containerName: 'falco', tolerations: [] };
    const collector = operator.addFalcoCollector('collector', { falco, secret: { ...secret, namespace: operator.namespace }, clusterName: 'c' });
    expect(collector.node.scope).toBe(operator);
    const objects = Testing.synth(chart);
    expect(findOne(objects, 'OpenTelemetryCollector').spec.image).toBe('example.com/otelcol-k8s:0.158.0');
    // The collector's host mounts need privileged; restricted (the operator's own level) would refuse its pods.
    expect(findOne(objects, 'Namespace', operator.namespace).metadata.labels['pod-security.kubernetes.io/enforce']).toBe('privileged');
  });

  test('a dataset is written so that the collector keeps it as it is: each $ doubled', () => {
    const falco = { namespace: 'falco', daemonSetName: 'falco', containerName: 'falco', tolerations: [] };
    const chart = new Chart(Testing.app(), 'd');
    new FalcoCollector(chart, 'c', { falco, secret, clusterName: 'c', dataset: 'alerts $prod $$eu' });
    const attributes = findOne(Testing.synth(chart), 'OpenTelemetryCollector').spec.config.processors.resource.attributes;
    expect(attributes.find((a: any) => a.key === 'service.name').value).toBe('alerts $$prod $$$$eu');
  });

  test('a dataset the collector would expand is refused', () => {
    const falco = { namespace: 'falco', daemonSetName: 'falco', containerName: 'falco', tolerations: [] };
    expect(() => new FalcoCollector(new Chart(Testing.app(), 'd'), 'c', { falco, secret, clusterName: 'c', dataset: '${env:HONEYCOMB_API_KEY}' }))
      .toThrow(/dataset "\$\{env:HONEYCOMB_API_KEY\}" is not a dataset name/);
  });
});
