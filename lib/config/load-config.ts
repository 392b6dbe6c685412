import * as fs from 'fs';
import { closest, distance } from 'fastest-levenshtein';
import { Document, isMap, isScalar, LineCounter, parseDocument, Scalar, YAMLMap } from 'yaml';
import { z } from 'zod';
import { Config, configSchema } from './schema';
import { DEFAULT_RULES, DEFAULT_RULES_VERSION } from '../falco/default-ruleset';
import { isRuleChange } from '../falco/rules';
import { UserError } from '../errors';
import { SCHEMA_PACKAGES } from '../validate/kubernetes-schema';

/** The config file used when CONFIG is not set. */
export const DEFAULT_CONFIG_FILE = 'config/default.yaml';

/**
 * A bad config: one line per problem, each `file:line: field.path: value problem; expected …`
 * (the line and path where they apply).
 */
export class ConfigError extends UserError {
  /** The problems, each prefixed with the file name: the lines of `message`. */
  public readonly problems: string[];

  constructor(readonly file: string, problems: string[]) {
    super(problems.map((p) => `${file}${p}`).join('\n'));
    this.name = 'ConfigError';
    this.problems = problems.map((p) => `${file}${p}`);
  }
}

/** Reads and validates a config file. Throws ConfigError with every problem found. */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Config {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [`: ${unreadable(err as NodeJS.ErrnoException)}; expected a YAML config file: pass --config <file> or set CONFIG (config/default.yaml is an example)`]);
  }
  return parseConfig(text, file, env);
}

function unreadable(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ENOENT': return 'the config file does not exist';
    case 'EISDIR': return 'is a folder, not a config file';
    default: return `the config file cannot be read (${err.message})`;
  }
}

/** Validates config text; `file` is only used in messages. */
export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): Config {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    // Later YAML errors are mostly consequences of the first one.
    throw new ConfigError(file, [syntaxError(doc.errors[0], text)]);
  }
  const raw = doc.toJS() ?? {};
  const where = (path: PropertyKey[], key?: string) => lineOf(doc, lines, path, key);

  const result = configSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(file, byLine(describeIssues(result.error.issues, raw, where)));
  }
  const problems = crossChecks(result.data, env, where).map(({ path, message }) => `${where(path)}: ${path.join('.')}: ${message}`);
  if (problems.length > 0) throw new ConfigError(file, byLine(problems));
  return result.data;
}

/** Problems (":<line>: …") in the order of the file. */
function byLine(problems: string[]): string[] {
  const line = (p: string) => Number(/^:(\d+)/.exec(p)?.[1] ?? 0);
  return [...problems].sort((a, b) => line(a) - line(b));
}

function syntaxError(error: { message: string; linePos?: [{ line: number; col: number }, ...unknown[]] }, text: string): string {
  const pos = error.linePos?.[0];
  const message = error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
  if (!pos) return `: YAML syntax error: ${message}; expected valid YAML`;
  const source = text.split(/\r?\n/)[pos.line - 1] ?? '';
  return `:${pos.line}:${pos.col}: YAML syntax error: ${message} (line ${pos.line}: ${JSON.stringify(source.trimEnd())}); expected valid YAML`;
}

interface Problem { path: (string | number)[]; message: string }
type Where = (path: PropertyKey[], key?: string) => string;

