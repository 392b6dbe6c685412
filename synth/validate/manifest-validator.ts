import { checkSchema, describe, JsonSchema, SchemaIssue } from './check-schema';
import { customResourceSchema } from './crd-schema';
import { kubernetesSchema, KubernetesSchema, OBJECT_META } from './kubernetes-schema';
import { DEFAULT_KUBERNETES_VERSION } from '../../lib/k8s/kubernetes-versions';

export interface ManifestValidatorProps {
  /** Kubernetes version whose API built-in kinds are checked against. @default DEFAULT_KUBERNETES_VERSION */
  readonly kubernetesVersion?: string;
  /**
   * API groups whose CRDs are installed outside the output; their objects are checked for
   * apiVersion, kind and metadata only, as their schema is not at hand.
   * @default ['cert-manager.io'] - cert-manager is a prerequisite of `otel.webhookCerts: cert-manager`
   */
  readonly externalApiGroups?: readonly string[];
}

/** One reason an object would not be accepted as written. */
export interface ValidationProblem {
  /** Position of the object in the list validated. */
  readonly index: number;
  /** Kind of the object, or "?" if it has none. */
  readonly kind: string;
  /** Namespace of the object; undefined for cluster-scoped objects. */
  readonly namespace?: string;
  /** Name of the object, or "?" if it has none. */
  readonly name: string;
  /** Field path in the object, e.g. "spec.template.spec.containers[0].image". */
  readonly path: string;
  /** What is wrong, and what is expected. */
  readonly reason: string;
}

const CRD_API_VERSION = 'apiextensions.k8s.io/v1';

/** Problems of built-in objects by API version and JSON (ManifestValidator.validate). */
const builtInProblems = new Map<string, ValidationProblem[]>();
/** Schemas of custom resources by the CRD's openAPIV3Schema: shared by the clusters of a fleet. */
const crSchemas = new WeakMap<object, JsonSchema>();
const EXTERNAL_RESOURCE: JsonSchema = {
  type: 'object',
  properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { $ref: `#/definitions/${OBJECT_META}` } },
};

/**
 * Checks Kubernetes objects offline, as the API server would on a create with strict field
 * validation: built-in kinds against the API schema of `kubernetesVersion`, custom resources
 * against the `openAPIV3Schema` of their CustomResourceDefinition among the same objects, objects
 * of `externalApiGroups` for their metadata only. Not checked: CEL rules
 * (x-kubernetes-validations), formats other than quantities, list-type uniqueness, the status of
 * objects, and whatever the API server validates in code rather than in its schema (name syntax,
 * label values, cross-field rules).
 */
export class ManifestValidator {
  public readonly schema: KubernetesSchema;
  public readonly externalApiGroups: readonly string[];
  private readonly resolve = (ref: string): JsonSchema => {
    const definition = this.schema.definitions[ref.replace('#/definitions/', '')];
    if (!definition) throw new Error(`ManifestValidator: no definition for ${ref}`);
    return definition;
  };

  constructor(props: ManifestValidatorProps = {}) {
    this.schema = kubernetesSchema(props.kubernetesVersion ?? DEFAULT_KUBERNETES_VERSION);
    this.externalApiGroups = props.externalApiGroups ?? ['cert-manager.io'];
  }

  /** Every problem of every object; an empty list when all of them are valid. */
  public validate(objects: readonly unknown[]): ValidationProblem[] {
    const crds = objects.filter(isCrd);
    return objects.flatMap((o, index) => {
      // A built-in kind's problems depend on the object and the API version only: a fleet of
      // clusters repeats most objects, the operator's CRDs above all, so each is checked once.
      if (!isPlainObject(o) || !this.schema.kinds.has(`${(o as any).apiVersion} ${(o as any).kind}`)) return this.validateOne(o, index, crds);
      const key = `${this.schema.minor}\0${this.externalApiGroups.join(',')}\0${JSON.stringify(o)}`;
      let problems = builtInProblems.get(key);
      if (!problems) {
        problems = this.validateOne(o, 0, crds);
        builtInProblems.set(key, problems);
      }
      return problems.map((p) => ({ ...p, index }));
    });
  }

