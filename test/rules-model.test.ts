import { z } from 'zod';
import { ConfigError, parseConfig } from '../app/load-config';
import { buildFromConfig } from '../app/falco-otel-app';
import { testRenderer } from './support/helpers';
import { DEFAULT_RULES, DEFAULT_RULES_REPOSITORY, DEFAULT_RULES_VERSION } from '../lib/falco/default-ruleset';
import {
  FALCO_PRIORITIES, falcoListSchema, falcoMacroSchema, FalcoPriority, falcoRuleSchema, isRuleChange,
  RULE_APPENDABLE_KEYS, RULE_REPLACEABLE_KEYS, rulesFileEntries,
} from '../lib/falco/rules';

// Issue 5, point 4: custom rules, macros and lists are checked against the structure of Falco
// rules files (falcosecurity/falco userspace/engine/rule_json_schema.h) and the checks Falco's
// engine makes when it loads them (rule_loader_reader.cpp).

const NEW_RULE = {
  rule: 'Shell in web pod',
  desc: 'A shell started in a web pod',
  condition: 'spawned_process and proc.name in (shell_binaries)',
  output: 'Shell in web pod (command=%proc.cmdline container=%container.name)',
  priority: 'WARNING',
};

/** The issues of a rejected entry, as "path: message", sorted. */
function issues(schema: z.ZodType, entry: unknown): string[] {
  const result = schema.safeParse(entry);
  expect(result.success).toBe(false);
  return result.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).sort();
}

describe('the keys of rules, macros and lists are those of Falco\'s rules schema', () => {
  test('a rule', () => {
    expect(Object.keys(falcoRuleSchema.shape).sort()).toEqual([
      'append', 'capture', 'capture_duration', 'capture_events', 'capture_filesize', 'condition', 'desc', 'enabled',
      'exceptions', 'output', 'override', 'priority', 'rule', 'skip-if-unknown-filter', 'source', 'tags', 'warn_evttypes',
    ]);
  });

  test('a macro and a list', () => {
    expect(Object.keys(falcoMacroSchema.shape).sort()).toEqual(['append', 'condition', 'macro', 'override']);
    expect(Object.keys(falcoListSchema.shape).sort()).toEqual(['append', 'items', 'list', 'override']);
  });

  test('an unknown key is rejected (the schema forbids additional properties)', () => {
    expect(issues(falcoRuleSchema, { ...NEW_RULE, severity: 'high' })).toEqual([': Unrecognized key: "severity"']);
    expect(issues(falcoMacroSchema, { macro: 'm', condition: 'c', items: [] })).toEqual([': Unrecognized key: "items"']);
    expect(issues(falcoListSchema, { list: 'l', items: [], condition: 'c' })).toEqual([': Unrecognized key: "condition"']);
  });

  test('types: booleans, integers, lists of strings, list items that are strings or integers', () => {
    expect(falcoRuleSchema.safeParse({ ...NEW_RULE, 'enabled': false, 'warn_evttypes': false, 'skip-if-unknown-filter': true, 'capture': true, 'capture_duration': 5000, 'tags': ['a', 'b'] }).success).toBe(true);
    expect(issues(falcoRuleSchema, { ...NEW_RULE, enabled: 'no' })[0]).toMatch(/^enabled: /);
    expect(issues(falcoRuleSchema, { ...NEW_RULE, capture_duration: 1.5 })[0]).toMatch(/^capture_duration: /);
    expect(issues(falcoRuleSchema, { ...NEW_RULE, tags: 'container' })[0]).toMatch(/^tags: /);
    expect(falcoListSchema.parse({ list: 'ports', items: [22, 'ssh'] }).items).toEqual([22, 'ssh']);
    expect(issues(falcoListSchema, { list: 'ports', items: [2.5] })).toEqual(['items.0: expected a string or an integer']);
  });
});

