import { closest, distance } from 'fastest-levenshtein';
import { isQuantity } from './quantity';

/** A JSON schema in the OpenAPI 3.0 dialect Kubernetes uses (CRDs) or generates (built-in kinds). */
export type JsonSchema = { [keyword: string]: any };

/** A value that does not match its schema. */
export interface SchemaIssue {
  /** Keys and array indexes from the checked value down to the bad one. */
  readonly path: (string | number)[];
  /** What is wrong, and what is expected. */
  readonly reason: string;
}

/** Resolves a `$ref` ("#/definitions/<name>") to its schema. */
export type RefResolver = (ref: string) => JsonSchema;

/**
 * Checks `value` against `schema`, interpreting the keywords that Kubernetes structural schemas
 * and the built-in API schemas use: type (integer, and a list of types), properties, required,
 * additionalProperties, patternProperties, items, enum, const, pattern, min/max (with OpenAPI 3.0's
 * boolean exclusiveMinimum/exclusiveMaximum), lengths, item and property counts, uniqueItems,
 * multipleOf, allOf/anyOf/oneOf/not, $ref and format "quantity". Other formats are not checked.
 * An interpreter, not a compiler: CRD schemas are large and change with the chart, while the
 * objects checked against them are small, so compiling would cost more than checking.
 */
export function checkSchema(schema: JsonSchema, value: unknown, resolve: RefResolver): SchemaIssue[] {
  const issues: Issue[] = [];
  check(schema, value, ROOT, resolve, issues);
  return issues.map((i) => ({ path: segments(i.path), reason: i.reason }));
}

/** The path to a value as a linked list: no array copy per visited node (CRDs have ~50k). */
interface Path { readonly parent?: Path; readonly key?: string | number }
const ROOT: Path = {};

interface Issue { readonly path: Path; readonly reason: string }

function segments(path: Path): (string | number)[] {
  const out: (string | number)[] = [];
  for (let p: Path | undefined = path; p && p.key !== undefined; p = p.parent) out.unshift(p.key);
  return out;
}

const child = (parent: Path, key: string | number): Path => ({ parent, key });

function check(schema: JsonSchema, value: unknown, path: Path, resolve: RefResolver, issues: Issue[]): void {
  if (schema.$ref !== undefined) schema = resolve(schema.$ref);
  const issue = (reason: string) => issues.push({ path, reason });

  const types: string[] = schema.type === undefined ? [] : [schema.type].flat();
  if (value === null) {
    if (types.length > 0 && !types.includes('null')) {
      issue('null is not allowed here (the API server would drop it and leave the field unset); set a value or leave the field out');
    }
    return;
  }
  if (types.length > 0 && !types.some((t) => hasType(value, t))) {
    issue(`expected ${types.join(' or ')}, got ${describe(value)}`);
    return;
  }
  if (schema.const !== undefined && !deepEqual(schema.const, value)) {
    issue(`expected ${JSON.stringify(schema.const)}, got ${describe(value)}`);
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((e: unknown) => deepEqual(e, value))) {
    issue(`expected one of ${schema.enum.map((e: unknown) => JSON.stringify(e)).join(', ')}, got ${describe(value)}`);
  }
  if (typeof value === 'string') checkString(schema, value, issue);
  if (typeof value === 'number') checkNumber(schema, value, issue);
  if (Array.isArray(value)) checkArray(schema, value, path, resolve, issues);
  if (isPlainObject(value)) checkObject(schema, value as Record<string, unknown>, path, resolve, issues);
  checkJunctions(schema, value, path, resolve, issues);
}

function checkString(schema: JsonSchema, value: string, issue: (reason: string) => void): void {
  if (schema.format === 'quantity' && !isQuantity(value)) {
    issue(`${JSON.stringify(value)} is not a Kubernetes quantity; expected e.g. "500m", "256Mi", "1e3"`);
  }
  const pattern = schema.pattern === undefined ? undefined : regExp(schema.pattern);
  if (pattern && !pattern.test(value)) issue(`${JSON.stringify(value)} does not match the pattern ${schema.pattern}`);
  const length = [...value].length;
  if (schema.minLength !== undefined && length < schema.minLength) issue(`must be at least ${schema.minLength} characters long, got ${JSON.stringify(value)}`);
  if (schema.maxLength !== undefined && length > schema.maxLength) issue(`must be at most ${schema.maxLength} characters long, got ${length}`);
}

function checkNumber(schema: JsonSchema, value: number, issue: (reason: string) => void): void {
  const min = bound(schema.minimum, schema.exclusiveMinimum);
  const max = bound(schema.maximum, schema.exclusiveMaximum);
  if (min && (min.exclusive ? value <= min.limit : value < min.limit)) issue(`must be ${min.exclusive ? '>' : '>='} ${min.limit}, got ${value}`);
  if (max && (max.exclusive ? value >= max.limit : value > max.limit)) issue(`must be ${max.exclusive ? '<' : '<='} ${max.limit}, got ${value}`);
  if (schema.multipleOf !== undefined && !Number.isInteger(value / schema.multipleOf)) issue(`must be a multiple of ${schema.multipleOf}, got ${value}`);
}

