// `npm run bench [-- --runs N] [-- --memory self]`: how far `npm run synth` is from its floor, rendering the two pinned
// charts with `helm template`. After one warm-up of each, every round times, one after the other:
//   floor   both `helm template` runs, one after the other, with the exact arguments and values
//           the app uses (the commands synth starts, lib/helm/chart-renders.ts, for the default config);
//   synth   `npm run synth -- --outdir <temp>` end to end (same work as `npm run synth`, but dist/
//           stays untouched), and its peak memory: GNU time's %M where /usr/bin/time is GNU time,
//           else (or with --memory self) the synth process's own process.resourceUsage().maxRSS;
//   direct  the same synth without npm (`node scripts/run-ts.cjs scripts/synth.ts`), to show npm's share;
//   phases  where the time of one synth process goes, step by step as lib/synth/synthesize.ts
//           takes them (helm runs from renderStart until helmDone, beside load and schema).
// Prints medians, min and max and the ratio synth/floor (of the medians), and writes all of it as
// JSON to .cache/bench/latest.json (and a dated copy) so that CI or a reviewer can compare runs.
import { spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseArgs } from 'util';
import { chartReleases } from '../lib/config/construct-props';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../lib/config/load-config';
import { ChartRenders, helmTemplateCommand, RENDER_CACHE_ENV, writeValuesFile } from '../lib/helm/chart-renders';
import { HELM_VERSION, resolveHelm } from '../lib/helm/pinned';
import { kubernetesSchema } from '../lib/validate/kubernetes-schema';
import { validateManifests } from '../lib/validate/validate-manifests';

// npm runs scripts in the package's folder.
const ROOT = process.cwd();
const GOAL = { ratio: 2.0, peakMemoryMB: 400 };

interface Stats { median: number; min: number; max: number; runs: number[] }

function stats(values: number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median: round(median), min: round(sorted[0]), max: round(sorted[sorted.length - 1]), runs: values.map(round) };
}

const round = (n: number) => Math.round(n * 1000) / 1000;

function check(run: SpawnSyncReturns<Buffer>, what: string): void {
  if (run.error || run.status !== 0) {
    throw new Error(`${what} failed (${run.error?.message ?? `exit ${run.status}`}): ${run.stderr?.toString().trim().slice(0, 2000)}`);
  }
}

