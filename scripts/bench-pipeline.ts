// `npm run bench:pipeline`: the real collector (otelcol-k8s 0.158.0, built from modules) on the
// synthesized config against the peer (the upstream Helm chart's logsCollection preset,
// test/e2e/collector/peer-config.ts), through the same kubelet-style writer and Honeycomb stand-in,
// at rising rates. Prints both side by side and as ratios, marks each goal met or not met, and
// writes the figures as JSON under .cache/bench/.
//
// A rate counts as sustained when the writer reached it (≥ 95 %), every alert was stored within
// DRAIN_S seconds of the last write, and p99 latency stayed at or below SUSTAINED_P99_S (a
// collector that falls behind builds a backlog whose latency grows through the run).

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { peerBinary } from '../test/e2e/peers';
import { CollectorProcess } from '../test/e2e/collector/collector-process';
import { rewriteForNode, RunnableCollector } from '../test/e2e/collector/node-rewrite';
import { peerConfig } from '../test/e2e/collector/peer-config';
import { PodLogWriter } from '../test/e2e/collector/podlog';
import { HoneycombStandIn, sleep } from '../test/e2e/collector/standin';
import { defaultClusterConfig, synthesizeCollectors } from '../test/e2e/collector/synthesized';
import { projectRoot } from '../synth/project-root';

const RATES = (process.env.BENCH_RATES ?? '1000,2500,5000,10000,15000').split(',').map(Number);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 8);
const DRAIN_S = 15;
const SUSTAINED_P99_S = 2;
const API_KEY = 'bench-api-key';
const REPO = projectRoot();

type Kind = 'ours' | 'peer';

interface Point {
  kind: Kind;
  rate: number;
  written: number;
  achievedRate: number;
  stored: number;
  lost: number;
  duplicated: number;
  cpuSeconds: number;
  cpuPer10k: number;
  peakRssMib: number;
  p50Ms: number;
  p99Ms: number;
  sustained: boolean;
}

export async function runPoint(kind: Kind, rate: number, synth: ReturnType<typeof synthesizeCollectors>[0]): Promise<Point> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `falco-bench-${kind}-${rate}-`));
  const podLogRoot = path.join(dir, 'var-log-pods');
  const storageDir = path.join(dir, 'storage');
  fs.mkdirSync(podLogRoot);
  fs.mkdirSync(storageDir);
  const standIn = await HoneycombStandIn.start(path.join(dir, 'standin'), { apiKey: API_KEY, lean: true });
  const runnable: RunnableCollector = kind === 'ours'
    ? rewriteForNode(synth, { podLogRoot, storageDir, endpoint: standIn.endpoint, apiKey: API_KEY })
    : { config: peerConfig(podLogRoot, standIn.endpoint, API_KEY), argv: [], env: {}, changes: [] };
  const collector = new CollectorProcess(runnable, path.join(dir, 'collector'));
  try {
    await collector.start();
    await sleep(1000); // the peer starts at the end of files: let it see the folder first
    const cpu0 = collector.cpuSeconds();
    const count = rate * DURATION_S;
    const summary = await new PodLogWriter({ root: podLogRoot, count, rate, bigEvery: 0, rotateBytes: 0, fixtures: false }).done;
    const deadline = Date.now() + DRAIN_S * 1000;
    while ((await standIn.stats()).events < count && Date.now() < deadline) await sleep(200);
    await sleep(500);
    const cpuSeconds = collector.cpuSeconds() - cpu0;
    const peakRssMib = collector.peakRssMib();
    const { ids, latenciesMs } = await readLean(standIn.eventsFile);
    let stored = 0;
    let duplicated = 0;
    for (let id = 1; id <= count; id++) {
      const n = ids.get(id) ?? 0;
      if (n > 0) stored++;
      duplicated += Math.max(0, n - 1);
    }
    latenciesMs.sort((a, b) => a - b);
    const q = (p: number) => latenciesMs.length ? latenciesMs[Math.min(latenciesMs.length - 1, Math.floor(p * latenciesMs.length))] : NaN;
    const achievedRate = summary.written / summary.seconds;
    const point: Point = {
      kind, rate, written: summary.written, achievedRate, stored, lost: count - stored, duplicated,
      cpuSeconds, cpuPer10k: (cpuSeconds / count) * 10_000, peakRssMib, p50Ms: q(0.5), p99Ms: q(0.99), sustained: false,
    };
    point.sustained = point.lost === 0 && achievedRate >= 0.95 * rate && point.p99Ms <= SUSTAINED_P99_S * 1000;
    return point;
  } finally {
    await collector.stop();
    await standIn.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Alert ids and latencies (arrival − event time, which the writer sets to the write time) of the lean store. */
async function readLean(file: string): Promise<{ ids: Map<number, number>; latenciesMs: number[] }> {
  const ids = new Map<number, number>();
  const latenciesMs: number[] = [];
  const rl = readline.createInterface({ input: fs.createReadStream(file) });
  for await (const line of rl) {
    const m = /"time":(\d+),"stored_at":(\d+),"id":(\d+)/.exec(line);
    if (!m) continue;
    const id = Number(m[3]);
    if (id === 0) continue; // Falco's start-up lines
    ids.set(id, (ids.get(id) ?? 0) + 1);
    latenciesMs.push(Number((BigInt(m[2]) - BigInt(m[1])) / 1000n) / 1000);
  }
  return { ids, latenciesMs };
}

function machine(): string {
  const cpu = /model name\s*:\s*(.*)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown CPU';
  return `${os.cpus().length} cores (${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}`;
}

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '–');

