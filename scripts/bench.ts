// `npm run bench [-- --runs N] [-- --clusters N]`: how far synth is from its floor. After one
// warm-up of each, every round times, one after the other:
//   floor      both `helm template` runs of the default config, one after the other, exactly as
//              synth starts them (HelmRenderer.command);
//   synth      `npm run synth -- --outdir <temp>` end to end, and its peak memory (GNU time's %M
//              where /usr/bin/time is GNU time, else the synth process's own maxRSS);
//   direct     the same synth without npm (`node scripts/run-ts.cjs scripts/synth.ts`);
//   fleet      `npm run synth:all` of N clusters (default 16) with the same chart values, against
//              one cluster's `npm run synth:all` (a folder with one config).
// Prints medians, min and max and the ratios against their goals, and writes all of it as JSON to
// .cache/bench/latest.json (and a dated copy).
import { spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { chartTemplates } from '../app/falco-otel-app';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../app/load-config';
import { main } from '../cli/command';
import { UserError } from '../lib/errors';
import { createPrivateTempDir } from '../lib/fs/private-temp';
import { HelmRenderer } from '../lib/helm/helm-renderer';
import { HELM_PIN } from '../lib/pins';
import { projectRoot } from '../synth/project-root';

const ROOT = projectRoot();
const GOAL = { ratio: 2.0, peakMemoryMB: 400, fleetRatio: 2.5 };

interface Stats { median: number; min: number; max: number; runs: number[] }

const round = (n: number) => Math.round(n * 1000) / 1000;

function stats(values: number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median: round(median), min: round(sorted[0]), max: round(sorted[sorted.length - 1]), runs: values.map(round) };
}

function check(run: SpawnSyncReturns<Buffer>, what: string): void {
  if (run.error || run.status !== 0) {
    throw new UserError(`${what}: failed (${run.error?.message ?? `exit ${run.status}`}: ${run.stderr?.toString().trim().slice(0, 600)}); expected it to succeed as it does for npm run synth`);
  }
}

