// Runs the kubelet-style pod-log writer (test/peers/podlog) as a Falco pod on a node would log.

import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { peerBinary } from '../peers';
import { projectRoot } from '../../../synth/project-root';

export const FIXTURES_DIR = process.env.FIXTURES_DIR ?? path.resolve(projectRoot(), '..', 'shared', 'fixtures');
export const FIXTURE_ALERTS = path.join(FIXTURES_DIR, 'falco-events.jsonl');

export interface PodLogOptions {
  root: string;
  count: number;
  rate: number;
  startId?: number;
  fixtures?: boolean;
  startupLines?: boolean;
  bigEvery?: number;
  padding?: number;
  rotateBytes?: number;
  /** Falco pod name (falco-<5 chars>) and UID. */
  pod?: string;
  uid?: string;
  namespace?: string;
}

export interface PodLogSummary {
  written: number;
  first_id: number;
  last_id: number;
  rotations: number;
  seconds: number;
  dir: string;
}

/** A running writer; `done` resolves with its summary. */
export class PodLogWriter {
  readonly done: Promise<PodLogSummary>;
  private readonly proc: ChildProcess;

  constructor(options: PodLogOptions) {
    const args = [
      '-root', options.root,
      '-count', String(options.count),
      '-rate', String(options.rate),
      '-start-id', String(options.startId ?? 1),
      `-startup-lines=${options.startupLines ?? true}`,
      '-big-every', String(options.bigEvery ?? 50),
      '-padding', String(options.padding ?? 0),
      '-rotate-bytes', String(options.rotateBytes ?? 10 * 1024 * 1024),
      ...(options.fixtures ? ['-fixtures', FIXTURE_ALERTS] : []),
      ...(options.pod ? ['-pod', options.pod] : []),
      ...(options.uid ? ['-uid', options.uid] : []),
      ...(options.namespace ? ['-namespace', options.namespace] : []),
    ];
    this.proc = spawn(peerBinary('podlog'), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    this.proc.stdout!.on('data', (d) => { out += d; });
    this.proc.stderr!.on('data', (d) => { err += d; });
    this.done = new Promise((resolve, reject) => {
      this.proc.once('exit', (code) => {
        if (code !== 0) reject(new Error(`podlog exited ${code}: ${err}`));
        else resolve(JSON.parse(out.trim().split('\n').pop()!));
      });
    });
    // Marked handled here: a test that fails before awaiting `done` must not crash jest with it.
    this.done.catch(() => undefined);
    live.add(this);
    this.proc.once('exit', () => live.delete(this));
  }

  /** Stops writing early (SIGTERM); `done` still resolves with what was written. */
  stop(): void {
    this.proc.kill('SIGTERM');
  }
}

const live = new Set<PodLogWriter>();

/** Stops every writer still running (a test's afterAll, after a failure). */
export function stopAllWriters(): void {
  for (const w of live) w.stop();
}

/** The files of a writer's container folder, for printing. */
export function listLogFiles(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
}
