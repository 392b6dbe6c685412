import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, Chart, Testing } from 'cdk8s';
import { loadAll } from 'js-yaml';
import { findOne, pinnedChartFile, snapshotView, tempDir, testConfig, testRenderer } from './support/helpers';
import { resolveHelm } from '../lib/helm/helm-binary';
import { HelmRenderer } from '../lib/helm/helm-renderer';
import { OTEL_OPERATOR_CHART } from '../lib/pins';
import { OtelOperator, OtelOperatorProps } from '../lib/otel/otel-operator';
import { CERTGEN_IMAGE, KUBECTL_IMAGE, SHELL_IMAGE, WebhookCertJobs, WebhookCertJobsProps } from '../lib/otel/webhook-cert-jobs';

const SECRET = 'opentelemetry-operator-controller-manager-service-cert';
const SERVICE = 'opentelemetry-operator-webhook';
const CONVERSION_CRD = 'opentelemetrycollectors.opentelemetry.io';
const PINNED = /^[a-z0-9.\-/]+:[\w.\-]+@sha256:[0-9a-f]{64}$/;

function synthOperator(props: OtelOperatorProps = {}): { operator: OtelOperator; objects: any[] } {
  const chart = new Chart(Testing.app(), 'test');
  // webhookCerts 'helm' renders a new CA each time: never from the suite's render cache.
  const renderer = props.webhookCerts === 'helm' ? new HelmRenderer({ chartsDir: process.env.CHARTS_DIR }) : testRenderer();
  const operator = new OtelOperator(chart, 'operator', { renderer, ...props });
  return { operator, objects: Testing.synth(chart) };
}

/** Every value of `key` anywhere in `value`. */
function valuesOfKey(value: unknown, key: string): unknown[] {
  if (Array.isArray(value)) return value.flatMap((v) => valuesOfKey(v, key));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => (k === key ? [v] : []).concat(valuesOfKey(v, key)));
  }
  return [];
}

function jobs(objects: any[]): any[] {
  return objects.filter((o) => o.kind === 'Job');
}

function jobNamed(objects: any[], prefix: string): any {
  const found = jobs(objects).filter((j) => j.metadata.name.startsWith(prefix));
  expect(found).toHaveLength(1);
  return found[0];
}

function podContainers(job: any): any[] {
  return [...(job.spec.template.spec.initContainers ?? []), ...job.spec.template.spec.containers];
}

function flags(args: string[]): Record<string, string> {
  return Object.fromEntries(args.filter((a) => a.startsWith('--')).map((a) => a.slice(2).split(/=(.*)/s).slice(0, 2)));
}

function key(o: any): string {
  return `${o.kind} ${o.metadata?.namespace ?? '-'} ${o.metadata?.name}`;
}

