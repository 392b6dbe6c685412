import * as fs from 'fs';
import * as path from 'path';
import { loadAll } from 'js-yaml';
import { ApiObject } from 'cdk8s';
import { findOne, synthStack, tempDir, TEST_CONFIG, testConfig, testRenderer } from './support/helpers';
import { OtelOperator } from '../lib/otel/otel-operator';
import { Chart, Testing } from 'cdk8s';
import { fingerprint, previousOutput } from './support/synth-cli';
import { UserError } from '../lib/errors';
import { clusterConfigs, synthesize } from '../synth/synthesize';
import { loadConfig } from '../app/load-config';
import { ManifestValidator, ValidationProblem } from '../synth/validate/manifest-validator';
import { formatProblem, ManifestValidationError, validateManifestFolder, validateManifests } from '../synth/validate/validate-manifests';

const ROOT = path.resolve(__dirname, '..');

// Offline, without a cluster: "valid" means valid against the Kubernetes 1.28 schema from
// cdk8s-plus-28 (cross-checked against upstream's definitions, see README) and the CRDs' schemas.
// CEL rules (x-kubernetes-validations) and the API server's in-code checks cannot be run here.

// The real app, synthesized once through synthesize() (which validates before replacing the
// output); the broken objects below are copies of its objects with one mistake each.
const outdir = path.join(tempDir(), 'dist');
const validator = new ManifestValidator({ kubernetesVersion: '1.28.0' });
let objects: any[] = [];
let crds: any[] = [];

beforeAll(async () => {
  await synthesize({ clusters: [{ configFile: TEST_CONFIG }], outdir, secretsDir: tempDir(), renderer: testRenderer() });
  const files = fs.readdirSync(outdir).filter((f) => f.endsWith('.yaml')).sort();
  objects = files.flatMap((f) => loadAll(fs.readFileSync(path.join(outdir, f), 'utf8')) as any[]);
  crds = objects.filter((o) => o.kind === 'CustomResourceDefinition');
});

/** The problems of `object` (validated with the app's CRDs), without the index. */
function problemsOf(object: any): Omit<ValidationProblem, 'index'>[] {
  return validator.validate([...crds, object]).map(({ index, ...p }) => p);
}

/** A deep copy of the app's first object of this kind, changed by `edit`. */
function broken(kind: string, edit: (o: any) => void): any {
  const copy = structuredClone(objects.find((o) => o.kind === kind));
  edit(copy);
  return copy;
}

describe('the real output', () => {
  test('every synthesized object is valid: Kubernetes 1.28 API and the CRDs in the output', () => {
    expect(objects.map((o) => o.kind)).toEqual(expect.arrayContaining(['DaemonSet', 'Deployment', 'OpenTelemetryCollector', 'Job', 'CustomResourceDefinition']));
    expect(validateManifestFolder(outdir).map(formatProblem)).toEqual([]);
  });

  test('rendered for the newest supported minor (1.33), valid against that minor\'s API', () => {
    const newest = synthStack(testConfig({ kubernetesVersion: '1.33.4', falco: { driver: 'modern_ebpf', leastPrivileged: true } }));
    expect(new ManifestValidator({ kubernetesVersion: '1.33.4' }).validate(newest.objects)).toEqual([]);
    // 1.30 and later: the AppArmor field, which the 1.28 API does not have.
    const falco = findOne(newest.objects, 'DaemonSet', 'falco').spec.template.spec.containers.find((c: any) => c.name === 'falco');
    expect(falco.securityContext.appArmorProfile).toEqual({ type: 'Unconfined' });
    expect(validator.validate(newest.objects).map((p) => p.path)).toContain('spec.template.spec.containers[0].securityContext.appArmorProfile');
  });

  test('the other variants are valid too: the demo Pod, and the chart-made webhook Secret of the construct\'s helm mode', () => {
    const variant = synthStack(testConfig({ demo: { enabled: true } }));
    expect(variant.objects.map((o) => o.kind)).toContain('Pod');
    expect(validator.validate(variant.objects)).toEqual([]);
    const chart = new Chart(Testing.app(), 'helm-certs');
    new OtelOperator(chart, 'operator', { webhookCerts: 'helm', renderer: testRenderer() });
    const helmMode = Testing.synth(chart);
    expect(helmMode.map((o) => o.kind)).toContain('Secret');
    expect(validator.validate(helmMode)).toEqual([]);
  });

  test('the committed dist/ is valid, each cluster\'s folder against its own Kubernetes version (run `npm run synth` after changing the app)', () => {
    for (const { configFile, folder } of clusterConfigs(path.join(ROOT, 'config'))) {
      const dir = folder ? path.join(ROOT, 'dist', folder) : path.join(ROOT, 'dist');
      expect(validateManifestFolder(dir, { kubernetesVersion: loadConfig(configFile, {}).config.kubernetesVersion }).map(formatProblem)).toEqual([]);
    }
  });

  test('the collector is checked against its CRD: preserve-unknown-fields lets any collector config through', () => {
    const collector = broken('OpenTelemetryCollector', (o) => { o.spec.config.receivers.anything = { goes: true }; });
    expect(problemsOf(collector)).toEqual([]);
  });
});

