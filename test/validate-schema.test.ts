import { checkSchema, JsonSchema } from '../synth/validate/check-schema';
import { customResourceSchema } from '../synth/validate/crd-schema';
import { kubernetesSchema } from '../synth/validate/kubernetes-schema';
import { KUBERNETES_MINORS } from '../lib/k8s/kubernetes-versions';
import { isQuantity } from '../synth/validate/quantity';
import { UserError } from '../lib/errors';

const noRefs = (ref: string): JsonSchema => { throw new Error(`unexpected $ref ${ref}`); };
const issues = (schema: JsonSchema, value: unknown) => checkSchema(schema, value, noRefs);

describe('isQuantity', () => {
  test.each(['500m', '256Mi', '1e3', '1', '0.5', '.5', '5.', '+1.5Gi', '-1', '1E-3', '2k', '3Ei', '100n', '10u', '1M', '1G', '1.5e+2'])(
    'accepts %s', (q) => expect(isQuantity(q)).toBe(true));
  test.each(['256MB', 'abc', '1K', '', 'Mi', '1 Mi', '1.2.3', '1e', '1e1.5', '1Ki1', '--1', '1mi', '0x10'])(
    'rejects %j', (q) => expect(isQuantity(q)).toBe(false));
});

describe('the Kubernetes API schema from cdk8s-plus', () => {
  const k8s = kubernetesSchema('1.28.0');

  test('comes from the jsii assembly of cdk8s-plus-28 and knows every kind the app emits', () => {
    expect(k8s.source).toMatch(/^cdk8s-plus-28@/);
    for (const kind of ['v1 Namespace', 'v1 ServiceAccount', 'v1 ConfigMap', 'v1 Secret', 'v1 Service', 'v1 Pod',
      'rbac.authorization.k8s.io/v1 Role', 'rbac.authorization.k8s.io/v1 RoleBinding', 'rbac.authorization.k8s.io/v1 ClusterRole',
      'rbac.authorization.k8s.io/v1 ClusterRoleBinding', 'apps/v1 Deployment', 'apps/v1 DaemonSet', 'batch/v1 Job',
      'apiextensions.k8s.io/v1 CustomResourceDefinition', 'admissionregistration.k8s.io/v1 MutatingWebhookConfiguration',
      'admissionregistration.k8s.io/v1 ValidatingWebhookConfiguration']) {
      expect(k8s.kinds.has(kind)).toBe(true);
    }
  });

  // Facts of the upstream 1.28 OpenAPI definitions; the whole schema was cross-checked against them
  // (see the README), these guard against a cdk8s-plus upgrade that maps types differently.
  test('keeps JSON field names, required fields and value types of 1.28', () => {
    const d = k8s.definitions;
    expect(d.DeploymentSpec.required.sort()).toEqual(['selector', 'template']);
    expect(d.DaemonSetSpec.required.sort()).toEqual(['selector', 'template']);
    expect(d.Container.required).toEqual(['name']);
    expect(d.RoleRef.required.sort()).toEqual(['apiGroup', 'kind', 'name']);
    expect(d.ServicePort.required).toEqual(['port']);
    expect(d.PodSpec.properties.hostNetwork).toEqual({ type: 'boolean' });
    expect(d.PodSpec.properties.containers).toEqual({ type: 'array', items: { $ref: '#/definitions/Container' } });
    expect(d.DeploymentSpec.properties.replicas).toEqual({ type: 'integer' });
    expect(d.ServicePort.properties.targetPort).toEqual({ type: ['integer', 'string'] });
    expect(d.ResourceRequirements.properties.limits).toEqual({ type: 'object', additionalProperties: { type: ['string', 'number'], format: 'quantity' } });
    // JSON names, not the camelCase of the TypeScript types.
    expect(Object.keys(d.JsonSchemaProps.properties)).toEqual(expect.arrayContaining(['$ref', 'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-int-or-string']));
    expect(d.JsonSchemaProps.properties.maximum).toEqual({ type: 'number' });
    expect(d.PodSpec.additionalProperties).toBe(false);
  });

  test('every supported minor has its schema, with its kinds; any other minor is a UserError naming the supported ones', () => {
    expect(KUBERNETES_MINORS).toEqual(['1.28', '1.29', '1.30', '1.31', '1.32', '1.33']);
    for (const minor of KUBERNETES_MINORS) {
      const schema = kubernetesSchema(`${minor}.7`);
      expect(schema.minor).toBe(minor);
      expect(schema.source).toMatch(new RegExp(`^cdk8s-plus-${minor.split('.')[1]}@`));
      expect(schema.kinds.get('apps/v1 DaemonSet')).toBeDefined();
    }
    expect(() => kubernetesSchema('1.34.0')).toThrow(UserError);
    expect(() => kubernetesSchema('1.34.0')).toThrow(/kubernetesVersion 1\.34\.0: .*supported: 1\.28\.x, 1\.29\.x, 1\.30\.x, 1\.31\.x, 1\.32\.x, 1\.33\.x/);
  });
});

