// Issue 11, point 4 (steady stream) and the fields of point 5: every alert arrives once, with
// Falco's time to the nanosecond, all 8 severities, body = output, typed falco.* attributes, in
// the configured dataset (honeycomb.dataset, decided through husky's rules in the stand-in).

import * as fs from 'node:fs';
import { FALCO_SEVERITY_MAPPING } from '../../../lib/otel/collector-config';
import { startNode, waitForAll, Node } from './harness';
import { FIXTURE_ALERTS, PodLogWriter } from './podlog';
import { rfc3339Nanos } from './rfc3339';
import { exactInteger, StoredEvent } from './standin';
import { defaultClusterConfig, synthesizeCollectors } from './synthesized';
import { ID_FIELD, report } from './tally';

// Stanza's severity numbers of the aliases the config maps to (pkg/stanza/docs/types/severity.md).
const SEVERITY_NUMBER: Record<string, number> = { fatal2: 22, fatal: 21, error3: 19, error: 17, warn: 13, info2: 10, info: 9, debug: 5 };
// With `$` and `$$`, which the collector reads as a variable and as `$` unless the config escapes them.
const DATASET = 'security-alerts $prod $$eu';
const COUNT = 3000;

describe('steady stream through the real collector', () => {
  let node: Node;
  let events: StoredEvent[];
  let byId: Map<number, StoredEvent>;
  const fixtures = fs.readFileSync(FIXTURE_ALERTS, 'utf8').trim().split('\n');

  beforeAll(async () => {
    const config = defaultClusterConfig();
    config.honeycomb.dataset = DATASET;
    const [synth] = synthesizeCollectors({ [config.cluster.name]: config });
    node = await startNode(synth, 'steady');
    const writer = new PodLogWriter({ root: node.podLogRoot, count: COUNT, rate: 1000, fixtures: true, bigEvery: 100 });
    await writer.done;
    const result = await waitForAll(node.standIn, 1, COUNT, 60_000);
    report('steady stream', result.t);
    events = result.events;
    byId = new Map(events.filter((e) => e.data[ID_FIELD] !== undefined).map((e) => [e.data[ID_FIELD], e]));
    expect(result.t).toMatchObject({ written: COUNT, stored: COUNT, lost: 0, duplicated: 0 });
  });
  afterAll(async () => node?.close());

  test('health_check answers on the pod IP (the operator\'s probes use it)', async () => {
    const r = await fetch('http://127.0.0.1:13133/');
    expect(r.status).toBe(200);
  });

  test('every event lands in the configured dataset, start-up lines included', () => {
    expect(new Set(events.map((e) => e.dataset))).toEqual(new Set([DATASET]));
  });

  test('the three fixture alerts: Falco\'s time to the ns, body = output, rule, fields', () => {
    fixtures.forEach((line, i) => {
      const alert = JSON.parse(line);
      const e = byId.get(i + 1)!;
      expect(e.time).toBe(rfc3339Nanos(alert.time));
      expect(e.data.body).toBe(alert.output);
      expect(e.data['falco.rule']).toBe(alert.rule);
      expect(e.data['falco.priority']).toBe(alert.priority);
      expect(e.data['falco.output_fields.k8s.pod.name']).toBe('nginx');
      expect(exactInteger(e, 'falco.output_fields.evt.time')).toBe(BigInt(/"evt.time":(\d+)/.exec(line)![1]));
      expect(e.data['falco.output']).toBeUndefined(); // moved to the body, not kept twice
    });
  });

  test('every alert\'s event time is its falco.time, exact to the nanosecond', () => {
    const wrong = [...byId.values()].filter((e) => e.time !== rfc3339Nanos(e.data['falco.time']));
    expect(wrong.map((e) => e.data[ID_FIELD])).toEqual([]);
  });

  test('all 8 priorities: severity number and text', () => {
    const seen = new Map<string, Set<string>>();
    for (const e of byId.values()) {
      const key = e.data['falco.priority'];
      seen.set(key, (seen.get(key) ?? new Set()).add(`${e.data.severity_code}/${e.data.severity_text}`));
    }
    const expected = new Map(FALCO_SEVERITY_MAPPING.map(({ priority, severity }) => [priority, new Set([`${SEVERITY_NUMBER[severity]}/${priority}`])]));
    expect(seen).toEqual(expected);
  });

  test('falco.* attributes are typed: integers as integers (19 digits exact), floats, booleans, strings', () => {
    const e = byId.get(10)!;
    expect(e.types).toMatchObject({
      'falco.output_fields.evt.num': 'int64',
      'falco.output_fields.evt.time': 'int64',
      'falco.output_fields.user.uid': 'int64',
      'falco.output_fields.user.loginuid': 'int64',
      'falco.output_fields.proc.tty': 'int64',
      'falco.output_fields.evt.latency.s': 'float64',
      'falco.output_fields.evt.is_async': 'bool',
      'falco.output_fields.evt.is_open_write': 'bool',
      'falco.output_fields.proc.cmdline': 'string',
      // Honeycomb stores arrays as JSON text (husky addAttributeToMapAsJson).
      'falco.output_fields.proc.aname': 'string',
      'falco.tags': 'string',
    });
    expect(e.data['falco.output_fields.user.loginuid']).toBe(-1);
    expect(exactInteger(e, 'falco.output_fields.evt.time')).toBe(rfc3339Nanos(e.data['falco.time']));
    // null (Falco's <NA>) has no value in OTLP: no column.
    expect('falco.output_fields.user.loginname' in e.data).toBe(false);
  });

  test('alerts over 16 KiB (CRI P/F parts) arrive whole, once', () => {
    const big = [...byId.values()].filter((e) => String(e.data['falco.output_fields.proc.cmdline']).length > 40 * 1024);
    expect(big.length).toBe(Math.floor(COUNT / 100));
  });

  test('the reporting Falco pod is under falco.reporter.*, not in the k8s.* columns of the alert\'s pod', () => {
    const e = byId.get(5)!;
    expect(e.data).toMatchObject({
      'falco.reporter.k8s.pod.name': 'falco-x7k2p',
      'falco.reporter.k8s.namespace.name': 'falco',
      'falco.reporter.k8s.container.name': 'falco',
      'falco.reporter.k8s.pod.uid': '5f0c1c7e-3a52-4d6e-9b1a-2f4c8d9e0a11',
      'service.name': DATASET,
      'k8s.cluster.name': 'demo',
      'k8s.node.name': 'node-1',
      'log.iostream': 'stdout',
    });
    for (const column of ['k8s.pod.name', 'k8s.namespace.name', 'k8s.pod.uid', 'k8s.container.name']) expect(e.data[column]).toBeUndefined();
  });

  test('Falco\'s plain-text start-up lines arrive as plain logs (body = the line, no falco.*)', () => {
    const startup = events.filter((e) => e.data[ID_FIELD] === undefined);
    expect(startup.map((e) => String(e.data.body).replace(/^.*?2\d{3}: /, ''))).toEqual([
      'Falco version: 0.39.2 (x86_64)',
      'Loading rules from:',
      '   /etc/falco/falco_rules.yaml | schema validation: ok',
      'Opening \'syscall\' source with modern BPF probe.',
    ]);
    for (const e of startup) {
      expect(Object.keys(e.data).filter((k) => k.startsWith('falco.') && !k.startsWith('falco.reporter.'))).toEqual([]);
      expect(e.data['log.iostream']).toBe('stderr');
    }
  });
});
