import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';

/** An object's JSON, as ApiObject.toJson() gives it. */
export interface ApiObjectJson {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata?: any;
  readonly [key: string]: unknown;
}

/**
 * An ApiObject whose body (all but apiVersion, kind and metadata) is plain JSON fixed at
 * construction, such as a CRD copied from a chart. ApiObject.toJson() resolves and sorts every
 * value at every call, which for the operator's 780 kB of CRDs is most of the object work of a
 * synth; here the body is sorted once, frozen, and shared by every toJson() result: change a copy
 * of it. Metadata (labels and annotations added later) resolves as on any ApiObject; JSON patches
 * apply to apiVersion, kind and metadata only.
 */
export class StaticApiObject extends ApiObject {
  private readonly body: Record<string, unknown>;
  private readonly sanitized = new Map<boolean, Record<string, unknown>>();

  constructor(scope: Construct, id: string, json: ApiObjectJson) {
    const { apiVersion, kind, metadata, ...body } = json;
    super(scope, id, { apiVersion, kind, metadata });
    this.body = body;
  }

  public toJson(): any {
    // Sorted as ApiObject sorts: unless CDK8S_DISABLE_SORT is set.
    const sortKeys = !process.env.CDK8S_DISABLE_SORT;
    if (!this.sanitized.has(sortKeys)) this.sanitized.set(sortKeys, deepFreeze(sanitize(this.body, sortKeys, this.node.path)));
    return { ...super.toJson(), ...this.sanitized.get(sortKeys) };
  }
}

/** What cdk8s's sanitizeValue makes of plain JSON: keys sorted (if asked), null and undefined members left out. */
function sanitize(value: any, sortKeys: boolean, path: string): any {
  if (value === null || value === undefined) return undefined;
  if (typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => sanitize(v, sortKeys, path));
  if (value.constructor?.name !== 'Object') throw new Error(`StaticApiObject ${path}: the body must be plain JSON, found a ${value.constructor?.name}`);
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
