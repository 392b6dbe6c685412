import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { parseConfig } from '../app/load-config';
import { TEST_CONFIG } from './support/helpers';
import { UserError } from '../lib/errors';
import { referenceProblems } from '../lib/falco/condition';
import { DEFAULT_LISTS, DEFAULT_MACROS } from '../lib/falco/default-ruleset';
import {
  FalcoList, falcoListSchema, FalcoMacro, falcoMacroSchema, FalcoRule, falcoRuleSchema, rulesFileEntries,
} from '../lib/falco/rules';

// Issue 12, point 8: property-based fuzzing of the config loader and the rules model. A user
// mistake, however odd, ends in a config or in a UserError whose every line starts with the file
// name; anything else thrown is an internal error (a stack trace for the user), and no input
// may make the loader hang.
//
// YAML aliases and huge lists, which once escaped the loader as internal errors (found by these
// properties), have tests of their own below; the anchors property keeps fuzzing aliases.

/** Runs of each property (the README states them). */
export const YAML_TEXT_RUNS = 200;
export const YAML_DOCUMENT_RUNS = 100;
export const CONFIG_MUTATION_RUNS = 150;
export const TEXT_MUTATION_RUNS = 200;
export const ANCHOR_RUNS = 100;
export const RULES_MODEL_RUNS = 200;

/** The longest a single parse may take: far above the few milliseconds it needs (also on a loaded machine), far below a hang. */
const MAX_MILLISECONDS = 10_000;

const FILE = 'fuzz.yaml';
const ROOT = path.resolve(__dirname, '..');

function readmeExample(): string {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Configuration reference'));
  const example = /A complete example:\s*```yaml\n([\s\S]*?)```/.exec(section);
  if (!example) throw new Error('README.md: no "A complete example:" yaml block under "## Configuration reference"');
  return example[1];
}

const VALID_TEXTS = [fs.readFileSync(TEST_CONFIG, 'utf8'), readmeExample()];
const VALID_CONFIGS = VALID_TEXTS.map((t) => parseYaml(t) as Record<string, unknown>);

type Outcome = { kind: 'config' } | { kind: 'user-error'; lines: string[] } | { kind: 'internal'; error: unknown };

/** What parseConfig makes of a text: a config, a user error, or something else (an internal error). */
function load(text: string, env: NodeJS.ProcessEnv): Outcome {
  const start = process.hrtime.bigint();
  try {
    parseConfig(text, FILE, env);
    return { kind: 'config' };
  } catch (err) {
    if (err instanceof UserError) return { kind: 'user-error', lines: err.message.split('\n') };
    return { kind: 'internal', error: err };
  } finally {
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (ms > MAX_MILLISECONDS) throw new Error(`parseConfig took ${ms.toFixed(0)} ms for ${JSON.stringify(text.slice(0, 200))}`);
  }
}

/** The property: a config, or a UserError whose every line starts with the file name. */
function expectHandled(text: string, env: NodeJS.ProcessEnv): void {
  const outcome = load(text, env);
  if (outcome.kind === 'internal') {
    const err = outcome.error as Error;
    throw new Error(`internal error (${err?.name}: ${err?.message}) for input ${JSON.stringify(text)}`);
  }
  if (outcome.kind === 'user-error') {
    for (const line of outcome.lines) {
      if (!line.startsWith(FILE)) throw new Error(`message line ${JSON.stringify(line)} does not start with ${FILE} (input ${JSON.stringify(text)})`);
    }
  }
}

const env = fc.constantFrom<NodeJS.ProcessEnv>({}, { HONEYCOMB_API_KEY: 'hcaik_fuzz' });

// Keys the config and the rules model know, so that generated mappings reach their checks.
const KNOWN_KEYS = [
  'cluster', 'name', 'kubernetesVersion', 'falco', 'otel', 'honeycomb', 'demo', 'enabled', 'namespace', 'driver',
  'leastPrivileged', 'rulesVersion', 'followRulesUpdates', 'rules', 'macros', 'lists', 'disabledRules', 'disabledTags',
  'resources', 'requests', 'limits', 'cpu', 'memory', 'tolerations', 'key', 'operator', 'value', 'effect',
  'webhookCerts', 'region', 'endpoint', 'dataset', 'apiKey', 'source', 'secretName', 'secretKey',
  'rule', 'desc', 'condition', 'output', 'priority', 'tags', 'exceptions', 'override', 'append', 'fields', 'comps',
  'values', 'macro', 'list', 'items', 'skip-if-unknown-filter', 'warn_evttypes', 'capture', 'capture_duration',
  '__proto__', 'constructor', 'toString', 'hasOwnProperty', '<<', '',
];
const key = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...KNOWN_KEYS) }, { weight: 1, arbitrary: fc.string({ maxLength: 8 }) });

