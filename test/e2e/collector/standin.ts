// Runs the Honeycomb stand-in (test/peers/honeycomb) and reads what it stored.

import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { peerBinary } from '../peers';

export type StandInMode = 'up' | 'down' | 'unavailable' | 'resource_exhausted' | 'unauthenticated';

/** One event as Honeycomb would store it (see test/peers/honeycomb/main.go). */
export interface StoredEvent {
  dataset: string;
  /** Event time, Unix ns, exact (parsed as a bigint from the JSON text). */
  time: bigint;
  stored_at: number;
  data: Record<string, any>;
  types: Record<string, string>;
  /** The stored line, for values a JavaScript number cannot hold exactly. */
  raw: string;
}

/** The integer literal of a field in the stored line, exact. */
export function exactInteger(e: StoredEvent, field: string): bigint | undefined {
  const m = new RegExp(`"${field.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}":(-?\\d+)[,}]`).exec(e.raw);
  return m ? BigInt(m[1]) : undefined;
}

export class HoneycombStandIn {
  private constructor(
    private readonly proc: ChildProcess,
    readonly endpoint: string,
    private readonly control: string,
    readonly eventsFile: string,
  ) {}

  static async start(dir: string, options: { apiKey?: string; lean?: boolean } = {}): Promise<HoneycombStandIn> {
    fs.mkdirSync(dir, { recursive: true });
    const ready = path.join(dir, 'standin-ready.json');
    const eventsFile = path.join(dir, 'events.jsonl');
    const args = ['-out', eventsFile, '-ready-file', ready, ...(options.apiKey ? ['-api-key', options.apiKey] : []), ...(options.lean ? ['-lean'] : [])];
    const log = fs.openSync(path.join(dir, 'standin.log'), 'a');
    const proc = spawn(peerBinary('honeycomb'), args, { stdio: ['ignore', log, log] });
    const deadline = Date.now() + 10_000;
    while (!fs.existsSync(ready)) {
      if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`the Honeycomb stand-in did not start (see ${dir}/standin.log)`);
      await sleep(50);
    }
    const { otlp, control } = JSON.parse(fs.readFileSync(ready, 'utf8'));
    return new HoneycombStandIn(proc, otlp, control, eventsFile);
  }

  /** Switches behaviour; back to `up` after `seconds` if given. */
  async setMode(mode: StandInMode, seconds?: number): Promise<void> {
    const q = new URLSearchParams({ mode, ...(seconds ? { for: `${seconds}s` } : {}) });
    const r = await fetch(`http://${this.control}/mode?${q}`, { method: 'POST' });
    if (r.status !== 204) throw new Error(`stand-in /mode: ${r.status} ${await r.text()}`);
  }

  async stats(): Promise<{ mode: string; requests: number; refused: Record<string, number>; events: number; datasets: Record<string, number> }> {
    return (await fetch(`http://${this.control}/stats`)).json() as any;
  }

  /** Every event stored so far. */
  events(): StoredEvent[] {
    if (!fs.existsSync(this.eventsFile)) return [];
    return parseEvents(fs.readFileSync(this.eventsFile, 'utf8'));
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null) return;
    const exited = new Promise((resolve) => this.proc.once('exit', resolve));
    this.proc.kill('SIGTERM');
    await exited;
  }
}

/** Parses the stand-in's JSON lines; `time` as a bigint because a double cannot hold 19 digits. */
export function parseEvents(text: string): StoredEvent[] {
  const out: StoredEvent[] = [];
  const lines = text.split('\n');
  lines.pop(); // '' after the last newline, or a line the stand-in is still writing
  for (const line of lines) {
    if (!line) continue;
    const m = /^\{"dataset":(?:"[^"]*"),"time":(-?\d+),/.exec(line);
    if (!m) throw new Error(`stand-in line without time: ${line.slice(0, 200)}`);
    const e = JSON.parse(line);
    e.time = BigInt(m[1]);
    e.raw = line;
    out.push(e);
  }
  return out;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