describe('priorities', () => {
  test('are Falco\'s eight, most severe first', () => {
    expect(FALCO_PRIORITIES).toEqual(['EMERGENCY', 'ALERT', 'CRITICAL', 'ERROR', 'WARNING', 'NOTICE', 'INFORMATIONAL', 'DEBUG']);
  });

  test.each([
    ['warning', FalcoPriority.WARNING], ['Critical', FalcoPriority.CRITICAL], ['INFO', FalcoPriority.INFORMATIONAL],
    ['info', FalcoPriority.INFORMATIONAL], ['Informational', FalcoPriority.INFORMATIONAL], ['DEBUG', FalcoPriority.DEBUG],
  ])('%s is read as Falco reads it (any case, INFO for INFORMATIONAL) and written upper-case', (input, output) => {
    expect(falcoRuleSchema.parse({ ...NEW_RULE, priority: input }).priority).toBe(output);
  });

  test.each(['HIGH', 'warn', 'err', ''])('%j is rejected', (priority) => {
    expect(issues(falcoRuleSchema, { ...NEW_RULE, priority })[0]).toMatch(/^priority: is not a Falco priority; expected one of EMERGENCY, ALERT, CRITICAL, ERROR, WARNING, NOTICE, INFORMATIONAL, DEBUG/);
  });
});

describe('a new rule', () => {
  test('needs desc, condition, output and priority, reported as one problem', () => {
    expect(issues(falcoRuleSchema, { rule: 'R', desc: 'd' })).toEqual([
      ': rule "R" has no condition, output and priority; expected desc, condition, output and priority in a new rule (to change an existing rule instead, add override: with the keys to change)',
    ]);
    expect(issues(falcoRuleSchema, { rule: 'R', tags: ['t'] })[0]).toMatch(/^: rule "R" has no desc, condition, output and priority;/);
  });

  test('a typo in a key gives only the unknown key, not also the missing one', () => {
    const { condition, ...rest } = NEW_RULE;
    expect(issues(falcoRuleSchema, { ...rest, conditon: condition })).toEqual([': Unrecognized key: "conditon"']);
  });

  test('empty scalars are rejected, as Falco does ("Value must be non-empty")', () => {
    expect(issues(falcoRuleSchema, { ...NEW_RULE, desc: '' })).toEqual(['desc: is empty; expected a description']);
    expect(issues(falcoRuleSchema, { ...NEW_RULE, condition: '' })).toEqual(['condition: is empty; expected a filter condition']);
    expect(issues(falcoRuleSchema, { ...NEW_RULE, rule: '' })).toEqual(['rule: is empty; expected the name of the rule']);
  });
});

describe('exceptions', () => {
  const exception = { name: 'known_shells', fields: ['container.image.repository', 'proc.name'], comps: ['=', 'in'], values: [['nginx', ['sh', 'bash']]] };

  test('accepts names, fields, comps and tuple values as Falco does', () => {
    expect(falcoRuleSchema.parse({ ...NEW_RULE, exceptions: [exception, { name: 'one', fields: 'proc.name', values: ['sh'] }] }).exceptions).toHaveLength(2);
  });

  test('need a name, and names are unique within a rule', () => {
    expect(issues(falcoRuleSchema, { ...NEW_RULE, exceptions: [{ fields: 'proc.name' }] })[0]).toMatch(/^exceptions\.0\.name: /);
    expect(issues(falcoRuleSchema, { ...NEW_RULE, exceptions: [exception, exception] }))
      .toEqual(['exceptions.1.name: is the name of an earlier exception of this rule; expected unique exception names']);
  });

  test('need fields in a new rule, but not when appending values to an existing exception', () => {
    expect(issues(falcoRuleSchema, { ...NEW_RULE, exceptions: [{ name: 'e', values: [['x']] }] }))
      .toEqual(['exceptions.0: exception "e" has no fields; expected fields: a field name or a list of them (such as [proc.name, fd.name])']);
    expect(falcoRuleSchema.safeParse({ rule: 'Terminal shell in container', exceptions: [{ name: 'e', values: [['x']] }], override: { exceptions: 'append' } }).success).toBe(true);
  });

  test('reject unknown keys and empty values', () => {
    expect(issues(falcoRuleSchema, { ...NEW_RULE, exceptions: [{ ...exception, value: [] }] })).toEqual(['exceptions.0: Unrecognized key: "value"']);
    expect(issues(falcoRuleSchema, { ...NEW_RULE, exceptions: [{ ...exception, values: [['']] }] })).toEqual(['exceptions.0.values.0.0: is empty; expected a value']);
  });
});

