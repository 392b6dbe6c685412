// Every synthesized object, for every config variant and every rendered Kubernetes version, is
// accepted by a real kube-apiserver's server-side apply (schema, CEL rules, defaulting, admission
// other than webhooks); re-applying changes nothing; a caBundle another field manager set survives.
import * as fs from 'fs';
import * as path from 'path';
import YAML from 'yaml';
import { applyInOrder, describe as describeObject, FIELD_MANAGER, getAll, serverSideApply } from './apply';
import { ControlPlane, startControlPlane, removeTempDirs } from './control-plane';
import { certManagerCrdFiles } from './peers';
import { configWith, KUBERNETES_VERSIONS, MULTI_CLUSTER, readObjects, synthWithCli, VARIANTS } from './variants';

let cp: ControlPlane;

beforeAll(async () => {
  // Webhook admission off: nothing can serve the operator's webhooks here (see ControlPlaneOptions).
  cp = await startControlPlane({ admissionWebhooks: false });
});

afterAll(async () => {
  removeTempDirs();
  await cp?.stop();
});

/** Objects of the folder plus the Secrets the synth wrote (source: env) in `<secretsDir>/<cluster>/`. */
function objectsOf(dir: string, secretsDir?: string): any[] {
  const clusters = secretsDir && fs.existsSync(secretsDir) ? fs.readdirSync(secretsDir) : [];
  return [...readObjects(dir), ...clusters.flatMap((c) => readObjects(path.join(secretsDir!, c)))];
}

function expectAllApplied(objects: any[], applied: string[]): void {
  // kubectl prints `<kind>.<group>/<name> serverside-applied` once per object.
  expect(applied).toHaveLength(objects.length);
  for (const line of applied) expect(line).toMatch(/ serverside-applied$/);
}

describe.each(KUBERNETES_VERSIONS.map((v) => [v]))('rendered for Kubernetes %s, applied to a 1.33 apiserver', (kubernetesVersion) => {
  test.each(VARIANTS.map((v) => [v.name, v]))('variant %s: every object is accepted by server-side apply', async (_name, variant) => {
    if (variant.needs === 'cert-manager-crds') {
      const { files } = await certManagerCrdFiles();
      const crds = files.flatMap((f) => YAML.parseAllDocuments(fs.readFileSync(f, 'utf8')).map((d) => d.toJSON())).filter(Boolean);
      await applyInOrder(cp, crds);
    }
    const out = await synthWithCli({ [variant.name]: configWith({ ...variant.config, kubernetesVersion }) }, variant.env);
    const objects = objectsOf(out.dirs[0], out.secretsDir);
    if (variant.env?.HONEYCOMB_API_KEY) expect(objects.some((o) => o.kind === 'Secret')).toBe(true);
    const { applied, stderr } = await applyInOrder(cp, objects);
    expectAllApplied(objects, applied);
    if (stderr.trim()) process.stderr.write(`[${variant.name} @ ${kubernetesVersion}] apiserver warnings:\n${stderr}\n`);
    // Pod Security admission warns when a workload's pods would break its namespace's warn/enforce level.
    expect(stderr).not.toMatch(/would violate PodSecurity/);

    // What is stored carries what we sent: nothing was dropped as an unknown field.
    const stored = await getAll(cp, objects);
    expect(stored.map(describeObject)).toEqual(objects.map(describeObject));
  });

  test('two clusters synthesized by synth:all: every object of each is accepted', async () => {
    const configs = Object.fromEntries(Object.entries(MULTI_CLUSTER).map(([name, c]) => [name, configWith({ ...c, kubernetesVersion })]));
    const out = await synthWithCli(configs);
    expect(out.dirs.map((d) => path.basename(d)).sort()).toEqual(Object.keys(MULTI_CLUSTER).sort());
    for (const dir of out.dirs) {
      const objects = objectsOf(dir);
      expectAllApplied(objects, (await applyInOrder(cp, objects)).applied);
    }
  });
});

describe('re-applying the default render', () => {
  let objects: any[];

  beforeAll(async () => {
    const out = await synthWithCli({ default: configWith({}) });
    objects = objectsOf(out.dirs[0]);
    await applyInOrder(cp, objects);
  });

  test('changes nothing: same resourceVersion and managed fields for every object', async () => {
    const before = await getAll(cp, objects);
    const r = await serverSideApply(cp, objects);
    expect(r.code).toBe(0);
    const after = await getAll(cp, objects);
    const view = (o: any) => ({ object: describeObject(o), resourceVersion: o.metadata.resourceVersion, managedFields: o.metadata.managedFields });
    expect(after.map(view)).toEqual(before.map(view));
    // Only our field manager wrote them, with apply.
    for (const o of after) {
      const ours = o.metadata.managedFields.filter((m: any) => m.manager === FIELD_MANAGER);
      expect({ object: describeObject(o), ops: ours.map((m: any) => m.operation) }).toEqual({ object: describeObject(o), ops: ['Apply'] });
    }
  });

  test('keeps the caBundles another field manager set on the webhooks and the CRD', async () => {
    // Any PEM CA will do; the control plane's own is at hand.
    const ca = fs.readFileSync(path.join(cp.dir, 'pki', 'ca.crt')).toString('base64');
    const webhookConfigs = objects.filter((o) => /^(Mutating|Validating)WebhookConfiguration$/.test(o.kind));
    const conversionCrds = objects.filter((o) => o.kind === 'CustomResourceDefinition' && o.spec.conversion?.strategy === 'Webhook');
    expect(webhookConfigs).toHaveLength(2);
    expect(conversionCrds.map((o) => o.metadata.name)).toEqual(['opentelemetrycollectors.opentelemetry.io']);

    // As the cert Jobs do: kube-webhook-certgen updates the configurations, kubectl patches the CRD.
    for (const cfg of webhookConfigs) {
      const resource = cfg.kind.toLowerCase();
      const live = await cp.get(resource, cfg.metadata.name);
      const patch = live.webhooks.map((_: any, i: number) => ({ op: 'add', path: `/webhooks/${i}/clientConfig/caBundle`, value: ca }));
      await cp.kubectlOk(['patch', resource, cfg.metadata.name, '--type=json', '--field-manager=kube-webhook-certgen', '-p', JSON.stringify(patch)]);
    }
    for (const crd of conversionCrds) {
      const patch = [{ op: 'add', path: '/spec/conversion/webhook/clientConfig/caBundle', value: ca }];
      await cp.kubectlOk(['patch', 'customresourcedefinition', crd.metadata.name, '--type=json', '--field-manager=kubectl-patch', '-p', JSON.stringify(patch)]);
    }

    const r = await serverSideApply(cp, objects);
    expect(r.code).toBe(0);

    for (const cfg of webhookConfigs) {
      const live = await cp.get(cfg.kind.toLowerCase(), cfg.metadata.name);
      expect(live.webhooks.length).toBeGreaterThan(0);
      for (const w of live.webhooks) expect({ webhook: w.name, caBundle: w.clientConfig.caBundle }).toEqual({ webhook: w.name, caBundle: ca });
    }
    for (const crd of conversionCrds) {
      const live = await cp.get('customresourcedefinition', crd.metadata.name);
      expect(live.spec.conversion.webhook.clientConfig.caBundle).toBe(ca);
    }
  });
});
