import * as fs from 'fs';
import { closest, distance } from 'fastest-levenshtein';
import { Document, isMap, isScalar, LineCounter, parseDocument, Scalar, YAMLMap } from 'yaml';
import { z } from 'zod';
import { Config, configSchema } from './schema';
import { DEFAULT_RULES, DEFAULT_RULES_VERSION } from '../falco/default-ruleset';
import { isRuleChange } from '../falco/rules';
import { UserError } from '../errors';

/** The config file used when CONFIG is not set. */
export const DEFAULT_CONFIG_FILE = 'config/default.yaml';

/** A bad config: one line per problem, each naming file, line, field path, value and what is accepted. */
export class ConfigError extends UserError {
  constructor(readonly file: string, readonly problems: string[]) {
    super(problems.map((p) => `${file}${p}`).join('\n'));
    this.name = 'ConfigError';
  }
}

/** Reads and validates a config file. Throws ConfigError with every problem found. */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Config {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new ConfigError(file, [`: cannot read the config file (${reason}); create it (see config/default.yaml) or set CONFIG to an existing file`]);
  }
  return parseConfig(text, file, env);
}

/** Validates config text; `file` is only used in messages. */
export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): Config {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(file, doc.errors.map((e) => {
      const pos = e.linePos?.[0];
      return `${pos ? `:${pos.line}:${pos.col}` : ''}: YAML syntax error: ${firstLine(e.message)}`;
    }));
  }
  const raw = doc.toJS() ?? {};
  const where = (path: PropertyKey[], key?: string) => lineOf(doc, lines, path, key);

  const result = configSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(file, result.error.issues.flatMap((issue) => describeIssue(issue, raw, where)));
  }
  const problems = crossChecks(result.data, env).map(({ path, message }) => `${where(path)}: ${path.join('.')}: ${message}`);
  if (problems.length > 0) throw new ConfigError(file, problems);
  return result.data;
}

interface Problem { path: (string | number)[]; message: string }

/** Checks that span several fields or need data beyond the schema. */
function crossChecks(config: Config, env: NodeJS.ProcessEnv): Problem[] {
  const problems: Problem[] = [];
  const falco = config.falco;
  if (falco.leastPrivileged && falco.driver !== 'modern_ebpf') {
    problems.push({ path: ['falco', 'leastPrivileged'], message: `true needs falco.driver: modern_ebpf (it is ${JSON.stringify(falco.driver)}); set the driver or remove leastPrivileged` });
  }
  const customNames = falco.rules.map((r) => r.rule);
  const defined = new Set<string>();
  falco.rules.forEach((rule, i) => {
    if (isRuleChange(rule)) return;
    if (defined.has(rule.rule)) {
      problems.push({ path: ['falco', 'rules', i, 'rule'], message: `${JSON.stringify(rule.rule)} is defined twice; rule names must be unique (use override: to change a rule)` });
    }
    defined.add(rule.rule);
  });
  // The default ruleset's names are known for the pinned version only.
  if (falco.rulesVersion === DEFAULT_RULES_VERSION) {
    const known = new Set([...DEFAULT_RULES.map((r) => r.name), ...customNames]);
    falco.disabledRules.forEach((name, i) => {
      if (!known.has(name)) {
        const hint = closest(name, [...known]);
        problems.push({
          path: ['falco', 'disabledRules', i],
          message: `${JSON.stringify(name)} is not a rule of falco-rules ${DEFAULT_RULES_VERSION} or of falco.rules${distance(name, hint) <= Math.max(3, name.length / 4) ? `; did you mean ${JSON.stringify(hint)}?` : ''}`,
        });
      }
    });
    const knownTags = new Set([...DEFAULT_RULES.flatMap((r) => r.tags), ...falco.rules.flatMap((r) => r.tags ?? [])]);
    falco.disabledTags.forEach((tag, i) => {
      if (!knownTags.has(tag)) {
        problems.push({ path: ['falco', 'disabledTags', i], message: `${JSON.stringify(tag)} is not a tag of any rule of falco-rules ${DEFAULT_RULES_VERSION} or of falco.rules` });
      }
    });
  }
  if (config.honeycomb.apiKey.source === 'env' && !env.HONEYCOMB_API_KEY) {
    problems.push({ path: ['honeycomb', 'apiKey', 'source'], message: '"env" needs the environment variable HONEYCOMB_API_KEY, which is not set; export it, or use source: existing and create the Secret with kubectl' });
  }
  return problems;
}

