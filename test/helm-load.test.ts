import * as fs from 'fs';
import * as path from 'path';
import { App, Chart, Yaml } from 'cdk8s';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const CDK8S_YAML = require(require.resolve('yaml', { paths: [path.dirname(require.resolve('cdk8s'))] }));
import { _child_process } from 'cdk8s/lib/_child_process';
import { fileDigests, tempDir } from './helpers';
import { withEnv, withEnvAsync } from './synth-cli';
import { fillRenderCache, HelmRelease, PLAIN_CDK8S_ENV, RENDER_CACHE_ENV } from '../lib/helm/helm-release';
import { loadRenderedManifest } from '../lib/helm/load-rendered';
import { FALCO_CHART } from '../lib/helm/pinned';
import { synthesize } from '../lib/synth/synthesize';
import { buildApp } from '../main';
import { loadConfig } from '../lib/config/load-config';

// HelmRelease takes two shortcuts around cdk8s's Helm (lib/helm/helm-release.ts): an in-process
// js-yaml load of the rendered chart instead of cdk8s's child-process Yaml.load, and, in tests
// only, a shared cache of helm's output. These tests hold them to the plain cdk8s path.

const ROOT = path.resolve(__dirname, '..');

interface Recorded { result: any; helmOutputs: string[]; cdk8sLoads: string[]; cdk8sLoadTexts: string[] }

/**
 * Runs `fn` recording what helm printed (through cdk8s's spawnSync seam; renders served by the test
 * suite's cache or ahead are not seen) and, when cdk8s's Yaml.load was called, the text it read and
 * what it returned (as JSON).
 */
async function recording(fn: () => any): Promise<Recorded> {
  const helmOutputs: string[] = [];
  const cdk8sLoads: string[] = [];
  const cdk8sLoadTexts: string[] = [];
  const spawn = _child_process.spawnSync;
  const cdk8sLoad = Yaml.load;
  _child_process.spawnSync = ((...args: Parameters<typeof spawn>) => {
    const run = spawn(...args);
    helmOutputs.push(run.stdout.toString());
    return run;
  }) as typeof spawn;
  Yaml.load = (file: string) => {
    const objects = cdk8sLoad.call(Yaml, file);
    cdk8sLoadTexts.push(fs.readFileSync(file, 'utf8'));
    cdk8sLoads.push(JSON.stringify(objects));
    return objects;
  };
  try {
    return { result: await fn(), helmOutputs, cdk8sLoads, cdk8sLoadTexts };
  } finally {
    _child_process.spawnSync = spawn;
    Yaml.load = cdk8sLoad;
  }
}

/** Synthesizes `configFile` with `env` set, returning the output's file digests. */
async function synthDigest(configFile: string, env: Record<string, string | undefined> = {}): Promise<Record<string, string>> {
  const outdir = path.join(tempDir(), 'dist');
  await withEnvAsync(env, () => synthesize({ configFile, outdir, secretsDir: tempDir() }));
  return fileDigests(outdir);
}

describe('the default config: npm run synth\'s path gives the bytes of the plain cdk8s path (Helm with its own Yaml.load and Yaml.save)', () => {
  const configFile = path.join(ROOT, 'config', 'default.yaml');
  let plain: Recorded;
  let fast: Recorded;
  beforeAll(async () => {
    plain = await recording(() => synthDigest(configFile, { [PLAIN_CDK8S_ENV]: '1' }));
    // As `npm run synth` runs: loaded in-process, written with js-yaml. (Helm's output comes from the
    // suite's render cache here; that renders ahead give the same is test/chart-renders.test.ts.)
    fast = await recording(() => synthDigest(configFile));
  });

  test('the same files, byte for byte', () => {
    expect(Object.keys(plain.result).length).toBeGreaterThanOrEqual(4);
    expect(fast.result).toEqual(plain.result);
  });

  test('both pinned charts were read in-process, with the objects (and key order) cdk8s\'s Yaml.load gave', () => {
    expect(fast.cdk8sLoads).toEqual([]);
    expect(plain.cdk8sLoads).toHaveLength(2);
    expect(plain.cdk8sLoadTexts.map((text) => JSON.stringify(loadRenderedManifest(text)))).toEqual(plain.cdk8sLoads);
  });
});