describe('checkSchema', () => {
  test('closed objects name the unknown field and suggest the closest known one', () => {
    const schema = { type: 'object', properties: { hostNetwork: { type: 'boolean' } }, additionalProperties: false };
    expect(issues(schema, { hostNetwrok: true })).toEqual([{ path: ['hostNetwrok'], reason: 'unknown field; did you mean "hostNetwork"?' }]);
  });

  test('types: integer is not 1.5, a list of types accepts any of them, null only where allowed', () => {
    expect(issues({ type: 'integer' }, 1.5)).toEqual([{ path: [], reason: 'expected integer, got number 1.5' }]);
    expect(issues({ type: ['integer', 'string'] }, 'http')).toEqual([]);
    expect(issues({ type: ['integer', 'string'] }, true)).toEqual([{ path: [], reason: 'expected integer or string, got boolean true' }]);
    expect(issues({ type: 'string' }, null)[0].reason).toMatch(/^null is not allowed here/);
    expect(issues({ type: ['string', 'null'] }, null)).toEqual([]);
  });

  test('OpenAPI 3.0 boolean exclusive bounds, and the numeric form of later JSON Schema', () => {
    expect(issues({ type: 'integer', minimum: 1, exclusiveMinimum: true }, 1)).toEqual([{ path: [], reason: 'must be > 1, got 1' }]);
    expect(issues({ type: 'integer', minimum: 1 }, 1)).toEqual([]);
    expect(issues({ type: 'integer', exclusiveMaximum: 10 }, 10)).toEqual([{ path: [], reason: 'must be < 10, got 10' }]);
  });

  test('enum, pattern, lengths, items and anyOf', () => {
    expect(issues({ type: 'string', enum: ['a', 'b'] }, 'c')).toEqual([{ path: [], reason: 'expected one of "a", "b", got string "c"' }]);
    expect(issues({ type: 'string', pattern: '^[a-z]+$' }, 'A')).toEqual([{ path: [], reason: '"A" does not match the pattern ^[a-z]+$' }]);
    expect(issues({ type: 'array', maxItems: 1, items: { type: 'string' } }, ['a', 2])).toEqual([
      { path: [], reason: 'must have at most 1 items, got 2' },
      { path: [1], reason: 'expected string, got number 2' },
    ]);
    expect(issues({ anyOf: [{ required: ['a'] }, { required: ['b'] }] }, { c: 1 })).toEqual([
      { path: [], reason: 'an object matches none of the allowed forms (anyOf)' },
    ]);
  });
});

describe('customResourceSchema (structural schema semantics)', () => {
  const objectMeta = { type: 'object', properties: { name: { type: 'string' } }, additionalProperties: false };
  const resolve = () => objectMeta;
  const crd: JsonSchema = {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        properties: {
          config: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          port: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
          note: { type: 'string', nullable: true },
          empty: { type: 'object' },
          optional: { type: 'object', nullable: true, properties: { a: { type: 'string' } } },
          labels: { type: 'object', additionalProperties: { type: 'string' } },
          template: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } },
        },
      },
      status: { type: 'object', properties: { ready: { type: 'boolean' } } },
    },
  };
  const check = (value: unknown) => checkSchema(customResourceSchema(crd, { $ref: '#/definitions/ObjectMeta' }), value, resolve);
  const base = { apiVersion: 'example.com/v1', kind: 'Thing', metadata: { name: 'x' } };

  test('unknown fields are rejected, except under x-kubernetes-preserve-unknown-fields', () => {
    expect(check({ ...base, spec: { config: { anything: { goes: 1 } }, labels: { a: 'b' } } })).toEqual([]);
    expect(check({ ...base, spec: { confg: {} } })).toEqual([{ path: ['spec', 'confg'], reason: 'unknown field; did you mean "config"?' }]);
    expect(check({ ...base, extra: 1 })).toEqual([{ path: ['extra'], reason: 'unknown field' }]);
    // An object schema without properties takes no fields at all: the API server prunes them.
    expect(check({ ...base, spec: { empty: { a: 1 } } })).toEqual([{ path: ['spec', 'empty', 'a'], reason: 'unknown field; this object takes no fields' }]);
  });

  test('int-or-string, nullable, embedded resources and ObjectMeta', () => {
    expect(check({ ...base, spec: { port: 8080, note: null, optional: null } })).toEqual([]);
    expect(check({ ...base, spec: { optional: { b: 'x' } } })).toEqual([{ path: ['spec', 'optional', 'b'], reason: 'unknown field' }]);
    expect(check({ ...base, spec: { port: 'http' } })).toEqual([]);
    expect(check({ ...base, spec: { port: false } })).toEqual([{ path: ['spec', 'port'], reason: 'expected integer or string, got boolean false' }]);
    expect(check({ ...base, spec: { template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { x: 1 } } } })).toEqual([]);
    expect(check({ ...base, metadata: { name: 'x', nam: 'y', labls: {} } })).toEqual([
      { path: ['metadata', 'nam'], reason: 'unknown field; did you mean "name"?' },
      { path: ['metadata', 'labls'], reason: 'unknown field' },
    ]);
  });
});
