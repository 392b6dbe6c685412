// What the real opentelemetry-operator makes of our OpenTelemetryCollector: a DaemonSet, a ConfigMap
// and a ServiceAccount, checked fact by fact against the CR we synthesized (so the assertions follow
// the CR as it changes: args, health_check, env, mounts).
// The operator built here is the newest release the module proxy serves (OPERATOR_VERSION), not the
// 0.158.0 our chart pins: see README, "Against a real control plane".
import * as fs from 'fs';
import * as path from 'path';
import YAML from 'yaml';
import { applyInOrder } from './apply';
import { ControlPlane, startControlPlane, removeTempDirs, tempDir } from './control-plane';
import { kubeLinterAnnotationProblems, kubeScore } from './lint';
import { OPERATOR_VERSION, RunningOperator, startOperator } from './operator';
import { configWith, readObjects, synthWithCli } from './variants';

let cp: ControlPlane;
let operator: RunningOperator | undefined;
let cr: any;
let daemonSet: any;
let container: any;

async function waitFor<T>(what: string, get: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what} did not appear in ${timeoutMs / 1000} s; operator log:\n${operator?.log().slice(-6000)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

beforeAll(async () => {
  // Webhook admission off: the operator runs without its webhooks (see ControlPlaneOptions).
  cp = await startControlPlane({ admissionWebhooks: false });
  const objects = readObjects((await synthWithCli({ default: configWith({}) })).dirs[0]);
  await applyInOrder(cp, objects);
  cr = objects.find((o) => o.kind === 'OpenTelemetryCollector');
  operator = await startOperator(cp, objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'opentelemetry-operator'));
  const ns = cr.metadata.namespace;
  daemonSet = await waitFor(`DaemonSet ${ns}/${cr.metadata.name}-collector`, () => cp.get('daemonset', `${cr.metadata.name}-collector`, ns));
  container = daemonSet.spec.template.spec.containers.find((c: any) => c.name === 'otc-container');
}, 10 * 60 * 1000);

afterAll(async () => {
  removeTempDirs();
  await operator?.stop();
  await cp?.stop();
});

test(`the operator (${OPERATOR_VERSION}) reconciles the collector into a DaemonSet, a ServiceAccount and a ConfigMap`, async () => {
  expect(daemonSet.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'OpenTelemetryCollector', name: cr.metadata.name, controller: true })]);
  expect(container).toBeDefined();
  const sa = await cp.get('serviceaccount', daemonSet.spec.template.spec.serviceAccountName, cr.metadata.namespace);
  expect(sa?.metadata.ownerReferences?.[0]).toEqual(expect.objectContaining({ kind: 'OpenTelemetryCollector', name: cr.metadata.name }));
});

test('image, security context and tolerations are the CR\'s', () => {
  expect(container.image).toBe(cr.spec.image);
  expect(container.securityContext).toEqual(cr.spec.securityContext);
  expect(daemonSet.spec.template.spec.tolerations).toEqual(cr.spec.tolerations);
  if (cr.spec.podSecurityContext) expect(daemonSet.spec.template.spec.securityContext).toEqual(cr.spec.podSecurityContext);
  expect(container.resources).toEqual(cr.spec.resources);
});

test('host mounts: the CR\'s hostPath volumes and mounts, read-only where the CR says so', () => {
  const podVolumes = daemonSet.spec.template.spec.volumes;
  for (const v of cr.spec.volumes) expect(podVolumes).toContainEqual(v);
  for (const m of cr.spec.volumeMounts) expect(container.volumeMounts).toContainEqual(m);
  const hostPaths = podVolumes.filter((v: any) => v.hostPath).map((v: any) => v.hostPath);
  // Exactly the CR's host paths: the operator adds none of its own.
  expect(hostPaths).toEqual(cr.spec.volumes.filter((v: any) => v.hostPath).map((v: any) => v.hostPath));
  const logs = container.volumeMounts.find((m: any) => m.mountPath === '/var/log/pods');
  expect(logs?.readOnly).toBe(true);
});

test('env: the CR\'s variables, the API key from the Secret (never a literal)', () => {
  // toMatchObject: the apiserver defaults fieldRef.apiVersion to v1.
  for (const e of cr.spec.env) expect(container.env.find((c: any) => c.name === e.name)).toMatchObject(e);
  const key = container.env.find((e: any) => e.name === 'HONEYCOMB_API_KEY');
  expect(key.value).toBeUndefined();
  expect(key.valueFrom.secretKeyRef).toEqual({ name: 'honeycomb', key: 'api-key' });
  expect(YAML.stringify(daemonSet)).not.toMatch(/x-honeycomb-team: (?!\$\{env:HONEYCOMB_API_KEY\})/);
});

/** Container args: the config file, then every spec.args entry as --key=value, sorted. */
function expectArgs(cr: any, container: any): void {
  const specArgs: Record<string, string> = cr.spec.args ?? {};
  const expected = Object.entries(specArgs).filter(([k]) => k !== 'config').map(([k, v]) => `--${k}=${v}`).sort();
  expect(container.args[0]).toMatch(/^--config=\/conf\/collector\.yaml$/);
  expect(container.args.slice(1)).toEqual(expected);
}

test('args: the config file, then every spec.args entry as --key=value (feature gates included)', () => {
  if (!Object.keys(cr.spec.args ?? {}).length) process.stderr.write('note: the CR has no spec.args (no feature gates set)\n');
  expectArgs(cr, container);
});

