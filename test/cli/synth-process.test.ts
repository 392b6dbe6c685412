import { execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { tempDir, TEST_CONFIG } from '../support/helpers';
import { envWith, fingerprint, previousOutput, previousSynth, runSynthCli, scratchDir, synthCliArgs, writeConfig } from '../support/synth-cli';
import { resolveHelm } from '../../lib/helm/helm-binary';
import { recoverOutputFolder } from '../../synth/output-folder';

// The synth CLI as a process: what only a real process shows (its exit code and stderr, kill -9,
// SIGINT and SIGTERM, another user, a helm that hangs). What needs no process of its own is in
// test/hostile-input.test.ts and test/config-errors.test.ts.

const ROOT = path.resolve(__dirname, '..', '..');
const CLUSTER = 'cluster:\n  name: demo\n';
const HELM = resolveHelm(undefined).path;

describe('the synth CLI, killed or interrupted, leaves a complete dist/', () => {
  test('kill -9 of the real CLI at random instants: dist/ is always a complete output, and the next synth cleans up', async () => {
    const { outdir } = await previousSynth();
    const complete = fingerprint(outdir);
    const config = writeConfig(fs.readFileSync(TEST_CONFIG, 'utf8'));
    for (const delay of [50, 300, 500, 650, 800, 950, 1100, 1300]) {
      const child = spawn(process.execPath, synthCliArgs(['--config', config, '--outdir', outdir, '--secrets-dir', tempDir()]), { cwd: ROOT, env: process.env });
      const closed = new Promise((r) => child.on('close', r));
      await new Promise((r) => setTimeout(r, delay));
      child.kill('SIGKILL');
      await closed;
      recoverOutputFolder(outdir);
      expect(fingerprint(outdir)).toEqual(complete);
    }
    const after = await runSynthCli(['--config', config, '--outdir', outdir, '--secrets-dir', tempDir()], process.env);
    expect(after.status).toBe(0);
    expect(fs.readdirSync(path.dirname(outdir)).sort()).toEqual(['dist', 'secrets']);
  });

  test.each(['SIGINT', 'SIGTERM'] as const)('%s: synth stops, cleans up and says so; dist/ unchanged', async (signal) => {
    const { outdir } = await previousSynth();
    const before = fingerprint(outdir);
    // A helm that takes its time, so that the signal arrives while the charts render.
    const slow = path.join(tempDir('slow-helm-'), 'helm');
    fs.writeFileSync(slow, `#!/bin/sh\n[ "$1" = version ] && { echo v4.2.3; exit 0; }\nsleep 5\nexec '${HELM}' "$@"\n`, { mode: 0o755 });
    const child = spawn(process.execPath, synthCliArgs(['--config', TEST_CONFIG, '--outdir', outdir, '--secrets-dir', tempDir()]), { cwd: ROOT, env: { ...process.env, HELM_BIN: slow } });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d) => { stderr += d; });
    child.stdout.on('data', (d) => { stdout += d; if (stdout.includes('rendering')) child.kill(signal); });
    const status = await new Promise((r) => child.on('close', (code) => r(code)));
    expect(status).toBe(signal === 'SIGINT' ? 130 : 143);
    expect(stderr).toMatch(new RegExp(`^synth interrupted by ${signal}: .*dist was left unchanged`, 'm'));
    expect(fingerprint(outdir)).toEqual(before);
  });
});

