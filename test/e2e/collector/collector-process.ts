// Runs the real collector (test/peers/otelcol, cached build) on a config, the way the pod runs it:
// `otelcol-k8s --config <file> <spec.args>`, with the pod's environment.

import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as YAML from 'yaml';
import { peerBinary } from '../peers';
import { RunnableCollector } from './node-rewrite';
import { sleep } from './standin';

export class CollectorProcess {
  private proc?: ChildProcess;
  private exited?: Promise<void>;
  readonly configFile: string;
  readonly logFile: string;
  private peakRssKib = 0;
  private sampler?: NodeJS.Timeout;

  constructor(private readonly runnable: RunnableCollector, readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true });
    this.configFile = path.join(dir, 'collector.yaml');
    this.logFile = path.join(dir, 'collector.log');
    fs.writeFileSync(this.configFile, YAML.stringify(runnable.config));
  }

  /** Starts it and waits until the collector logs that it is ready. */
  async start(): Promise<void> {
    if (this.running()) throw new Error('collector already running');
    const startOffset = fs.existsSync(this.logFile) ? fs.statSync(this.logFile).size : 0;
    const log = fs.openSync(this.logFile, 'a');
    const proc = spawn(peerBinary('collector'), ['--config', this.configFile, ...this.runnable.argv], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...this.runnable.env },
      stdio: ['ignore', log, log],
    });
    fs.closeSync(log);
    this.proc = proc;
    this.exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    this.sampler = setInterval(() => this.sampleRss(), 250);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const text = this.logSince(startOffset);
      if (text.includes('Everything is ready')) return;
      if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`the collector exited at start-up (${this.logFile}):\n${text.slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`the collector was not ready in 30 s (${this.logFile})`);
      await sleep(50);
    }
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  running(): boolean {
    return !!this.proc && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** kill -9: no shutdown, no flush, as a node losing power or the OOM killer. */
  async kill9(): Promise<void> {
    if (!this.running()) return;
    this.proc!.kill('SIGKILL');
    await this.exited;
    this.stopSampler();
  }

  /** A graceful stop (SIGTERM), as a pod deletion. */
  async stop(): Promise<void> {
    if (!this.running()) return;
    this.proc!.kill('SIGTERM');
    await this.exited;
    this.stopSampler();
  }

  /** CPU seconds (user + system) the running process has used. */
  cpuSeconds(): number {
    const stat = fs.readFileSync(`/proc/${this.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return ticks / clockTicks();
  }

  /** Highest resident set size seen, MiB (sampled every 250 ms, and VmHWM while running). */
  peakRssMib(): number {
    this.sampleRss();
    return this.peakRssKib / 1024;
  }

  /** The collector's own Prometheus metrics (service.telemetry, on the pod IP: 127.0.0.1 here). */
  async metrics(): Promise<Record<string, number>> {
    const text = await (await fetch('http://127.0.0.1:8888/metrics')).text();
    const out: Record<string, number> = {};
    for (const line of text.split('\n')) {
      if (!line || line.startsWith('#')) continue;
      const i = line.lastIndexOf(' ');
      const key = line.slice(0, i);
      out[key] = Number(line.slice(i + 1));
    }
    return out;
  }

  /** Sum of a metric over all its label sets. */
  static sum(metrics: Record<string, number>, name: string): number {
    return Object.entries(metrics).filter(([k]) => k === name || k.startsWith(`${name}{`)).reduce((a, [, v]) => a + v, 0);
  }

  log(): string {
    return fs.existsSync(this.logFile) ? fs.readFileSync(this.logFile, 'utf8') : '';
  }

  private logSince(offset: number): string {
    const fd = fs.openSync(this.logFile, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const buf = Buffer.alloc(Math.max(0, size - offset));
      fs.readSync(fd, buf, 0, buf.length, offset);
      return buf.toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  }

  private sampleRss(): void {
    if (!this.running()) return;
    try {
      const status = fs.readFileSync(`/proc/${this.pid}/status`, 'utf8');
      const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
      if (hwm) this.peakRssKib = Math.max(this.peakRssKib, Number(hwm[1]));
    } catch {
      // exited between the check and the read
    }
  }

  private stopSampler(): void {
    if (this.sampler) clearInterval(this.sampler);
    this.sampler = undefined;
  }
}

let ticks: number | undefined;
function clockTicks(): number {
  ticks ??= Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
  return ticks;
}