/** The health_check extension the collector's service enables, if any. */
function healthCheck(config: any): { name: string; port: number; path: string } | undefined {
  const name = (config.service?.extensions ?? []).find((e: string) => /^health_check(\/|$)/.test(e));
  if (!name) return undefined;
  const ext = config.extensions?.[name] ?? {};
  const port = Number(String(ext.endpoint ?? '0.0.0.0:13133').split(':').pop());
  return { name, port, path: ext.path ?? '/' };
}

/** Liveness and readiness probes exist exactly when the config enables health_check, and point at it. */
function expectProbes(cr: any, container: any): void {
  const hc = healthCheck(cr.spec.config);
  if (!hc) {
    expect(container.livenessProbe).toBeUndefined();
    expect(container.readinessProbe).toBeUndefined();
    return;
  }
  for (const probe of [container.livenessProbe, container.readinessProbe]) {
    expect(probe?.httpGet).toEqual(expect.objectContaining({ port: hc.port, path: hc.path }));
  }
}

test('probes exist exactly when the config enables health_check, and point at it', () => {
  process.stderr.write(`note: health_check in the CR's config: ${JSON.stringify(healthCheck(cr.spec.config) ?? 'none')}\n`);
  expectProbes(cr, container);
});

test('the args and probe checks hold for a CR with spec.args and health_check too (what the collector work adds)', async () => {
  // A second collector, test-only, so the two checks above are seen to pass on both branches.
  const variant = structuredClone(cr);
  variant.metadata = { name: `${cr.metadata.name}-hc`, namespace: cr.metadata.namespace };
  variant.spec.args = { 'feature-gates': '-component.UseLocalHostAsDefaultHost', 'log-level': 'info' };
  variant.spec.config.extensions.health_check = { endpoint: '0.0.0.0:13134', path: '/health' };
  variant.spec.config.service.extensions = [...variant.spec.config.service.extensions, 'health_check'];
  await applyInOrder(cp, [variant]);
  const ds = await waitFor('DaemonSet of the health_check collector', () => cp.get('daemonset', `${variant.metadata.name}-collector`, variant.metadata.namespace));
  const c = ds.spec.template.spec.containers.find((x: any) => x.name === 'otc-container');
  expect(c.args).toEqual(['--config=/conf/collector.yaml', '--feature-gates=-component.UseLocalHostAsDefaultHost', '--log-level=info']);
  expectArgs(variant, c);
  expect(c.livenessProbe.httpGet).toEqual(expect.objectContaining({ port: 13134, path: '/health' }));
  expectProbes(variant, c);
});

test('the ConfigMap the pod mounts holds spec.config', async () => {
  const volume = daemonSet.spec.template.spec.volumes.find((v: any) => v.configMap);
  const cm = await cp.get('configmap', volume.configMap.name, cr.metadata.namespace);
  const mounted = YAML.parse(cm.data['collector.yaml']);
  expect(mounted).toEqual(cr.spec.config);
});

test('the pods both DaemonSets will create are admitted by their namespace\'s Pod Security labels (server dry-run)', async () => {
  const falco = await cp.get('daemonset', 'falco', 'falco');
  for (const ds of [falco, daemonSet]) {
    const ns = await cp.get('namespace', ds.metadata.namespace);
    const psa = Object.fromEntries(Object.entries(ns.metadata.labels ?? {}).filter(([k]) => k.startsWith('pod-security.kubernetes.io/')));
    process.stderr.write(`note: namespace ${ds.metadata.namespace} Pod Security labels: ${JSON.stringify(psa)}\n`);
    // The Pod a DaemonSet controller would create from the template.
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { generateName: `${ds.metadata.name}-`, namespace: ds.metadata.namespace, labels: ds.spec.template.metadata?.labels, annotations: ds.spec.template.metadata?.annotations },
      spec: ds.spec.template.spec,
    };
    const r = await cp.kubectl(['create', '--dry-run=server', '-o', 'name', '-f', '-'], JSON.stringify(pod));
    expect({ pod: ds.metadata.name, code: r.code, stderr: r.stderr }).toEqual({ pod: ds.metadata.name, code: 0, stderr: '' });
  }
});

test('kube-score on the DaemonSet the operator renders: no finding without an exception that gives its reason', async () => {
  // Linters do not read the OpenTelemetryCollector CR; the operator copies the CR's annotations onto
  // the DaemonSet, so exceptions written on the CR are seen here.
  const dir = tempDir('e2e-lint-collector-');
  const { status: _status, ...rendered } = daemonSet;
  fs.writeFileSync(path.join(dir, 'collector-daemonset.yaml'), YAML.stringify(rendered));
  const result = await kubeScore(dir);
  const unexplained = result.exceptions.filter((e) => !e.reason);
  if (result.findings.length || unexplained.length) {
    process.stderr.write(`${result.version}, the collector's DaemonSet as the operator renders it:\n${result.findings.map((f) => `${f.object}: ${f.check} (${f.grade})\n${f.messages.map((m) => `    ${m}`).join('\n')}`).join('\n')}\n`);
  }
  expect({ findings: result.findings.map((f) => `${f.object}: ${f.check}`), unexplained }).toEqual({ findings: [], unexplained: [] });
  expect(kubeLinterAnnotationProblems([daemonSet])).toEqual([]);
});
