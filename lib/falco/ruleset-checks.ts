import { closest, distance } from 'fastest-levenshtein';
import { parseCondition, referenceProblems } from './condition';
import { DEFAULT_LISTS, DEFAULT_MACROS, DEFAULT_RULES } from './default-ruleset';
import { FalcoList, FalcoMacro, FalcoRule, isRuleChange, RuleSelection } from './rules';
import { FALCO_RULES } from '../pins';
import { PropPath, PropProblem } from '../problems';

// The checks Falco's rule loader makes across entries (names defined, unique, referenced), on
// FalcoDaemonSet's rules, macros, lists and selection. Paths are FalcoDaemonSet prop paths.

/** What FalcoDaemonSet holds when it is validated. */
export interface Ruleset {
  readonly rulesVersion: string;
  readonly rules: readonly FalcoRule[];
  readonly macros: readonly FalcoMacro[];
  readonly lists: readonly FalcoList[];
  readonly selection: readonly SelectionEntry[];
}

/** A selection entry and the prop it came from (['disabledRules', 2]). */
export interface SelectionEntry {
  readonly entry: RuleSelection;
  readonly path: PropPath;
}

/** Every cross-entry problem of the ruleset, in prop order. */
export function rulesetProblems(ruleset: Ruleset): PropProblem[] {
  // The default ruleset's names are known for the pinned version only.
  const pinned = ruleset.rulesVersion === FALCO_RULES.version;
  return [
    ...ruleNameProblems(ruleset.rules, pinned),
    ...uniqueNames('macros', 'macro', ruleset.macros.map((m) => ({ name: m.macro, changes: m.override !== undefined || m.append === true }))),
    ...uniqueNames('lists', 'list', ruleset.lists.map((l) => ({ name: l.list, changes: l.override !== undefined || l.append === true }))),
    ...selectionProblems(ruleset, pinned),
    ...conditionProblems(ruleset, pinned),
  ];
}

/**
 * Conditions and outputs as Falco's loader reads them (lib/falco/condition.ts): they parse, and
 * (for the pinned ruleset, whose macro and list names are known) name only macros that are
 * defined before them, and fields in outputs. Other ruleset versions get the parse check only.
 */
function conditionProblems(ruleset: Ruleset, pinned: boolean): PropProblem[] {
  const found = pinned
    ? referenceProblems(ruleset, { macros: DEFAULT_MACROS, lists: DEFAULT_LISTS, source: `falco-rules ${FALCO_RULES.version}` })
    : parseOnly(ruleset);
  // Paths and messages come as config paths (falco.rules.0.condition): as prop paths here.
  return found.map(({ path, message }) => ({
    path: path[0] === 'falco' ? path.slice(1) : path,
    message: (at) => message.replace(/\bfalco\.(rules|macros|lists)\b/g, (_, field: string) => at([field])),
  }));
}

function parseOnly(ruleset: Ruleset): Array<{ path: (string | number)[]; message: string }> {
  const entries = [
    ...ruleset.macros.map((m, i) => ({ path: ['falco', 'macros', i, 'condition'], text: m.condition, appended: m.append === true || m.override?.condition === 'append' })),
    ...ruleset.rules.map((r, i) => ({ path: ['falco', 'rules', i, 'condition'], text: r.condition, appended: r.append === true || r.override?.condition === 'append' })),
  ];
  return entries.flatMap(({ path, text, appended }) => {
    if (text === undefined) return [];
    const parsed = parseCondition(text, { appended });
    return parsed.ok ? [] : [{ path, message: `does not parse at character ${parsed.offset}: ${parsed.error}; expected a Falco condition (https://falco.org/docs/concepts/rules/conditions)` }];
  });
}

