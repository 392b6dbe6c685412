// Issue 11, point 4: Unauthenticated for 60 s, as with a revoked key that is then fixed. The OTLP
// exporter treats Unauthenticated as permanent and drops the batch (it is not retried, and the
// persistent queue deletes it). This measures what is lost and checks that the collector's own
// metrics and logs show exactly that, so it can be alerted on (README, "What survives what").

import { CollectorProcess } from './collector-process';
import { startNode, waitForAll, Node } from './harness';
import { PodLogWriter } from './podlog';
import { sleep } from './standin';
import { defaultClusterConfig, synthesizeCollectors } from './synthesized';
import { report, tally } from './tally';

const RATE = 100;

describe('Unauthenticated for 60 s', () => {
  let node: Node;
  afterAll(async () => node?.close());

  test('what is dropped is counted by otelcol_exporter_send_failed_log_records and logged', async () => {
    const config = defaultClusterConfig();
    const [synth] = synthesizeCollectors({ [config.cluster.name]: config });
    node = await startNode(synth, 'unauthenticated');
    const writer = new PodLogWriter({ root: node.podLogRoot, count: RATE * 75, rate: RATE, fixtures: true });
    await sleep(5_000);
    await node.standIn.setMode('unauthenticated', 60);
    const summary = await writer.done;
    await waitForAll(node.standIn, summary.last_id - 10, summary.last_id, 30_000); // the tail, after the key works again
    await sleep(2_000);
    const t = tally(node.standIn.events(), 1, summary.last_id);
    const metrics = await node.collector.metrics();
    const failed = CollectorProcess.sum(metrics, 'otelcol_exporter_send_failed_log_records');
    const sent = CollectorProcess.sum(metrics, 'otelcol_exporter_sent_log_records');
    const dropLogs = node.collector.log().split('\n').filter((l) => l.includes('Exporting failed. Dropping data.') && l.includes('Unauthenticated'));
    const refused = (await node.standIn.stats()).refused.unauthenticated ?? 0;
    report('Unauthenticated 60 s', t, `refused requests ${refused}, otelcol_exporter_send_failed_log_records ${failed}, "Dropping data" log lines ${dropLogs.length}`);
    // Measured, not wished: the collector cannot keep what a permanent error refused.
    expect(t.lost).toBeGreaterThan(0);
    expect(t.duplicated).toBe(0);
    // Every lost alert is counted by the collector (plus nothing else: start-up lines all arrived).
    expect(failed).toBe(t.lost);
    // Logged too, though zap samples repeated lines: fewer lines than refused requests.
    expect(dropLogs.length).toBeGreaterThan(0);
    expect(dropLogs.length).toBeLessThanOrEqual(refused);
    expect(sent).toBe(t.stored + 4);
    // And the reader resumed: everything after the key was fixed arrived.
    const stored = new Set(node.standIn.events().map((e) => e.data['falco.output_fields.evt.num']));
    const lostAfterFix: number[] = [];
    for (let id = RATE * 67; id <= summary.last_id; id++) if (!stored.has(id)) lostAfterFix.push(id);
    expect(lostAfterFix).toEqual([]);
  });
});
