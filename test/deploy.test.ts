// `npm run deploy` against a stub kubectl (test/deploy-stub.ts): there is no Kubernetes cluster
// here, so these tests check the order of the kubectl calls and the handling of failures that a
// real cluster would produce (a CRD slow to be established, a webhook refusing while it starts).
import * as fs from 'fs';
import * as path from 'path';
import { stringify } from 'yaml';
import { run } from '../deploy/deploy-command';
import { DeployError, deploy, DeployOptions } from '../deploy/deploy';
import { parseDuration } from '../deploy/duration';
import { OUTPUT_RECORD, outputDigest, readOutputRecord } from '../synth/output-folder';
import { writeSecrets as writeSynthSecrets } from '../synth/secrets-folder';
import { installStub, newScenario, recordedCalls, removeScratch, scratch, StubCall } from './support/deploy-stub';

const WAVE = 'argocd.argoproj.io/sync-wave';
const meta = (name: string, wave: number, namespace?: string) => ({ name, ...(namespace ? { namespace } : {}), annotations: { [WAVE]: String(wave) } });
const webhooks = (prefix: string) => [{ name: `${prefix}.kb.io`, clientConfig: { service: { name: 'opentelemetry-operator-webhook', namespace: 'otel' } } }];

/** The shape of a synthesized dist/, one object per kind that deploy treats differently. */
const FILES: Record<string, object[]> = {
  '0000-namespaces-crds.k8s.yaml': [
    { apiVersion: 'v1', kind: 'Namespace', metadata: meta('otel', 0) },
    { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: meta('opentelemetrycollectors.opentelemetry.io', 0) },
    { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: meta('instrumentations.opentelemetry.io', 0) },
    { apiVersion: 'v1', kind: 'Namespace', metadata: meta('falco', 0) },
  ],
  '0001-otel-operator.k8s.yaml': [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('opentelemetry-operator', 1, 'otel') },
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta('opentelemetry-operator', 1, 'otel') },
    { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata: meta('opentelemetry-operator-mutation', 1), webhooks: webhooks('m') },
    { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: meta('opentelemetry-operator-validation', 1), webhooks: webhooks('v') },
    { apiVersion: 'batch/v1', kind: 'Job', metadata: meta('webhook-cert-create', 1, 'otel') },
    { apiVersion: 'batch/v1', kind: 'Job', metadata: meta('webhook-cert-patch', 1, 'otel') },
  ],
  '0002-falco.k8s.yaml': [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('falco', 2, 'falco') },
    { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: meta('falco', 2, 'falco') },
  ],
  '0003-collector.k8s.yaml': [{
    apiVersion: 'opentelemetry.io/v1beta1', kind: 'OpenTelemetryCollector', metadata: meta('falco', 3, 'otel'),
    spec: { mode: 'daemonset', env: [{ name: 'HONEYCOMB_API_KEY', valueFrom: { secretKeyRef: { name: 'honeycomb', key: 'api-key' } } }] },
  }],
  '0004-demo.k8s.yaml': [{ apiVersion: 'v1', kind: 'Pod', metadata: meta('nginx', 4, 'demo') }],
};

const SECRET = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'honeycomb', namespace: 'otel' }, data: { 'api-key': 'c2VjcmV0LWtleS12YWx1ZQ==' } };

/** A synthesized output of cluster `cluster`: the files, and the record synth writes beside them. */
function writeDist(files: Record<string, object[]> = FILES, cluster = 'stub'): string {
  const dir = scratch('dist-');
  for (const [name, objects] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), objects.map((o) => stringify(o)).join('---\n'));
  const digests = Object.fromEntries(Object.keys(files).sort().map((f) => [f, 'x']));
  fs.writeFileSync(path.join(dir, OUTPUT_RECORD), `${JSON.stringify({ tool: 'falco-otel-honeycomb', cluster, files: digests, folders: [] }, null, 1)}\n`);
  return dir;
}

/** The secrets folder synth writes for the output `dist`: `<root>/<cluster>/` with its record. */
function writeSecrets(dist: string = writeDist()): { root: string; dist: string } {
  const root = scratch('secrets-');
  writeSynthSecrets(root, readOutputRecord(dist)!.cluster!, [SECRET as any], outputDigest(dist)!, 'otel');
  return { root, dist };
}

