import * as fs from 'fs';
import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import { findOne, synthStack, testConfig } from './support/helpers';
import { NginxDemo } from '../lib/demo/nginx-demo';
import { EXPECTED_RULES, isAboutPod, parseAlerts, ruleChecklist } from '../demo/falco-alerts';
import { SYNC_WAVE_ANNOTATION } from '../lib/k8s/annotations';
import { appManifests } from '../synth/write-manifests';

const FIXTURES = process.env.FIXTURES_DIR ?? path.resolve(__dirname, '../../shared/fixtures');
const CRI_LOG = path.join(FIXTURES, 'falco-pod-cri.log');

describe('NginxDemo', () => {
  test('defaults to the walkthrough\'s pod: nginx:latest named nginx in default', () => {
    const chart = Testing.chart();
    new NginxDemo(chart, 'demo');
    const pod = findOne(Testing.synth(chart), 'Pod');
    expect(pod.metadata).toMatchObject({ name: 'nginx', namespace: 'default' });
    expect(pod.spec.containers).toEqual([expect.objectContaining({ name: 'nginx', image: 'nginx:latest' })]);
  });

  test('name, namespace and image can be set (a real deployment pins a digest)', () => {
    const chart = Testing.chart();
    const image = `nginx@sha256:${'a'.repeat(64)}`;
    new NginxDemo(chart, 'demo', { name: 'web', namespace: 'demo', image });
    const pod = findOne(Testing.synth(chart), 'Pod', 'web');
    expect(pod.metadata.namespace).toBe('demo');
    expect(pod.spec.containers[0]).toMatchObject({ name: 'web', image });
  });
});

describe('demo.enabled', () => {
  test('false (the default): no demo chart and no Pod at all', () => {
    const { charts, objects } = synthStack(testConfig());
    expect(charts.map((c) => c.node.id)).toEqual(['namespaces-crds', 'otel-operator', 'falco', 'collector']);
    expect(objects.filter((o) => o.kind === 'Pod')).toEqual([]);
  });

  test('true: a fifth chart `demo` after the collector, file 0004-demo.k8s.yaml, sync wave 4', () => {
    const { app, charts } = synthStack(testConfig({ demo: { enabled: true } }));
    expect(charts.map((c) => c.node.id)).toEqual(['namespaces-crds', 'otel-operator', 'falco', 'collector', 'demo']);
    const demo = charts[4] as Chart;
    expect(demo.node.dependencies).toContain(charts[3]);
    const objects = Testing.synth(demo);
    expect(objects).toHaveLength(1);
    const pod = findOne(objects, 'Pod', 'nginx');
    expect(pod.metadata.namespace).toBe('default');
    expect(pod.spec.containers[0].image).toBe('nginx:latest');
    expect(pod.metadata.annotations[SYNC_WAVE_ANNOTATION]).toBe('4');

    const files = appManifests(app);
    expect(files.map((f) => f.file).pop()).toBe('0004-demo.k8s.yaml');
    expect(files.pop()!.objects.map((o) => o.kind)).toEqual(['Pod']);
  });
});

describe('Falco alert parsing', () => {
  // What `kubectl logs` prints for the fixture: the CRI file without its `<time> <stream> <P|F> ` prefix,
  // through the falco container's tty (so \r\n line ends).
  const log = fs.readFileSync(CRI_LOG, 'utf8').split('\n').filter(Boolean)
    .map((l) => l.replace(/^\S+ (?:stdout|stderr) [PF] /, '')).join('\r\n');

  test('keeps the three alerts and ignores Falco\'s plain-text start-up lines', () => {
    expect(log).toMatch(/Falco version/);
    const alerts = parseAlerts(log);
    expect(alerts.map((a) => a.rule)).toEqual([...EXPECTED_RULES]);
    expect(alerts[0]).toMatchObject({ priority: 'Notice', time: '2024-12-22T13:35:40.929908828Z' });
  });

  test('only alerts about the demo pod count (k8s.ns.name and k8s.pod.name)', () => {
    const [alert] = parseAlerts(log);
    expect(isAboutPod(alert, 'default', 'nginx')).toBe(true);
    expect(isAboutPod(alert, 'default', 'web')).toBe(false);
    expect(isAboutPod(alert, 'demo', 'nginx')).toBe(false);
    expect(isAboutPod({ ...alert, output_fields: undefined }, 'default', 'nginx')).toBe(false);
  });

  test('the checklist marks a rule without alert as not fired', () => {
    const alerts = parseAlerts(log).filter((a) => a.rule !== 'Find AWS Credentials');
    expect(ruleChecklist(alerts)).toEqual([
      { rule: 'Terminal shell in container', fired: true },
      { rule: 'Search Private Keys or Passwords', fired: true },
      { rule: 'Find AWS Credentials', fired: false },
    ]);
  });
});