/** Wall-clock seconds of `fn`. */
function timed(fn: () => void): number {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function hasGnuTime(): boolean {
  const run = spawnSync('/usr/bin/time', ['--version'], { encoding: 'utf8' });
  return run.status === 0 && /GNU/.test(`${run.stdout}${run.stderr}`);
}

main({
  name: 'bench',
  usage: `usage: npm run bench -- [--runs N] [--clusters N]
Times npm run synth against its floor (the two helm template runs) and synth:all of N clusters against one,
prints the figures with their goals (ratio ≤ ${GOAL.ratio}, peak memory < ${GOAL.peakMemoryMB} MB, fleet ratio ≤ ${GOAL.fleetRatio}),
and writes them to .cache/bench/latest.json. Environment as for synth (CHARTS_DIR, HELM_BIN).
  --runs N       rounds after the warm-up, at least 5 (default 7)
  --clusters N   clusters of the fleet run (default 16)`,
  options: { runs: { type: 'string', default: '7' }, clusters: { type: 'string', default: '16' } },
  run: async (values, io) => {
    const runs = Number(values.runs);
    const clusters = Number(values.clusters);
    if (!Number.isInteger(runs) || runs < 5) throw new UserError(`--runs ${values.runs}: is not an integer of at least 5; expected --runs 5 or more`);
    if (!Number.isInteger(clusters) || clusters < 2) throw new UserError(`--clusters ${values.clusters}: is not an integer of at least 2; expected --clusters 2 or more`);
    const env = { ...process.env };
    delete env.CDK8S_OUTDIR;
    const work = createPrivateTempDir('bench');

    const renderer = HelmRenderer.fromEnvironment(env);
    const commands = chartTemplates(loadConfig(path.join(ROOT, DEFAULT_CONFIG_FILE), env).config).map((t) => renderer.command(t));
    const gnuTime = hasGnuTime();
    const memoryFile = path.join(work, 'maxrss');
    const outdir = path.join(work, 'dist');
    const npm = (args: string[], stdinEnv = env) => spawnSync('npm', ['run', '--silent', ...args], { cwd: ROOT, env: stdinEnv });

    // One config folder, and one of N clusters that share the chart values (only cluster.name differs).
    const base = fs.readFileSync(path.join(ROOT, DEFAULT_CONFIG_FILE), 'utf8');
    const oneDir = path.join(work, 'one');
    const fleetDir = path.join(work, 'fleet');
    fs.mkdirSync(oneDir);
    fs.mkdirSync(fleetDir);
    const named = (name: string) => base.replace(/^(\s*name:\s*).*$/m, `$1${name}`);
    fs.writeFileSync(path.join(oneDir, 'c00.yaml'), named('c00'));
    for (let i = 0; i < clusters; i++) fs.writeFileSync(path.join(fleetDir, `c${String(i).padStart(2, '0')}.yaml`), named(`c${String(i).padStart(2, '0')}`));

    const floor = () => timed(() => {
      for (const c of commands) check(spawnSync(c.helm, c.args, { input: c.input, env: c.env, maxBuffer: 64 * 1024 * 1024 }), 'helm template');
    });
    const synth = () => {
      fs.rmSync(memoryFile, { force: true });
      const argv = ['npm', 'run', 'synth', '--', '--outdir', outdir];
      const seconds = timed(() => check(gnuTime
        ? spawnSync('/usr/bin/time', ['-f', '%M', '-o', memoryFile, ...argv], { cwd: ROOT, env })
        : spawnSync(argv[0], argv.slice(1), { cwd: ROOT, env }), 'npm run synth'));
      const kib = gnuTime ? Number(fs.readFileSync(memoryFile, 'utf8').trim().split('\n').pop()) : NaN;
      return { seconds, mb: kib / 1024 };
    };
    const direct = () => timed(() => check(spawnSync(process.execPath, ['scripts/run-ts.cjs', 'scripts/synth.ts', '--outdir', outdir], { cwd: ROOT, env }), 'synth without npm'));
    const fleet = (dir: string, out: string) => timed(() => check(npm(['synth:all', '--', '--config-dir', dir, '--outdir', out, '--secrets-dir', path.join(work, 'secrets')]), 'npm run synth:all'));

    const load = [os.loadavg()[0]];
    io.log(`bench: warm-up (the bundle in .cache/build/, the page cache)…`);
    floor(); synth(); direct(); fleet(oneDir, path.join(work, 'one-out')); fleet(fleetDir, path.join(work, 'fleet-out'));
    const samples = { floor: [] as number[], synth: [] as number[], memory: [] as number[], direct: [] as number[], one: [] as number[], fleet: [] as number[] };
    for (let i = 0; i < runs; i++) {
      samples.floor.push(floor());
      const s = synth();
      samples.synth.push(s.seconds);
      if (!Number.isNaN(s.mb)) samples.memory.push(s.mb);
      samples.direct.push(direct());
      samples.one.push(fleet(oneDir, path.join(work, 'one-out')));
      samples.fleet.push(fleet(fleetDir, path.join(work, 'fleet-out')));
      load.push(os.loadavg()[0]);
      io.log(`bench: round ${i + 1}/${runs}: floor ${samples.floor[i].toFixed(3)} s, synth ${s.seconds.toFixed(3)} s, synth:all ${clusters} clusters ${samples.fleet[i].toFixed(3)} s (1 cluster ${samples.one[i].toFixed(3)} s)`);
    }

    const floorStats = stats(samples.floor);
    const synthStats = stats(samples.synth);
    const memoryStats = samples.memory.length ? stats(samples.memory) : undefined;
    const oneStats = stats(samples.one);
    const fleetStats = stats(samples.fleet);
    const ratio = round(synthStats.median / floorStats.median);
    const fleetRatio = round(fleetStats.median / oneStats.median);
    const npmVersion = spawnSync('npm', ['--version'], { encoding: 'utf8' }).stdout.trim();
    const result = {
      date: new Date().toISOString(),
      command: 'npm run bench',
      machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memoryGB: round(os.totalmem() / 2 ** 30), os: `${os.type()} ${os.release()}`, loadAverage1m: load.map(round) },
      versions: { node: process.version, npm: npmVersion, helm: HELM_PIN.version, helmBinary: commands[0]?.helm },
      rounds: runs,
      floorSeconds: floorStats,
      floorCommands: commands.map((c) => [c.helm, ...c.args.map((a) => a.replace(/\/tmp\/[^ ]*\//, '<temp>/'))].join(' ')),
      synthSeconds: synthStats,
      synthCommand: 'npm run synth -- --outdir <temp>/dist',
      peakMemoryMB: memoryStats ? { ...memoryStats, method: 'GNU time %M (largest process of npm run synth)' } : 'not measured: /usr/bin/time is not GNU time',
      synthWithoutNpmSeconds: stats(samples.direct),
      fleet: { clusters, oneClusterSeconds: oneStats, fleetSeconds: fleetStats, ratio: fleetRatio, command: `npm run synth:all -- --config-dir <${clusters} configs>` },
      ratio,
      goal: GOAL,
      meetsGoal: { ratio: ratio <= GOAL.ratio, peakMemory: memoryStats ? memoryStats.max < GOAL.peakMemoryMB : null, fleetRatio: fleetRatio <= GOAL.fleetRatio },
    };

    const dir = path.join(ROOT, '.cache', 'bench');
    fs.mkdirSync(dir, { recursive: true });
    const json = `${JSON.stringify(result, null, 2)}\n`;
    fs.writeFileSync(path.join(dir, `${result.date.replace(/[:.]/g, '-')}.json`), json);
    fs.writeFileSync(path.join(dir, 'latest.json'), json);

    const s = (x: Stats) => `median ${x.median.toFixed(3)} s (min ${x.min.toFixed(3)}, max ${x.max.toFixed(3)})`;
    const met = (ok: boolean | null) => (ok === null ? 'not measured' : ok ? 'met' : 'NOT met');
    io.log([
      `machine: ${result.machine.cpus} × ${result.machine.cpu}, node ${process.version}, npm ${npmVersion}, helm ${HELM_PIN.version}; load average ${load.map((l) => l.toFixed(2)).join(' → ')}`,
      `(a) floor, helm template × 2 one after the other: ${s(floorStats)}`,
      `(b) npm run synth:                               ${s(synthStats)}`,
      `(c) peak memory of (b):                          ${memoryStats ? `median ${memoryStats.median.toFixed(0)} MB (min ${memoryStats.min.toFixed(0)}, max ${memoryStats.max.toFixed(0)})` : 'not measured (no GNU time)'}`,
      `    synth without npm:                           ${s(result.synthWithoutNpmSeconds)}`,
      `(d) synth:all, 1 cluster:                        ${s(oneStats)}`,
      `(e) synth:all, ${clusters} clusters, same chart values: ${s(fleetStats)}`,
      `ratio b/a: ${ratio.toFixed(2)} (goal ≤ ${GOAL.ratio}: ${met(result.meetsGoal.ratio)}); peak memory < ${GOAL.peakMemoryMB} MB: ${met(result.meetsGoal.peakMemory)}; ratio e/d: ${fleetRatio.toFixed(2)} (goal ≤ ${GOAL.fleetRatio}: ${met(result.meetsGoal.fleetRatio)})`,
      `written: ${path.relative(process.cwd(), path.join(dir, 'latest.json'))}`,
    ].join('\n'));
  },
});
