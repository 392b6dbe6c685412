import * as fs from 'fs';
import * as path from 'path';
import { findOne, snapshotView, synthStack, tempDir, testConfig } from './support/helpers';
import { buildApp } from '../app/falco-otel-app';
import { resolveHelm } from '../lib/helm/helm-binary';
import { HelmRenderer } from '../lib/helm/helm-renderer';

describe('the whole app', () => {
  const { objects, charts } = synthStack();

  test('charts are ordered for apply: namespaces and CRDs, operator, Falco, collector', () => {
    expect(charts.map((c) => c.node.id)).toEqual(['namespaces-crds', 'otel-operator', 'falco', 'collector']);
  });

  test('the namespaces of the manual steps exist', () => {
    expect(objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name).sort()).toEqual(['falco', 'otel']);
  });

  test('Falco runs as a DaemonSet printing JSON alerts with a tty', () => {
    const ds = findOne(objects, 'DaemonSet', 'falco');
    expect(ds.metadata.namespace).toBe('falco');
    const falcoYaml = findOne(objects, 'ConfigMap', 'falco').data['falco.yaml'];
    expect(falcoYaml).toMatch(/^json_output: true$/m);
    const container = ds.spec.template.spec.containers.find((c: any) => c.name === 'falco');
    expect(container.tty).toBe(true);
  });

  test('no helm test hooks and no private key anywhere', () => {
    expect(objects.filter((o) => o.metadata?.annotations?.['helm.sh/hook'])).toEqual([]);
    expect(JSON.stringify(objects)).not.toMatch(/PRIVATE KEY/);
  });

  test('snapshot (CRD schemas as digests)', () => {
    expect(snapshotView(objects)).toMatchSnapshot();
  });

  test('every object carries its Argo CD sync wave: 0 namespaces and CRDs, 1 operator, 2 Falco, 3 collector', () => {
    const expected: Record<string, string> = { 'namespaces-crds': '0', 'otel-operator': '1', 'falco': '2', 'collector': '3' };
    for (const chart of charts) {
      const objects = (chart as any).node.findAll().filter((c: any) => typeof c.toJson === 'function' && c.kind);
      expect(objects.length).toBeGreaterThan(0);
      for (const o of objects) expect([chart.node.id, o.toJson().metadata.annotations?.['argocd.argoproj.io/sync-wave']]).toEqual([chart.node.id, expected[chart.node.id]]);
    }
    const waveOf = (kind: string) => new Set(objects.filter((o) => o.kind === kind).map((o) => o.metadata.annotations['argocd.argoproj.io/sync-wave']));
    expect(waveOf('Namespace')).toEqual(new Set(['0']));
    expect(waveOf('CustomResourceDefinition')).toEqual(new Set(['0']));
    expect(waveOf('Job')).toEqual(new Set(['1']));
    expect(waveOf('OpenTelemetryCollector')).toEqual(new Set(['3']));
  });

  test('the collector tells Argo CD to skip its dry run while the CRD is missing', () => {
    const collector = findOne(objects, 'OpenTelemetryCollector');
    expect(collector.metadata.annotations['argocd.argoproj.io/sync-options']).toBe('SkipDryRunOnMissingResource=true');
  });
});

describe('wiring of the config', () => {
  test('kubernetesVersion reaches helm as --kube-version for both charts', () => {
    // A helm that records its arguments, then runs the pinned one.
    const dir = tempDir();
    const log = path.join(dir, 'args.log');
    const wrapper = path.join(dir, 'helm');
    fs.writeFileSync(wrapper, `#!/bin/sh\necho "$@" >> '${log}'\nexec '${resolveHelm(undefined).path}' "$@"\n`, { mode: 0o755 });
    buildApp(testConfig({ kubernetesVersion: '1.28.7' }), { renderer: new HelmRenderer({ helmBinary: wrapper, chartsDir: process.env.CHARTS_DIR }) });
    const templates = fs.readFileSync(log, 'utf8').split('\n').filter((l) => l.startsWith('template '));
    expect(templates).toHaveLength(2);
    for (const line of templates) expect(line).toMatch(/ --kube-version 1\.28\.7( |$)/);
  });

  test('Falco and the operator in one namespace give one Namespace object', () => {
    const shared = synthStack(testConfig({ falco: { namespace: 'security' }, otel: { namespace: 'security' } }));
    expect(shared.objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name)).toEqual(['security']);
  });
});
