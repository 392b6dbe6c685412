import * as fs from 'fs';
import { Document, isMap, isScalar, LineCounter, parseDocument, Scalar, YAMLMap } from 'yaml';
import { z } from 'zod';
import { Config, configSchema } from './config-schema';
import { UserError } from '../lib/errors';
import { closestMatch, didYouMean } from '../lib/falco/ruleset-checks';
import { PropPath, PropProblem } from '../lib/problems';

/** The config file used when CONFIG is not set. */
export const DEFAULT_CONFIG_FILE = 'config/default.yaml';

/** The largest config file read; a real one is a few kB. */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** YAML aliases allowed in a config: enough for sharing a few tolerations, not for an alias bomb. */
export const MAX_ALIASES = 100;
/** Levels of nesting accepted; the deepest real config (a rule exception's values) has 7. */
export const MAX_DEPTH = 64;
/** Problems printed for one config; the rest are counted. */
const MAX_PROBLEMS = 25;

/**
 * A bad config: one line per problem, each `file:line: field.path: value problem; expected …`
 * (the line and path where they apply).
 */
export class ConfigError extends UserError {
  /** The problems, each prefixed with the file name: the lines of `message`. */
  public readonly problems: string[];

  constructor(readonly file: string, problems: string[]) {
    const lines = problems.map((p) => `${file}${p}`);
    const shown = lines.length > MAX_PROBLEMS ? [...lines.slice(0, MAX_PROBLEMS), `${file}: … and ${lines.length - MAX_PROBLEMS} more problems`] : lines;
    super(shown.join('\n'));
    this.name = 'ConfigError';
    this.problems = shown;
  }
}

/** A validated config and where its fields are in the file. */
export interface LoadedConfig {
  readonly config: Config;
  readonly file: string;
  /** ":<line>" of a field path (or its nearest parent in the file), or "". */
  readonly lineOf: (path: PropertyKey[]) => string;
}

/** Reads and validates a config file: a regular file of at most MAX_CONFIG_BYTES. Throws ConfigError with every problem found. */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  return parseConfig(readConfigText(file), file, env);
}

function readConfigText(file: string): string {
  const fail = (problem: string, limit = '') => new ConfigError(file, [`: ${problem}; expected a YAML config file${limit}: pass --config <file> or set CONFIG (config/default.yaml is an example)`]);
  const tooBig = (problem: string) => fail(problem, ` of at most ${MAX_CONFIG_BYTES / 1024} KiB`);
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below anyway.
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (err) {
    throw fail(unreadable(err as NodeJS.ErrnoException));
  }
  try {
    const stat = fs.fstatSync(fd);
    if (stat.isDirectory()) throw fail('is a folder, not a config file');
    if (!stat.isFile()) throw fail('is not a regular file (a device, FIFO or socket)');
    if (stat.size > MAX_CONFIG_BYTES) throw tooBig(`is ${stat.size} bytes`);
    const buffer = Buffer.alloc(MAX_CONFIG_BYTES + 1);
    const size = fs.readSync(fd, buffer, 0, buffer.length, 0);
    if (size > MAX_CONFIG_BYTES) throw tooBig(`is more than ${MAX_CONFIG_BYTES} bytes`);
    const text = buffer.subarray(0, size).toString('utf8');
    if (text.includes('\u0000')) throw fail('holds NUL bytes, so it is not a text file');
    return text;
  } finally {
    fs.closeSync(fd);
  }
}

function unreadable(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ENOENT': return 'the config file does not exist';
    case 'EISDIR': return 'is a folder, not a config file';
    case 'EACCES': return 'the config file cannot be read (permission denied)';
    default: return `the config file cannot be read (${err.code ?? err.message})`;
  }
}