describe('OtelOperator with certgen webhook certificates (the default)', () => {
  const { operator, objects } = synthOperator();
  const deployment = findOne(objects, 'Deployment', 'opentelemetry-operator');
  const certgenJob = jobNamed(objects, `${SERVICE}-certgen-`);
  const crdJob = jobNamed(objects, `${SERVICE}-crd-cabundle-`);

  test('is the chart release opentelemetry-operator in namespace otel, with its Namespace', () => {
    expect(operator.releaseName).toBe('opentelemetry-operator');
    expect(operator.webhookCerts).toBe('certgen');
    expect(testConfig().otel.webhookCerts).toBe('certgen');
    expect(findOne(objects, 'Namespace', 'otel')).toBeDefined();
    expect(deployment.metadata.labels['app.kubernetes.io/instance']).toBe('opentelemetry-operator');
    const namespaces = new Set(objects.filter((o) => o.metadata.namespace).map((o) => o.metadata.namespace));
    expect([...namespaces]).toEqual(['otel']);
  });

  test('the operator starts collectors from otel/opentelemetry-collector-k8s', () => {
    const manager = deployment.spec.template.spec.containers.find((c: any) => c.name === 'manager');
    expect(manager.args).toContain(`--collector-image=otel/opentelemetry-collector-k8s:${OTEL_OPERATOR_CHART.appVersion}`);
    expect(operator.collectorImage).toBe(`otel/opentelemetry-collector-k8s:${OTEL_OPERATOR_CHART.appVersion}`);
  });

  test('no helm test hooks: no Pod and no helm hook annotation', () => {
    expect(objects.filter((o) => o.kind === 'Pod')).toEqual([]);
    expect(objects.filter((o) => o.metadata.annotations?.['helm.sh/hook'])).toEqual([]);
  });

  test('neither the placeholder Secret nor any caBundle key is in the output', () => {
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    expect(valuesOfKey(objects, 'caBundle')).toEqual([]);
  });

  test('no key material: no PEM block, plain or base64', () => {
    const text = JSON.stringify(objects);
    expect(text).not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE/);
    expect(text).not.toContain('LS0tLS1CRUdJTi'); // base64 of "-----BEGIN"
  });

  test('two synths are identical', () => {
    expect(synthOperator().objects).toEqual(objects);
  });

  test('the Secret the Jobs create is the one the operator mounts for its webhook server', () => {
    const volume = deployment.spec.template.spec.volumes.find((v: any) => v.name === 'cert');
    expect(volume.secret.secretName).toBe(SECRET);
    const mount = deployment.spec.template.spec.containers[0].volumeMounts.find((m: any) => m.name === 'cert');
    // controller-runtime's webhook server reads tls.crt and tls.key from this folder.
    expect(mount.mountPath).toBe('/tmp/k8s-webhook-server/serving-certs');
    expect(operator.webhookSecretName).toBe(SECRET);
  });

  test('the certgen Job creates the serving cert for every DNS name of the webhook Service', () => {
    const [create] = certgenJob.spec.template.spec.initContainers;
    expect(create.args[0]).toBe('create');
    expect(flags(create.args)).toEqual({
      host: `${SERVICE},${SERVICE}.otel,${SERVICE}.otel.svc,${SERVICE}.otel.svc.cluster.local`,
      namespace: 'otel',
      'secret-name': SECRET,
      'cert-name': 'tls.crt',
      'key-name': 'tls.key',
    });
    expect(findOne(objects, 'Service', SERVICE).metadata.namespace).toBe('otel');
  });

  test('the certgen Job patches each webhook configuration the chart renders, one per run', () => {
    const mutating = findOne(objects, 'MutatingWebhookConfiguration');
    const validating = findOne(objects, 'ValidatingWebhookConfiguration');
    // certgen sets the CA on every webhook of a configuration; these have several, all calling the Service.
    for (const config of [mutating, validating]) {
      expect(config.webhooks.length).toBeGreaterThan(1);
      expect(new Set(config.webhooks.map((w: any) => `${w.clientConfig.service.namespace}/${w.clientConfig.service.name}`))).toEqual(new Set([`otel/${SERVICE}`]));
    }
    const patches = certgenJob.spec.template.spec.containers.map((c: any) => ({ command: c.args[0], ...flags(c.args) }));
    expect(patches).toEqual([
      { command: 'patch', 'webhook-name': mutating.metadata.name, namespace: 'otel', 'secret-name': SECRET, 'patch-mutating': 'true', 'patch-validating': 'false' },
      { command: 'patch', 'webhook-name': validating.metadata.name, namespace: 'otel', 'secret-name': SECRET, 'patch-mutating': 'false', 'patch-validating': 'true' },
    ]);
  });

  test('the CRD Job patches the conversion caBundle of every CRD with a conversion webhook', () => {
    const conversionCrds = objects.filter((o) => o.kind === 'CustomResourceDefinition' && o.spec.conversion?.strategy === 'Webhook');
    expect(conversionCrds.map((c) => c.metadata.name)).toEqual([CONVERSION_CRD]);
    expect(conversionCrds[0].spec.conversion.webhook.clientConfig.service).toMatchObject({ name: SERVICE, namespace: 'otel' });

    const spec = crdJob.spec.template.spec;
    expect(spec.volumes.find((v: any) => v.name === 'cert').secret).toEqual({ secretName: SECRET, items: [{ key: 'ca', path: 'ca.crt' }] });
    expect(spec.containers.map((c: any) => c.args.slice(0, 3))).toEqual([['patch', 'customresourcedefinition', CONVERSION_CRD]]);
    expect(flags(spec.containers[0].args)).toMatchObject({ type: 'json', 'patch-file': '/work/crd-patch.json' });
  });

  test('the render script turns the CA file into a JSON patch of the conversion caBundle', () => {
    // Runs the script with the local busybox (as in the pinned image) or, lacking it, sh and coreutils.
    const [render] = crdJob.spec.template.spec.initContainers;
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'cert'));
    fs.mkdirSync(path.join(dir, 'work'));
    const ca = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';
    fs.writeFileSync(path.join(dir, 'cert', 'ca.crt'), ca);
    const script = render.args[1].replaceAll('/cert/', `${dir}/cert/`).replaceAll('/work/', `${dir}/work/`);
    const hasBusybox = spawnSync('busybox', ['true']).status === 0;
    const shell = hasBusybox ? ['busybox', 'sh'] : ['sh'];
    execFileSync(shell[0], [...shell.slice(1), '-c', script]);
    const patch = JSON.parse(fs.readFileSync(path.join(dir, 'work', 'crd-patch.json'), 'utf8'));
    expect(patch).toEqual([{ op: 'add', path: '/spec/conversion/webhook/clientConfig/caBundle', value: Buffer.from(ca).toString('base64') }]);

    fs.writeFileSync(path.join(dir, 'cert', 'ca.crt'), '');
    expect(spawnSync(shell[0], [...shell.slice(1), '-c', script]).status).not.toBe(0);
  });

  test('RBAC: one ServiceAccount; Secret access in the namespace, cluster access only to the named objects', () => {
    const sa = findOne(objects, 'ServiceAccount', `${SERVICE}-certgen`);
    expect(sa.metadata.namespace).toBe('otel');
    for (const job of [certgenJob, crdJob]) expect(job.spec.template.spec.serviceAccountName).toBe(sa.metadata.name);

    const role = findOne(objects, 'Role', `${SERVICE}-certgen`);
    expect(role.rules).toEqual([
      { apiGroups: [''], resources: ['secrets'], resourceNames: [SECRET], verbs: ['get'] },
      { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
    ]);
    const clusterRole = findOne(objects, 'ClusterRole', `${SERVICE}-certgen`);
    expect(clusterRole.rules).toEqual([
      { apiGroups: ['admissionregistration.k8s.io'], resources: ['mutatingwebhookconfigurations'], resourceNames: ['opentelemetry-operator-mutation'], verbs: ['get', 'update'] },
      { apiGroups: ['admissionregistration.k8s.io'], resources: ['validatingwebhookconfigurations'], resourceNames: ['opentelemetry-operator-validation'], verbs: ['get', 'update'] },
      { apiGroups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], resourceNames: [CONVERSION_CRD], verbs: ['get', 'patch'] },
    ]);
    const subjects = [{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: 'otel' }];
    expect(findOne(objects, 'RoleBinding', `${SERVICE}-certgen`)).toMatchObject({ roleRef: { kind: 'Role', name: role.metadata.name }, subjects });
    expect(findOne(objects, 'ClusterRoleBinding', `${SERVICE}-certgen`)).toMatchObject({ roleRef: { kind: 'ClusterRole', name: clusterRole.metadata.name }, subjects });
  });

  test('Job pods run restricted: non-root, read-only root, no capabilities, RuntimeDefault seccomp', () => {
    for (const job of [certgenJob, crdJob]) {
      const pod = job.spec.template.spec;
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      for (const c of podContainers(job)) {
        expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } });
      }
    }
  });

  test('Jobs retry in place, are never deleted by TTL and are no Argo CD hooks', () => {
    for (const job of [certgenJob, crdJob]) {
      expect(job.spec.backoffLimit).toBe(10);
      expect(job.spec.template.spec.restartPolicy).toBe('OnFailure');
      expect(job.spec.ttlSecondsAfterFinished).toBeUndefined();
      expect(job.spec.activeDeadlineSeconds).toBeUndefined();
      expect(job.metadata.annotations?.['argocd.argoproj.io/hook']).toBeUndefined();
      expect(job.metadata.name.length).toBeLessThanOrEqual(63);
    }
  });

  test('Job pods are not endpoints of the webhook Service', () => {
    const selector = findOne(objects, 'Service', SERVICE).spec.selector;
    for (const job of [certgenJob, crdJob]) {
      const labels = job.spec.template.metadata.labels;
      expect(Object.entries(selector).every(([k, v]) => labels[k] === v)).toBe(false);
    }
  });

  test('every Job image is pinned by tag and digest', () => {
    const images = [...new Set(jobs(objects).flatMap(podContainers).map((c) => c.image))].sort();
    expect(images).toEqual([CERTGEN_IMAGE, KUBECTL_IMAGE, SHELL_IMAGE].sort());
    for (const image of images) expect(image).toMatch(PINNED);
  });

  test('snapshot (CRD schemas as digests)', () => {
    expect(snapshotView(objects)).toMatchSnapshot();
  });
});

