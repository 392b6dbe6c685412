import { findOne, snapshotView, synthStack } from './helpers';

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
});