describe('override', () => {
  const base = { rule: 'Terminal shell in container' };

  test('modes are append and replace', () => {
    expect(falcoRuleSchema.safeParse({ ...base, condition: 'and not proc.name = x', override: { condition: 'append' } }).success).toBe(true);
    expect(falcoRuleSchema.safeParse({ ...base, priority: 'debug', override: { priority: 'replace' } }).success).toBe(true);
    expect(issues(falcoRuleSchema, { ...base, condition: 'c', override: { condition: 'merge' } })[0]).toMatch(/^override\.condition: /);
  });

  test('a rule may override the keys Falco\'s rules schema lists, a macro its condition, a list its items', () => {
    expect([...RULE_REPLACEABLE_KEYS].sort()).toEqual([
      'capture', 'capture_duration', 'capture_events', 'capture_filesize', 'condition', 'desc', 'enabled', 'exceptions',
      'output', 'priority', 'skip-if-unknown-filter', 'tags', 'warn_evttypes',
    ]);
    expect(issues(falcoRuleSchema, { ...base, items: ['x'], override: { items: 'append' } })).toEqual([': Unrecognized key: "items"', 'override: Unrecognized key: "items"']);
    expect(falcoMacroSchema.safeParse({ macro: 'container', condition: 'and x', override: { condition: 'append' } }).success).toBe(true);
    expect(issues(falcoMacroSchema, { macro: 'm', condition: 'c', override: { items: 'append' } })).toEqual(['override.condition: Invalid option: expected one of "append"|"replace"', 'override: Unrecognized key: "items"']);
    expect(falcoListSchema.safeParse({ list: 'shell_binaries', items: ['zsh'], override: { items: 'append' } }).success).toBe(true);
  });

  test('only condition, output, desc, tags and exceptions can be appended to', () => {
    expect(RULE_APPENDABLE_KEYS).toEqual(['condition', 'output', 'desc', 'tags', 'exceptions']);
    expect(issues(falcoRuleSchema, { ...base, priority: 'debug', override: { priority: 'append' } }))
      .toEqual(['override.priority: cannot be used for priority; expected replace (Falco appends only to condition, output, desc, tags and exceptions)']);
  });

  test('must not be empty (minProperties: 1)', () => {
    expect(issues(falcoRuleSchema, { ...base, override: {} })[0]).toMatch(/^override: is empty; expected at least one key to change/);
  });

  test('names only keys the entry sets, and the entry sets only keys it names', () => {
    expect(issues(falcoRuleSchema, { ...base, override: { condition: 'append' } }))
      .toEqual(['override.condition: has no condition to append; expected a condition: key in the same entry, or no override.condition']);
    expect(issues(falcoRuleSchema, { ...base, condition: 'and x', output: 'o', override: { condition: 'append' } }))
      .toEqual(['output: is not listed under override:; expected override.output: append or replace (an entry with override: changes only the keys it lists)']);
  });

  test('cannot be combined with the deprecated append: true', () => {
    const expected = ['append: cannot be combined with override:; expected one of them (append: is the deprecated form, use override:)'];
    expect(issues(falcoRuleSchema, { ...base, condition: 'and x', append: true, override: { condition: 'append' } })).toEqual(expected);
    expect(issues(falcoMacroSchema, { macro: 'm', condition: 'c', append: true, override: { condition: 'append' } })).toEqual(expected);
    expect(issues(falcoListSchema, { list: 'l', items: [], append: true, override: { items: 'append' } })).toEqual(expected);
  });
});

describe('names', () => {
  test.each(['container', 'my_macro2', 'A'])('macro %j follows Falco\'s identifier syntax', (name) => {
    expect(falcoMacroSchema.safeParse({ macro: name, condition: 'c' }).success).toBe(true);
  });

  test.each(['my-macro', '2fast', 'my macro', '_x'])('macro %j does not', (name) => {
    expect(issues(falcoMacroSchema, { macro: name, condition: 'c' })).toEqual([
      'macro: is not a valid macro name; expected a letter, then letters, digits or _ (Falco\'s identifier syntax)',
    ]);
  });

  test.each(['shell_binaries', 'k8s-ports', 'a.b'])('list %j is a bare string', (name) => {
    expect(falcoListSchema.safeParse({ list: name, items: [] }).success).toBe(true);
  });

  test.each(['my list', 'a,b', 'x=y', '(l)', '"q"'])('list %j is not', (name) => {
    expect(issues(falcoListSchema, { list: name, items: [] })[0]).toMatch(/^list: is not a valid list name/);
  });
});