// Values that are valid somewhere, and values that are odd anywhere.
const scalar = fc.oneof(
  fc.constant(null), fc.boolean(), fc.integer(), fc.double(), fc.string({ maxLength: 12 }),
  fc.constantFrom(
    '', ' ', '\n', '\0', 'demo', 'prod-eu', '1.28.0', '1.99.0', '5.1.0', '4.0.0', 'auto', 'modern_ebpf', 'kmod', 'certgen', 'helm',
    'us', 'eu', 'env', 'existing', 'api.honeycomb.io:443', '[::1]:99999', 'WARNING', 'info', 'append', 'replace', 'in', '=',
    'spawned_process and container', 'proc.name in (shell_binaries)', '%proc.name', '${env:HONEYCOMB_API_KEY}', '100m', '-1', '1Gi',
    'Terminal shell in container', 'container', 'NoSchedule', 'Exists', 'x'.repeat(5000), 'ü\u202e\ud83d\ude00',
  ),
);
const value: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 4 },
    scalar,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(key, tie('value'), { maxKeys: 4 }),
  ),
})).value;

describe('the config loader never ends in an internal error', () => {
  test('random YAML-like text', () => {
    const token = fc.constantFrom(
      'cluster:', ' name: demo', 'falco:', '  rules:', '  - rule: x', '    condition: a', 'macros: [', ']', '{', '}', ',', ': ', '- ', '? ',
      '"', '\'', '#', '!!str ', '!!binary ', '!!set ', '!!omap ', '!!map ', '!!seq ', '!!int ', '!!float ', '!foo ', '|', '>-', '---', '...', '%YAML 1.1\n',
      '%TAG ! tag:x,2000:\n', '\n', '  ', '\t', 'x', '1', 'true', 'null', '~', '.nan', '0x1F', '0o7', '1e400', '<<: ', '\ufeff', '\r\n',
    );
    fc.assert(fc.property(fc.array(fc.oneof(token, fc.string({ maxLength: 4 }).map((s) => s.replace(/[*&]/g, ''))), { maxLength: 40 }), env, (parts, e) => {
      expectHandled(parts.join(''), e);
    }), { numRuns: YAML_TEXT_RUNS });
  });

  test('random YAML documents', () => {
    const document = fc.oneof(value, fc.dictionary(key, value, { maxKeys: 6 }));
    fc.assert(fc.property(document, env, (doc, e) => {
      expectHandled(stringifyYaml(doc, { aliasDuplicateObjects: false }), e);
    }), { numRuns: YAML_DOCUMENT_RUNS });
  });

  test('valid configs (test/fixtures/cluster.yaml, the README\'s complete example) with values replaced, removed or added', () => {
    const mutation = fc.record({ at: fc.nat(), op: fc.constantFrom('replace', 'delete', 'add', 'wrap'), key, value });
    fc.assert(fc.property(fc.constantFrom(...VALID_CONFIGS.keys()), fc.array(mutation, { minLength: 1, maxLength: 4 }), env, (which, mutations, e) => {
      const config = structuredClone(VALID_CONFIGS[which]);
      for (const m of mutations) mutate(config, m);
      expectHandled(stringifyYaml(config, { aliasDuplicateObjects: false }), e);
    }), { numRuns: CONFIG_MUTATION_RUNS });
  });

  test('valid config texts with characters inserted, deleted or swapped', () => {
    const edit = fc.record({
      at: fc.nat(), length: fc.integer({ min: 0, max: 8 }),
      insert: fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom(':', '- ', '\n', '  ', '"', '\'', '[', '{', '#', '!', '|', '?', '\t', '\0')),
    });
    fc.assert(fc.property(fc.constantFrom(...VALID_TEXTS), fc.array(edit, { minLength: 1, maxLength: 5 }), env, (text, edits, e) => {
      let mutated = text;
      for (const { at, length, insert } of edits) {
        const i = at % (mutated.length + 1);
        mutated = mutated.slice(0, i) + insert.replace(/[*&]/g, '') + mutated.slice(i + length);
      }
      expectHandled(mutated, e);
    }), { numRuns: TEXT_MUTATION_RUNS });
  });

  test('valid configs themselves load', () => {
    for (const text of VALID_TEXTS) expect(load(text, {})).toEqual({ kind: 'config' });
  });
});

