import { closest, distance } from 'fastest-levenshtein';
import type { FalcoList, FalcoMacro, FalcoRule } from './rules';

// A parser of Falco's condition language, so that a custom rule or macro naming a macro that does
// not exist is refused at synth time rather than by every Falco pod at start-up.
//
// It follows libsinsp's filter parser function by function (falcosecurity/libs,
// userspace/libsinsp/filter/parser.h for the grammar and parser.cpp for the code; the version read
// has regex, the transformers tolower/toupper/b64/basename/len/join and transformer lists), and
// how Falco's engine uses it (falcosecurity/falco userspace/engine/rule_loader_compiler.cpp at
// 06631c2, filter_macro_resolver.cpp, rule_loader_collector.cpp). Falco's documentation of the
// language: https://falco.org/docs/concepts/rules/conditions.
//
// It accepts what libsinsp accepts, in the same places, so lexical quirks are kept on purpose:
// `or`/`and` match as prefixes (`a order` fails after "or"), an operator such as `contains` must be
// followed by a blank, a quoted string ends at the first quote not preceded by a backslash (so
// "a\\" does not end there), and only the escapes \b \f \n \r \t \\ \/ "\ " and the escaped
// delimiter are valid (`"\d"` is refused). Offsets are indexes into the JavaScript string (libsinsp
// counts bytes; they differ only after non-ASCII characters).
//
// What it does not model:
// - the field catalog: `proc.nme = x` parses here, and Falco refuses the unknown field when it
//   compiles the filter;
// - the list operator modifiers `oneof`/`anyof`/`allof` after a string operator
//   (`proc.cmdline startswith oneof (a, b)`) exactly: they are accepted with a parenthesised list
//   after them, as falcosecurity/libs#2984 describes them (merged May 2026; Falco 0.44.0 moved to
//   libs 0.25.2 that month, falcosecurity/falco#3900, so the pinned Falco 0.44.1 likely has them).
//   That grammar comes from the pull request's description, not from its code;
// - lists by their items: Falco pastes each defined list's items into the condition text before
//   parsing (see `undefinedReferences`); names alone tell what that does where it matters.

/** Where a condition does not parse, as libsinsp would report it. */
export interface ConditionError {
  readonly ok: false;
  /** libsinsp's message for the first problem, such as "expected a ')' token". */
  readonly error: string;
  /** Index in the condition where the parser stood when it gave up. */
  readonly offset: number;
}

/** A condition that parses, and the names in it that may refer to macros or lists. */
export interface ConditionNames {
  readonly ok: true;
  /** Identifiers standing alone where a check is expected: references to macros, in order, once each. */
  readonly macros: string[];
  /**
   * Bare words inside value lists (`in (a, shell_binaries, "b c")` gives `a` and `shell_binaries`)
   * and a bare name right after a list operator (`in shell_binaries`): the words that refer to a
   * list when one of that name is defined, and are literal values otherwise. In order, once each.
   */
  readonly lists: string[];
}

export type ConditionParse = ConditionNames | ConditionError;

export interface ParseOptions {
  /**
   * The text is appended to an existing condition (`override: {condition: append}` or
   * `append: true`): Falco parses the existing condition, a space and this text as one, so the
   * text must continue a complete condition, such as `and not proc.name in (x)`.
   */
  readonly appended?: boolean;
}

/** Parses a Falco condition; never throws. */
export function parseCondition(text: string, options: ParseOptions = {}): ConditionParse {
  const result = scan(text, options);
  if (!result.ok) return result;
  const unique = (kinds: WordKind[]) => [...new Set(result.words.filter((w) => kinds.includes(w.kind)).map((w) => w.text))];
  return { ok: true, macros: unique(['macro']), lists: unique(['listItem', 'listName']) };
}

/** Names of the macros and lists that a condition can use. */
export interface DefinedNames {
  readonly macros: Iterable<string>;
  readonly lists: Iterable<string>;
}

/** The names in a condition that Falco's loader would not resolve, or would resolve as something else. */
export interface UndefinedReferences {
  readonly ok: true;
  /**
   * Macro references with no such macro: Falco's loader refuses the file with
   * "Undefined macro 'x' used in filter." (rule_loader_compiler.cpp, resolve_macros).
   */
  readonly undefinedMacros: string[];
  /**
   * Names of defined lists standing where a macro is expected (`spawned_process and shell_binaries`).
   * Falco pastes the list's items there ("bash, sh, …"), which fails to parse unless the list has a
   * single item, which then counts as a macro reference.
   */
  readonly listsAsMacros: string[];
  /**
   * Names of defined lists used as a single value (`proc.name = shell_binaries`, or
   * `proc.name in shell_binaries` without parentheses). Falco pastes the items there too, which
   * parses only for a one-item list; `proc.name in (shell_binaries)` is the form that works.
   */
  readonly listsAsValues: string[];
  /**
   * Bare words in value lists that name no defined list. Falco keeps them as literal strings
   * (a list name with a typo silently becomes a value that never matches), so they are no error.
   */
  readonly literals: string[];
}