/** OpenAPI 3.0 writes an exclusive bound as a boolean beside it; later JSON Schema as a number. */
function bound(limit: unknown, exclusive: unknown): { limit: number; exclusive: boolean } | undefined {
  if (typeof exclusive === 'number') return { limit: exclusive, exclusive: true };
  return typeof limit === 'number' ? { limit, exclusive: exclusive === true } : undefined;
}

function checkArray(schema: JsonSchema, value: unknown[], path: Path, resolve: RefResolver, issues: Issue[]): void {
  const issue = (reason: string) => issues.push({ path, reason });
  if (schema.minItems !== undefined && value.length < schema.minItems) issue(`must have at least ${schema.minItems} items, got ${value.length}`);
  if (schema.maxItems !== undefined && value.length > schema.maxItems) issue(`must have at most ${schema.maxItems} items, got ${value.length}`);
  if (schema.uniqueItems === true && value.some((v, i) => value.findIndex((w) => deepEqual(v, w)) !== i)) issue('items must be unique');
  if (isPlainObject(schema.items)) value.forEach((v, i) => check(schema.items, v, child(path, i), resolve, issues));
}

function checkObject(schema: JsonSchema, value: Record<string, unknown>, path: Path, resolve: RefResolver, issues: Issue[]): void {
  const properties: Record<string, JsonSchema> = schema.properties ?? {};
  for (const field of schema.required ?? []) {
    if (value[field] === undefined) issues.push({ path: child(path, field), reason: 'missing required field' });
  }
  const keys = Object.keys(value);
  const count = keys.length;
  if (schema.minProperties !== undefined && count < schema.minProperties) issues.push({ path, reason: `must have at least ${schema.minProperties} fields, got ${count}` });
  if (schema.maxProperties !== undefined && count > schema.maxProperties) issues.push({ path, reason: `must have at most ${schema.maxProperties} fields, got ${count}` });
  const patterns = schema.patternProperties === undefined ? []
    : Object.entries<JsonSchema>(schema.patternProperties).map(([p, s]) => [regExp(p), s] as const);
  for (const key of keys) {
    const at = child(path, key);
    const matching = patterns.filter(([re]) => re?.test(key));
    for (const [, s] of matching) check(s, value[key], at, resolve, issues);
    if (Object.prototype.hasOwnProperty.call(properties, key)) {
      check(properties[key], value[key], at, resolve, issues);
    } else if (matching.length > 0) {
      continue;
    } else if (schema.additionalProperties === false) {
      issues.push({ path: at, reason: unknownField(key, Object.keys(properties)) });
    } else if (isPlainObject(schema.additionalProperties)) {
      check(schema.additionalProperties, value[key], at, resolve, issues);
    }
  }
}

function unknownField(key: string, known: string[]): string {
  if (known.length === 0) return 'unknown field; this object takes no fields';
  const guess = closest(key, known);
  // Only a near miss (a typo or a case slip) is worth suggesting.
  const edits = distance(key.toLowerCase(), guess.toLowerCase());
  return edits <= 3 && edits < key.length / 2
    ? `unknown field; did you mean "${guess}"?`
    : 'unknown field';
}

function checkJunctions(schema: JsonSchema, value: unknown, path: Path, resolve: RefResolver, issues: Issue[]): void {
  const passes = (s: JsonSchema) => {
    const scratch: Issue[] = [];
    check(s, value, path, resolve, scratch);
    return scratch.length === 0;
  };
  for (const s of schema.allOf ?? []) check(s, value, path, resolve, issues);
  if (Array.isArray(schema.anyOf) && !schema.anyOf.some(passes)) {
    issues.push({ path, reason: `${describe(value)} matches none of the allowed forms (anyOf)` });
  }
  if (Array.isArray(schema.oneOf)) {
    const matched = schema.oneOf.filter(passes).length;
    if (matched !== 1) issues.push({ path, reason: `${describe(value)} must match exactly one of the allowed forms (oneOf), matches ${matched}` });
  }
  if (isPlainObject(schema.not) && passes(schema.not)) issues.push({ path, reason: `${describe(value)} matches a form that is not allowed (not)` });
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'object': return isPlainObject(value);
    case 'array': return Array.isArray(value);
    case 'integer': return Number.isInteger(value);
    case 'number': return typeof value === 'number' && Number.isFinite(value);
    case 'string': return typeof value === 'string';
    case 'boolean': return typeof value === 'boolean';
    case 'null': return value === null;
    default: return true;
  }
}

const regExps = new Map<string, RegExp | undefined>();

/** The pattern as a JS RegExp; undefined (not checked) when Go's RE2 syntax does not carry over. */
function regExp(pattern: string): RegExp | undefined {
  if (!regExps.has(pattern)) {
    let re: RegExp | undefined;
    try {
      re = new RegExp(pattern);
    } catch {
      re = undefined;
    }
    regExps.set(pattern, re);
  }
  return regExps.get(pattern);
}

/** "string \"abc\"", "number 3", "an object": what was found, for messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `string ${JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value)}`;
  return `${typeof value} ${String(value)}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => deepEqual((a as any)[k], (b as any)[k]));
}
