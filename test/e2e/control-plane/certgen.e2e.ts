// The contract of the webhook cert Jobs (otel.webhookCerts: certgen) against a real apiserver: the
// Jobs' own arguments, run as their own ServiceAccount (so their RBAC is what is tested), with a
// stand-in for kube-webhook-certgen v1.6.9 (test/peers/kube/certgen says what it cannot show).
import { X509Certificate } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { applyInOrder, serverSideApply } from './apply';
import { ControlPlane, startControlPlane, removeTempDirs } from './control-plane';
import { JobRun, runJob } from './job-runner';
import { configWith, readObjects, synthWithCli } from './variants';

let cp: ControlPlane;
let objects: any[];
let work: string;
let certgenJob: any;
let crdJob: any;

const SECRET = 'opentelemetry-operator-controller-manager-service-cert';
const NAMESPACE = 'otel';
const CRD = 'opentelemetrycollectors.opentelemetry.io';

beforeAll(async () => {
  cp = await startControlPlane();
  const out = await synthWithCli({ default: configWith({}) });
  objects = readObjects(out.dirs[0]);
  // The collector waits for the operator's webhook, which nothing serves here; it plays no part in the certificates.
  await applyInOrder(cp, objects.filter((o) => o.kind !== 'OpenTelemetryCollector'));
  const jobs = objects.filter((o) => o.kind === 'Job');
  certgenJob = jobs.find((j) => j.metadata.name.startsWith('opentelemetry-operator-webhook-certgen-'));
  crdJob = jobs.find((j) => j.metadata.name.startsWith('opentelemetry-operator-webhook-crd-cabundle-'));
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-certgen-'));
});

afterAll(async () => {
  removeTempDirs();
  await cp?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

function expectSucceeded(run: JobRun): void {
  if (!run.started) throw new Error(`the pod did not start: ${run.reason}`);
  const failed = run.containers.find((c) => c.code !== 0);
  if (failed) throw new Error(`container ${failed.container} exited ${failed.code}:\n${failed.stdout}\n${failed.stderr}`);
  expect(run.succeeded).toBe(true);
}

const webhookConfigs = () => objects.filter((o) => /^(Mutating|Validating)WebhookConfiguration$/.test(o.kind));

/** resourceVersions of everything the Jobs write, to see that a second run changes nothing. */
async function versions(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  out[`secret/${SECRET}`] = (await cp.get('secret', SECRET, NAMESPACE))?.metadata.resourceVersion;
  for (const c of webhookConfigs()) out[`${c.kind}/${c.metadata.name}`] = (await cp.get(c.kind.toLowerCase(), c.metadata.name)).metadata.resourceVersion;
  out[`crd/${CRD}`] = (await cp.get('customresourcedefinition', CRD)).metadata.resourceVersion;
  return out;
}

test('there are exactly the two cert Jobs', () => {
  expect(objects.filter((o) => o.kind === 'Job').map((j) => j.metadata.name).sort()).toEqual([certgenJob?.metadata.name, crdJob?.metadata.name].sort());
});

test('before the Secret exists, the CRD Job\'s pod cannot start (it waits for the Secret)', async () => {
  const run = await runJob(cp, crdJob, path.join(work, 'crd-early'));
  expect(run).toEqual({ started: false, reason: `secret "${SECRET}" not found (the pod waits in ContainerCreating)` });
});

test('the certgen Job creates the Secret and sets the CA as caBundle on every webhook', async () => {
  expect(await cp.get('secret', SECRET, NAMESPACE)).toBeUndefined();
  expectSucceeded(await runJob(cp, certgenJob, path.join(work, 'certgen-1')));

  const secret = await cp.get('secret', SECRET, NAMESPACE);
  expect(Object.keys(secret.data).sort()).toEqual(['ca', 'tls.crt', 'tls.key']);
  const ca = new X509Certificate(Buffer.from(secret.data.ca, 'base64'));
  const cert = new X509Certificate(Buffer.from(secret.data['tls.crt'], 'base64'));
  expect(cert.checkIssued(ca)).toBe(true);
  expect(cert.verify(ca.publicKey)).toBe(true);
  // The webhook Service's DNS names, which the apiserver dials.
  for (const host of ['opentelemetry-operator-webhook', 'opentelemetry-operator-webhook.otel', 'opentelemetry-operator-webhook.otel.svc', 'opentelemetry-operator-webhook.otel.svc.cluster.local']) {
    expect(cert.checkHost(host)).toBe(host);
  }

  for (const c of webhookConfigs()) {
    const live = await cp.get(c.kind.toLowerCase(), c.metadata.name);
    expect(live.webhooks.length).toBe(c.webhooks.length);
    for (const w of live.webhooks) expect({ webhook: w.name, caBundle: w.clientConfig.caBundle }).toEqual({ webhook: w.name, caBundle: secret.data.ca });
  }
});

test('the CRD Job sets the CA as the conversion webhook\'s caBundle', async () => {
  expectSucceeded(await runJob(cp, crdJob, path.join(work, 'crd-1')));
  const secret = await cp.get('secret', SECRET, NAMESPACE);
  const crd = await cp.get('customresourcedefinition', CRD);
  expect(crd.spec.conversion.webhook.clientConfig.caBundle).toBe(secret.data.ca);
});

test('running both Jobs again changes nothing: the Secret is kept, no object is written', async () => {
  const before = await versions();
  const secretBefore = await cp.get('secret', SECRET, NAMESPACE);
  const again = await runJob(cp, certgenJob, path.join(work, 'certgen-2'));
  expectSucceeded(again);
  if (again.started) expect(again.containers[0].stdout).toContain('secret already exists');
  expectSucceeded(await runJob(cp, crdJob, path.join(work, 'crd-2')));
  expect(await versions()).toEqual(before);
  expect((await cp.get('secret', SECRET, NAMESPACE)).data).toEqual(secretBefore.data);
});

test('re-applying dist/ after the Jobs keeps every caBundle they set', async () => {
  const ca = (await cp.get('secret', SECRET, NAMESPACE)).data.ca;
  const r = await serverSideApply(cp, objects.filter((o) => o.kind !== 'OpenTelemetryCollector'));
  expect(r.code).toBe(0);
  for (const c of webhookConfigs()) {
    for (const w of (await cp.get(c.kind.toLowerCase(), c.metadata.name)).webhooks) expect(w.clientConfig.caBundle).toBe(ca);
  }
  expect((await cp.get('customresourcedefinition', CRD)).spec.conversion.webhook.clientConfig.caBundle).toBe(ca);
});

test('the Jobs\' ServiceAccount can do what they need and no more', async () => {
  const sa = `system:serviceaccount:${NAMESPACE}:${certgenJob.spec.template.spec.serviceAccountName}`;
  const can = async (...args: string[]) => (await cp.kubectl(['auth', 'can-i', `--as=${sa}`, ...args])).stdout.trim();
  expect(await can('get', `secret/${SECRET}`, '-n', NAMESPACE)).toBe('yes');
  expect(await can('get', 'secret/honeycomb', '-n', NAMESPACE)).toBe('no');
  expect(await can('list', 'secrets', '-n', NAMESPACE)).toBe('no');
  expect(await can('update', 'mutatingwebhookconfiguration/opentelemetry-operator-mutation')).toBe('yes');
  expect(await can('update', 'mutatingwebhookconfiguration/some-other-webhook')).toBe('no');
  expect(await can('patch', `customresourcedefinition/${CRD}`)).toBe('yes');
  expect(await can('patch', 'customresourcedefinition/instrumentations.opentelemetry.io')).toBe('no');
});