const VARIANT = [
  'cluster:', '  name: variant',
  'falco:', '  namespace: security', '  driver: modern_ebpf', '  leastPrivileged: true',
  '  rules:', '    - rule: Netcat started', '      desc: test rule', '      condition: spawned_process and proc.name = nc',
  '      output: netcat started (command=%proc.cmdline)', '      priority: WARNING',
  '  disabledRules: [Terminal shell in container]',
  'otel:', '  namespace: telemetry', '  webhookCerts: cert-manager',
  'honeycomb:', '  region: eu', '  dataset: alerts',
  'demo:', '  enabled: true', '',
].join('\n');

describe('in-process load of the rendered charts', () => {
  /**
   * What cdk8s's Yaml.load does once its child process has read the file (node_modules/cdk8s/lib/yaml.js),
   * in-process, so that the tests below run fast; the first one checks it against Yaml.load itself.
   */
  function cdk8sParse(text: string): any[] {
    return CDK8S_YAML.parseAllDocuments(text, { version: '1.1' }).map((d: any) => d.toJSON())
      .filter((o: any) => o !== undefined && o !== null && !(Array.isArray(o) && o.length === 0) && !(typeof o === 'object' && Object.keys(o).length === 0));
  }

  test('a variant config (other namespaces, driver, rules, cert-manager, demo): read in-process, as cdk8s reads it', async () => {
    const configFile = path.join(tempDir(), 'variant.yaml');
    fs.writeFileSync(configFile, VARIANT);
    const { helmOutputs, cdk8sLoads } = await recording(() => withEnv({ [RENDER_CACHE_ENV]: undefined }, () => buildApp(loadConfig(configFile), { outdir: tempDir(), secretsDir: tempDir() })));
    expect(cdk8sLoads).toEqual([]);
    expect(helmOutputs).toHaveLength(2);
    for (const text of helmOutputs) expect(JSON.stringify(loadRenderedManifest(text))).toBe(JSON.stringify(cdk8sParse(text)));
  });

  test('Yaml.load and the spawnSync seam are cdk8s\'s own again after each chart, also when helm fails', () => {
    const { load } = Yaml;
    const { spawnSync } = _child_process;
    const failing = path.join(tempDir(), 'helm');
    fs.writeFileSync(failing, '#!/bin/sh\necho "Error: broken chart" >&2\nexit 1\n', { mode: 0o755 });
    expect(() => new HelmRelease(new Chart(new App(), 'c'), 'r', { chart: FALCO_CHART, releaseName: 'x', namespace: 'x', helmExecutable: failing }))
      .toThrow(/broken chart/);
    expect(Yaml.load).toBe(load);
    expect(_child_process.spawnSync).toBe(spawnSync);
  });

  // Each either falls back (undefined) or gives exactly what cdk8s's Yaml.load gives.
  const SCALARS = [
    'a: 1', 'a: -1', 'a: 0', 'a: -0', 'a: 1.5', 'a: 1.50', 'a: 0.25', 'a: 30s', 'a: 1000m', 'a: 512Mi', 'a: .spec.x', 'a: 10.0.0.1', 'a: 1.2.3',
    'a: true', 'a: False', 'a: null', 'a: ~', 'a:', 'a: ""', "a: 'on'", 'a: "0775"', 'a: |\n  on\n', 'a: >-\n  yes\n  no\n',
    'a: yes', 'a: No', 'a: on', 'a: OFF', 'a: y', 'a: n', 'a: 0775', 'a: 0x1F', 'a: 0b101', 'a: +1', 'a: 1_000', 'a: 1e3', 'a: .5', 'a: .inf', 'a: .nan',
    'a: 12:30', 'a: 2024-01-01', 'a: 2024-01-01T10:00:00Z', 'a: 123456789012345678', 'null: 1', '~: 1', 'on: 1', '1: a',
    'a: [1, yes, "no"]', 'a: {b: on}', 'a: &x {b: 1}\nc: *x', '<<: {a: 1}', 'a: !!str 5', 'a: !!int "5"', 'a: !custom 5', 'a: 1\na: 2',
    '%YAML 1.2\n---\na: on', "a: 'x'\n---\n---\nb: 1\n", '---\n[]\n---\n{}\n---\nc: 1', 'a:\n  - \n  - ~',
  ];

  test('the reference parse below is cdk8s\'s Yaml.load', () => {
    const text = SCALARS.filter((t) => !t.includes('---') && !t.startsWith('%')).join('\n---\n');
    const file = path.join(tempDir(), 'docs.yaml');
    fs.writeFileSync(file, text);
    expect(JSON.stringify(cdk8sParse(text))).toBe(JSON.stringify(Yaml.load(file)));
  });

  test.each(SCALARS)('%j: falls back, or the same as cdk8s', (text) => {
    const fast = loadRenderedManifest(text);
    if (fast !== undefined) expect(JSON.stringify(fast)).toBe(JSON.stringify(cdk8sParse(text)));
  });

  test('typed differently in YAML 1.1 or only maybe the same: left to cdk8s', () => {
    for (const text of ['a: yes', 'a: on', 'a: 0775', 'a: 0x1F', 'a: 1e3', 'a: 2024-01-01', 'a: 12:30', 'a: .inf', 'a: +1', 'null: 1', '<<: {a: 1}', 'a: !!int "5"', 'a: 1\na: 2']) {
      expect([text, loadRenderedManifest(text)]).toEqual([text, undefined]);
    }
  });

  test('the forms charts print are read in-process', () => {
    for (const text of ['a: 1', 'a: -1', 'a: 1.5', 'a: true', 'a: null', 'a:', 'a: 30s', 'a: 1000m', 'a: .spec.x', "a: 'on'", 'a: |\n  on\n']) {
      expect([text, loadRenderedManifest(text)]).not.toEqual([text, undefined]);
    }
  });
});

