import { z } from 'zod';

/**
 * Falco's eight priorities, most severe first. Falco reads them case-insensitively (and `INFO` as
 * `INFORMATIONAL`); rules files written by this project use these upper-case spellings, which are
 * the ones Falco's rules JSON schema lists.
 */
export enum FalcoPriority {
  EMERGENCY = 'EMERGENCY',
  ALERT = 'ALERT',
  CRITICAL = 'CRITICAL',
  ERROR = 'ERROR',
  WARNING = 'WARNING',
  NOTICE = 'NOTICE',
  INFORMATIONAL = 'INFORMATIONAL',
  DEBUG = 'DEBUG',
}

/** Priorities in Falco's order, most severe first. */
export const FALCO_PRIORITIES: readonly FalcoPriority[] = Object.values(FalcoPriority);

/** How an `override` merges a field into an existing rule, macro or list. */
export type OverrideMode = 'append' | 'replace';

/** Rule keys that an override may append to (Falco's engine, rule_loader_reader.cpp). */
export const RULE_APPENDABLE_KEYS = ['condition', 'output', 'desc', 'tags', 'exceptions'] as const;

/**
 * Rule keys that an override may replace: the engine's list, plus the capture keys that Falco's
 * rules schema (rule_json_schema.h) lists under `override` since Falco 0.42.
 */
export const RULE_REPLACEABLE_KEYS = [
  'condition', 'output', 'desc', 'priority', 'tags', 'exceptions', 'enabled', 'warn_evttypes', 'skip-if-unknown-filter',
  'capture', 'capture_duration', 'capture_events', 'capture_filesize',
] as const;

/** A key of a rule that `override` can name. */
export type RuleOverrideKey = (typeof RULE_REPLACEABLE_KEYS)[number];

/** A rule exception: events matching `values` on `fields` (compared with `comps`) do not fire the rule. */
export interface FalcoException {
  /** Name of the exception, unique within the rule. */
  readonly name: string;
  /** Field or fields the exception compares. @default - required unless the rule appends to an existing exception */
  readonly fields?: string | string[];
  /** Comparison operator or operators, one per field. @default `=` (or `in` for a list) */
  readonly comps?: string | string[];
  /** Values (tuples when `fields` is a list) that make an event an exception. @default - none */
  readonly values?: unknown[];
}

/**
 * A Falco rule, as in a Falco rules file (`- rule: …`).
 *
 * A new rule needs `desc`, `condition`, `output` and `priority`. A rule that only changes an
 * existing one (from the default ruleset, say) names it and sets `override` (or `enabled` alone).
 */
export interface FalcoRule {
  /** Name of the rule, unique across all loaded rules files. */
  readonly rule: string;
  /** What the rule detects. @default - required for a new rule */
  readonly desc?: string;
  /** Filter expression that fires the rule. @default - required for a new rule */
  readonly condition?: string;
  /** Alert text, with `%field` substitutions. @default - required for a new rule */
  readonly output?: string;
  /** Priority of the alert. @default - required for a new rule */
  readonly priority?: FalcoPriority;
  /** Tags, used to select or disable groups of rules. @default - none */
  readonly tags?: string[];
  /** Whether the rule is loaded enabled. @default true */
  readonly enabled?: boolean;
  /** Event source the rule applies to. @default 'syscall' */
  readonly source?: string;
  /** Exceptions to the rule. @default - none */
  readonly exceptions?: FalcoException[];
  /** How fields of this entry merge into an existing rule of the same name. @default - defines a new rule */
  readonly override?: Partial<Record<RuleOverrideKey, OverrideMode>>;
  /** Deprecated form of `override` (appends condition/exceptions). @default false */
  readonly append?: boolean;
  /** Whether Falco skips the rule when its condition uses unknown fields. @default false */
  readonly 'skip-if-unknown-filter'?: boolean;
  /** Whether Falco warns on rules matching all event types. @default true */
  readonly warn_evttypes?: boolean;
  /** Whether an alert of this rule starts a capture (falco.yaml `capture.mode: rules`). @default false */
  readonly capture?: boolean;
  /** How long the capture runs. @default - falco.yaml's `capture` settings */
  readonly capture_duration?: number;
  /** How many events the capture records at most. @default - falco.yaml's `capture` settings */
  readonly capture_events?: number;
  /** How large the capture file grows at most. @default - falco.yaml's `capture` settings */
  readonly capture_filesize?: number;
}

/** A Falco macro: a named, reusable piece of condition. */
export interface FalcoMacro {
  /** Name of the macro: a letter, then letters, digits or `_`. */
  readonly macro: string;
  /** The condition the macro expands to. */
  readonly condition: string;
  /** How `condition` merges into an existing macro of the same name. @default - defines a new macro */
  readonly override?: { readonly condition: OverrideMode };
  /** Deprecated form of `override`. @default false */
  readonly append?: boolean;
}

/** A Falco list: named items usable in conditions (`proc.name in (my_list)`). */
export interface FalcoList {
  /** Name of the list: no spaces, quotes, parentheses, `=` or `,`. */
  readonly list: string;
  /** The list's items. */
  readonly items: Array<string | number>;
  /** How `items` merge into an existing list of the same name. @default - defines a new list */
  readonly override?: { readonly items: OverrideMode };
  /** Deprecated form of `override`. @default false */
  readonly append?: boolean;
}

