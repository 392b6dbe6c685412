import { ApiObject, App, Chart, Lazy, Testing } from 'cdk8s';
import { synthStack } from './support/helpers';
import { StaticApiObject } from '../lib/k8s/static-api-object';

// lib/k8s/static-api-object.ts: CRDs copied from the operator chart are StaticApiObjects, whose
// JSON is sorted once instead of resolved at every toJson(). It must be what ApiObject gives.

/** The JSON of `json` as an ApiObject and as a StaticApiObject, each in a chart of its own. */
function both(json: any, adjust: (o: ApiObject) => void = () => {}): { plain: any; fixed: StaticApiObject; fixedJson: any } {
  const plainObject = new ApiObject(new Chart(Testing.app(), 'a'), 'x', json);
  const fixed = new StaticApiObject(new Chart(Testing.app(), 'b'), 'x', json.metadata, json);
  adjust(plainObject);
  adjust(fixed);
  return { plain: plainObject.toJson(), fixed, fixedJson: fixed.toJson() };
}

describe('StaticApiObject', () => {
  const crds = synthStack().objects.filter((o) => o.kind === 'CustomResourceDefinition');

  test('the operator\'s CRDs: the same JSON as ApiObject gives, key order included', () => {
    expect(crds.length).toBe(4);
    for (const crd of crds) {
      const { plain, fixedJson } = both(crd, (o) => o.metadata.addAnnotation('argocd.argoproj.io/sync-wave', '0'));
      expect(JSON.stringify(fixedJson)).toBe(JSON.stringify(plain));
    }
  });

  test('unsorted keys and null members, sorted and left out as ApiObject does; with CDK8S_DISABLE_SORT kept in order', () => {
    const json = { kind: 'Thing', apiVersion: 'example.com/v1', metadata: { name: 'n', labels: { z: '1', a: '2' } }, spec: { b: 1, a: { d: null, c: [3, { y: 1, x: 2 }] } }, data: { k: 'v' } };
    const { plain, fixedJson } = both(json);
    expect(JSON.stringify(fixedJson)).toBe(JSON.stringify(plain));
    expect(JSON.stringify(fixedJson)).toBe('{"apiVersion":"example.com/v1","kind":"Thing","metadata":{"labels":{"a":"2","z":"1"},"name":"n"},"data":{"k":"v"},"spec":{"a":{"c":[3,{"x":2,"y":1}]},"b":1}}');
    process.env.CDK8S_DISABLE_SORT = '1';
    try {
      const unsorted = both(json);
      expect(JSON.stringify(unsorted.fixedJson)).toBe(JSON.stringify(unsorted.plain));
    } finally {
      delete process.env.CDK8S_DISABLE_SORT;
    }
  });

  test('one document in several objects (a fleet sharing a render) is sorted once, and each keeps its own metadata', () => {
    const document = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { b: '1', a: '2' } };
    const one = new StaticApiObject(new Chart(Testing.app(), 'one'), 'x', { name: 'one' }, document);
    const two = new StaticApiObject(new Chart(Testing.app(), 'two'), 'x', { name: 'two' }, document);
    const [a, b] = [one.toJson(), two.toJson()];
    expect([a.metadata.name, b.metadata.name]).toEqual(['one', 'two']);
    expect(a.data).toBe(b.data);
    expect(Object.keys(a.data)).toEqual(['a', 'b']);
  });

  test('metadata added after construction shows; the body is frozen, so no caller changes the next result', () => {
    const { fixed } = both({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'b', list: [{ x: 1 }] } });
    fixed.metadata.addLabel('added', Lazy.any({ produce: () => 'later' }) as any);
    const first = fixed.toJson();
    expect(first.metadata.labels).toEqual({ added: 'later' });
    expect(() => { first.data.a = 'changed'; }).toThrow(TypeError);
    expect(() => { first.data.list[0].x = 2; }).toThrow(TypeError);
    first.metadata.name = 'renamed'; // metadata is built afresh each time
    expect(fixed.toJson()).toMatchObject({ metadata: { name: 'c' }, data: { a: 'b', list: [{ x: 1 }] } });
  });

  test('a body that is not plain JSON (a Lazy value) is refused with the object\'s path', () => {
    const chart = new Chart(new App(), 'c');
    const fixed = new StaticApiObject(chart, 'x', { name: 'c' }, { apiVersion: 'v1', kind: 'ConfigMap', data: { a: Lazy.any({ produce: () => 'x' }) } });
    expect(() => fixed.toJson()).toThrow(/StaticApiObject c\/x: the body must be plain JSON, found a/);
  });
});
