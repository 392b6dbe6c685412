import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, App, Chart, Include, Yaml } from 'cdk8s';
import { pinnedChartFile, tempDir, testRenderer } from './support/helpers';
import { chartTemplates } from '../app/falco-otel-app';
import { configSchema } from '../app/config-schema';
import { UserError } from '../lib/errors';
import { createPrivateTempDir, removeStaleTempDirs, TEMP_PREFIX } from '../lib/fs/private-temp';
import { verifyChartArchive } from '../lib/helm/chart-archive';
import { HelmRelease } from '../lib/helm/helm-release';
import { HelmRenderer, HelmTemplate } from '../lib/helm/helm-renderer';
import { fastLoad, loadRenderedManifest } from '../lib/helm/load-rendered';
import { FALCO_CHART, OTEL_OPERATOR_CHART } from '../lib/pins';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const CDK8S_YAML = require(require.resolve('yaml', { paths: [path.dirname(require.resolve('cdk8s'))] }));

// The project renders charts itself (lib/helm/helm-renderer.ts) and makes ApiObjects of helm's
// output as cdk8s's Include would (lib/helm/helm-release.ts). These tests hold both to cdk8s's own
// Include and Yaml.load, and check the renderer's keys, bounds and chart verification.

const VARIANT = configSchema.parse({
  cluster: { name: 'variant' },
  falco: { namespace: 'security', driver: 'modern_ebpf', leastPrivileged: true, disabledRules: ['Terminal shell in container'] },
  otel: { namespace: 'telemetry', webhookCerts: 'cert-manager' },
});
const DEFAULTS = configSchema.parse({ cluster: { name: 'test' } });

/** A helm stand-in: answers `version`, counts template runs, prints a ConfigMap (random or fixed), or misbehaves. */
function stubHelm(body: string): { bin: string; runs: () => number } {
  const dir = tempDir('stub-helm-');
  const bin = path.join(dir, 'helm');
  const count = path.join(dir, 'runs');
  fs.writeFileSync(bin, `#!/bin/sh\nif [ "$1" = version ]; then echo v4.0.0; exit 0; fi\necho x >> "${count}"\ncat > /dev/null\n${body}\n`, { mode: 0o755 });
  return { bin, runs: () => (fs.existsSync(count) ? fs.readFileSync(count, 'utf8').split('\n').length - 1 : 0) };
}
const CONFIGMAP = (value: string) => `printf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: c\\ndata:\\n  v: "%s"\\n' "${value}"`;

const template = (values: Record<string, unknown> = {}): HelmTemplate => ({ chart: FALCO_CHART, releaseName: 'x', namespace: 'x', values });

describe('HelmRelease makes the ApiObjects cdk8s\'s Include makes of helm\'s output', () => {
  test.each([['the default config', DEFAULTS], ['a variant (other namespaces, driver, cert-manager)', VARIANT]])('%s: same ids, same JSON, for both charts', (_name, config) => {
    for (const t of chartTemplates(config)) {
      const renderer = testRenderer();
      const command = renderer.command(t);
      const run = spawnSync(command.helm, command.args, { input: command.input, env: command.env, maxBuffer: 64 * 1024 * 1024 });
      expect(run.status).toBe(0);
      const file = path.join(tempDir(), 'rendered.yaml');
      fs.writeFileSync(file, run.stdout);
      const include = new Include(new Chart(new App(), 'c'), 'include', { url: file });
      const release = new HelmRelease(new Chart(new App(), 'c'), 'release', { ...t, renderer });
      const hook = (o: ApiObject) => /\btest\b/.test(o.toJson().metadata.annotations?.['helm.sh/hook'] ?? '');
      const expected = include.apiObjects.filter((o) => !hook(o));
      expect(release.apiObjects.map((o) => o.node.id)).toEqual(expected.map((o) => o.node.id));
      expect(release.apiObjects.map((o) => o.toJson())).toEqual(expected.map((o) => o.toJson()));
      // What was left out: helm test hooks only.
      expect(include.apiObjects.filter(hook).every((o) => o.kind === 'Pod')).toBe(true);
    }
  });
});