// These fail until the loader handles YAML aliases (issue 12, point 5: "YAML aliases limited");
// each names the input and what escapes today.
describe('YAML aliases give one clear line, never an internal error', () => {
  const ALIAS_BOMB = [
    'a: &a [x, x, x, x, x, x, x, x, x]',
    'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]',
    'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]',
    'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]',
    'cluster: {name: demo}',
  ].join('\n');

  test('an alias bomb', () => {
    expect(load(ALIAS_BOMB, {})).toEqual({ kind: 'user-error', lines: [expect.stringMatching(new RegExp(`^${FILE}: uses more than 100 aliases, or aliases that expand too far .*; expected a config of plain YAML mappings and lists, nested at most 64 levels, with at most 100 aliases$`))] });
  });

  test('an alias to an undefined anchor', () => {
    expect(load('cluster: *nope\n', {})).toEqual({ kind: 'user-error', lines: [expect.stringMatching(new RegExp(`^${FILE}(:1:\\d+)?: .*nope`))] });
  });

  test('an alias inside its own anchor', () => {
    expect(load('cluster: &a {name: *a}\n', {})).toEqual({ kind: 'user-error', lines: [`${FILE}: holds an alias inside its own anchor (a value that contains itself); expected a config of plain YAML mappings and lists`] });
  });

  test('valid configs with anchors and aliases added (fuzz)', () => {
    const edit = fc.record({
      at: fc.nat(),
      insert: fc.constantFrom('&a ', '*a', '&b ', '*b', '<<: *a\n', ' *a', '\n  - *a', '[*a, *b]'),
    });
    fc.assert(fc.property(fc.constantFrom(...VALID_TEXTS), fc.array(edit, { minLength: 1, maxLength: 4 }), env, (text, edits, e) => {
      let mutated = text;
      for (const { at, insert } of edits) {
        const i = at % (mutated.length + 1);
        mutated = mutated.slice(0, i) + insert + mutated.slice(i);
      }
      expectHandled(mutated, e);
    }), { numRuns: ANCHOR_RUNS });
  });
});

// Found by probing sizes (the generators above stay small): fails until the loader bounds list
// sizes or stops spreading its problem lists into push() (load-config.ts, crossChecks).
test('a huge list (130,000 falco.disabledTags, 0.4 MB) gives one line naming the limit', () => {
  const text = `cluster: {name: demo}\nfalco:\n  disabledTags: [${Array.from({ length: 130_000 }, () => 'x').join(',')}]\n`;
  expect(load(text, {})).toEqual({ kind: 'user-error', lines: [`${FILE}:3: falco.disabledTags: has more than 1000 entries; expected at most 1000`] });
});