describe('render cache of the test suite', () => {
  /** A helm stand-in that counts its runs and prints a ConfigMap, random or not. */
  function stubHelm(random: boolean): { bin: string; runs: () => number } {
    const dir = tempDir();
    const bin = path.join(dir, 'helm');
    const count = path.join(dir, 'runs');
    const value = random ? '$$-$(date +%s%N)' : 'fixed';
    fs.writeFileSync(bin, `#!/bin/sh\necho x >> "${count}"\nprintf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: c\\ndata:\\n  v: "%s"\\n' "${value}"\n`, { mode: 0o755 });
    return { bin, runs: () => (fs.existsSync(count) ? fs.readFileSync(count, 'utf8').split('\n').length - 1 : 0) };
  }

  function render(bin: string, cache: string, values: Record<string, unknown> = {}): string {
    return withEnv({ [RENDER_CACHE_ENV]: cache }, () => {
      const release = new HelmRelease(new Chart(new App(), 'c'), 'r', { chart: FALCO_CHART, releaseName: 'x', namespace: 'x', helmExecutable: bin, values });
      return release.findObject('ConfigMap', 'c').toJson().data.v;
    });
  }

  test('a render is served once helm printed the same bytes twice; other values are other keys', () => {
    const cache = tempDir();
    const helm = stubHelm(false);
    expect([render(helm.bin, cache), render(helm.bin, cache), render(helm.bin, cache), render(helm.bin, cache)]).toEqual(['fixed', 'fixed', 'fixed', 'fixed']);
    expect(helm.runs()).toBe(2);
    render(helm.bin, cache, { other: 1 });
    expect(helm.runs()).toBe(3);
  });

  test('a chart that renders differently each time (like autoGenerateCert) is never served from the cache', () => {
    const cache = tempDir();
    const helm = stubHelm(true);
    const values = [render(helm.bin, cache), render(helm.bin, cache), render(helm.bin, cache)];
    expect(new Set(values).size).toBe(3);
    expect(helm.runs()).toBe(3);
  });

  test('fillRenderCache (test/global-setup.ts): two renders at once, then served from the first use; never when they differ', async () => {
    for (const random of [false, true]) {
      const cache = tempDir();
      const helm = stubHelm(random);
      const release = { chart: FALCO_CHART, releaseName: 'x', namespace: 'x', helmExecutable: helm.bin, values: { a: 1 } };
      await fillRenderCache(cache, [release]);
      expect(helm.runs()).toBe(2);
      const served = render(helm.bin, cache, { a: 1 });
      expect(helm.runs()).toBe(random ? 3 : 2);
      if (!random) expect(served).toBe('fixed');
    }
  });

  test('without the cache variable, nothing is cached', () => {
    const helm = stubHelm(false);
    withEnv({ [RENDER_CACHE_ENV]: undefined }, () => {
      for (let i = 0; i < 3; i++) new HelmRelease(new Chart(new App(), 'c'), 'r', { chart: FALCO_CHART, releaseName: 'x', namespace: 'x', helmExecutable: helm.bin });
    });
    expect(helm.runs()).toBe(3);
  });
});
