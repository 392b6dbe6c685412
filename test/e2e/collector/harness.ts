// One node for a scenario: temporary pod-log root and storage, the Honeycomb stand-in, and the real
// collector on the synthesized config (rewritten by rewriteForNode only).

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CollectorProcess } from './collector-process';
import { rewriteForNode, RunnableCollector } from './node-rewrite';
import { stopAllWriters } from './podlog';
import { HoneycombStandIn, sleep, StoredEvent } from './standin';
import { SynthesizedCollector } from './synthesized';
import { Tally, tally } from './tally';

export interface Node {
  readonly dir: string;
  readonly podLogRoot: string;
  readonly storageDir: string;
  readonly standIn: HoneycombStandIn;
  readonly runnable: RunnableCollector;
  readonly collector: CollectorProcess;
  /** Another collector process on the same node and stand-in (a renamed collector, say). */
  collectorFor(synth: SynthesizedCollector, storageDir?: string): CollectorProcess;
  close(): Promise<void>;
}

export const API_KEY = 'e2e-api-key';

export async function startNode(synth: SynthesizedCollector, name: string, options: { startCollector?: boolean } = {}): Promise<Node> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `falco-e2e-${name}-`));
  const podLogRoot = path.join(dir, 'var-log-pods');
  const storageDir = path.join(dir, 'storage');
  fs.mkdirSync(podLogRoot);
  fs.mkdirSync(storageDir); // the hostPath volume (DirectoryOrCreate) makes it on a node
  const standIn = await HoneycombStandIn.start(path.join(dir, 'standin'), { apiKey: API_KEY });
  let n = 0;
  const make = (s: SynthesizedCollector, storage: string) => {
    const runnable = rewriteForNode(s, { podLogRoot, storageDir: storage, endpoint: standIn.endpoint, apiKey: API_KEY });
    return { runnable, process: new CollectorProcess(runnable, path.join(dir, `collector-${n++}`)) };
  };
  const first = make(synth, storageDir);
  const others: CollectorProcess[] = [];
  if (options.startCollector ?? true) await first.process.start();
  return {
    dir, podLogRoot, storageDir, standIn, runnable: first.runnable, collector: first.process,
    collectorFor(s, storage = storageDir) {
      fs.mkdirSync(storage, { recursive: true });
      const c = make(s, storage).process;
      others.push(c);
      return c;
    },
    async close() {
      stopAllWriters();
      await first.process.stop();
      for (const c of others) await c.stop();
      await standIn.stop();
      if (!process.env.E2E_KEEP) fs.rmSync(dir, { recursive: true, force: true });
      else process.stdout.write(`kept ${dir}\n`);
    },
  };
}

/** Waits until every alert firstId..lastId is stored (or the time is up) and returns the tally. */
export async function waitForAll(standIn: HoneycombStandIn, firstId: number, lastId: number, timeoutMs: number): Promise<{ t: Tally; events: StoredEvent[] }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const events = standIn.events();
    const t = tally(events, firstId, lastId);
    if (t.lost === 0 || Date.now() > deadline) {
      // A short grace period lets late duplicates show up in the count too.
      if (t.lost === 0) {
        await sleep(1500);
        const later = standIn.events();
        return { t: tally(later, firstId, lastId), events: later };
      }
      return { t, events };
    }
    await sleep(250);
  }
}