/** Custom rule names are unique; a rule change names a default rule or a custom rule defined before it. */
function ruleNameProblems(rules: readonly FalcoRule[], pinned: boolean): PropProblem[] {
  const problems: PropProblem[] = [];
  const defaults = new Set(DEFAULT_RULES.map((r) => r.name));
  const defined = new Map<string, number>();
  rules.forEach((rule, i) => {
    const path = ['rules', i, 'rule'];
    if (isRuleChange(rule)) {
      if (pinned && !defaults.has(rule.rule) && !defined.has(rule.rule)) {
        const hint = didYouMean(rule.rule, [...defaults, ...defined.keys()]);
        problems.push({
          path,
          message: (at) => `${JSON.stringify(rule.rule)} changes a rule that does not exist${hint}; `
            + `expected the name of a rule of falco-rules ${FALCO_RULES.version} or of a rule defined earlier in ${at(['rules'])}`,
        });
      }
      return;
    }
    const first = defined.get(rule.rule);
    if (first === undefined) {
      defined.set(rule.rule, i);
      return;
    }
    problems.push({
      path,
      message: (at) => `${JSON.stringify(rule.rule)} is already the name of ${at(['rules', first])}; `
        + 'expected a unique rule name (to change that rule instead, add override: with the keys to change)',
    });
  });
  return problems;
}

function uniqueNames(field: 'macros' | 'lists', kind: string, entries: Array<{ name: string; changes: boolean }>): PropProblem[] {
  const problems: PropProblem[] = [];
  const defined = new Map<string, number>();
  entries.forEach(({ name, changes }, i) => {
    if (changes) return;
    const first = defined.get(name);
    if (first === undefined) {
      defined.set(name, i);
      return;
    }
    problems.push({
      path: [field, i, kind],
      message: (at) => `${JSON.stringify(name)} is already the name of ${at([field, first])}; `
        + `expected a unique ${kind} name (to change that ${kind} instead, add override:)`,
    });
  });
  return problems;
}

/** Disabled rules and tags are named, and (for the pinned ruleset, whose names are known) exist. */
function selectionProblems(ruleset: Ruleset, pinned: boolean): PropProblem[] {
  const problems: PropProblem[] = [];
  const ruleNames = [...DEFAULT_RULES.map((r) => r.name), ...ruleset.rules.map((r) => r.rule)];
  const tags = [...new Set([...DEFAULT_RULES.flatMap((r) => r.tags), ...ruleset.rules.flatMap((r) => r.tags ?? [])])];
  for (const { entry, path } of ruleset.selection) {
    const target = 'disable' in entry ? entry.disable : entry.enable;
    const name = 'rule' in target ? target.rule : target.tag;
    if (!name) {
      problems.push({ path, message: () => `is empty; expected the name of a ${'rule' in target ? 'rule' : 'tag'}` });
      continue;
    }
    if (!pinned) continue;
    if ('rule' in target) {
      // Falco matches rule names with `*` wildcards in a selection.
      if (name.includes('*') || ruleNames.includes(name)) continue;
      problems.push({
        path,
        message: (at) => `${JSON.stringify(name)} is not a rule of falco-rules ${FALCO_RULES.version} or of ${at(['rules'])}${didYouMean(name, ruleNames)}; `
          + `expected the name of one of the ${DEFAULT_RULES.length} rules of falco-rules ${FALCO_RULES.version} (lib/falco/default-ruleset.ts) or of a rule in ${at(['rules'])}`,
      });
    } else {
      const tag = name;
      if (tags.includes(tag)) continue;
      problems.push({
        path,
        message: (at) => `${JSON.stringify(tag)} is not a tag of any rule of falco-rules ${FALCO_RULES.version} or of ${at(['rules'])}${didYouMean(tag, tags)}; `
          + 'expected a tag such as container, network, process or maturity_stable (lib/falco/default-ruleset.ts lists them)',
      });
    }
  }
  return problems;
}

/** ' (did you mean "x"?)' when a candidate is close enough to be a likely typo, else ''. */
export function didYouMean(name: string, candidates: readonly string[]): string {
  const hint = closestMatch(name, candidates);
  return hint ? ` (did you mean ${JSON.stringify(hint)}?)` : '';
}

/** The candidate `name` is most likely a typo of, if any. */
export function closestMatch(name: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0) return undefined;
  const hint = closest(name, [...candidates]);
  return distance(name.toLowerCase(), hint.toLowerCase()) <= Math.max(2, Math.floor(name.length / 4)) ? hint : undefined;
}
