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

/** A rule exception: events matching `values` on `fields` (compared with `comps`) do not fire the rule. */
export interface FalcoException {
  /** Name of the exception, unique within the rule. */
  readonly name: string;
  /** Field or fields the exception compares. @default - required unless the rule already defines this exception */
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
  readonly override?: Partial<Record<'desc' | 'condition' | 'output' | 'priority' | 'tags' | 'enabled' | 'exceptions', OverrideMode>>;
  /** Deprecated form of `override` (appends condition/exceptions). @default false */
  readonly append?: boolean;
  /** Whether Falco skips the rule when its condition uses unknown fields. @default false */
  readonly 'skip-if-unknown-filter'?: boolean;
  /** Whether Falco warns on rules matching all event types. @default true */
  readonly warn_evttypes?: boolean;
}

/** A Falco macro: a named, reusable piece of condition. */
export interface FalcoMacro {
  /** Name of the macro. */
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
  /** Name of the list. */
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

// Zod schemas mirror the rules-file structure that Falco's engine checks
// (falcosecurity/falco userspace/engine/rule_json_schema.h), narrowed to what a rule, macro or
// list may carry, plus the semantic checks the engine makes when it loads a file.

const overrideMode = z.enum(['append', 'replace']);

/** Accepts any spelling Falco accepts (`Warning`, `warning`, `INFO`) and returns the enum value. */
export const falcoPrioritySchema = z
  .string()
  .transform((value, ctx) => {
    const upper = value.toUpperCase();
    const normalized = upper === 'INFO' ? 'INFORMATIONAL' : upper;
    if ((FALCO_PRIORITIES as string[]).includes(normalized)) return normalized as FalcoPriority;
    ctx.addIssue({
      code: 'custom',
      message: `is not a Falco priority; expected one of ${FALCO_PRIORITIES.join(', ')} (any case)`,
      input: value,
    });
    return z.NEVER;
  });

const stringOrList = z.union([z.string(), z.array(z.string())]);

const exceptionSchema = z.strictObject({
  name: z.string().min(1),
  fields: stringOrList.optional(),
  comps: stringOrList.optional(),
  values: z.array(z.unknown()).optional(),
});

const ruleOverrideKeys = ['desc', 'condition', 'output', 'priority', 'tags', 'enabled', 'exceptions'] as const;

export const falcoRuleSchema = z
  .strictObject({
    'rule': z.string().min(1),
    'desc': z.string().optional(),
    'condition': z.string().min(1).optional(),
    'output': z.string().min(1).optional(),
    'priority': falcoPrioritySchema.optional(),
    'tags': z.array(z.string()).optional(),
    'enabled': z.boolean().optional(),
    'source': z.string().min(1).optional(),
    'exceptions': z.array(exceptionSchema).optional(),
    'override': z.partialRecord(z.enum(ruleOverrideKeys), overrideMode).optional(),
    'append': z.boolean().optional(),
    'skip-if-unknown-filter': z.boolean().optional(),
    'warn_evttypes': z.boolean().optional(),
  })
  .superRefine((rule, ctx) => {
    if (isRuleChange(rule)) return;
    for (const key of ['desc', 'condition', 'output', 'priority'] as const) {
      if (rule[key] === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `is missing: a new rule needs desc, condition, output and priority (or set override: to change an existing rule)`,
          input: undefined,
        });
      }
    }
  });

export const falcoMacroSchema = z.strictObject({
  macro: z.string().min(1),
  condition: z.string().min(1),
  override: z.strictObject({ condition: overrideMode }).optional(),
  append: z.boolean().optional(),
});

export const falcoListSchema = z.strictObject({
  list: z.string().min(1),
  items: z.array(z.union([z.string(), z.number().int()])),
  override: z.strictObject({ items: overrideMode }).optional(),
  append: z.boolean().optional(),
});

/**
 * Whether a rule entry changes an existing rule rather than defining one: it sets `override` or
 * `append`, or carries nothing but its name and `enabled` (Falco's way to toggle a rule).
 */
export function isRuleChange(rule: { override?: unknown; append?: boolean; enabled?: boolean; [k: string]: unknown }): boolean {
  if (rule.override !== undefined || rule.append) return true;
  const keys = Object.keys(rule).filter((k) => rule[k] !== undefined);
  return keys.every((k) => k === 'rule' || k === 'enabled') && keys.includes('enabled');
}

/** Lists first, then macros, then rules: Falco needs a list or macro defined before a rule uses it. */
export function rulesFileEntries(rules: readonly FalcoRule[], macros: readonly FalcoMacro[], lists: readonly FalcoList[]): FalcoRulesEntry[] {
  return [...lists, ...macros, ...rules];
}

/** A selection entry of falco.yaml's `rules:` key (Falco 0.38+). */
export type RuleSelection = { disable: { rule: string } | { tag: string } } | { enable: { rule: string } | { tag: string } };