describe('the rules model never throws, whatever the entry', () => {
  // Entries that are mostly well-typed, so that the checks after the shape (override, exceptions,
  // missing keys) run too, with odd values mixed in.
  const text = fc.oneof(fc.constantFrom('x', 'spawned_process', 'and not proc.name in (a)', 'a b', '%proc.name', 'WARNING'), fc.string({ maxLength: 10 }));
  const mode = fc.oneof(fc.constantFrom('append', 'replace'), value);
  const exception = fc.record(
    { name: fc.oneof(text, value), fields: fc.oneof(text, fc.array(text, { maxLength: 3 }), value), comps: fc.oneof(text, fc.array(text), value), values: fc.oneof(fc.array(value, { maxLength: 3 }), value) },
    { requiredKeys: [] },
  );
  const rule = fc.record({
    'rule': fc.oneof(text, value), 'desc': text, 'condition': text, 'output': text,
    'priority': fc.oneof(fc.constantFrom('WARNING', 'info', 'Critical', 'nope'), value),
    'tags': fc.oneof(fc.array(text, { maxLength: 3 }), value), 'enabled': fc.oneof(fc.boolean(), value), 'source': text,
    'exceptions': fc.oneof(fc.array(exception, { maxLength: 3 }), value),
    'override': fc.oneof(fc.dictionary(fc.constantFrom('condition', 'output', 'desc', 'priority', 'tags', 'exceptions', 'enabled', 'capture', 'x'), mode, { maxKeys: 4 }), value),
    'append': fc.oneof(fc.boolean(), value), 'skip-if-unknown-filter': fc.boolean(), 'capture_duration': fc.oneof(fc.integer(), value),
    'junk': value,
  }, { requiredKeys: [] });
  const macro = fc.record({ macro: fc.oneof(text, value), condition: fc.oneof(text, value), override: fc.oneof(fc.record({ condition: mode }), value), append: fc.oneof(fc.boolean(), value) }, { requiredKeys: [] });
  const list = fc.record({ list: fc.oneof(text, value), items: fc.oneof(fc.array(fc.oneof(text, fc.integer(), value), { maxLength: 4 }), value), override: fc.oneof(fc.record({ items: mode }), value), append: fc.oneof(fc.boolean(), value) }, { requiredKeys: [] });

  test('schemas: safeParse answers, and a parsed entry passes again unchanged', () => {
    fc.assert(fc.property(rule, macro, list, (r, m, l) => {
      for (const [schema, entry] of [[falcoRuleSchema, r], [falcoMacroSchema, m], [falcoListSchema, l]] as const) {
        const result = schema.safeParse(entry);
        if (result.success) expect(schema.parse(result.data)).toEqual(result.data);
        else expect(result.error.issues.length).toBeGreaterThan(0);
      }
    }), { numRuns: RULES_MODEL_RUNS });
  });

  test('rulesFileEntries and the reference check take any accepted entries', () => {
    const accepted = <T>(schema: { safeParse(v: unknown): { success: boolean; data?: unknown } }, arb: fc.Arbitrary<unknown>) =>
      fc.array(arb, { maxLength: 4 }).map((xs) => xs.map((x) => schema.safeParse(x)).filter((r) => r.success).map((r) => r.data as T));
    fc.assert(fc.property(accepted<FalcoRule>(falcoRuleSchema, rule), accepted<FalcoMacro>(falcoMacroSchema, macro), accepted<FalcoList>(falcoListSchema, list), (rules, macros, lists) => {
      expect(rulesFileEntries(rules, macros, lists)).toEqual([...lists, ...macros, ...rules]);
      const problems = referenceProblems({ rules, macros, lists }, { macros: [...DEFAULT_MACROS], lists: [...DEFAULT_LISTS], source: 'falco-rules 5.1.0' });
      for (const p of problems) expect(p.path[0]).toBe('falco');
    }), { numRuns: RULES_MODEL_RUNS });
  });
});

interface Mutation { at: number; op: 'replace' | 'delete' | 'add' | 'wrap'; key: string; value: unknown }

/** Applies one mutation at the `at`-th node (depth first) of a parsed config. */
function mutate(root: Record<string, unknown>, m: Mutation): void {
  const nodes: Array<{ parent: Record<string, unknown> | unknown[]; key: string | number }> = [];
  const walk = (node: unknown) => {
    if (node === null || typeof node !== 'object') return;
    for (const [k, v] of Object.entries(node)) {
      nodes.push({ parent: node as Record<string, unknown>, key: Array.isArray(node) ? Number(k) : k });
      walk(v);
    }
  };
  walk(root);
  if (nodes.length === 0) return;
  const { parent, key: k } = nodes[m.at % nodes.length];
  const target = parent as Record<string | number, unknown>;
  switch (m.op) {
    case 'replace': target[k] = m.value; break;
    case 'delete': if (Array.isArray(parent)) parent.splice(k as number, 1); else delete target[k]; break;
    case 'add': if (Array.isArray(parent)) parent.push(m.value); else target[m.key] = m.value; break;
    case 'wrap': target[k] = [target[k]]; break;
  }
}