/** Wall-clock seconds of `fn`. */
function timed(fn: () => void): number {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** The `helm template` commands synth starts for the default config, with their values files in `dir`. */
function helmCommands(dir: string): Array<{ command: string; args: string[] }> {
  return chartReleases(loadConfig(DEFAULT_CONFIG_FILE)).map((release, i) => {
    const command = helmTemplateCommand(release, path.join(dir, `values-${i}.yaml`));
    writeValuesFile(command);
    return { command: command.command, args: [...command.args] };
  });
}

/**
 * Run as a child (`--phases <outdir>`): one synth of the default config, step by step as
 * lib/synth/synthesize.ts takes them, timing each; prints the times (seconds) as JSON. The modules
 * that synth loads while helm runs are not loaded by this script before.
 */
async function phases(outdir: string): Promise<void> {
  const now = () => performance.now() / 1000;
  const t: Record<string, number> = { startup: now() }; // node start, freshness check, loading the bundle
  let mark = now();
  const step = (name: string) => { t[name] = now() - mark; mark = now(); };
  const config = loadConfig(DEFAULT_CONFIG_FILE);
  step('config');
  const helmStart = now();
  const renders = ChartRenders.start(chartReleases(config));
  step('renderStart');
  const { buildApp } = await import('../main');
  const { writeApp } = await import('../lib/synth/write-app');
  step('load');
  kubernetesSchema(config.kubernetesVersion);
  step('schema');
  await renders.finished();
  t.helm = now() - helmStart;
  step('helmWait');
  const { app } = renders.serve(() => buildApp(config, { outdir, secretsDir: path.join(outdir, '..', 'secrets') }));
  step('build');
  const files = writeApp(app);
  step('write');
  validateManifests(files, { kubernetesVersion: config.kubernetesVersion });
  step('validate');
  console.log(JSON.stringify({ ...t, total: now() }));
}

function hasGnuTime(): boolean {
  const run = spawnSync('/usr/bin/time', ['--version'], { encoding: 'utf8' });
  return run.status === 0 && /GNU/.test(`${run.stdout}${run.stderr}`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' }, memory: { type: 'string', default: 'auto' }, phases: { type: 'string' } } });
  if (values.phases) return phases(values.phases);
  if (!fs.existsSync(path.join(ROOT, 'scripts', 'run-ts.cjs'))) throw new Error('run from the repository folder: npm run bench');
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 5) throw new Error(`--runs ${values.runs}: expected an integer of at least 5`);

  const env = { ...process.env };
  delete env[RENDER_CACHE_ENV]; // never the test suite's render cache
  delete env.CDK8S_OUTDIR;
  process.env = env;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
  try {
    const helmBin = resolveHelm();
    const commands = helmCommands(work);
    if (commands.length !== 2) throw new Error(`expected 2 helm renders, the app ran ${commands.length}`);
    const outdir = path.join(work, 'dist');
    // --memory self: the synth's own maxRSS even where GNU time exists (what CI without it reports).
    if (!['auto', 'self'].includes(values.memory!)) throw new Error(`--memory ${values.memory}: expected auto or self`);
    const gnuTime = values.memory === 'auto' && hasGnuTime();
    const memoryFile = path.join(work, 'maxrss');

    const floor = () => timed(() => {
      for (const { command, args } of commands) check(spawnSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 }), 'helm template');
    });
    const synth = () => {
      fs.rmSync(memoryFile, { force: true });
      const argv = ['npm', 'run', 'synth', '--', '--outdir', outdir];
      const seconds = timed(() => check(gnuTime
        ? spawnSync('/usr/bin/time', ['-f', '%M', '-o', memoryFile, ...argv], { cwd: ROOT, env })
        : spawnSync(argv[0], argv.slice(1), { cwd: ROOT, env: { ...env, SYNTH_MAXRSS_FILE: memoryFile } }), 'npm run synth'));
      return { seconds, kib: Math.max(...fs.readFileSync(memoryFile, 'utf8').trim().split('\n').map(Number)) };
    };
    const direct = () => timed(() => check(spawnSync(process.execPath, ['scripts/run-ts.cjs', 'scripts/synth.ts', '--outdir', outdir], { cwd: ROOT, env }), 'synth without npm'));
    const phaseRun = () => {
      const phaseDir = path.join(work, 'phases', String(Date.now()));
      fs.mkdirSync(phaseDir, { recursive: true });
      const run = spawnSync(process.execPath, ['scripts/run-ts.cjs', 'scripts/bench.ts', '--phases', phaseDir], { cwd: ROOT, env });
      check(run, 'phase run');
      return JSON.parse(run.stdout.toString()) as Record<string, number>;
    };

    const load = [os.loadavg()[0]];
    console.error(`bench: ${runs} rounds after a warm-up, alternating floor / npm run synth / synth without npm / phases …`);
    floor(); synth(); direct(); phaseRun(); // warm-up: page cache, the bundle in .cache/build/
    const samples = { floor: [] as number[], synth: [] as number[], memory: [] as number[], direct: [] as number[], phases: [] as Record<string, number>[] };
    for (let i = 0; i < runs; i++) {
      samples.floor.push(floor());
      const s = synth();
      samples.synth.push(s.seconds);
      samples.memory.push(s.kib / 1024);
      samples.direct.push(direct());
      samples.phases.push(phaseRun());
      load.push(os.loadavg()[0]);
    }

    const floorStats = stats(samples.floor);
    const synthStats = stats(samples.synth);
    const memoryStats = stats(samples.memory);
    const phaseStats = Object.fromEntries(Object.keys(samples.phases[0]).map((k) => [k, stats(samples.phases.map((p) => p[k])).median]));
    const ratio = round(synthStats.median / floorStats.median);
    const npmVersion = spawnSync('npm', ['--version'], { encoding: 'utf8' }).stdout.trim();
    const result = {
      date: new Date().toISOString(),
      command: 'npm run bench',
      machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memoryGB: round(os.totalmem() / 2 ** 30), os: `${os.type()} ${os.release()}`, loadAverage1m: load.map(round) },
      versions: { node: process.version, npm: npmVersion, helm: HELM_VERSION, helmBinary: helmBin },
      rounds: runs,
      floorSeconds: floorStats,
      floorCommands: commands.map(({ command, args }) => [command, ...args.map((a) => a.replace(work, '<temp>'))].join(' ')),
      synthSeconds: synthStats,
      synthCommand: 'npm run synth -- --outdir <temp>/dist',
      peakMemoryMB: { ...memoryStats, method: gnuTime ? 'GNU time %M (largest process of npm run synth)' : 'process.resourceUsage().maxRSS of the synth process (SYNTH_MAXRSS_FILE)' },
      synthWithoutNpmSeconds: stats(samples.direct),
      phasesSecondsMedian: phaseStats,
      ratio,
      goal: GOAL,
      meetsGoal: { ratio: ratio <= GOAL.ratio, peakMemory: memoryStats.max < GOAL.peakMemoryMB },
    };

    const dir = path.join(ROOT, '.cache', 'bench');
    fs.mkdirSync(dir, { recursive: true });
    const json = `${JSON.stringify(result, null, 2)}\n`;
    fs.writeFileSync(path.join(dir, `${result.date.replace(/[:.]/g, '-')}.json`), json);
    fs.writeFileSync(path.join(dir, 'latest.json'), json);

    const s = (x: Stats) => `median ${x.median.toFixed(3)} s (min ${x.min.toFixed(3)}, max ${x.max.toFixed(3)})`;
    console.log([
      `machine: ${result.machine.cpus} × ${result.machine.cpu}, node ${process.version}, npm ${npmVersion}, helm ${HELM_VERSION}; load average ${load.map((l) => l.toFixed(2)).join(' → ')}`,
      `(a) floor, helm template × 2 one after the other: ${s(floorStats)}`,
      `(b) npm run synth:                               ${s(synthStats)}`,
      `(c) peak memory of (b):                          median ${memoryStats.median.toFixed(0)} MB (min ${memoryStats.min.toFixed(0)}, max ${memoryStats.max.toFixed(0)}), ${result.peakMemoryMB.method}`,
      `    synth without npm:                           ${s(result.synthWithoutNpmSeconds)}`,
      `    one synth process, medians (s): ${Object.entries(phaseStats).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ')}`,
      `ratio b/a (medians): ${ratio.toFixed(2)} (goal ≤ ${GOAL.ratio}: ${result.meetsGoal.ratio ? 'met' : 'NOT met'}); peak memory goal < ${GOAL.peakMemoryMB} MB: ${result.meetsGoal.peakMemory ? 'met' : 'NOT met'}`,
      `written: ${path.relative(process.cwd(), path.join(dir, 'latest.json'))}`,
    ].join('\n'));
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