describe('parsing helm\'s output in-process', () => {
  const SCALARS = [
    'a: 1', 'a: -1', 'a: 0', 'a: -0', 'a: 1.5', 'a: 1.50', 'a: 0.25', 'a: 30s', 'a: 1000m', 'a: 512Mi', 'a: .spec.x', 'a: 10.0.0.1', 'a: 1.2.3',
    'a: true', 'a: False', 'a: null', 'a: ~', 'a:', 'a: ""', "a: 'on'", 'a: "0775"', 'a: |\n  on\n', 'a: >-\n  yes\n  no\n',
    'a: yes', 'a: No', 'a: on', 'a: OFF', 'a: y', 'a: n', 'a: 0775', 'a: 0x1F', 'a: 0b101', 'a: +1', 'a: 1_000', 'a: 1e3', 'a: .5', 'a: .inf', 'a: .nan',
    'a: 12:30', 'a: 2024-01-01', 'a: 2024-01-01T10:00:00Z', 'a: 123456789012345678', 'null: 1', '~: 1', 'on: 1', '1: a',
    'a: [1, yes, "no"]', 'a: {b: on}', 'a: &x {b: 1}\nc: *x', '<<: {a: 1}', 'a: !!str 5', 'a: !!int "5"', 'a: !custom 5',
    "a: 'x'\n---\n---\nb: 1\n", '---\n[]\n---\n{}\n---\nc: 1', 'a:\n  - \n  - ~',
  ];

  /** What cdk8s's Yaml.load does once its child process has read the file (node_modules/cdk8s/lib/yaml.js), in-process. */
  function cdk8sParse(text: string): any[] {
    return CDK8S_YAML.parseAllDocuments(text, { version: '1.1' }).map((d: any) => d.toJSON())
      .filter((o: any) => o !== undefined && o !== null && !(Array.isArray(o) && o.length === 0) && !(typeof o === 'object' && Object.keys(o).length === 0));
  }

  test('the reference parse below is cdk8s\'s Yaml.load (one child process for all the cases)', () => {
    const text = SCALARS.filter((t) => !t.includes('---')).join('\n---\n');
    const file = path.join(tempDir(), 'docs.yaml');
    fs.writeFileSync(file, text);
    expect(JSON.stringify(cdk8sParse(text))).toBe(JSON.stringify(Yaml.load(file)));
  });

  test.each(SCALARS)('%j: what cdk8s\'s Yaml.load gives', (text) => {
    expect(JSON.stringify(loadRenderedManifest(text))).toBe(JSON.stringify(cdk8sParse(text)));
  });

  test('forms YAML 1.1 types differently skip the fast path; the forms charts print take it', () => {
    for (const text of ['a: yes', 'a: on', 'a: 0775', 'a: 0x1F', 'a: 1e3', 'a: 2024-01-01', 'a: 12:30', 'a: .inf', 'a: +1', 'null: 1', '<<: {a: 1}', 'a: !!int "5"']) {
      expect([text, fastLoad(text)]).toEqual([text, undefined]);
    }
    for (const text of ['a: 1', 'a: -1', 'a: 1.5', 'a: true', 'a: null', 'a:', 'a: 30s', 'a: 1000m', 'a: .spec.x', "a: 'on'", 'a: |\n  on\n']) {
      expect([text, fastLoad(text)]).not.toEqual([text, undefined]);
    }
  });
});