const stubBin = installStub();
afterAll(removeScratch);
const noSecrets = path.join(scratch('nothing-'), 'secrets');

/** Deploys `dir` against the stub with `scenario`; resolves with the calls made and the log. */
async function deployWith(scenario: Record<string, string | number>, options: Partial<DeployOptions> = {}) {
  const state = newScenario(scenario);
  const lines: string[] = [];
  const result = deploy({
    dir: writeDist(),
    secretsDir: noSecrets,
    backoffMs: 1,
    env: { ...process.env, PATH: `${stubBin}${path.delimiter}${process.env.PATH}`, KUBECTL_STUB_DIR: state },
    log: (l) => lines.push(l),
    ...options,
  });
  const outcome = await result.then((report) => ({ report, error: undefined }), (error) => ({ report: undefined, error }));
  return { ...outcome, calls: recordedCalls(state), log: lines.join('\n') };
}

/** One short line per call: `apply Kind/name ...` or the argv. */
const summary = (calls: StubCall[]): string[] => calls.map((c) => (c.applied ? `apply ${c.applied.join(' ')}` : c.args.join(' ')));
const indexOf = (calls: StubCall[], pattern: RegExp): number => summary(calls).findIndex((s) => pattern.test(s));
const count = (calls: StubCall[], pattern: RegExp): number => summary(calls).filter((s) => pattern.test(s)).length;