/** Checks that span several fields or need data beyond the schema. */
function crossChecks(config: Config, env: NodeJS.ProcessEnv, where: Where): Problem[] {
  const problems: Problem[] = [];
  const falco = config.falco;
  if (falco.leastPrivileged && falco.driver !== 'modern_ebpf') {
    problems.push({ path: ['falco', 'leastPrivileged'], message: `true needs falco.driver: modern_ebpf (it is ${JSON.stringify(falco.driver)}); expected driver: modern_ebpf, or no leastPrivileged` });
  }
  // The default ruleset's names are known for the pinned version only.
  const pinned = falco.rulesVersion === DEFAULT_RULES_VERSION;
  problems.push(...ruleNameChecks(config, pinned, where));
  problems.push(...uniqueNames('macros', falco.macros.map((m) => ({ name: m.macro, changes: m.override !== undefined || m.append === true })), 'macro', where));
  problems.push(...uniqueNames('lists', falco.lists.map((l) => ({ name: l.list, changes: l.override !== undefined || l.append === true })), 'list', where));
  if (pinned) problems.push(...selectionChecks(config));
  const minor = config.kubernetesVersion.split('.').slice(0, 2).join('.');
  if (!(minor in SCHEMA_PACKAGES)) {
    problems.push({ path: ['kubernetesVersion'], message: `${JSON.stringify(config.kubernetesVersion)} has no Kubernetes API schema here to validate the output against; expected ${Object.keys(SCHEMA_PACKAGES).map((m) => `${m}.x`).join(' or ')} (see README, "Validation of the output")` });
  }
  if (config.otel.webhookCerts === 'helm') {
    // Issue 4's promise: no private key or certificate in the output, and the same bytes every time.
    problems.push({ path: ['otel', 'webhookCerts'], message: '"helm" writes a new CA, certificate and private key into the output at every synth, and the output must stay reproducible and free of secrets; expected certgen (default) or cert-manager. (The OtelOperator construct still offers webhookCerts: \'helm\' for one-off renders outside git.)' });
  }
  if (config.honeycomb.apiKey.source === 'env' && !env.HONEYCOMB_API_KEY) {
    problems.push({ path: ['honeycomb', 'apiKey', 'source'], message: '"env" needs the environment variable HONEYCOMB_API_KEY, which is not set; expected HONEYCOMB_API_KEY exported with the API key, or source: existing and the Secret created with kubectl' });
  }
  return problems;
}

/** Custom rule names are unique; a rule change names a default rule or a custom rule defined before it. */
function ruleNameChecks(config: Config, pinned: boolean, where: Where): Problem[] {
  const problems: Problem[] = [];
  const defaults = new Set(DEFAULT_RULES.map((r) => r.name));
  const defined = new Map<string, number>();
  config.falco.rules.forEach((rule, i) => {
    const path = ['falco', 'rules', i, 'rule'];
    if (isRuleChange(rule)) {
      if (pinned && !defaults.has(rule.rule) && !defined.has(rule.rule)) {
        problems.push({
          path,
          message: `${JSON.stringify(rule.rule)} changes a rule that does not exist${didYouMean(rule.rule, [...defaults, ...defined.keys()])}; `
            + `expected the name of a rule of falco-rules ${DEFAULT_RULES_VERSION} or of a rule defined earlier in falco.rules`,
        });
      }
      return;
    }
    const first = defined.get(rule.rule);
    if (first !== undefined) {
      problems.push({
        path,
        message: `${JSON.stringify(rule.rule)} is already the name of falco.rules.${first} (line ${where(['falco', 'rules', first]).slice(1)}); `
          + 'expected a unique rule name (to change that rule instead, add override: with the keys to change)',
      });
    } else {
      defined.set(rule.rule, i);
    }
  });
  return problems;
}

function uniqueNames(field: 'macros' | 'lists', entries: Array<{ name: string; changes: boolean }>, kind: string, where: Where): Problem[] {
  const problems: Problem[] = [];
  const defined = new Map<string, number>();
  entries.forEach(({ name, changes }, i) => {
    if (changes) return;
    const first = defined.get(name);
    if (first === undefined) {
      defined.set(name, i);
      return;
    }
    problems.push({
      path: ['falco', field, i, kind],
      message: `${JSON.stringify(name)} is already the name of falco.${field}.${first} (line ${where(['falco', field, first]).slice(1)}); `
        + `expected a unique ${kind} name (to change that ${kind} instead, add override:)`,
    });
  });
  return problems;
}

/** `disabledRules` and `disabledTags` name rules and tags that exist. */
function selectionChecks(config: Config): Problem[] {
  const falco = config.falco;
  const problems: Problem[] = [];
  const ruleNames = [...DEFAULT_RULES.map((r) => r.name), ...falco.rules.map((r) => r.rule)];
  falco.disabledRules.forEach((name, i) => {
    if (!ruleNames.includes(name)) {
      problems.push({
        path: ['falco', 'disabledRules', i],
        message: `${JSON.stringify(name)} is not a rule of falco-rules ${DEFAULT_RULES_VERSION} or of falco.rules${didYouMean(name, ruleNames)}; `
          + `expected the name of one of the ${DEFAULT_RULES.length} rules of falco-rules ${DEFAULT_RULES_VERSION} (lib/falco/default-ruleset.ts) or of a rule in falco.rules`,
      });
    }
  });
  const tags = [...new Set([...DEFAULT_RULES.flatMap((r) => r.tags), ...falco.rules.flatMap((r) => r.tags ?? [])])];
  falco.disabledTags.forEach((tag, i) => {
    if (!tags.includes(tag)) {
      problems.push({
        path: ['falco', 'disabledTags', i],
        message: `${JSON.stringify(tag)} is not a tag of any rule of falco-rules ${DEFAULT_RULES_VERSION} or of falco.rules${didYouMean(tag, tags)}; `
          + 'expected a tag such as container, network, process or maturity_stable (lib/falco/default-ruleset.ts lists them)',
      });
    }
  });
  return problems;
}