async function main(): Promise<void> {
  for (const p of ['collector', 'honeycomb', 'podlog'] as const) peerBinary(p);
  const config = defaultClusterConfig();
  const [synth] = synthesizeCollectors({ [config.cluster.name]: config });
  const points: Point[] = [];
  for (const rate of RATES) {
    for (const kind of ['ours', 'peer'] as Kind[]) {
      const p = await runPoint(kind, rate, synth);
      points.push(p);
      process.stdout.write(`${kind.padEnd(4)} ${String(rate).padStart(6)}/s: written ${p.written} (${fmt(p.achievedRate)}/s), lost ${p.lost}, dup ${p.duplicated}, `
        + `CPU ${fmt(p.cpuPer10k, 2)} s/10k, RSS ${fmt(p.peakRssMib)} MiB, p50 ${fmt(p.p50Ms)} ms, p99 ${fmt(p.p99Ms)} ms${p.sustained ? '' : '  (not sustained)'}\n`);
    }
  }
  const of = (kind: Kind) => points.filter((p) => p.kind === kind);
  const maxSustained = (kind: Kind) => Math.max(0, ...of(kind).filter((p) => p.sustained).map((p) => p.rate));
  const at = (kind: Kind, rate: number) => of(kind).find((p) => p.rate === rate);
  const common = Math.max(0, ...RATES.filter((r) => at('ours', r)?.sustained && at('peer', r)?.sustained));
  const summary = {
    sustained: { ours: maxSustained('ours'), peer: maxSustained('peer') },
    cpuPer10kAtCommonRate: { rate: common, ours: at('ours', common)?.cpuPer10k ?? NaN, peer: at('peer', common)?.cpuPer10k ?? NaN },
    peakRssMib: { ours: Math.max(...of('ours').map((p) => p.peakRssMib)), peer: Math.max(...of('peer').map((p) => p.peakRssMib)) },
    p50MsAt1000: { ours: at('ours', 1000)?.p50Ms ?? NaN, peer: at('peer', 1000)?.p50Ms ?? NaN },
    p99MsAt1000: { ours: at('ours', 1000)?.p99Ms ?? NaN, peer: at('peer', 1000)?.p99Ms ?? NaN },
  };
  const cpuRatio = summary.cpuPer10kAtCommonRate.ours / summary.cpuPer10kAtCommonRate.peer;
  const goals = [
    { goal: 'at least 10,000 alerts/s sustained', met: summary.sustained.ours >= 10_000 },
    { goal: 'p99 latency at most 1 s at 1,000 alerts/s', met: summary.p99MsAt1000.ours <= 1000 },
    { goal: 'peak RSS at most 200 MiB', met: summary.peakRssMib.ours <= 200 },
    { goal: 'CPU per alert at most 1.5x the peer\'s', met: cpuRatio <= 1.5 },
  ];
  const rows: [string, string, string, string][] = [
    ['highest sustained alerts/s, zero loss', fmt(summary.sustained.ours), fmt(summary.sustained.peer), fmt(summary.sustained.ours / summary.sustained.peer, 2)],
    [`CPU s per 10,000 alerts (at ${common}/s)`, fmt(summary.cpuPer10kAtCommonRate.ours, 2), fmt(summary.cpuPer10kAtCommonRate.peer, 2), fmt(cpuRatio, 2)],
    ['peak RSS, MiB', fmt(summary.peakRssMib.ours), fmt(summary.peakRssMib.peer), fmt(summary.peakRssMib.ours / summary.peakRssMib.peer, 2)],
    ['p50 latency at 1,000/s, ms', fmt(summary.p50MsAt1000.ours), fmt(summary.p50MsAt1000.peer), fmt(summary.p50MsAt1000.ours / summary.p50MsAt1000.peer, 2)],
    ['p99 latency at 1,000/s, ms', fmt(summary.p99MsAt1000.ours), fmt(summary.p99MsAt1000.peer), fmt(summary.p99MsAt1000.ours / summary.p99MsAt1000.peer, 2)],
  ];
  const lines = [
    '',
    `Machine: ${machine()}`,
    `Rates ${RATES.join(', ')} alerts/s, ${DURATION_S} s each; alerts ~1 KB CRI lines; no rotation during the run.`,
    '',
    '| | ours (synthesized config) | peer (chart logsCollection) | ours / peer |',
    '|---|---|---|---|',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
    ...goals.map((g) => `- ${g.goal}: ${g.met ? 'met' : 'NOT met'}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  const outDir = path.join(REPO, '.cache', 'bench');
  fs.mkdirSync(outDir, { recursive: true });
  const out = path.join(outDir, `pipeline-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(out, `${JSON.stringify({ machine: machine(), rates: RATES, durationS: DURATION_S, points, summary, cpuRatio, goals }, null, 2)}\n`);
  process.stdout.write(`\nwritten: ${path.relative(REPO, out)}\n`);
}

const USAGE = `usage: npm run bench:pipeline
Runs the real collector (otelcol-k8s 0.158.0, built from Go modules: needs Go 1.26+) on the synthesized
config and on the upstream chart's logsCollection preset, at rising rates through the kubelet-style
writer and the Honeycomb stand-in; prints both side by side with the goals, and writes JSON to .cache/bench/.
Environment: BENCH_RATES (default 1000,2500,5000,10000,15000), BENCH_DURATION_S (default 8).`;

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(USAGE);
} else {
  main().catch((e) => {
    console.error(`bench:pipeline failed: ${e instanceof Error ? e.message : e}`);
    process.exit(1);
  });
}