describe('broken objects are rejected with object, field path and reason', () => {
  test('an unknown field in a DaemonSet pod spec', () => {
    const ds = broken('DaemonSet', (o) => { o.spec.template.spec.hostNetwrok = true; });
    expect(problemsOf(ds)).toEqual([{
      kind: 'DaemonSet', namespace: 'falco', name: 'falco',
      path: 'spec.template.spec.hostNetwrok', reason: 'unknown field; did you mean "hostNetwork"?',
    }]);
  });

  test('a string where a boolean belongs', () => {
    const ds = broken('DaemonSet', (o) => { o.spec.template.spec.containers[0].securityContext.privileged = 'true'; });
    expect(problemsOf(ds)).toEqual([expect.objectContaining({
      kind: 'DaemonSet', path: 'spec.template.spec.containers[0].securityContext.privileged', reason: 'expected boolean, got string "true"',
    })]);
  });

  test('a Deployment without selector', () => {
    const deployment = broken('Deployment', (o) => { delete o.spec.selector; });
    expect(problemsOf(deployment)).toEqual([{
      kind: 'Deployment', namespace: 'otel', name: deployment.metadata.name, path: 'spec.selector', reason: 'missing required field',
    }]);
  });

  test('an OpenTelemetryCollector with an unknown spec field', () => {
    const collector = broken('OpenTelemetryCollector', (o) => { o.spec.replicaz = 2; });
    expect(problemsOf(collector)).toEqual([{
      kind: 'OpenTelemetryCollector', namespace: 'otel', name: 'falco', path: 'spec.replicaz', reason: 'unknown field; did you mean "replicas"?',
    }]);
  });

  test('an OpenTelemetryCollector with an invalid mode', () => {
    const collector = broken('OpenTelemetryCollector', (o) => { o.spec.mode = 'daemon'; });
    expect(problemsOf(collector)).toEqual([expect.objectContaining({
      kind: 'OpenTelemetryCollector', path: 'spec.mode',
      reason: 'expected one of "daemonset", "deployment", "sidecar", "statefulset", got string "daemon"',
    })]);
  });

  test('malformed quantities, in a built-in kind and in a custom resource; numbers and valid strings pass', () => {
    const ds = broken('DaemonSet', (o) => {
      o.spec.template.spec.containers[0].resources = { limits: { memory: '256MB', cpu: 1 }, requests: { memory: 'abc', cpu: '1e3' } };
    });
    expect(problemsOf(ds).map((p) => `${p.path}: ${p.reason}`)).toEqual([
      'spec.template.spec.containers[0].resources.limits.memory: "256MB" is not a Kubernetes quantity; expected e.g. "500m", "256Mi", "1e3"',
      'spec.template.spec.containers[0].resources.requests.memory: "abc" is not a Kubernetes quantity; expected e.g. "500m", "256Mi", "1e3"',
    ]);
    const collector = broken('OpenTelemetryCollector', (o) => { o.spec.resources.limits.memory = '256MB'; });
    expect(problemsOf(collector)).toEqual([expect.objectContaining({ path: 'spec.resources.limits.memory', reason: expect.stringMatching(/^"256MB" does not match the pattern/) })]);
  });

  test('null where the schema does not allow it (what an unresolved cdk8s value looks like)', () => {
    const collector = broken('OpenTelemetryCollector', (o) => { o.spec.resources.limits.cpu = null; });
    expect(problemsOf(collector)).toEqual([expect.objectContaining({ path: 'spec.resources.limits.cpu', reason: expect.stringMatching(/^null is not allowed here/) })]);
  });

  test('wrong types elsewhere: a fractional integer, a boolean port, a number annotation', () => {
    const deployment = broken('Deployment', (o) => {
      o.spec.replicas = 1.5;
      o.metadata.annotations['argocd.argoproj.io/sync-wave'] = 1;
    });
    const service = broken('Service', (o) => { o.spec.ports[0].targetPort = true; });
    expect(problemsOf(deployment).map((p) => `${p.path}: ${p.reason}`)).toEqual([
      'metadata.annotations["argocd.argoproj.io/sync-wave"]: expected string, got number 1',
      'spec.replicas: expected integer, got number 1.5',
    ]);
    expect(problemsOf(service).map((p) => `${p.path}: ${p.reason}`)).toEqual(['spec.ports[0].targetPort: expected integer or string, got boolean true']);
  });

  test('unknown kinds, unserved CRD versions and objects without a name', () => {
    const v2 = broken('Deployment', (o) => { o.apiVersion = 'apps/v2'; });
    expect(problemsOf(v2)).toEqual([expect.objectContaining({ path: 'apiVersion', reason: expect.stringMatching(/^apps\/v2 Deployment is neither a Kubernetes 1\.28 API nor defined by a CustomResourceDefinition/) })]);
    const v1 = broken('OpenTelemetryCollector', (o) => { o.apiVersion = 'opentelemetry.io/v2'; });
    expect(problemsOf(v1)).toEqual([expect.objectContaining({ path: 'apiVersion', reason: expect.stringMatching(/^version v2 is not served by CustomResourceDefinition opentelemetrycollectors\.opentelemetry\.io; served: v1alpha1, v1beta1/) })]);
    const nameless = broken('ConfigMap', (o) => { delete o.metadata.name; });
    expect(problemsOf(nameless)).toEqual([expect.objectContaining({ name: '?', path: 'metadata.name', reason: expect.stringMatching(/^missing required field/) })]);
  });

  test('a custom resource without its CRD in the output is rejected, except for cert-manager (a prerequisite)', () => {
    const collector = findOne(objects, 'OpenTelemetryCollector');
    expect(validator.validate([collector])).toEqual([expect.objectContaining({ path: 'apiVersion', reason: expect.stringMatching(/nor defined by a CustomResourceDefinition in the output/) })]);
    const issuer = { apiVersion: 'cert-manager.io/v1', kind: 'Issuer', metadata: { name: 'selfsigned', namespace: 'otel' }, spec: { selfSigned: {} } };
    expect(validator.validate([issuer])).toEqual([]);
    expect(validator.validate([{ ...issuer, metadata: { name: 'selfsigned', namespaces: 'otel' } }])).toEqual([expect.objectContaining({ path: 'metadata.namespaces', reason: 'unknown field; did you mean "namespace"?' })]);
  });

  test('an object that is in the output twice', () => {
    const namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'otel' } };
    const problems = validateManifests([
      { file: '0000-a.k8s.yaml', objects: [namespace] },
      { file: '0001-b.k8s.yaml', objects: [{ ...namespace }] },
    ]).map(formatProblem);
    expect(problems).toEqual(['0001-b.k8s.yaml Namespace/otel: (object): is also in 0000-a.k8s.yaml; expected each object once']);
  });

  test('every problem is reported, one line each: <file> <Kind>/<namespace>/<name>: <path>: <reason>', () => {
    const dir = tempDir();
    const ds = broken('DaemonSet', (o) => { o.spec.template.spec.hostNetwork = 'yes'; });
    const role = broken('ClusterRole', (o) => { o.rules[0].verb = ['get']; });
    fs.writeFileSync(path.join(dir, 'a.yaml'), [ds, role].map((o) => JSON.stringify(o)).join('\n---\n'));
    const error = new ManifestValidationError(validateManifestFolder(dir), '1.28.0');
    expect(error).toBeInstanceOf(UserError);
    expect(error.message.split('\n')).toEqual([
      '2 problem(s) in the synthesized objects (Kubernetes 1.28.0 API and the CRDs in the output):',
      '  a.yaml DaemonSet/falco/falco: spec.template.spec.hostNetwork: expected boolean, got string "yes"',
      `  a.yaml ClusterRole/${role.metadata.name}: rules[0].verb: unknown field; did you mean "verbs"?`,
    ]);
  });
});