describe('OtelOperator with another release name', () => {
  // The chart names objects `<release>-opentelemetry-operator-*` unless the release name contains the chart's.
  const { operator, objects } = synthOperator({ releaseName: 'otel' });

  test('the Jobs target the objects the chart rendered, not names guessed from the release', () => {
    expect(operator.webhookServiceName).toBe('otel-opentelemetry-operator-webhook');
    expect(operator.webhookSecretName).toBe('otel-opentelemetry-operator-controller-manager-service-cert');
    const certgenJob = jobNamed(objects, 'otel-opentelemetry-operator-webhook-certgen-');
    expect(certgenJob.spec.template.spec.containers.map((c: any) => flags(c.args)['webhook-name'])).toEqual([
      findOne(objects, 'MutatingWebhookConfiguration').metadata.name,
      findOne(objects, 'ValidatingWebhookConfiguration').metadata.name,
    ]);
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    expect(valuesOfKey(objects, 'caBundle')).toEqual([]);
  });
});

describe('OtelOperator with cert-manager', () => {
  const { objects } = synthOperator({ webhookCerts: 'cert-manager' });
  const injectFrom = 'otel/opentelemetry-operator-serving-cert';

  test('renders the chart Certificate and Issuer for the Secret the operator mounts', () => {
    const certificate = findOne(objects, 'Certificate', 'opentelemetry-operator-serving-cert');
    const issuer = findOne(objects, 'Issuer');
    expect(certificate.spec.secretName).toBe(SECRET);
    expect(certificate.spec.issuerRef).toMatchObject({ kind: 'Issuer', name: issuer.metadata.name });
    expect(certificate.spec.dnsNames).toEqual(expect.arrayContaining([`${SERVICE}.otel.svc`]));
  });

  test('the webhook configurations and the conversion CRD ask cert-manager for their caBundle', () => {
    for (const o of [findOne(objects, 'MutatingWebhookConfiguration'), findOne(objects, 'ValidatingWebhookConfiguration'), findOne(objects, 'CustomResourceDefinition', CONVERSION_CRD)]) {
      expect(o.metadata.annotations['cert-manager.io/inject-ca-from']).toBe(injectFrom);
    }
  });

  test('no Jobs, no Secret and no key material', () => {
    expect(jobs(objects)).toEqual([]);
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    expect(JSON.stringify(objects)).not.toContain('LS0tLS1CRUdJTi');
  });
});