describe('HelmRenderer', () => {
  test('renders a key once: same chart, values (in any key order) and flags are served from the first render', async () => {
    const helm = stubHelm(CONFIGMAP('fixed'));
    const renderer = new HelmRenderer({ helmBinary: helm.bin, chartsDir: process.env.CHARTS_DIR });
    renderer.render(template({ a: 1, b: 2 }));
    renderer.render(template({ b: 2, a: 1 }));
    await renderer.renderAll([template({ a: 1, b: 2 }), template({ a: 1, b: 2 })]);
    expect(helm.runs()).toBe(1);
    renderer.render(template({ a: 2 }));
    renderer.render({ ...template({ a: 2 }), kubernetesVersion: '1.29.0' });
    renderer.render({ ...template({ a: 2 }), namespace: 'other' });
    expect(helm.runs()).toBe(4);
  });

  test('renderAll starts the renders at once, each distinct one once', async () => {
    const helm = stubHelm(`sleep 0.5\n${CONFIGMAP('slow')}`);
    const renderer = new HelmRenderer({ helmBinary: helm.bin, chartsDir: process.env.CHARTS_DIR });
    const started = Date.now();
    await renderer.renderAll([template({ a: 1 }), template({ a: 2 }), template({ a: 3 }), template({ a: 1 })]);
    expect(helm.runs()).toBe(3);
    expect(Date.now() - started).toBeLessThan(1400);
  });

  test('the values reach helm as JSON on stdin, and the command names the verified archive', () => {
    const renderer = testRenderer();
    const command = renderer.command(template({ tty: true, list: ['on', 'yes'] }));
    expect(command.input).toBe('{"tty":true,"list":["on","yes"]}');
    expect(command.args.slice(0, 3)).toEqual(['template', 'x', expect.stringMatching(/falco-[0-9a-f]{64}\.tgz$/)]);
    expect(command.args.slice(3)).toEqual(['--namespace', 'x', '--kube-version', '1.28.0', '--values', '-']);
    // helm gets a home of its own: the user's repositories and settings do not reach the output.
    expect(command.env.HOME).not.toBe(process.env.HOME);
    expect(command.env.HELM_CONFIG_HOME?.startsWith(command.env.HOME!)).toBe(true);
  });

  test('a failing helm: one UserError with what it printed, cut to a readable length', () => {
    const helm = stubHelm(`i=0; while [ $i -lt 200 ]; do echo "Error: line $i of a long complaint" >&2; i=$((i+1)); done; exit 1`);
    const renderer = new HelmRenderer({ helmBinary: helm.bin, chartsDir: process.env.CHARTS_DIR });
    let error: unknown;
    try {
      renderer.render(template());
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UserError);
    const message = (error as Error).message;
    expect(message).toMatch(/^helm template of chart falco 9\.1\.0 failed \(helm: .*\): Error: line 0 of a long complaint\n/);
    expect(message.length).toBeLessThan(1200);
  });

  test('a hanging helm is stopped at the timeout, sync and async', async () => {
    const helm = stubHelm('sleep 30');
    const renderer = new HelmRenderer({ helmBinary: helm.bin, chartsDir: process.env.CHARTS_DIR, timeoutMs: 300 });
    expect(() => renderer.render(template())).toThrow(/did not finish within 0\.3 s.*raise --helm-timeout/);
    await expect(renderer.renderAll([template({ a: 1 })])).rejects.toThrow(/did not finish within 0\.3 s/);
  });

  test('output that is not manifests is a UserError, not a crash', () => {
    for (const body of ['echo "{{{ not yaml"', 'echo "- just"; echo "- a list"', 'echo "kind: 5"']) {
      const renderer = new HelmRenderer({ helmBinary: stubHelm(body).bin, chartsDir: process.env.CHARTS_DIR });
      expect(() => renderer.render(template())).toThrow(UserError);
    }
  });

  test('dispose removes its temporary folder; renders stay usable', () => {
    const renderer = new HelmRenderer({ chartsDir: process.env.CHARTS_DIR });
    renderer.render(chartTemplates(DEFAULTS)[1]);
    const work = path.dirname(renderer.command(chartTemplates(DEFAULTS)[1]).args[2]);
    expect(fs.existsSync(work)).toBe(true);
    renderer.dispose();
    expect(fs.existsSync(work)).toBe(false);
    renderer.dispose();
  });
});