/**
 * What Falco's loader does with the names in a condition, given the macros and lists visible to it.
 *
 * Falco resolves lists before it parses: for each defined list, every occurrence of its name
 * between delimiters (blanks, `(`, `)`, `,`, `=` or either end of the text) is replaced by the
 * list's items, quoted when they contain a space (rule_loader_compiler.cpp, `resolve_list`, called
 * from `parse_condition`; there is "no visibility order between filter conditions and lists").
 * A bare word in a value list that is not a defined list is therefore left as it is and parsed as
 * a literal string: it is not an error. Macros are resolved after parsing, on the syntax tree:
 * an identifier standing as a check that names no visible macro is an error (filter_macro_resolver.cpp;
 * rule_loader_compiler.cpp, `resolve_macros`: "Undefined macro '…' used in filter.").
 *
 * The textual replacement also reaches inside quoted strings when a list name appears there as a
 * blank-separated word (`"run sh now"` with a list `sh`); that is not reported here.
 */
export function undefinedReferences(text: string, defined: DefinedNames, options: ParseOptions = {}): UndefinedReferences | ConditionError {
  const result = scan(text, options);
  if (!result.ok) return result;
  return classify(result.words, defined);
}

function classify(words: Word[], defined: DefinedNames): UndefinedReferences {
  const macros = new Set(defined.macros);
  const lists = new Set(defined.lists);
  const undefinedMacros = new Set<string>();
  const listsAsMacros = new Set<string>();
  const listsAsValues = new Set<string>();
  const literals = new Set<string>();
  for (const { kind, text } of words) {
    switch (kind) {
      case 'macro':
        // The list substitution runs first, so a name that is both a list and a macro is a list here.
        if (lists.has(text)) listsAsMacros.add(text);
        else if (!macros.has(text)) undefinedMacros.add(text);
        break;
      case 'listItem':
        if (!lists.has(text)) literals.add(text);
        break;
      case 'listName':
      case 'value':
        if (lists.has(text)) listsAsValues.add(text);
        break;
    }
  }
  return { ok: true, undefinedMacros: [...undefinedMacros], listsAsMacros: [...listsAsMacros], listsAsValues: [...listsAsValues], literals: [...literals] };
}

/** A `%` token of a rule output that Falco's loader refuses. */
export interface OutputProblem {
  /** Index of the `%` in the output. */
  readonly offset: number;
  /** The `%` and the word after it, such as "%spawned_process". */
  readonly token: string;
  /** What is wrong, as a fragment of a sentence: `names macro "spawned_process", not a field`. */
  readonly problem: string;
}

/**
 * `%` tokens of a rule output that cannot be fields.
 *
 * An output names fields only: `%proc.name`, `%proc.aname[2]`, `%evt.arg.flags`, with an optional
 * width (`%20proc.name`) and, in recent Falco, transformers (`%tolower(proc.name)`). Macros and
 * lists are never expanded in outputs. libsinsp's formatter (userspace/libsinsp/eventformatter.cpp,
 * `set_format`) parses a field or transformer after every `%` and fails with "invalid formatting
 * token" (older) or "unknown filter: …" (current) when there is none; Falco's loader then refuses
 * the rule (rule_loader_compiler.cpp, LOAD_ERR_COMPILE_OUTPUT) or, with `skip-if-unknown-filter`,
 * silently skips it. So `%spawned_process` (a macro), `%shell_binaries` (a list), a `%` followed by
 * a blank, and a trailing `%` are all refused: Falco has no escape for a literal `%`.
 *
 * Field names are checked for their shape only (`class.field`): whether the field exists is
 * Falco's to say.
 */