/** One entry of a Falco rules file. */
export type FalcoRulesEntry = FalcoRule | FalcoMacro | FalcoList;

// The zod schemas below are the project's model of Falco rules files: the structure of Falco's
// rules schema (falcosecurity/falco userspace/engine/rule_json_schema.h), narrowed to what a rule,
// a macro or a list may carry, plus the checks Falco's engine makes when it loads a file
// (rule_loader_reader.cpp). Messages say what is accepted; the config loader adds file, line,
// path and value (scalar values are printed before the message, entries are named in it).

/** Falco's identifier syntax, which macro names must match. */
const MACRO_NAME = /^[a-zA-Z]+[a-zA-Z0-9_]*$/;
/** Falco's bare-string syntax, which list names must match. */
const LIST_NAME = /^[^()"'\s=,]+$/;

// Falco rejects empty scalars ("Value must be non-empty") wherever it reads one.
const text = (what: string) => z
  .string({ error: `expected ${what} (a string)` })
  .min(1, { error: `is empty; expected ${what}` });

const overrideMode = z.enum(['append', 'replace']);

/** Any case of a priority name (or INFO), spelt out letter by letter so that JSON schemas can carry it. */
const PRIORITY_PATTERN = new RegExp(`^(?:${[...FALCO_PRIORITIES, 'INFO'].map((p) => [...p].map((c) => `[${c}${c.toLowerCase()}]`).join('')).join('|')})$`);

/** Accepts any spelling Falco accepts (`Warning`, `warning`, `INFO`) and returns the enum value. */
export const falcoPrioritySchema = z
  .string({ error: `expected one of ${FALCO_PRIORITIES.join(', ')} (any case)` })
  .regex(PRIORITY_PATTERN, { error: `is not a Falco priority; expected one of ${FALCO_PRIORITIES.join(', ')} (any case; INFO for INFORMATIONAL)` })
  .transform((value) => {
    const upper = value.toUpperCase();
    return (upper === 'INFO' ? 'INFORMATIONAL' : upper) as FalcoPriority;
  });

const stringOrList = z.union([z.string().min(1), z.array(z.string().min(1))], { error: 'expected a string or a list of strings' });

/** An exception value: a scalar, or a tuple (one element per field, lists for `in` comparisons). */
type ExceptionValue = string | number | boolean | ExceptionValue[];
const exceptionValue: z.ZodType<ExceptionValue> = z.lazy(() => z.union(
  [z.string().min(1, { error: 'is empty; expected a value' }), z.number(), z.boolean(), z.array(exceptionValue)],
  { error: 'expected a string, a number, a boolean or a list of them' },
));

const exceptionSchema = z.strictObject({
  name: text('the name of the exception'),
  fields: stringOrList.optional(),
  comps: stringOrList.optional(),
  values: z.array(exceptionValue).optional(),
});

const ruleOverrideSchema = z.strictObject(
  Object.fromEntries(RULE_REPLACEABLE_KEYS.map((k) => [k, overrideMode.optional()])) as Record<RuleOverrideKey, z.ZodOptional<typeof overrideMode>>,
);

const ruleShape = z.strictObject({
  'rule': text('the name of the rule'),
  'desc': text('a description').optional(),
  'condition': text('a filter condition').optional(),
  'output': text('an output text').optional(),
  'priority': falcoPrioritySchema.optional(),
  'tags': z.array(z.string()).optional(),
  'enabled': z.boolean().optional(),
  'source': text('an event source such as syscall').optional(),
  'exceptions': z.array(exceptionSchema).optional(),
  'override': ruleOverrideSchema.optional(),
  'append': z.boolean().optional(),
  'skip-if-unknown-filter': z.boolean().optional(),
  'warn_evttypes': z.boolean().optional(),
  'capture': z.boolean().optional(),
  'capture_duration': z.number().int().nonnegative().optional(),
  'capture_events': z.number().int().nonnegative().optional(),
  'capture_filesize': z.number().int().nonnegative().optional(),
});

// Entry-level checks run only on an entry that is well-formed, so that one mistake (a typo in a
// key, say) gives one message rather than a cascade.
const whenWellFormed = { when: (payload: { issues: unknown[] }) => payload.issues.length === 0 };

export const falcoRuleSchema = ruleShape.check(z.superRefine((rule, ctx) => {
  for (const issue of ruleProblems(rule as FalcoRule)) ctx.addIssue({ code: 'custom', input: rule, ...issue });
}, whenWellFormed));

export const falcoMacroSchema = z.strictObject({
  macro: text('the name of the macro').regex(MACRO_NAME, {
    error: 'is not a valid macro name; expected a letter, then letters, digits or _ (Falco\'s identifier syntax)',
  }),
  condition: text('a filter condition'),
  override: z.strictObject({ condition: overrideMode }).optional(),
  append: z.boolean().optional(),
}).check(z.superRefine((macro, ctx) => {
  if (macro.append && macro.override) ctx.addIssue({ code: 'custom', input: true, ...appendWithOverride() });
}, whenWellFormed));

export const falcoListSchema = z.strictObject({
  list: text('the name of the list').regex(LIST_NAME, {
    error: 'is not a valid list name; expected no spaces, quotes, parentheses, = or , (Falco\'s bare-string syntax)',
  }),
  items: z.array(z.union([z.string(), z.number().int()], { error: 'expected a string or an integer' })),
  override: z.strictObject({ items: overrideMode }).optional(),
  append: z.boolean().optional(),
}).check(z.superRefine((list, ctx) => {
  if (list.append && list.override) ctx.addIssue({ code: 'custom', input: true, ...appendWithOverride() });
}, whenWellFormed));

interface EntryProblem { path: PropertyKey[]; message: string }

function appendWithOverride(): EntryProblem {
  return {
    path: ['append'],
    message: 'cannot be combined with override:; expected one of them (append: is the deprecated form, use override:)',
  };
}

/** What Falco's engine would reject in a well-formed rule entry, at most one problem per cause. */
function ruleProblems(rule: FalcoRule): EntryProblem[] {
  if (rule.append && rule.override) return [appendWithOverride()];
  if (rule.override) return overrideProblems(rule, rule.override);
  const problems = exceptionProblems(rule.exceptions ?? [], rule.append === true);
  if (isRuleChange(rule)) return problems;
  const missing = (['desc', 'condition', 'output', 'priority'] as const).filter((k) => rule[k] === undefined);
  if (missing.length > 0) {
    problems.unshift({
      path: [],
      message: `rule ${JSON.stringify(rule.rule)} has no ${joinAnd(missing)}; expected desc, condition, output and priority `
        + 'in a new rule (to change an existing rule instead, add override: with the keys to change)',
    });
  }
  return problems;
}

function overrideProblems(rule: FalcoRule, override: NonNullable<FalcoRule['override']>): EntryProblem[] {
  const problems: EntryProblem[] = [];
  const entries = Object.entries(override) as Array<[RuleOverrideKey, OverrideMode]>;
  if (entries.length === 0) {
    return [{ path: ['override'], message: `is empty; expected at least one key to change, such as condition: append (keys: ${RULE_REPLACEABLE_KEYS.join(', ')})` }];
  }
  for (const [key, mode] of entries) {
    if (mode === 'append' && !(RULE_APPENDABLE_KEYS as readonly string[]).includes(key)) {
      problems.push({ path: ['override', key], message: `cannot be used for ${key}; expected replace (Falco appends only to ${joinAnd([...RULE_APPENDABLE_KEYS])})` });
    } else if (rule[key] === undefined) {
      problems.push({ path: ['override', key], message: `has no ${key} to ${mode}; expected a ${key}: key in the same entry, or no override.${key}` });
    }
  }
  for (const key of RULE_REPLACEABLE_KEYS) {
    if (rule[key] !== undefined && override[key] === undefined) {
      problems.push({ path: [key], message: `is not listed under override:; expected override.${key}: append or replace (an entry with override: changes only the keys it lists)` });
    }
  }
  const exceptions = override.exceptions ? exceptionProblems(rule.exceptions ?? [], override.exceptions === 'append') : [];
  return [...problems, ...exceptions];
}

/** Exception names are unique within a rule; `fields` is optional only when appending values to an existing exception. */
function exceptionProblems(exceptions: readonly FalcoException[], appending: boolean): EntryProblem[] {
  const problems: EntryProblem[] = [];
  const seen = new Set<string>();
  exceptions.forEach((ex, i) => {
    if (seen.has(ex.name)) {
      problems.push({ path: ['exceptions', i, 'name'], message: 'is the name of an earlier exception of this rule; expected unique exception names' });
    }
    seen.add(ex.name);
    if (!appending && ex.fields === undefined) {
      problems.push({ path: ['exceptions', i], message: `exception ${JSON.stringify(ex.name)} has no fields; expected fields: a field name or a list of them (such as [proc.name, fd.name])` });
    }
  });
  return problems;
}

function joinAnd(items: string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/**
 * Whether a rule entry changes an existing rule rather than defining one: it sets `override` or
 * `append`, or sets `enabled` and none of condition, output, desc and priority (Falco's way to
 * toggle a rule).
 */
export function isRuleChange(rule: object): boolean {
  const entry = rule as Record<string, unknown>;
  if (entry.override !== undefined || entry.append === true) return true;
  const defines = ['condition', 'output', 'desc', 'priority'].some((k) => entry[k] !== undefined);
  return !defines && entry.enabled !== undefined;
}

/** Lists first, then macros, then rules: Falco needs a list or macro defined before a rule uses it. */
export function rulesFileEntries(rules: readonly FalcoRule[], macros: readonly FalcoMacro[], lists: readonly FalcoList[]): FalcoRulesEntry[] {
  return [...lists, ...macros, ...rules];
}

/** A selection entry of falco.yaml's `rules:` key (Falco 0.38+). */
export type RuleSelection = { disable: { rule: string } | { tag: string } } | { enable: { rule: string } | { tag: string } };
