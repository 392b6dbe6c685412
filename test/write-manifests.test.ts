import * as fs from 'fs';
import * as path from 'path';
import { App, Chart, ApiObject, Yaml } from 'cdk8s';
import { load, loadAll } from 'js-yaml';
import { tempDir, testConfig, testRenderer } from './support/helpers';
import { appManifests, AppValidationError, manifestYaml } from '../synth/write-manifests';
import { buildApp } from '../app/falco-otel-app';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const CDK8S_YAML = require(require.resolve('yaml', { paths: [path.dirname(require.resolve('cdk8s'))] }));

// synth/write-manifests.ts lays out the files as cdk8s's app.synth() would and writes them with
// js-yaml instead of cdk8s's Yaml.stringify. These tests hold both to cdk8s's own, and the writer
// to strings that YAML readers type.

/** A variant that reaches more of the writer: other namespaces, rules, cert-manager, the demo Pod. */
const VARIANT = testConfig({
  falco: {
    namespace: 'security', driver: 'modern_ebpf', leastPrivileged: true, disabledRules: ['Terminal shell in container'],
    rules: [{ rule: 'Netcat started', desc: 'yes', condition: 'spawned_process and proc.name = nc', output: 'nc (command=%proc.cmdline)', priority: 'WARNING' }],
  },
  otel: { namespace: 'telemetry', webhookCerts: 'cert-manager' },
  demo: { enabled: true },
} as any);

describe('manifestYaml', () => {
  test.each([['the default config', testConfig()], ['a variant config', VARIANT]])('%s: the same bytes as cdk8s\'s Yaml.stringify, chart by chart, CRDs included', (_name, config) => {
    const { app } = buildApp(config, { renderer: testRenderer() });
    expect(app.charts.length).toBeGreaterThanOrEqual(4);
    for (const chart of app.charts) {
      const objects = Object.values(chart.toJson());
      expect(manifestYaml(objects)).toBe(Yaml.stringify(...objects));
    }
  });

  // Strings that YAML 1.1 (kubectl, Argo CD, Flux: Go readers) or YAML 1.2 would type if unquoted.
  const TYPED = ['yes', 'No', 'on', 'OFF', 'y', 'n', '~', 'null', '', 'true', '0755', '0o17', '0x1F', '1_000', '1:30', '1e3',
    '.inf', '-.Inf', '.nan', '+12', '2001-12-14', '2001-12-14t21:59:43.10-05:00', '<<', '='];
  // …and strings that need quoting or a block style for other reasons.
  const AWKWARD = ['a: b', '#x', '- x', '@x', '`x', '%x', ' lead', 'trail ', 'tab\there', 'multi\nline\n', 'no newline\nat end',
    '  indented\nfirst line', '{x}', '[x]', '*x', '&x', '!x', '|', '>', "'", '"', '\\', 'é', 'x\u0000y', '---', '...'];

  test.each([...TYPED, ...AWKWARD].map((s) => [JSON.stringify(s), s]))('%s reads back as the same string in YAML 1.1, YAML 1.2 and js-yaml', (_shown, value) => {
    const text = manifestYaml([{ data: { value }, list: [value] }]);
    const expected = { data: { value }, list: [value] };
    expect(CDK8S_YAML.parse(text, { version: '1.1' })).toEqual(expected);
    expect(CDK8S_YAML.parse(text, { version: '1.2' })).toEqual(expected);
    expect(load(text)).toEqual(expected);
  });

  test('numbers, booleans, null, empty collections and shared objects keep their type and get no anchors', () => {
    const shared = { a: 1 };
    const text = manifestYaml([{ i: 5, f: 1.5, neg: -3, t: true, n: null, e: [], o: {}, x: shared, y: shared }]);
    expect(text).not.toMatch(/[&*]ref/);
    expect(CDK8S_YAML.parse(text, { version: '1.1' })).toEqual({ i: 5, f: 1.5, neg: -3, t: true, n: null, e: [], o: {}, x: { a: 1 }, y: { a: 1 } });
  });

  test('documents are separated by ---, long lines are not folded', () => {
    const long = 'x '.repeat(200).trim();
    const text = manifestYaml([{ a: long }, { b: 2 }]);
    expect(text).toBe(`a: ${long}\n---\nb: 2\n`);
  });
});

describe('appManifests', () => {
  test('the files app.synth() writes: names, apply order, and the objects each holds', () => {
    const { app } = buildApp(testConfig(), { renderer: testRenderer() });
    const files = appManifests(app);
    const outdir = tempDir();
    (app as any).outdir = outdir;
    app.synth();
    expect(files.map((f) => f.file)).toEqual(fs.readdirSync(outdir).sort());
    expect(files.map((f) => f.file)).toEqual(['0000-namespaces-crds.k8s.yaml', '0001-otel-operator.k8s.yaml', '0002-falco.k8s.yaml', '0003-collector.k8s.yaml']);
    for (const { file, objects } of files) {
      expect(loadAll(fs.readFileSync(path.join(outdir, file), 'utf8'))).toEqual(objects);
    }
  });

  test('every construct\'s validation runs first, and all its problems come together', () => {
    const app = new App();
    const chart = new Chart(app, 'broken');
    new ApiObject(chart, 'x', { apiVersion: 'v1', kind: 'ConfigMap' });
    chart.node.addValidation({ validate: () => ['broken on purpose', 'and again'] });
    let error: unknown;
    try {
      appManifests(app);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(AppValidationError);
    expect((error as AppValidationError).problems).toEqual(['broken: broken on purpose', 'broken: and again']);
  });
});
