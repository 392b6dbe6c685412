import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';

/** An object's JSON, as ApiObject.toJson() gives it. */
export interface ApiObjectJson {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata?: any;
  readonly [key: string]: unknown;
}

// Sorted bodies by document: a fleet of clusters shares one render of a chart (HelmRenderer), so
// the operator's CRDs are sorted once per process, not once per cluster.
const sortedBodies = new WeakMap<object, Record<string, unknown>>();
const unsortedBodies = new WeakMap<object, Record<string, unknown>>();

/**
 * An ApiObject whose body (all but apiVersion, kind and metadata) is plain JSON fixed at
 * construction, such as a CRD copied from a chart. ApiObject.toJson() resolves and sorts every
 * value at every call, which for the operator's 780 kB of CRDs is most of the object work of a
 * synth; here the body is sorted once, frozen, and shared by every toJson() result: change a copy
 * of it. `metadata` (labels and annotations added later) resolves as on any ApiObject; JSON
 * patches apply to apiVersion, kind and metadata only.
 */
export class StaticApiObject extends ApiObject {
  private readonly document: ApiObjectJson;

  /** `document`'s body, with `metadata` instead of the document's own. */
  constructor(scope: Construct, id: string, metadata: any, document: ApiObjectJson) {
    super(scope, id, { apiVersion: document.apiVersion, kind: document.kind, metadata });
    this.document = document;
  }

  public toJson(): any {
    // Sorted as ApiObject sorts: unless CDK8S_DISABLE_SORT is set.
    const sortKeys = !process.env.CDK8S_DISABLE_SORT;
    const memo = sortKeys ? sortedBodies : unsortedBodies;
    let body = memo.get(this.document);
    if (!body) {
      const { apiVersion, kind, metadata, ...rest } = this.document;
      body = deepFreeze(sanitize(rest, sortKeys, this.node.path) as Record<string, unknown>);
      memo.set(this.document, body);
    }
    return { ...super.toJson(), ...body };
  }
}

/** What cdk8s's sanitizeValue makes of plain JSON: keys sorted (if asked), null and undefined members left out. */
function sanitize(value: any, sortKeys: boolean, path: string): any {
  if (value === null || value === undefined) return undefined;
  if (typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => sanitize(v, sortKeys, path));
  if (Object.getPrototypeOf(value) !== Object.prototype) throw new Error(`StaticApiObject ${path}: the body must be plain JSON, found a ${value.constructor?.name}`);
  const result: Record<string, unknown> = {};
  const keys = sortKeys ? Object.keys(value).sort() : Object.keys(value);
  for (const key of keys) {
    const member = sanitize(value[key], sortKeys, path);
    if (member !== undefined && member !== null) result[key] = member;
  }
  return result;
}

/** `value`, with every object and array in it frozen. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}
