import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { App } from 'cdk8s';
import { _child_process } from 'cdk8s/lib/_child_process';
import { tempDir, testConfig } from './helpers';
import { envWith } from './synth-cli';
import { chartReleases } from '../lib/config/construct-props';
import { ChartRenders, helmTemplateCommand, RENDER_CACHE_ENV } from '../lib/helm/chart-renders';
import { HelmRelease } from '../lib/helm/helm-release';
import { buildApp } from '../main';

// `npm run synth` renders both charts at once, before cdk8s and the constructs load
// (lib/helm/chart-renders.ts, lib/synth/synthesize.ts), and the constructs take helm's output from
// those renders. These tests hold the renders to the commands cdk8s's Helm would run itself.

const ROOT = path.resolve(__dirname, '..');

/** Runs `fn` recording every command that reaches cdk8s's spawnSync seam (and running it). */
function spawned<T>(fn: () => T): { result: T; commands: Array<{ command: string; args: string[]; values?: string }> } {
  const commands: Array<{ command: string; args: string[]; values?: string }> = [];
  const spawnSync = _child_process.spawnSync;
  _child_process.spawnSync = ((command: string, args: string[], options: object) => {
    const valuesAt = args.indexOf('-f') + 1;
    commands.push({ command, args, values: valuesAt > 0 ? fs.readFileSync(args[valuesAt], 'utf8') : undefined });
    return spawnSync(command, args, options);
  }) as typeof spawnSync;
  try {
    return { result: fn(), commands };
  } finally {
    _child_process.spawnSync = spawnSync;
  }
}

/** Without the test suite's render cache, so that cdk8s's Helm really runs helm. */
function withoutRenderCache<T>(fn: () => T): T {
  const saved = process.env[RENDER_CACHE_ENV];
  delete process.env[RENDER_CACHE_ENV];
  try {
    return fn();
  } finally {
    process.env[RENDER_CACHE_ENV] = saved;
  }
}

const VARIANT = testConfig({
  falco: { namespace: 'security', driver: 'kmod', tolerations: [{ key: 'gpu', operator: 'Exists' }], followRulesUpdates: true },
  otel: { namespace: 'telemetry', webhookCerts: 'cert-manager' },
} as any);

test.each([['the default config', testConfig()], ['a variant config', VARIANT]])('%s: chartReleases() are the commands the constructs run: arguments, order and values text', (_name, config) => {
  // Without the suite's render cache, whose seam would answer before the recording one.
  const { commands } = withoutRenderCache(() => spawned(() => buildApp(config, { outdir: tempDir(), secretsDir: tempDir() })));
  const templates = commands.filter((c) => c.args[0] === 'template');
  expect(templates).toHaveLength(2);
  const predicted = chartReleases(config).map((release) => helmTemplateCommand(release, '<values>'));
  templates.forEach((actual, i) => {
    expect(predicted[i].command).toBe(actual.command);
    expect(predicted[i].args.map((a) => (a === '<values>' ? actual.args[actual.args.indexOf('-f') + 1] : a))).toEqual(actual.args);
    expect(predicted[i].valuesText).toBe(actual.values);
  });
});

describe('ChartRenders', () => {
  const config = testConfig();
  const build = () => buildApp(config, { outdir: tempDir(), secretsDir: tempDir() });

  test('serves every helm template it rendered: the constructs run no helm and get the same objects', async () => {
    const renders = ChartRenders.start(chartReleases(config));
    await renders.finished();
    const ahead = withoutRenderCache(() => spawned(() => renders.serve(build)));
    expect(ahead.commands.filter((c) => c.args[0] === 'template')).toEqual([]);
    // The same command gives the same output, so the objects are those of the constructs' own renders.
    expect(ahead.result.app.charts.map((c) => c.toJson())).toEqual(build().app.charts.map((c) => c.toJson()));
  });

  test('a render of another command (other values) is not served: the constructs render their own', async () => {
    const [, falco] = chartReleases(config);
    const renders = ChartRenders.start([{ ...falco, values: { ...falco.values, falco: { json_output: false } } }]);
    await renders.finished();
    const { falco: built } = renders.serve(build);
    expect(built.configMap.toJson().data['falco.yaml']).toMatch(/^json_output: true$/m);
  });

  test('a render that failed is not served, and the construct reports helm\'s own error', async () => {
    const fake = path.join(tempDir(), 'helm');
    fs.writeFileSync(fake, '#!/bin/sh\n[ "$1" = version ] && { echo v4.2.3; exit 0; }\necho "Error: render failed on purpose" >&2\nexit 1\n', { mode: 0o755 });
    const [operator] = chartReleases(testConfig());
    const release = { ...operator, helmExecutable: fake };
    const renders = ChartRenders.start([release]);
    await renders.finished();
    expect(() => withoutRenderCache(() => renders.serve(() => new HelmRelease(new App(), 'op', release))))
      .toThrow(/helm template of chart opentelemetry-operator 0\.122\.0 failed .*render failed on purpose/);
  });

  test('serve() puts cdk8s\'s spawnSync back, also when building throws', async () => {
    const renders = ChartRenders.start([]);
    await renders.finished();
    const spawnSync = _child_process.spawnSync;
    expect(() => renders.serve(() => { throw new Error('boom'); })).toThrow('boom');
    expect(_child_process.spawnSync).toBe(spawnSync);
  });
});

describe('npm run synth (scripts/synth.ts)', () => {
  test('starts both helm template runs before it loads cdk8s, and leaves no temporary folder', () => {
    const tmp = tempDir();
    const trace = path.join(tempDir(), 'trace.jsonl');
    const outdir = path.join(tempDir(), 'dist');
    execFileSync(process.execPath, ['-r', path.join(__dirname, 'stubs', 'trace-synth.cjs'), 'scripts/run-ts.cjs', 'scripts/synth.ts', '--outdir', outdir], {
      cwd: ROOT, env: envWith({ TRACE_FILE: trace, TMPDIR: tmp }, [RENDER_CACHE_ENV]), stdio: 'pipe',
    });
    const events = fs.readFileSync(trace, 'utf8').trim().split('\n').map((line) => JSON.parse(line))
      .map(({ event, release }) => (release ? `${event} ${release}` : event));
    expect(events).toEqual(['helm template opentelemetry-operator', 'helm template falco', 'require cdk8s']);
    expect(fs.readdirSync(outdir)).toHaveLength(4);
    expect(fs.readdirSync(tmp)).toEqual([]);
  });
});
