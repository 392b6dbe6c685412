// Issue 11, point 4: the collector renamed (here: its namespace, the name the config file sets).
// The checkpoint directory does not move, so the renamed collector resumes where the old one
// stopped: no mass re-send. A really new checkpoint directory (hostStorageDirectory changed)
// re-sends everything still in the node's logs, as the README says.

import * as path from 'node:path';
import { startNode, waitForAll, Node } from './harness';
import { PodLogWriter } from './podlog';
import { defaultClusterConfig, synthesizeCollectors } from './synthesized';
import { report, tally } from './tally';

function storageHostPath(spec: any): string {
  return spec.volumes.find((v: any) => v.name === 'storage').hostPath.path;
}

describe('collector renamed', () => {
  let node: Node;
  afterAll(async () => node?.close());

  test('same checkpoint directory: the renamed collector re-sends nothing; a new directory re-sends all', async () => {
    const config = defaultClusterConfig();
    const renamed = structuredClone(config);
    renamed.otel.namespace = 'observability';
    const [before] = synthesizeCollectors({ [config.cluster.name]: config });
    const [after] = synthesizeCollectors({ [renamed.cluster.name]: renamed });
    expect(after.file).not.toBe(before.file);
    expect(storageHostPath(after.spec)).toBe(storageHostPath(before.spec));

    node = await startNode(before, 'rename');
    await new PodLogWriter({ root: node.podLogRoot, count: 3000, rate: 1000, fixtures: true }).done;
    expect((await waitForAll(node.standIn, 1, 3000, 30_000)).t.lost).toBe(0);
    await node.collector.stop(); // the operator deletes the old DaemonSet's pods

    const successor = node.collectorFor(after); // same storage folder: the same hostPath
    await successor.start();
    await new PodLogWriter({ root: node.podLogRoot, count: 1000, rate: 1000, startId: 3001, startupLines: false }).done;
    const { t } = await waitForAll(node.standIn, 1, 4000, 30_000);
    report('collector renamed', t);
    expect(t).toMatchObject({ written: 4000, stored: 4000, lost: 0, duplicated: 0 });
    await successor.stop();

    // What a new checkpoint directory does: everything on the node is read again from the start.
    const fresh = node.collectorFor(after, path.join(node.dir, 'storage-new'));
    await fresh.start();
    const resent = await waitForResend(node, 4000);
    report('new checkpoint directory', resent, 'every alert still in the node\'s log files is sent again');
    expect(resent.duplicated).toBe(4000);
    await fresh.stop();
  });
});

async function waitForResend(node: Node, count: number) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const t = tally(node.standIn.events(), 1, count);
    if (t.duplicated >= count || Date.now() > deadline) return t;
    await new Promise((r) => setTimeout(r, 250));
  }
}