/** ' (did you mean "x"?)' when a candidate is close enough to be a likely typo, else ''. */
function didYouMean(name: string, candidates: string[]): string {
  const hint = closestMatch(name, candidates);
  return hint ? ` (did you mean ${JSON.stringify(hint)}?)` : '';
}

function closestMatch(name: string, candidates: string[]): string | undefined {
  if (candidates.length === 0) return undefined;
  const hint = closest(name, candidates);
  return distance(name.toLowerCase(), hint.toLowerCase()) <= Math.max(2, Math.floor(name.length / 4)) ? hint : undefined;
}

function describeIssues(issues: z.core.$ZodIssue[], raw: unknown, where: Where): string[] {
  // A misspelt key also leaves the key it meant missing: the did-you-mean says it all.
  const meant = new Set<string>();
  for (const issue of issues) {
    if (issue.code !== 'unrecognized_keys') continue;
    for (const key of issue.keys) {
      const hint = closestMatch(key, acceptedKeys(issue.path));
      if (hint) meant.add([...issue.path, hint].join('.'));
    }
  }
  return issues
    .filter((issue) => !(valueAt(raw, issue.path) === undefined && meant.has(issue.path.join('.'))))
    .flatMap((issue) => describeIssue(issue, raw, where));
}

function describeIssue(issue: z.core.$ZodIssue, raw: unknown, where: Where): string[] {
  const path = issue.path;
  const value = valueAt(raw, path);
  const at = (p: PropertyKey[], key?: string) => `${where(p, key)}: ${[...p, ...(key ? [key] : [])].map(String).join('.') || '(top level)'}`;
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => {
        const accepted = acceptedKeys(path);
        return `${at(path, key)}: ${JSON.stringify(key)} is not a known key${didYouMean(key, accepted)}; expected one of: ${accepted.join(', ')}`;
      });
    case 'invalid_type': {
      // Schema fields may carry their own "expected …" text; otherwise describe the type.
      const expected = issue.message.startsWith('expected ') ? issue.message.slice('expected '.length) : describeExpected(issue.expected, path);
      if (value === undefined) return [`${at(path)}: is missing; expected ${expected}`];
      if (value === null) return [`${at(path)}: is empty; expected ${expected}`];
      return [`${at(path)}: ${show(value)} is ${kindOf(value)}; expected ${expected}`];
    }
    case 'invalid_value':
      return [`${at(path)}: ${value === undefined ? 'is missing' : `${show(value)} is not accepted`}; expected one of: ${issue.values.map(String).join(', ')}`];
    case 'invalid_union': {
      const expected = issue.message.startsWith('expected ') ? issue.message : 'expected a value of another type';
      return [`${at(path)}: ${show(value)} is ${kindOf(value)}; ${expected}`];
    }
    default:
      // Entries (mappings, lists) are named in the message itself rather than dumped.
      return [`${at(path)}: ${value === undefined || typeof value === 'object' ? '' : `${show(value)} `}${issue.message}`];
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
    const def = current._zod.def as { type: string; innerType?: z.core.$ZodType; in?: z.core.$ZodType };
    if (def.innerType) current = def.innerType;
    else if (def.type === 'pipe' && def.in) current = def.in;
    else return current;
  }
}

function describeExpected(expected: string, path: PropertyKey[]): string {
  switch (expected) {
    case 'boolean': return 'true or false';
    case 'object': {
      const keys = acceptedKeys(path);
      return keys.length > 0 ? `a mapping with keys among: ${keys.join(', ')}` : 'a mapping (key: value)';
    }
    case 'array': return 'a list';
    case 'number': return 'a number';
    case 'int': return 'an integer';
    case 'string': return 'a string';
    default: return expected;
  }
}

function kindOf(value: unknown): string {
  if (value === null) return 'empty';
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