describe('OtelOperator with helm autoGenerateCert', () => {
  const first = synthOperator({ webhookCerts: 'helm' }).objects;
  const second = synthOperator({ webhookCerts: 'helm' }).objects;

  test('every synth makes a new CA and private key: not reproducible', () => {
    const secret = findOne(first, 'Secret', SECRET);
    expect(Buffer.from(secret.data['tls.key'], 'base64').toString()).toMatch(/PRIVATE KEY/);
    expect(findOne(second, 'Secret', SECRET).data['ca.crt']).not.toBe(secret.data['ca.crt']);
    expect(valuesOfKey(second, 'caBundle')).not.toEqual(valuesOfKey(first, 'caBundle'));
    expect(new Set(valuesOfKey(first, 'caBundle'))).toEqual(new Set([secret.data['ca.crt']]));
    expect(jobs(first)).toEqual([]);
  });

  test('the construct documents it', () => {
    const source = fs.readFileSync(path.join(__dirname, '..', 'lib', 'otel', 'otel-operator.ts'), 'utf8');
    const doc = source.slice(0, source.indexOf('export type WebhookCertMode'));
    expect(doc).toMatch(/`helm`[^]*not reproducible[^]*private key[^]*Never the default/);
  });
});

describe('WebhookCertJobs', () => {
  function fixture(overrides: Partial<WebhookCertJobsProps> = {}, mutate: (json: any) => void = () => {}): WebhookCertJobs {
    const chart = new Chart(Testing.app(), 'test');
    const clientConfig = { service: { name: 'hook', namespace: 'ns', path: '/x' } };
    const webhooks = (json: any) => { mutate(json); return json; };
    const props: WebhookCertJobsProps = {
      service: new ApiObject(chart, 'svc', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'hook', namespace: 'ns' } }),
      secretName: 'hook-cert',
      mutatingWebhookConfiguration: new ApiObject(chart, 'm', webhooks({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata: { name: 'm' }, webhooks: [{ name: 'a', clientConfig }] })),
      validatingWebhookConfiguration: new ApiObject(chart, 'v', { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name: 'v' }, webhooks: [{ name: 'b', clientConfig }] }),
      conversionCrds: [new ApiObject(chart, 'crd', { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'xs.example.com' }, spec: { conversion: { strategy: 'Webhook', webhook: { clientConfig } } } })],
      ...overrides,
    };
    return new WebhookCertJobs(chart, 'certs', props);
  }

  test('the Job names change with the pod template and only with it', () => {
    expect(fixture().certgenJob.name).toBe(fixture().certgenJob.name);
    expect(fixture({ certgenImage: 'example.com/certgen:v1@sha256:' + '0'.repeat(64) }).certgenJob.name).not.toBe(fixture().certgenJob.name);
    expect(fixture({ kubectlImage: 'example.com/kubectl:v1' }).crdJob!.name).not.toBe(fixture().crdJob!.name);
    expect(fixture().certgenJob.name).toMatch(/^hook-certgen-[0-9a-f]{8}$/);
  });

  test('no CRD Job and no CRD permission without conversion CRDs', () => {
    const certs = fixture({ conversionCrds: [] });
    expect(certs.crdJob).toBeUndefined();
    const clusterRole = Testing.synth(certs.node.scope as Chart).find((o: any) => o.kind === 'ClusterRole');
    expect(clusterRole.rules.map((r: any) => r.resources[0])).toEqual(['mutatingwebhookconfigurations', 'validatingwebhookconfigurations']);
  });

  test('rejects webhooks that already carry a caBundle, since every apply would overwrite the patched CA', () => {
    expect(() => fixture({}, (json) => { json.webhooks[0].clientConfig = { ...json.webhooks[0].clientConfig, caBundle: 'Cg==' }; }))
      .toThrow(/webhook a of MutatingWebhookConfiguration\/m carries a caBundle: remove it/);
  });

  test('rejects webhooks that call another Service than the one the certificate is for', () => {
    expect(() => fixture({}, (json) => { json.webhooks[0].clientConfig = { service: { name: 'other', namespace: 'ns' } }; }))
      .toThrow(/calls service ns\/other, but the certificate is made for ns\/hook/);
  });

  test('rejects a CRD without conversion webhook and objects of the wrong kind', () => {
    const chart = new Chart(Testing.app(), 'x');
    const plainCrd = new ApiObject(chart, 'crd', { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'ys.example.com' }, spec: {} });
    expect(() => fixture({ conversionCrds: [plainCrd] })).toThrow(/CRD ys.example.com has no conversion webhook \(strategy None\): leave it out/);
    const cm = new ApiObject(chart, 'cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'ns' } });
    expect(() => fixture({ service: cm })).toThrow(/service must be a Service with a namespace, got ConfigMap\/c/);
    expect(() => fixture({ validatingWebhookConfiguration: cm })).toThrow(/validatingWebhookConfiguration must be a ValidatingWebhookConfiguration/);
  });

  test('rejects Job names longer than a label value allows', () => {
    expect(() => fixture({ namePrefix: 'x'.repeat(50) })).toThrow(/longer than 63 characters.*shorter namePrefix/);
  });
});