/** Validates config text; `file` is only used in messages. */
export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const lines = new LineCounter();
  let doc: Document.Parsed;
  let raw: unknown;
  try {
    doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
    if (doc.errors.length > 0) {
      // The parser reports its own stack overflow as a syntax error at the deepest bracket.
      if (doc.errors.some((e) => /call stack/i.test(e.message))) throw new RangeError('nesting');
      // Later YAML errors are mostly consequences of the first one.
      throw new ConfigError(file, [syntaxError(doc.errors[0], text)]);
    }
    raw = doc.toJS({ maxAliasCount: MAX_ALIASES }) ?? {};
    const depth = nestingDepth(raw);
    if (depth === Infinity) throw new ConfigError(file, [': holds an alias inside its own anchor (a value that contains itself); expected a config of plain YAML mappings and lists']);
    if (depth > MAX_DEPTH) throw new ConfigError(file, [`: nests more than ${MAX_DEPTH} levels deep; expected a config of plain YAML mappings and lists nested at most ${MAX_DEPTH} levels`]);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(file, [`: ${yamlLimit(err as Error)}`]);
  }
  const where = (path: PropertyKey[], key?: string) => lineOf(doc, lines, path, key);

  const result = configSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(file, byLine(describeIssues(result.error.issues, raw, where)));
  }
  const problems = environmentChecks(result.data, env).map(({ path, message }) => `${where(path)}: ${path.join('.')}: ${message}`);
  if (problems.length > 0) throw new ConfigError(file, byLine(problems));
  return { config: result.data, file, lineOf: (path) => where(path) };
}

/** Levels of mappings and lists in a value; Infinity when it contains itself (a YAML alias inside its own anchor). */
function nestingDepth(value: unknown, ancestors = new Set<object>()): number {
  if (value === null || typeof value !== 'object') return 0;
  if (ancestors.has(value)) return Infinity;
  ancestors.add(value);
  let deepest = 0;
  for (const v of Object.values(value)) deepest = Math.max(deepest, nestingDepth(v, ancestors));
  ancestors.delete(value);
  return deepest + 1;
}

/** What the YAML library refused beyond syntax: an alias bomb, nesting too deep for the parser. */
function yamlLimit(err: Error): string {
  const expected = `expected a config of plain YAML mappings and lists, nested at most ${MAX_DEPTH} levels, with at most ${MAX_ALIASES} aliases`;
  if (err instanceof RangeError) return `nests deeper than a YAML parser can follow; ${expected}`;
  if (/alias/i.test(err.message)) return `uses more than ${MAX_ALIASES} aliases, or aliases that expand too far (${err.message.split('\n')[0]}); ${expected}`;
  return `cannot be read as YAML (${err.message.split('\n')[0]}); ${expected}`;
}

/**
 * Problems that constructs found in the props a config gave them, as config problems: the
 * construct's prop path under `prefix` ('falco'), with file and line. Throws ConfigError if any.
 */
export function throwConfigProblems(loaded: LoadedConfig, found: Array<{ prefix: string; problems: readonly PropProblem[] }>): void {
  const configPath = (prefix: string, path: PropPath) => [prefix, ...path];
  // Another field is named with its line when it is an entry (falco.rules.0 (line 5)), plain otherwise.
  const at = (prefix: string) => (path: PropPath) => {
    const full = configPath(prefix, path);
    return path.some((p) => typeof p === 'number') ? `${full.join('.')} (line ${loaded.lineOf(full).slice(1)})` : full.join('.');
  };
  const lines = found.flatMap(({ prefix, problems }) => problems.map((p) => {
    const full = configPath(prefix, p.path);
    return `${loaded.lineOf(full)}: ${full.join('.')}: ${p.message(at(prefix))}`;
  }));
  if (lines.length > 0) throw new ConfigError(loaded.file, byLine(lines));
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
  return `:${pos.line}:${pos.col}: YAML syntax error: ${message} (line ${pos.line}: ${show(source.trimEnd())}); expected valid YAML`;
}

interface Problem { path: (string | number)[]; message: string }
type Where = (path: PropertyKey[], key?: string) => string;

/** What the config needs from the environment. */
function environmentChecks(config: Config, env: NodeJS.ProcessEnv): Problem[] {
  const problems: Problem[] = [];
  if (config.honeycomb.apiKey.source === 'env' && !env.HONEYCOMB_API_KEY) {
    problems.push({ path: ['honeycomb', 'apiKey', 'source'], message: '"env" needs the environment variable HONEYCOMB_API_KEY, which is not set; expected HONEYCOMB_API_KEY exported with the API key, or source: existing and the Secret created with kubectl' });
  }
  return problems;
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
      // A schema field's own message for a value it refuses on purpose (webhookCerts: helm).
      if (value !== undefined && !issue.message.startsWith('Invalid')) return [`${at(path)}: ${show(value)} ${issue.message}`];
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