describe('npm run deploy (stub kubectl, no cluster)', () => {
  test('applies wave by wave and waits between: CRDs, cert Jobs, operator, Falco, Secret, collector', async () => {
    const { root, dist } = writeSecrets();
    const { error, calls, report, log } = await deployWith({}, { dir: dist, secretsDir: root });
    expect(error).toBeUndefined();
    // Without --context, the current context is read once and pinned for every later call.
    expect(calls[0]).toEqual({ args: ['config', 'current-context'], context: undefined, applied: undefined });
    expect(calls.slice(1).filter((c) => c.context !== 'stub-context')).toEqual([]);
    expect(log).toContain('secrets: 1 object from');
    expect(log).not.toContain(SECRET.data['api-key']); // the Secret goes to kubectl, never to the output
    expect(summary(calls)).toEqual([
      'config current-context',
      'apply Namespace/otel CustomResourceDefinition/opentelemetrycollectors.opentelemetry.io CustomResourceDefinition/instrumentations.opentelemetry.io Namespace/falco',
      'wait --for=condition=established --timeout=300s crd/opentelemetrycollectors.opentelemetry.io crd/instrumentations.opentelemetry.io',
      'apply ServiceAccount/opentelemetry-operator Deployment/opentelemetry-operator MutatingWebhookConfiguration/opentelemetry-operator-mutation ValidatingWebhookConfiguration/opentelemetry-operator-validation Job/webhook-cert-create Job/webhook-cert-patch',
      'wait --for=condition=complete --timeout=300s -n otel job/webhook-cert-create job/webhook-cert-patch',
      'rollout status deployment/opentelemetry-operator -n otel --timeout=300s',
      'apply ConfigMap/falco DaemonSet/falco',
      'rollout status daemonset/falco -n falco --timeout=300s',
      'apply Secret/honeycomb',
      'apply OpenTelemetryCollector/falco',
      'get daemonset falco-collector -n otel --ignore-not-found -o name',
      'rollout status daemonset/falco-collector -n otel --timeout=300s',
      'apply Pod/nginx',
      'wait --for=condition=Ready --timeout=300s -n demo pod/nginx',
      // the final report
      'get deployment opentelemetry-operator -n otel -o jsonpath={.status.readyReplicas}/{.status.replicas} replicas',
      'get daemonset falco -n falco -o jsonpath={.status.numberReady}/{.status.desiredNumberScheduled} pods',
      'get daemonset falco-collector -n otel -o jsonpath={.status.numberReady}/{.status.desiredNumberScheduled} pods',
    ]);
    // Every apply is server-side, with our own field manager (the cert Jobs' caBundle patches stay theirs).
    for (const c of calls.filter((x) => x.applied)) {
      expect(c.args).toEqual(['apply', '--server-side', '--force-conflicts', '--field-manager=falco-otel-deploy', '-f', '-']);
    }
    expect(report!.rollouts.map((r) => r.workload)).toEqual(['deployment otel/opentelemetry-operator', 'daemonset falco/falco', 'daemonset otel/falco-collector']);
  });

  // One plain run (a context, no secrets folder), compared against by the tests below.
  let baseline: Awaited<ReturnType<typeof deployWith>>;
  beforeAll(async () => {
    baseline = await deployWith({}, { context: 'kind-prod' });
  });

  test('passes --context to every kubectl call, and then does not ask for the current context', () => {
    expect(baseline.error).toBeUndefined();
    expect(baseline.calls.length).toBeGreaterThan(10);
    expect(baseline.calls.filter((c) => c.context !== 'kind-prod')).toEqual([]);
    expect(count(baseline.calls, /current-context/)).toBe(0);
  });

  test('without a secrets folder there is no Secret stage', () => {
    expect(count(baseline.calls, /Secret\//)).toBe(0);
    expect(baseline.log).toContain("(no Secrets written by synth for cluster stub in ");
  });

  test('re-running gives the same call sequence', async () => {
    const again = await deployWith({}, { context: 'kind-prod' });
    expect(again.error).toBeUndefined();
    expect(summary(again.calls)).toEqual(summary(baseline.calls));
  });

  test('stages by the sync-wave annotation, not by file names or order', async () => {
    const shuffled = { 'all.yaml': Object.values(FILES).flat().reverse() };
    const fromOneFile = await deployWith({}, { context: 'kind-prod', dir: writeDist(shuffled) });
    // The same calls in the same order; only the order of objects inside a call follows the file.
    const unordered = (s: string[]) => s.map((line) => line.split(' ').sort().join(' '));
    expect(unordered(summary(fromOneFile.calls))).toEqual(unordered(summary(baseline.calls)));
  });

  test('a CRD slow to be established: the wait is retried within its bound', async () => {
    const { error, calls } = await deployWith({ CRD_WAIT_FAILS: 2 });
    expect(error).toBeUndefined();
    expect(count(calls, /condition=established/)).toBe(3);
    // The operator is applied only after the third wait succeeded.
    const lastWait = summary(calls).map((s, i) => [s, i] as const).filter(([s]) => /established/.test(s)).pop()![1];
    expect(indexOf(calls, /^apply .*Deployment\//)).toBe(lastWait + 1);
  });

  test('a CRD that never gets established: fails naming wave 0 and the CRD to describe, applies nothing more', async () => {
    const { error, calls } = await deployWith({ CRD_WAIT_FAILS: 'always' }, { timeoutMs: 150 });
    expect(error).toBeInstanceOf(DeployError);
    expect(error.stage).toMatch(/^wave 0: 2 Namespaces, 2 CRDs$/);
    expect(error.message).toContain('wait for 2 CRDs to be established');
    expect(error.message).toContain('timed out waiting for the condition');
    expect(error.message).toContain('kubectl --context stub-context describe crd/opentelemetrycollectors.opentelemetry.io');
    expect(count(calls, /^apply/)).toBe(1);
    expect(count(calls, /established/)).toBeGreaterThan(1);
  });

  test('a webhook that refuses twice: the collector is applied on the third attempt', async () => {
    const { error, calls } = await deployWith({ WEBHOOK_REFUSALS: 2 });
    expect(error).toBeUndefined();
    expect(count(calls, /^apply OpenTelemetryCollector/)).toBe(3);
    expect(indexOf(calls, /rollout status daemonset\/falco-collector/)).toBeGreaterThan(indexOf(calls, /^apply OpenTelemetryCollector/));
  });

  test('a webhook that always refuses: bounded attempts, then a failure naming the collector stage and the operator logs', async () => {
    const { error, calls } = await deployWith({ WEBHOOK_REFUSALS: 'always' }, { context: 'kind-prod' });
    expect(error).toBeInstanceOf(DeployError);
    expect(count(calls, /^apply OpenTelemetryCollector/)).toBe(6);
    expect(error.stage).toBe('wave 3: OpenTelemetryCollector otel/falco');
    expect(error.message).toContain('(6 attempts) failed');
    expect(error.message).toContain('failed calling webhook');
    expect(error.message).toContain('kubectl --context kind-prod -n otel logs deployment/opentelemetry-operator');
    expect(error.message).toContain('kubectl --context kind-prod get mutatingwebhookconfiguration/opentelemetry-operator-mutation -o yaml');
    expect(count(calls, /falco-collector/)).toBe(0);
  });

  test('polls until the operator has created the collector DaemonSet', async () => {
    const { error, calls } = await deployWith({ COLLECTOR_DS_MISSING: 2 });
    expect(error).toBeUndefined();
    expect(count(calls, /--ignore-not-found/)).toBe(3);
  });

  test('a collector DaemonSet that never appears: fails after the bound, pointing at the operator', async () => {
    const { error } = await deployWith({ COLLECTOR_DS_MISSING: 1000 }, { timeoutMs: 100 });
    expect(error).toBeInstanceOf(DeployError);
    expect(error.message).toContain('wait for opentelemetrycollector/falco to create daemonset otel/falco-collector');
    expect(error.message).toContain('kubectl --context stub-context -n otel describe opentelemetrycollector/falco');
    expect(error.message).toContain('kubectl --context stub-context -n otel logs deployment/opentelemetry-operator');
  });

  test('an unreachable API server fails at once, without retries, pointing at the context', async () => {
    const { error, calls } = await deployWith({ UNREACHABLE: 1 }, { context: 'gone' });
    expect(error).toBeInstanceOf(DeployError);
    expect(calls).toHaveLength(1);
    expect(error.message).toContain('kubectl --context gone cluster-info');
  });

  test('refuses a dist/ holding one folder per cluster, naming the folder to pass', async () => {
    const root = scratch('clusters-');
    fs.mkdirSync(path.join(root, 'eu'));
    fs.writeFileSync(path.join(root, 'eu', '0002-falco.k8s.yaml'), stringify(FILES['0002-falco.k8s.yaml'][0]));
    const { error, calls } = await deployWith({}, { dir: root });
    expect(error.message).toContain(`holds one folder per cluster (eu): pass --dir ${path.join(root, 'eu')}`);
    expect(calls).toEqual([]);
  });

  test('refuses objects without a sync wave before calling kubectl', async () => {
    const { error, calls } = await deployWith({}, { dir: writeDist({ 'x.yaml': [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'y' } }] }) });
    expect(error.message).toMatch(/ConfigMap y\/x in .*x\.yaml has no argocd\.argoproj\.io\/sync-wave annotation/);
    expect(calls).toEqual([]);
  });
});

describe('scripts/deploy.ts', () => {
  const env = (scenario: Record<string, string | number>) => ({
    ...process.env, PATH: `${stubBin}${path.delimiter}${process.env.PATH}`, KUBECTL_STUB_DIR: newScenario(scenario), DEPLOY_BACKOFF_MS: '1',
  });

  test('exits 0 on success and 1 with the stage-named message on failure', async () => {
    const out: string[] = [];
    const { root, dist: dir } = writeSecrets();
    expect(await run(['--dir', dir, '--secrets', root], env({}), (l) => out.push(l), (l) => out.push(l))).toBe(0);
    expect(out.join('\n')).toContain('daemonset otel/falco-collector: 2/2 pods ready');
    const errors: string[] = [];
    expect(await run(['--dir', dir, '--context', 'c1', '--timeout', '1m'], env({ WEBHOOK_REFUSALS: 'always' }), () => undefined, (l) => errors.push(String(l)))).toBe(1);
    expect(errors.join('\n')).toMatch(/^deploy failed in stage "wave 3: OpenTelemetryCollector otel\/falco"/);
  });

  test('--help prints the usage and exits 0; usage errors exit 2; a bad duration exits 1, one line each', async () => {
    const out: string[] = [];
    expect(await run(['--help'], env({}), (l) => out.push(l), (l) => out.push(l))).toBe(0);
    expect(out.join('\n')).toMatch(/^usage: npm run deploy -- /);
    const errors: string[] = [];
    const quiet = () => undefined;
    expect(await run(['--bogus'], env({}), quiet, (l) => errors.push(l))).toBe(2);
    expect(await run(['--timeout', 'soon', '--dir', writeDist()], env({}), quiet, (l) => errors.push(l))).toBe(1);
    expect(errors[0]).toMatch(/^deploy failed: Unknown option '--bogus'; expected the options below\nusage: /);
    expect(errors[1]).toBe('deploy failed: --timeout "soon": is not a duration; expected a duration such as 300s, 5m or 1m30s');
  });

  test('--timeout reads durations as kubectl writes them; a bare number is seconds', () => {
    expect(['300', '300s', '5m', '1m30s', '500ms'].map(parseDuration)).toEqual([300_000, 300_000, 300_000, 90_000, 500]);
    for (const bad of ['0', '5x', 'm5', '']) expect(() => parseDuration(bad)).toThrow(/duration/);
  });
});

describe('Secrets: only what the last synth of this output wrote for its cluster', () => {
  const apply = (calls: StubCall[]) => summary(calls).filter((s) => s.includes('Secret/'));

  test('the recorded Secret of the cluster is applied, once, before the collector', async () => {
    const { root, dist } = writeSecrets();
    const { error, calls } = await deployWith({}, { dir: dist, secretsDir: root });
    expect(error).toBeUndefined();
    expect(apply(calls)).toEqual(['apply Secret/honeycomb']);
  });

  test('another cluster\'s output gets none of them: its own folder is looked up, not the flat one', async () => {
    const { root } = writeSecrets();
    const other = writeDist(FILES, 'prod-eu');
    const { error, calls, log } = await deployWith({}, { dir: other, secretsDir: root });
    expect(error).toBeUndefined();
    expect(apply(calls)).toEqual([]);
    expect(log).toContain('no Secrets written by synth for cluster prod-eu');
  });

  test('Secrets of an earlier synth of the cluster (the output changed since) are refused', async () => {
    const { root, dist } = writeSecrets();
    fs.appendFileSync(path.join(dist, OUTPUT_RECORD), ' ');
    const { error, calls } = await deployWith({}, { dir: dist, secretsDir: root });
    expect(error.message).toContain('its Secrets belong to another synth of stub than the output being deployed');
    expect(calls).toEqual([]);
  });

  test('a file synth did not write (a ClusterRoleBinding dropped in) is refused, and nothing is applied', async () => {
    const { root, dist } = writeSecrets();
    const crb = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'pwn' }, roleRef: { kind: 'ClusterRole', name: 'cluster-admin' } };
    fs.writeFileSync(path.join(root, 'stub', 'extra.yaml'), stringify(crb));
    const { error, calls } = await deployWith({}, { dir: dist, secretsDir: root });
    expect(error.message).toMatch(/extra\.yaml: was not written by synth; expected only the Secret manifests synth writes/);
    expect(calls).toEqual([]);
  });

  test('a Secret manifest edited since synth (another kind, another namespace) is refused', async () => {
    const { root, dist } = writeSecrets();
    const file = path.join(root, 'stub', 'otel-honeycomb.yaml');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('namespace: otel', 'namespace: kube-system'));
    const { error, calls } = await deployWith({}, { dir: dist, secretsDir: root });
    expect(error.message).toContain('otel-honeycomb.yaml: changed since synth wrote it');
    expect(calls).toEqual([]);
  });
});

describe('every kubectl call is bounded by --timeout', () => {
  // Concurrent: each waits out its bound, and the stub's scenarios are separate folders.
  test.concurrent.each(['config', 'apply', 'rollout', 'get'])('a kubectl that hangs on %s is stopped, and deploy fails saying so', async (hang) => {
    const started = Date.now();
    const { error } = await deployWith({ HANG: hang }, { timeoutMs: 500, ...(hang === 'config' ? {} : { context: 'kind-prod' }) });
    expect(error).toBeInstanceOf(DeployError);
    expect(error.message).toMatch(/kubectl did not answer within \d+ s and was stopped/);
    // A wait gets its --timeout plus a grace (here 1 s); every other call the bound itself.
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