describe('compared with the manual steps (bare helm template)', () => {
  // The release as the manual steps install it, rendered by the pinned helm from the same chart.
  function helmTemplate(): any[] {
    const args = ['template', 'opentelemetry-operator', pinnedChartFile(OTEL_OPERATOR_CHART), '-n', 'otel', '--kube-version', '1.28.0',
      '--set', 'manager.collectorImage.repository=otel/opentelemetry-collector-k8s',
      '--set', 'admissionWebhooks.certManager.enabled=false',
      '--set', 'admissionWebhooks.autoGenerateCert.enabled=true'];
    const out = execFileSync(resolveHelm(undefined).path, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    return loadAll(out).filter(Boolean) as any[];
  }

  const manual = helmTemplate();
  const ours = synthOperator().objects;

  test('every object the manual steps create is ours too, except test hooks and the random cert Secret', () => {
    const isTestHook = (o: any) => /\btest\b/.test(o.metadata?.annotations?.['helm.sh/hook'] ?? '');
    const excluded = manual.filter((o) => isTestHook(o) || (o.kind === 'Secret' && o.metadata.name === SECRET));
    expect(excluded.map(key).sort()).toEqual([
      'Pod otel opentelemetry-operator-metrics-test',
      'Pod otel opentelemetry-operator-webhook-test',
      `Secret otel ${SECRET}`,
    ].sort());
    const ourKeys = new Set(ours.map(key));
    const missing = manual.filter((o) => !excluded.includes(o)).map(key).filter((k) => !ourKeys.has(k));
    expect(missing).toEqual([]);
  });

  test('what we add: the Namespace and the cert Jobs with their RBAC', () => {
    const manualKeys = new Set(manual.map(key));
    const added = ours.filter((o) => !manualKeys.has(key(o))).map((o) => `${o.kind} ${o.metadata.name}`.replace(/-[0-9a-f]{8}$/, '-<hash>'));
    expect(added.sort()).toEqual([
      'ClusterRole opentelemetry-operator-webhook-certgen',
      'ClusterRoleBinding opentelemetry-operator-webhook-certgen',
      'Job opentelemetry-operator-webhook-certgen-<hash>',
      'Job opentelemetry-operator-webhook-crd-cabundle-<hash>',
      'Namespace otel',
      'Role opentelemetry-operator-webhook-certgen',
      'RoleBinding opentelemetry-operator-webhook-certgen',
      'ServiceAccount opentelemetry-operator-webhook-certgen',
    ]);
  });
});