describe('charts are trusted by the digest of their archive', () => {
  const falcoBytes = () => fs.readFileSync(pinnedChartFile(FALCO_CHART));

  test('the mirror\'s archives are pinned digests of their charts', () => {
    expect(verifyChartArchive(FALCO_CHART, falcoBytes(), 'x').sha256).toBe(FALCO_CHART.archives[1].sha256);
    const operator = fs.readFileSync(pinnedChartFile(OTEL_OPERATOR_CHART));
    expect(verifyChartArchive(OTEL_OPERATOR_CHART, operator, 'x').sha256).toBe(OTEL_OPERATOR_CHART.archives[0].sha256);
  });

  test('any other archive under the pinned name is refused before helm reads it, naming both digests', () => {
    const dir = tempDir('charts-');
    const tampered = Buffer.concat([falcoBytes(), Buffer.from([0])]);
    fs.writeFileSync(path.join(dir, 'falco-9.1.0.tgz'), tampered);
    fs.copyFileSync(pinnedChartFile(OTEL_OPERATOR_CHART), path.join(dir, path.basename(pinnedChartFile(OTEL_OPERATOR_CHART))));
    const helm = stubHelm(CONFIGMAP('never'));
    const renderer = new HelmRenderer({ chartsDir: dir, helmBinary: helm.bin });
    expect(() => renderer.render(template())).toThrow(new RegExp(`^${dir}/falco-9\\.1\\.0\\.tgz: sha256 [0-9a-f]{64} is not a pinned digest of chart falco 9\\.1\\.0; expected ${FALCO_CHART.archives[0].sha256} \\(`));
    expect(helm.runs()).toBe(0);
  });

  test('an archive of another chart or version is refused by its Chart.yaml too', () => {
    const pinned = { ...FALCO_CHART, name: 'opentelemetry-operator', archives: OTEL_OPERATOR_CHART.archives };
    expect(() => verifyChartArchive({ ...pinned, version: '9.9.9' }, fs.readFileSync(pinnedChartFile(OTEL_OPERATOR_CHART)), 'f.tgz'))
      .toThrow('f.tgz: its Chart.yaml says name "opentelemetry-operator", version "0.122.0"; expected name "opentelemetry-operator", version "9.9.9"');
    expect(() => verifyChartArchive({ ...FALCO_CHART, archives: [{ sha256: require('crypto').createHash('sha256').update('x').digest('hex'), source: 's' }] }, Buffer.from('x'), 'g.tgz'))
      .toThrow(/^g\.tgz: is not a readable chart archive/);
  });
});

describe('temporary folders', () => {
  test('a later run removes what a killed run left under TMPDIR, and nothing else', () => {
    const tmp = tempDir('tmpdir-');
    const ours = createPrivateTempDir('work', tmp);
    const killed = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid!;
    const stale = path.join(tmp, `${TEMP_PREFIX}helm-stale`);
    fs.mkdirSync(stale);
    fs.writeFileSync(path.join(stale, '.owner.json'), JSON.stringify({ tool: 'falco-otel-honeycomb', pid: killed }));
    const foreign = path.join(tmp, `${TEMP_PREFIX}lookalike`);
    fs.mkdirSync(foreign);
    const alive = path.join(tmp, `${TEMP_PREFIX}alive`);
    fs.mkdirSync(alive);
    fs.writeFileSync(path.join(alive, '.owner.json'), JSON.stringify({ tool: 'falco-otel-honeycomb', pid: process.ppid }));
    expect(removeStaleTempDirs(tmp)).toEqual([stale]);
    expect(fs.readdirSync(tmp).sort()).toEqual([path.basename(alive), path.basename(foreign), path.basename(ours)].sort());
    expect(fs.statSync(ours).mode & 0o777).toBe(0o700);
  });
});