type Where = (path: PropertyKey[], key?: string) => string;

function describeIssue(issue: z.core.$ZodIssue, raw: unknown, where: Where): string[] {
  const path = issue.path;
  const value = valueAt(raw, path);
  const at = (p: PropertyKey[], key?: string) => `${where(p, key)}: ${[...p, ...(key ? [key] : [])].map(String).join('.') || '(top level)'}`;
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => {
        const accepted = acceptedKeys(path);
        const hint = accepted.length > 0 ? closest(key, accepted) : undefined;
        const didYouMean = hint && distance(key, hint) <= Math.max(2, Math.floor(key.length / 3)) ? ` did you mean ${JSON.stringify(hint)}?` : '';
        return `${at(path, key)}: unknown key;${didYouMean} accepted keys here: ${accepted.join(', ')}`;
      });
    case 'invalid_type': {
      // Schema fields may carry their own "expected …" text; otherwise describe the type.
      const expected = issue.message.startsWith('expected ') ? issue.message.slice('expected '.length) : describeExpected(issue.expected);
      if (value === undefined) return [`${at(path)}: is missing; expected ${expected}`];
      return [`${at(path)}: ${show(value)} is ${kindOf(value)}; expected ${expected}`];
    }
    case 'invalid_value':
      return [`${at(path)}: ${show(value)} is not accepted; expected one of: ${issue.values.map(String).join(', ')}`];
    case 'invalid_union':
      return [`${at(path)}: ${show(value)} is not accepted; expected ${path.includes('items') ? 'a string or an integer' : 'a number or a quantity string such as "500m" or "256Mi"'}`];
    default:
      return [`${at(path)}: ${value === undefined ? '' : `${show(value)} `}${issue.message}`];
  }
}

/** Keys that the schema accepts at `path` (an object location in the config). */
function acceptedKeys(path: PropertyKey[]): string[] {
  let schema: z.core.$ZodType = configSchema;
  for (const segment of path) {
    schema = unwrap(schema);
    const def = schema._zod.def as { type: string; shape?: Record<string, z.core.$ZodType>; element?: z.core.$ZodType };
    if (def.type === 'object' && def.shape && typeof segment === 'string') schema = def.shape[segment];
    else if (def.type === 'array' && def.element) schema = def.element;
    else return [];
    if (!schema) return [];
  }
  const def = unwrap(schema)._zod.def as { type: string; shape?: Record<string, unknown> };
  return def.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}

function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  let current = schema;
  for (;;) {
    const def = current._zod.def as { type: string; innerType?: z.core.$ZodType; in?: z.core.$ZodType; schema?: z.core.$ZodType };
    if (def.innerType) current = def.innerType;
    else if (def.type === 'pipe' && def.in) current = def.in;
    else return current;
  }
}

function describeExpected(expected: string): string {
  switch (expected) {
    case 'boolean': return 'a boolean (true or false)';
    case 'object': return 'a mapping (key: value)';
    case 'array': return 'a list';
    case 'number': return 'a number';
    case 'string': return 'a string';
    default: return expected;
  }
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `a ${typeof value}`;
}

function show(value: unknown): string {
  if (value === undefined) return '(missing)';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function valueAt(raw: unknown, path: PropertyKey[]): unknown {
  let current: unknown = raw;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}

/** ":<line>" of the node at `path` (or of `key` inside it), or of the nearest existing parent. */
function lineOf(doc: Document, lines: LineCounter, path: PropertyKey[], key?: string): string {
  if (key !== undefined) {
    const parent = doc.getIn(path as unknown[], true);
    if (isMap(parent)) {
      const pair = (parent as YAMLMap).items.find((p) => isScalar(p.key) && (p.key as Scalar).value === key);
      const range = (pair?.key as Scalar | undefined)?.range;
      if (range) return `:${lines.linePos(range[0]).line}`;
    }
  }
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n) as unknown[], true) as { range?: [number, number, number] } | undefined;
    if (node?.range) return `:${lines.linePos(node.range[0]).line}`;
  }
  return '';
}

function firstLine(message: string): string {
  return message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
}