describe('rule changes', () => {
  test.each([
    [{ rule: 'R', override: { enabled: 'replace' }, enabled: false }, true],
    [{ rule: 'R', append: true, condition: 'and x' }, true],
    [{ rule: 'R', enabled: false }, true],
    [{ rule: 'R', enabled: false, tags: ['t'] }, true],
    [{ rule: 'R', append: false, enabled: true, desc: 'd' }, false],
    [{ ...NEW_RULE }, false],
    [{ rule: 'R' }, false],
  ])('isRuleChange(%j) is %s', (rule, expected) => {
    expect(isRuleChange(rule)).toBe(expected);
  });

  const config = (rules: string[]) => ['cluster: {name: demo}', 'falco:', '  rules:', ...rules.map((r) => `    - ${r}`)].join('\n');
  // Loaded and built, as synth does: the construct checks names, the loader adds file and line.
  const problems = (text: string) => {
    try {
      buildFromConfig(parseConfig(text, 'c.yaml', {}), { renderer: testRenderer() });
    } catch (err) {
      return (err as ConfigError).message.split('\n');
    }
    return [];
  };

  test('name a default rule or a custom rule defined before them', () => {
    expect(problems(config(['{rule: Terminal shell in container, enabled: false}']))).toEqual([]);
    expect(problems(config(['{rule: Terminal shel in container, condition: and proc.name = x, override: {condition: append}}']))).toEqual([
      'c.yaml:4: falco.rules.0.rule: "Terminal shel in container" changes a rule that does not exist (did you mean "Terminal shell in container"?); '
        + 'expected the name of a rule of falco-rules 5.1.0 or of a rule defined earlier in falco.rules',
    ]);
    const mine = '{rule: Mine, desc: d, condition: proc.name = c, output: o, priority: info}';
    const changeMine = '{rule: Mine, priority: debug, override: {priority: replace}}';
    expect(problems(config([mine, changeMine]))).toEqual([]);
    expect(problems(config([changeMine, mine]))[0]).toMatch(/^c\.yaml:4: falco\.rules\.0\.rule: "Mine" changes a rule that does not exist/);
  });

  test('custom macros and lists have unique names too', () => {
    const text = ['cluster: {name: demo}', 'falco:', '  macros:', '    - {macro: m, condition: proc.name = a}', '    - {macro: m, condition: proc.name = b}',
      '  lists:', '    - {list: l, items: [a]}', '    - {list: l, items: [b], override: {items: append}}'].join('\n');
    expect(problems(text)).toEqual([
      'c.yaml:5: falco.macros.1.macro: "m" is already the name of falco.macros.0 (line 4); expected a unique macro name (to change that macro instead, add override:)',
    ]);
  });
});

describe('the rules file', () => {
  test('puts lists, then macros, then rules, so that names are defined before use', () => {
    const list = { list: 'l', items: ['a'] };
    const macro = { macro: 'm', condition: 'proc.name in (l)' };
    const rule = falcoRuleSchema.parse({ ...NEW_RULE, condition: 'm' });
    expect(rulesFileEntries([rule], [macro], [list])).toEqual([list, macro, rule]);
  });
});

describe('the default ruleset carried as data', () => {
  test('is falco-rules 5.1.0 from its OCI repository', () => {
    expect(DEFAULT_RULES_VERSION).toBe('5.1.0');
    expect(DEFAULT_RULES_REPOSITORY).toBe('ghcr.io/falcosecurity/rules/falco-rules');
  });

  test('has its 25 rules, uniquely named, with known priorities and a maturity tag', () => {
    expect(DEFAULT_RULES).toHaveLength(25);
    expect(new Set(DEFAULT_RULES.map((r) => r.name)).size).toBe(25);
    for (const rule of DEFAULT_RULES) {
      expect(FALCO_PRIORITIES).toContain(rule.priority);
      expect(rule.tags[0]).toBe('maturity_stable');
    }
    expect(DEFAULT_RULES.map((r) => r.name)).toEqual(expect.arrayContaining(['Terminal shell in container', 'Drop and execute new binary in container', 'Fileless execution via memfd_create']));
    expect(DEFAULT_RULES.find((r) => r.name === 'System user interactive')?.priority).toBe(FalcoPriority.INFORMATIONAL);
  });
});