export function outputProblems(output: string, defined: DefinedNames, options: ParseOptions = {}): OutputProblem[] {
  const macros = new Set(defined.macros);
  const lists = new Set(defined.lists);
  const problems: OutputProblem[] = [];
  // A leading '*' (print even when some fields are missing) is not part of the format; in an
  // appended text it is not leading.
  let i = !options.appended && output.startsWith('*') ? 1 : 0;
  for (; i < output.length; i++) {
    if (output[i] !== '%') continue;
    const start = i;
    let j = i + 1;
    while (j < output.length && output[j] >= '0' && output[j] <= '9') j++;
    const rest = output.slice(j);
    const field = FIELD_NAME_AT_START.exec(rest);
    if (field) {
      i = j + field[0].length - 1;
      continue;
    }
    if (FIELD_TRANSFORMERS.some((t) => rest.startsWith(t))) {
      i = j;
      continue;
    }
    const word = IDENTIFIER_AT_START.exec(rest)?.[0];
    let problem: string;
    if (j >= output.length) {
      problem = j === i + 1 ? 'ends the output, with no field after it' : 'ends the output with a width and no field';
    } else if (word === undefined) {
      problem = 'is not followed by a field (a literal % cannot be written in a Falco output)';
    } else if (macros.has(word)) {
      problem = `names macro ${JSON.stringify(word)}, not a field (macros are not expanded in outputs)`;
    } else if (lists.has(word)) {
      problem = `names list ${JSON.stringify(word)}, not a field (lists are not expanded in outputs)`;
    } else {
      problem = `names ${JSON.stringify(word)}, which is not a field (fields are class.name, such as proc.name)`;
    }
    problems.push({ offset: start, token: output.slice(start, j + (word?.length ?? 0)), problem });
    i = j + (word?.length ?? 0) - 1;
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Checking a whole set of custom rules, macros and lists against the default ruleset.

/** A problem with a custom entry, at a path of the config (`falco.rules.3.condition`). */
export interface ReferenceProblem {
  readonly path: (string | number)[];
  /** `<what> ; expected <what>`, without the path. */
  readonly message: string;
}

/** Custom entries, as written in the config (in the order Falco loads them: lists, macros, rules). */
export interface CustomEntries {
  readonly rules: readonly FalcoRule[];
  readonly macros: readonly FalcoMacro[];
  readonly lists: readonly FalcoList[];
}

/** What the rules loaded before the custom ones define, such as the default ruleset's names. */
export interface BaseNames {
  readonly macros: readonly string[];
  readonly lists: readonly string[];
  /** How to name them in messages, such as "falco-rules 5.1.0". */
  readonly source: string;
}

/**
 * The conditions and outputs of custom entries that Falco's loader would refuse for their macro
 * and list references, or fail to parse.
 *
 * Visibility follows Falco's engine. Lists are visible everywhere. A rule sees every macro. A
 * macro is compiled once, with the macros first defined before its latest definition or append
 * (rule_loader_collector.cpp: `define_info` keeps a macro's first `index` and sets `visibility`
 * to the entry's position, `append_info` moves `visibility`; rule_loader_compiler.cpp,
 * `compile_macros_infos` resolves with `index < visibility`), and the macros it uses are expanded
 * within that same set. With lists, then macros, then rules in one file (`rulesFileEntries`), a
 * custom macro therefore sees the base macros and the custom macros above it, and a macro that
 * reaches itself is refused ("reference loop in macro", or undefined when it names itself in its
 * only definition).
 *
 * The base macros' own conditions are not known here: they are taken to use base macros only, so
 * a loop or a late reference that goes through them is not found.
 */
export function referenceProblems(entries: CustomEntries, base: BaseNames): ReferenceProblem[] {
  const problems: ReferenceProblem[] = [];
  const lists = [...base.lists, ...entries.lists.map((l) => l.list)];
  const allMacros = [...new Set([...base.macros, ...entries.macros.map((m) => m.macro)])];
  const defined = { macros: allMacros, lists };

  // Position of each macro's first definition (base macros before every custom entry), the
  // position of its latest definition or append, and the parts of its condition (entry, names).
  const firstIndex = new Map<string, number>();
  base.macros.forEach((name, i) => firstIndex.set(name, i - base.macros.length));
  const latest = new Map<string, number>();
  const parts = new Map<string, Array<{ entry: number; names: string[] }>>();
  entries.macros.forEach((macro, i) => {
    const appended = macro.append === true || macro.override?.condition === 'append';
    const names = conditionProblems(macro.condition, defined, appended, ['falco', 'macros', i, 'condition'], base, problems);
    if (!firstIndex.has(macro.macro)) firstIndex.set(macro.macro, i);
    latest.set(macro.macro, i);
    const part = { entry: i, names: names ?? [] };
    parts.set(macro.macro, appended ? [...parts.get(macro.macro) ?? [], part] : [part]);
  });

  const uses = (name: string) => [...new Set((parts.get(name) ?? []).flatMap((p) => p.names))];
  for (const [name, visibility] of latest) {
    const visible = (m: string) => (firstIndex.get(m) ?? Infinity) < visibility;
    const at = ['falco', 'macros', visibility, 'condition'];
    for (const part of parts.get(name) ?? []) {
      for (const ref of part.names) {
        if (!allMacros.includes(ref) || lists.includes(ref) || visible(ref)) continue;
        problems.push({
          path: ['falco', 'macros', part.entry, 'condition'],
          message: ref === name
            ? `names macro ${JSON.stringify(name)} itself; expected a condition that does not use its own macro`
            : `names macro ${JSON.stringify(ref)}, which is defined only after this macro; expected it defined earlier in falco.macros `
              + '(Falco lets a macro use only the macros defined before it)',
        });
      }
    }
    // Expand the macros it uses, within the same visible set, as Falco's macro resolver does
    // (depth first; a macro met again on the current path is a loop).
    const reported = new Set<string>();
    const explored = new Set<string>();
    const expand = (current: string, path: string[]): void => {
      explored.add(current);
      for (const ref of uses(current)) {
        if (!allMacros.includes(ref) || lists.includes(ref)) continue;
        if (!visible(ref)) {
          if (current !== name && !reported.has(ref)) {
            reported.add(ref);
            const chain = `uses ${path.slice(1).map((m) => `macro ${JSON.stringify(m)}`).join(', which uses ')}, whose condition names`;
            problems.push({
              path: at,
              message: ref === name
                ? `${chain} this macro back; expected macros that do not use themselves, directly or through others`
                : `${chain} macro ${JSON.stringify(ref)}, defined only after this macro; expected the macros a macro uses, and theirs, `
                  + 'defined before it (Falco expands them with the macros defined before this one)',
            });
          }
          continue;
        }
        if (path.includes(ref)) {
          if (!reported.has(`loop:${ref}`)) {
            reported.add(`loop:${ref}`);
            problems.push({ path: at, message: `makes a reference loop (${[...path, ref].join(' -> ')}); expected macros that do not use themselves, directly or through others` });
          }
          continue;
        }
        if (!explored.has(ref)) expand(ref, [...path, ref]);
      }
    };
    expand(name, [name]);
  }

  entries.rules.forEach((rule, i) => {
    if (rule.condition !== undefined) {
      const appended = rule.append === true || rule.override?.condition === 'append';
      conditionProblems(rule.condition, defined, appended, ['falco', 'rules', i, 'condition'], base, problems);
    }
    if (rule.output !== undefined) {
      const appended = rule.append === true || rule.override?.output === 'append';
      for (const p of outputProblems(rule.output, defined, { appended })) {
        problems.push({
          path: ['falco', 'rules', i, 'output'],
          message: `${p.token} at character ${p.offset + 1} ${p.problem}; expected %field such as %proc.name or %container.name`,
        });
      }
    }
  });
  return problems;
}

/** Adds the problems of one condition; returns its macro references when it parses. */
function conditionProblems(
  condition: string, defined: { macros: string[]; lists: string[] }, appended: boolean, path: (string | number)[],
  base: BaseNames, problems: ReferenceProblem[],
): string[] | undefined {
  const result = scan(condition, { appended });
  if (!result.ok) {
    problems.push({
      path,
      message: `does not parse at character ${result.offset + 1}${near(condition, result.offset)}: ${result.error}; expected a Falco condition`
        + (appended ? ' that continues the existing one, such as "and not proc.name in (x)"' : '')
        + ' (https://falco.org/docs/concepts/rules/conditions)',
    });
    return undefined;
  }
  const refs = classify(result.words, defined);
  for (const name of refs.undefinedMacros) {
    problems.push({
      path,
      message: `names macro ${JSON.stringify(name)}, which is not defined${didYouMean(name, defined.macros)}; `
        + `expected a macro of ${base.source} or of falco.macros (Falco refuses it: "Undefined macro '${name}' used in filter")`,
    });
  }
  for (const name of refs.listsAsMacros) {
    problems.push({ path, message: `names list ${JSON.stringify(name)} where a macro is expected; expected a list inside a value list, such as proc.name in (${name})` });
  }
  for (const name of refs.listsAsValues) {
    problems.push({
      path,
      message: `uses list ${JSON.stringify(name)} as a single value (Falco pastes the list's items there); expected it inside a value list, such as proc.name in (${name})`,
    });
  }
  return [...new Set(result.words.filter((w) => w.kind === 'macro').map((w) => w.text))];
}

function near(text: string, offset: number): string {
  const after = text.slice(offset, offset + 20).replace(/\s+/g, ' ');
  return after ? ` (near ${JSON.stringify(after)})` : ' (at the end)';
}

function didYouMean(name: string, candidates: string[]): string {
  if (candidates.length === 0) return '';
  const hint = closest(name, candidates);
  return distance(name.toLowerCase(), hint.toLowerCase()) <= Math.max(2, Math.floor(name.length / 4)) ? ` (did you mean ${JSON.stringify(hint)}?)` : '';
}

// ---------------------------------------------------------------------------------------------
// The parser. Method names and order follow libsinsp's parser.cpp, so that the two can be read
// side by side; comments give the grammar rule of parser.h each method implements.

// Token regular expressions of parser.cpp. libsinsp matches them with RE2 in POSIX mode (leftmost
// longest), where greedy JavaScript matching gives the same tokens for these patterns. [[:space:]]
// is ASCII only, unlike JavaScript's \s.
const SPACE = ' \\t\\n\\v\\f\\r';
const RGX = {
  notBlank: new RegExp(`not[${SPACE}]+`, 'y'),
  identifier: /[a-zA-Z]+[a-zA-Z0-9_]*/y,
  fieldName: /[a-zA-Z]+[a-zA-Z0-9_]*(\.[a-zA-Z]+[a-zA-Z0-9_]*)+/y,
  fieldArgBareStr: new RegExp(`[^\\][\\"'${SPACE}]+`, 'y'),
  hexNum: /0[xX][0-9a-fA-F]+/y,
  num: /[+-]?[0-9]+[.]?[0-9]*([eE][+-][0-9]+)?/y,
  bareStr: new RegExp(`[^()"'${SPACE}=,]+`, 'y'),
};
const FIELD_NAME_AT_START = /^[a-zA-Z]+[a-zA-Z0-9_]*(\.[a-zA-Z]+[a-zA-Z0-9_]*)+/;
const IDENTIFIER_AT_START = /^[a-zA-Z]+[a-zA-Z0-9_]*/;

// lex_blank's characters: note \b (backspace) is one, \v and \f are not.
const BLANK = new Set([' ', '\t', '\b', '\r', '\n']);

const UNARY_OPS = ['exists'];
const NUM_OPS = ['<=', '<', '>=', '>'];
// A trailing space means the operator must be followed by a blank (lex_helper_operator_list).
const STR_OPS = ['==', '=', '!=', 'glob ', 'iglob ', 'contains ', 'icontains ', 'bcontains ', 'startswith ', 'bstartswith ', 'endswith ', 'regex '];
const LIST_OPS = ['intersects', 'in', 'pmatch'];
const LIST_MODIFIERS = ['oneof', 'anyof', 'allof'];
const FIELD_TRANSFORMER_VAL = 'val(';
const FIELD_TRANSFORMERS = ['tolower(', 'toupper(', 'b64(', 'basename(', 'len(', 'join('];
const TRANSFORMER_NAMES = ['val', ...FIELD_TRANSFORMERS.map((t) => t.slice(0, -1))];
const ALL_OPS = [...UNARY_OPS, ...NUM_OPS, ...STR_OPS, ...LIST_OPS].map((op) => op.trim());

/**
 * Falco's loader parses with a maximum depth of 1000 (rule_loader_compiler.cpp, `parse_condition`
 * calls `set_max_depth(1000)`); each nesting costs several levels, as in libsinsp, where every
 * parsing function counts one. (Current libsinsp's `depth_guard(m_max_depth, m_depth);` builds a
 * temporary that is released at once, so the limit no longer accumulates there; it is kept here
 * so that a hostile condition cannot exhaust the stack.)
 */
const MAX_DEPTH = 1000;

type WordKind = 'macro' | 'listItem' | 'listName' | 'value';
interface Word { kind: WordKind; text: string }

class SyntaxError_ {
  constructor(readonly message: string, readonly offset: number) {}
}

function scan(text: string, options: ParseOptions): { ok: true; words: Word[] } | ConditionError {
  const parser = new Parser(text);
  try {
    if (options.appended) parser.parseAppended();
    else parser.parse();
    return { ok: true, words: parser.words };
  } catch (err) {
    if (err instanceof SyntaxError_) return { ok: false, error: err.message, offset: err.offset };
    throw err;
  }
}

class Parser {
  private pos = 0;
  private depth = 0;
  private lastToken = '';
  readonly words: Word[] = [];

  constructor(private readonly input: string) {}

  private fail(message: string): never {
    throw new SyntaxError_(message, this.pos);
  }

  /** Runs `body` one level deeper (libsinsp's depth_guard). */
  private deeper<T>(body: () => T): T {
    if (++this.depth >= MAX_DEPTH) {
      this.depth--;
      this.fail(`exceeded max depth limit of ${MAX_DEPTH}`);
    }
    try {
      return body();
    } finally {
      this.depth--;
    }
  }

  parse(): void {
    if (this.input.length === 0) this.fail('filter input string is empty');
    this.parseOr();
    this.expectEnd();
  }

  /**
   * Falco appends with a space between (rule_loader_collector.cpp, `append`), so the text
   * continues a complete expression: only `and …` and `or …` tails may follow. Whichever way the
   * tails group with the existing expression, the same names are references.
   */
  parseAppended(): void {
    this.lexBlank();
    for (;;) {
      if (this.lexHelperStr('and')) this.parseBoolTail('and', () => this.parseNot());
      else if (this.lexHelperStr('or')) this.parseBoolTail('or', () => this.parseAnd());
      else break;
      this.lexBlank();
    }
    this.expectEnd();
  }

  private expectEnd(): void {
    if (this.pos !== this.input.length) this.fail(`unexpected token after '${this.lastToken}', expecting 'or', 'and'`);
  }

  /** After `and`/`or`: a blank and an operand, or a parenthesised expression right away. */
  private parseBoolTail(op: string, operand: () => void): void {
    if (!this.lexBlank()) {
      if (this.lexHelperStr('(')) this.parseEmbeddedRemainder();
      else this.fail(`expected blank or '(' after '${op}'`);
    } else {
      operand();
    }
  }

  // OrExpr ::= AndExpr ('or' OrExprTail)*
  private parseOr(): void {
    this.deeper(() => {
      this.lexBlank();
      this.parseAnd();
      this.lexBlank();
      while (this.lexHelperStr('or')) {
        this.parseBoolTail('or', () => this.parseAnd());
        this.lexBlank();
      }
    });
  }

  // AndExpr ::= NotExpr ('and' AndExprTail)*
  private parseAnd(): void {
    this.deeper(() => {
      this.lexBlank();
      this.parseNot();
      this.lexBlank();
      while (this.lexHelperStr('and')) {
        this.parseBoolTail('and', () => this.parseNot());
        this.lexBlank();
      }
    });
  }

  // NotExpr ::= ('not ')* NotExprTail;  NotExprTail ::= 'not(' Expr ')' | Check
  private parseNot(): void {
    this.deeper(() => {
      this.lexBlank();
      while (this.lexHelperRgx(RGX.notBlank));
      if (this.lexHelperStr('not(')) this.parseEmbeddedRemainder();
      else this.parseCheck();
    });
  }

  /** The rest of a parenthesised expression, after its '('. */
  private parseEmbeddedRemainder(): void {
    this.deeper(() => {
      this.lexBlank();
      this.parseOr();
      this.lexBlank();
      if (!this.lexHelperStr(')')) this.fail('expected a \')\' token');
    });
  }

  // Check ::= Field Condition | FieldTransformer Condition | Identifier | '(' Expr ')'
  private parseCheck(): void {
    this.deeper(() => {
      this.lexBlank();
      if (this.lexHelperStr('(')) {
        this.parseEmbeddedRemainder();
      } else if (this.lexFieldName()) {
        this.parseFieldRemainder();
        this.parseCondition();
      } else if (this.lexFieldTransformerType()) {
        this.lexBlank();
        this.parseFieldOrTransformerRemainder();
        this.parseCondition();
      } else if (this.lexHelperRgx(RGX.identifier)) {
        // An identifier alone is what Falco's macro resolver substitutes (filter_macro_resolver.cpp).
        this.words.push({ kind: 'macro', text: this.lastToken });
      } else {
        this.fail('expected a \'(\' token, a field check, or an identifier');
      }
    });
  }

  // Field ::= FieldName ('[' FieldArg ']')?;  FieldArg ::= QuotedStr | FieldArgBareStr
  private parseFieldRemainder(): void {
    this.deeper(() => {
      if (this.lexHelperStr('[')) {
        if (!this.lexQuotedStr() && !this.lexHelperRgx(RGX.fieldArgBareStr)) {
          this.fail('expected a valid field argument: a quoted string or a bare string');
        }
        if (!this.lexHelperStr(']')) this.fail('expected a \']\' token');
      }
    });
  }

  // FieldTransformerTail ::= FieldTransformerArg (',' FieldTransformerArg)* ')'
  private parseFieldOrTransformerRemainder(): void {
    this.deeper(() => {
      this.lexBlank();
      do {
        this.parseFieldTransformerArg();
        this.lexBlank();
      } while (this.lexHelperStr(','));
      this.lexBlank();
      if (!this.lexHelperStr(')')) this.fail('expected a \')\' token closing the transformer');
    });
  }

  // FieldTransformerArg ::= FieldTransformer | Field | QuotedStr | NumValue | TransformerList
  private parseFieldTransformerArg(): void {
    this.deeper(() => {
      this.lexBlank();
      if (this.lexHelperRgx(RGX.hexNum) || this.lexHelperRgx(RGX.num)) return;
      if (this.lexQuotedStr()) return;
      if (this.lexHelperStr('(')) return this.parseTransformerList();
      if (this.lexFieldTransformerType()) return this.parseFieldOrTransformerRemainder();
      if (this.lexFieldName()) return this.parseFieldRemainder();
      this.fail('expected field transformer argument: field, transformer, quoted string, number, or transformer list');
    });
  }

  // TransformerList ::= '(' (TransformerListArg (',' TransformerListArg)*)? ')', after its '('
  private parseTransformerList(): void {
    this.lexBlank();
    if (this.lexHelperStr(')')) return;
    this.parseTransformerListArg();
    this.lexBlank();
    while (this.lexHelperStr(',')) {
      this.lexBlank();
      this.parseTransformerListArg();
      this.lexBlank();
    }
    if (!this.lexHelperStr(')')) this.fail('expected \')\'');
  }

  // TransformerListArg ::= Field | FieldTransformer | QuotedStr | NumValue
  private parseTransformerListArg(): void {
    if (this.lexFieldName()) return this.parseFieldRemainder();
    if (this.lexFieldTransformerType()) {
      this.lexBlank();
      return this.parseFieldOrTransformerRemainder();
    }
    if (this.lexQuotedStr()) return;
    if (this.lexHelperRgx(RGX.hexNum) || this.lexHelperRgx(RGX.num)) return;
    this.fail('expected transformer list argument: field, transformer, quoted string, or number');
  }

  // Condition ::= UnaryOperator | NumOperator (NumValue | FieldTransformerOrVal)
  //             | StrOperator (StrValue | FieldTransformerOrVal) | ListOperator (ListValue | FieldTransformerOrVal)
  private parseCondition(): void {
    this.deeper(() => {
      this.lexBlank();
      if (this.lexOperator(UNARY_OPS)) return;
      this.lexBlank();
      if (this.lexOperator(NUM_OPS)) this.parseNumValueOrTransformer();
      else if (this.lexOperator(STR_OPS)) this.parseStrOperand();
      else if (this.lexOperator(LIST_OPS)) this.parseListValueOrTransformer();
      else this.fail(`expected a valid check operator: one of ${ALL_OPS.map((op) => `'${op}'`).join(', ')}`);
    });
  }

  /** A string operator's right side: a modified list (see the file comment), or a value. */
  private parseStrOperand(): void {
    const save = this.pos;
    this.lexBlank();
    const modifier = LIST_MODIFIERS.find((m) => this.input.startsWith(m, this.pos));
    if (modifier !== undefined) {
      this.pos += modifier.length;
      this.lexBlank();
      if (this.input[this.pos] === '(') {
        this.lastToken = modifier;
        return this.parseListValueOrTransformer();
      }
    }
    this.pos = save;
    this.parseStrValueOrTransformer(false);
  }

  private parseNumValueOrTransformer(): void {
    this.deeper(() => {
      this.lexBlank();
      if (this.tryParseTransformerOrVal()) return;
      if (this.lexHelperRgx(RGX.hexNum) || this.lexHelperRgx(RGX.num)) return;
      this.fail(`expected a number value or a field with a valid transformer: ${TRANSFORMER_NAMES.map((t) => `'${t}'`).join(', ')}`);
    });
  }

  // StrValue ::= QuotedStr | BareStr
  private parseStrValueOrTransformer(noTransformer: boolean, kind: WordKind = 'value'): void {
    this.deeper(() => {
      this.lexBlank();
      if (!noTransformer && this.tryParseTransformerOrVal()) return;
      if (this.lexQuotedStr()) return;
      if (this.lexHelperRgx(RGX.bareStr)) {
        this.words.push({ kind, text: this.lastToken });
        return;
      }
      if (noTransformer) this.fail('expected a string value');
      this.fail(`expected a string value or a field with a valid transformer: ${TRANSFORMER_NAMES.map((t) => `'${t}'`).join(', ')}`);
    });
  }

  // ListValue ::= '(' (StrValue (',' StrValue)*)* ')' | Identifier
  private parseListValueOrTransformer(): void {
    this.deeper(() => {
      this.lexBlank();
      if (this.lexHelperStr('(')) {
        this.lexBlank();
        // libsinsp tries a first value and, when it fails for any reason, expects ')' right
        // there: `in ()` is an empty list, and so, oddly, is `in ("\d")`.
        const before = this.words.length;
        let empty = false;
        try {
          this.parseStrValueOrTransformer(true, 'listItem');
        } catch (err) {
          if (!(err instanceof SyntaxError_)) throw err;
          this.words.length = before;
          empty = true;
        }
        if (!empty) {
          this.lexBlank();
          while (this.lexHelperStr(',')) {
            this.parseStrValueOrTransformer(true, 'listItem');
            this.lexBlank();
          }
        }
        if (!this.lexHelperStr(')')) this.fail('expected a \')\' token');
        return;
      }
      if (this.tryParseTransformerOrVal()) return;
      if (this.lexHelperRgx(RGX.identifier)) {
        this.words.push({ kind: 'listName', text: this.lastToken });
        return;
      }
      this.fail(`expected a list, an identifier, or a field with a valid transformer: ${TRANSFORMER_NAMES.map((t) => `'${t}'`).join(', ')}`);
    });
  }

  // FieldTransformerOrVal ::= FieldTransformer | 'val(' Field ')'; false when neither starts here.
  private tryParseTransformerOrVal(): boolean {
    return this.deeper(() => {
      this.lexBlank();
      if (this.lexHelperStr(FIELD_TRANSFORMER_VAL)) {
        this.lexBlank();
        if (!this.lexFieldName()) this.fail('expected a field within \'val\' transformer');
        this.parseFieldRemainder();
        this.lexBlank();
        if (!this.lexHelperStr(')')) this.fail('expected a \')\' token closing the transformer');
        return true;
      }
      if (this.lexFieldTransformerType()) {
        this.lexBlank();
        this.parseFieldOrTransformerRemainder();
        return true;
      }
      return false;
    });
  }

  // --- lexer: each lex* consumes a token and returns true, or consumes nothing and returns false.

  /** Blanks; the only lexer that leaves lastToken alone. */
  private lexBlank(): boolean {
    const start = this.pos;
    while (this.pos < this.input.length && BLANK.has(this.input[this.pos])) this.pos++;
    return this.pos > start;
  }

  private lexFieldName(): boolean {
    return this.lexHelperRgx(RGX.fieldName);
  }

  private lexFieldTransformerType(): boolean {
    return FIELD_TRANSFORMERS.some((t) => this.lexHelperStr(t));
  }

  // QuotedStr ::= "(?:\\"|.)*?"|'(?:\\'|.)*?' , then unescaped (escaping.cpp, unescape_str).
  private lexQuotedStr(): boolean {
    const delimiter = this.input[this.pos];
    if (delimiter !== '"' && delimiter !== '\'') return false;
    let prev = '\\';
    // libsinsp scans a C string: a NUL ends it, unterminated.
    for (let i = this.pos; i < this.input.length && this.input[i] !== '\0'; i++) {
      const c = this.input[i];
      if (c === delimiter && prev !== '\\') {
        const token = this.input.slice(this.pos, i + 1);
        this.pos = i + 1;
        this.lastToken = token;
        this.checkEscapes(token);
        return true;
      }
      prev = c;
    }
    return false;
  }

  /** unescape_str's refusals, raised with the parser after the closing quote, as libsinsp does. */
  private checkEscapes(token: string): void {
    const delimiter = token[0];
    for (let i = 1; i < token.length - 1; i++) {
      if (token[i] !== '\\') continue;
      const c = token[++i];
      if ('bfnrt \\/'.includes(c)) continue;
      if (c === '"' || c === '\'') {
        if (c !== delimiter) this.fail(c === '"' ? 'invalid \\" escape in \'-quoted string' : 'invalid \\\' escape in "-quoted string');
        continue;
      }
      this.fail(`unsupported string escape sequence: \\${c}`);
    }
  }

  /** An operator of `ops`; one written with a trailing space must be followed by a blank. */
  private lexOperator(ops: string[]): boolean {
    for (const op of ops) {
      if (!op.endsWith(' ')) {
        if (this.lexHelperStr(op)) return true;
        continue;
      }
      // As in libsinsp, the operator word stays consumed even when no blank follows it.
      if (this.lexHelperStr(op.trim())) return this.lexBlank();
    }
    return false;
  }

  private lexHelperRgx(rgx: RegExp): boolean {
    rgx.lastIndex = this.pos;
    const match = rgx.exec(this.input);
    if (!match) return false;
    this.lastToken = match[0];
    this.pos += match[0].length;
    return true;
  }

  private lexHelperStr(str: string): boolean {
    if (!this.input.startsWith(str, this.pos)) return false;
    this.lastToken = str;
    this.pos += str.length;
    return true;
  }
}
