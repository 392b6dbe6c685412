// Issue 11, point 4: kill -9 of the collector at random points of a stream, then a restart: no
// alert lost; duplicates counted (goal 0; at most one in-flight batch per kill).

import { startNode, waitForAll, Node } from './harness';
import { PodLogWriter } from './podlog';
import { e2eSeed, seededRandom } from './random';
import { sleep } from './standin';
import { defaultClusterConfig, synthesizeCollectors } from './synthesized';
import { report } from './tally';

const RATE = 500;
const COUNT = 15_000; // 30 s
const KILLS = 6;

describe('kill -9 at random points, then restart', () => {
  let node: Node;
  afterAll(async () => node?.close());

  test('no alert lost; duplicates bounded by one in-flight batch per kill', async () => {
    const seed = e2eSeed();
    const random = seededRandom(seed);
    const config = defaultClusterConfig();
    const [synth] = synthesizeCollectors({ [config.cluster.name]: config });
    node = await startNode(synth, 'crash');
    const writer = new PodLogWriter({ root: node.podLogRoot, count: COUNT, rate: RATE, fixtures: true });
    const kills: string[] = [];
    for (let i = 0; i < KILLS; i++) {
      await sleep(1500 + random() * 3000);
      await node.collector.kill9();
      const down = 200 + random() * 1500;
      kills.push(`${(down / 1000).toFixed(1)} s down`);
      await sleep(down);
      await node.collector.start();
    }
    await writer.done;
    const { t } = await waitForAll(node.standIn, 1, COUNT, 90_000);
    // One batch: what the exporter's queue cuts in flush_timeout (200 ms) plus what the receiver read
    // since its last checkpoint (poll_interval, 200 ms): 0.4 s of the stream.
    const batch = Math.ceil(RATE * 0.4);
    report('kill -9', t, `${KILLS} kills (seed ${seed}: ${kills.join(', ')}), allowed duplicates ${KILLS * batch}`);
    expect(t.lost).toBe(0);
    expect(t.lostIds).toEqual([]);
    expect(t.duplicated).toBeLessThanOrEqual(KILLS * batch);
  });
});