describe('synthesize (what `npm run synth` runs)', () => {
  // A broken DaemonSet, as a bug in a construct or a chart would emit it. scripts/synth.ts turns
  // the UserError into "synth failed: …" lines and exit code 1.
  test('with a broken object throws the problems and leaves the output byte-identical', async () => {
    const dist = previousOutput();
    const before = fingerprint(dist);
    const toJson = ApiObject.prototype.toJson;
    const spy = jest.spyOn(ApiObject.prototype, 'toJson').mockImplementation(function (this: ApiObject) {
      const json = toJson.call(this);
      if (json.kind === 'DaemonSet') json.spec.template.spec.hostNetwrok = true;
      return json;
    });
    let error: unknown;
    try {
      await synthesize({ clusters: [{ configFile: TEST_CONFIG }], outdir: dist, secretsDir: tempDir(), renderer: testRenderer() });
    } catch (err) {
      error = err;
    } finally {
      spy.mockRestore();
    }
    expect(error).toBeInstanceOf(ManifestValidationError);
    expect((error as ManifestValidationError).problems.map(formatProblem)).toEqual([
      '0002-falco.k8s.yaml DaemonSet/falco/falco: spec.template.spec.hostNetwrok: unknown field; did you mean "hostNetwork"?',
    ]);
    expect(fingerprint(dist)).toEqual(before);
  });
});