describe('the synth CLI refuses with one line and exit 1', () => {
  const asNobody = process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'] : [];

  test('a read-only dist/ (not root): refused before anything changes, and the message says so truthfully', () => {
    const base = tempDir('readonly-');
    // The user nobody runs synth here: it may pass through the suite's TMPDIR (not list it).
    if (asNobody.length) fs.chmodSync(path.dirname(base), 0o711);
    const project = path.join(base, 'p');
    fs.mkdirSync(project);
    const outdir = path.join(project, 'dist');
    fs.cpSync(path.join(ROOT, 'dist'), outdir, { recursive: true });
    const config = path.join(project, 'c.yaml');
    fs.copyFileSync(TEST_CONFIG, config);
    if (asNobody.length) execFileSync('chown', ['-R', '65534:65534', base]);
    fs.chmodSync(outdir, 0o555);
    const before = fingerprint(outdir);
    const run = spawnSync(asNobody[0] ?? process.execPath, [...asNobody.slice(1), ...(asNobody.length ? [process.execPath] : []), ...synthCliArgs(['--config', config, '--outdir', outdir, '--secrets-dir', path.join(project, 'secrets')])],
      { cwd: project, env: { ...process.env, HOME: base }, encoding: 'utf8' });
    fs.chmodSync(outdir, 0o755);
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([`synth failed: --outdir ${outdir}: is not writable; expected a folder of its own for the output, such as dist (the default)`, 'The output folder was left unchanged.']);
    expect(fingerprint(outdir)).toEqual(before);
  });

  test('a HELM_BIN that hangs is stopped by --helm-timeout, with one line', async () => {
    const hang = path.join(tempDir('hang-'), 'helm');
    fs.writeFileSync(hang, '#!/bin/sh\n[ "$1" = version ] && { echo v4.2.3; exit 0; }\nsleep 60\n', { mode: 0o755 });
    const outdir = path.join(tempDir(), 'dist');
    const run = await runSynthCli(['--config', TEST_CONFIG, '--outdir', outdir, '--helm-timeout', '1s'], { ...process.env, HELM_BIN: hang });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^synth failed: helm template of chart opentelemetry-operator 0\.122\.0: did not finish within 1 s .*raise --helm-timeout/m);
    expect(fs.existsSync(outdir)).toBe(false);
  });
});

describe('the synth CLI exits non-zero, prints one "synth failed: " line per problem on stderr, and leaves the output folder byte-identical', () => {
  const chartsDir = scratchDir('charts-');
  const cases: Record<string, { config: string; env: NodeJS.ProcessEnv; stderr: RegExp }> = {
    'a typo': {
      config: writeConfig(`${CLUSTER}honeycomb:\n  datset: falco\n`),
      env: envWith({}),
      stderr: /^synth failed: .*cluster\.yaml:4: honeycomb\.datset: "datset" is not a known key \(did you mean "dataset"\?\)/,
    },
    'missing HONEYCOMB_API_KEY': {
      config: writeConfig(`${CLUSTER}honeycomb:\n  apiKey: {source: env}\n`),
      env: envWith({}, ['HONEYCOMB_API_KEY']),
      stderr: /^synth failed: .*cluster\.yaml:4: honeycomb\.apiKey\.source: "env" needs the environment variable HONEYCOMB_API_KEY/,
    },
    'no usable helm (HELM_BIN=/nonexistent)': {
      config: writeConfig(CLUSTER),
      env: envWith({ HELM_BIN: '/nonexistent' }),
      stderr: /^synth failed: HELM_BIN=\/nonexistent does not exist; expected an executable helm v4 binary/,
    },
    'CHARTS_DIR without the pinned chart': {
      config: writeConfig(CLUSTER),
      env: envWith({ CHARTS_DIR: chartsDir }),
      stderr: /^synth failed: CHARTS_DIR=.* holds no chart opentelemetry-operator; expected the pinned chart opentelemetry-operator 0\.122\.0/,
    },
  };
  const runs: Record<string, Promise<{ status: number | null; stderr: string; stdout: string; before: object; after: () => object }>> = {};

  beforeAll(() => {
    // The runs overlap: each costs about a second, mostly start-up.
    for (const [name, { config, env }] of Object.entries(cases)) {
      const outdir = previousOutput();
      const before = fingerprint(outdir);
      runs[name] = runSynthCli(['--config', config, '--outdir', outdir], env).then((r) => ({ ...r, before, after: () => fingerprint(outdir) }));
    }
  });

  test.each(Object.keys(cases))('%s', async (name) => {
    const run = await runs[name];
    expect(run.status).toBe(1);
    // Progress only ("synth: rendering …"), no summary: nothing was written.
    expect(run.stdout.split('\n').filter((l) => l && !l.startsWith('synth: '))).toEqual([]);
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(cases[name].stderr);
    expect(lines[1]).toBe('The output folder was left unchanged.');
    expect(run.after()).toEqual(run.before);
  });
});