  private validateOne(object: unknown, index: number, crds: readonly any[]): ValidationProblem[] {
    if (!isPlainObject(object)) {
      return [{ index, kind: '?', name: '?', path: '(document)', reason: `expected a Kubernetes object, got ${describe(object)}` }];
    }
    const o = object as any;
    const at = (path: string, reason: string): ValidationProblem => ({
      index,
      kind: typeof o.kind === 'string' ? o.kind : '?',
      namespace: typeof o.metadata?.namespace === 'string' ? o.metadata.namespace : undefined,
      name: typeof o.metadata?.name === 'string' ? o.metadata.name : '?',
      path,
      reason,
    });
    const missing = ['apiVersion', 'kind'].filter((f) => typeof o[f] !== 'string' || o[f] === '');
    if (missing.length > 0) return missing.map((f) => at(f, 'missing required field'));

    const schema = this.schemaFor(o, crds);
    if (typeof schema === 'string') return [at('apiVersion', schema)];
    const problems: ValidationProblem[] = [];
    if (typeof o.metadata?.name !== 'string' || o.metadata.name === '') {
      problems.push(at('metadata.name', 'missing required field (an object needs a name to be applied)'));
    }
    const issues = checkSchema(schema, o, this.resolve);
    return [...problems, ...issues.map((i) => at(fieldPath(i), i.reason))];
  }

  /** The schema for the object's apiVersion and kind, or why there is none. */
  private schemaFor(o: any, crds: readonly any[]): JsonSchema | string {
    const builtIn = this.schema.kinds.get(`${o.apiVersion} ${o.kind}`);
    if (builtIn) return { $ref: `#/definitions/${builtIn}` };
    const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/', 2) : ['', o.apiVersion];
    const crd = crds.find((c) => c.spec?.group === group && c.spec?.names?.kind === o.kind);
    if (!crd && this.externalApiGroups.includes(group)) return EXTERNAL_RESOURCE;
    if (!crd) {
      return `${o.apiVersion} ${o.kind} is neither a Kubernetes ${this.schema.minor} API nor defined by a `
        + 'CustomResourceDefinition in the output; check apiVersion and kind';
    }
    const versions: any[] = Array.isArray(crd.spec.versions) ? crd.spec.versions : [];
    const served = versions.filter((v) => v?.served === true).map((v) => v.name);
    const openAPIV3Schema = versions.find((v) => v?.name === version)?.schema?.openAPIV3Schema;
    if (!served.includes(version)) {
      return `version ${version} is not served by CustomResourceDefinition ${crd.metadata?.name}; served: ${served.join(', ') || 'none'}`;
    }
    if (!isPlainObject(openAPIV3Schema)) return `CustomResourceDefinition ${crd.metadata?.name} has no schema for ${version}`;
    let schema = crSchemas.get(openAPIV3Schema);
    if (!schema) {
      schema = customResourceSchema(openAPIV3Schema, { $ref: `#/definitions/${OBJECT_META}` });
      crSchemas.set(openAPIV3Schema, schema);
    }
    return schema;
  }
}

/** "spec.containers[0].env", with ["key"] for keys that are not identifiers (e.g. annotations). */
function fieldPath(issue: SchemaIssue): string {
  let path = '';
  for (const s of issue.path) {
    if (typeof s === 'number') path += `[${s}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(s)) path += path ? `.${s}` : s;
    else path += `[${JSON.stringify(s)}]`;
  }
  return path || '(object)';
}

function isCrd(o: unknown): boolean {
  return isPlainObject(o) && (o as any).apiVersion === CRD_API_VERSION && (o as any).kind === 'CustomResourceDefinition';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
