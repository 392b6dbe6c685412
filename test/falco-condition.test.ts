import fc from 'fast-check';
import {
  outputProblems, parseCondition, referenceProblems, undefinedReferences,
} from '../lib/falco/condition';
import { DEFAULT_LISTS, DEFAULT_MACROS, DEFAULT_RULES_VERSION } from '../lib/falco/default-ruleset';
import type { FalcoList, FalcoMacro, FalcoRule } from '../lib/falco/rules';

// Issue 12, point 6: a rule condition or output naming an undefined macro or list is refused, as
// Falco's loader would refuse it. lib/falco/condition.ts follows libsinsp's filter parser
// (userspace/libsinsp/filter/parser.cpp) and Falco's rule_loader_compiler.cpp; these cases pin
// the grammar, Falco's quirks, and what the loader does with macro and list names.

/** Property runs of this file (the README states them). */
export const CONDITION_FUZZ_RUNS = 300;

const ok = (macros: string[] = [], lists: string[] = []) => ({ ok: true, macros, lists });
const error = (message: string, offset: number) => ({ ok: false, error: expect.stringContaining(message), offset });

describe('the grammar: what parses, and which names are macro and list references', () => {
  test.each([
    // macros alone, with and/or/not, parentheses
    ['spawned_process', ok(['spawned_process'])],
    ['spawned_process and container', ok(['spawned_process', 'container'])],
    ['a or b and not c', ok(['a', 'b', 'c'])],
    ['not not a', ok(['a'])],
    ['not(a) and(b) or(c)', ok(['a', 'b', 'c'])],
    ['((a))', ok(['a'])],
    ['a\tand\nb\r\nor  c ', ok(['a', 'b', 'c'])],
    ['a and a and a', ok(['a'])],
    // fields, arguments, unary and binary operators
    ['proc.name = bash', ok()],
    ['proc.name=bash', ok()],
    ['proc.name == bash and proc.name != sh', ok()],
    ['evt.num > 5 and evt.num >= 0x1F and evt.num < -2 and evt.num <= 1.5e+3', ok()],
    ['proc.aname[2] = sshd and proc.aname["x"] = y', ok()],
    ['evt.arg.flags contains O_TMPFILE and evt.arg[0] exists', ok()],
    ['fd.name startswith /etc/ and fd.name endswith .conf and fd.name bstartswith 2f', ok()],
    ['fd.name glob "/etc/*" and fd.name iglob "*.PEM" and proc.cmdline regex "^curl .*"', ok()],
    ['proc.cmdline icontains "base64 -d" and evt.buffer bcontains 4d5a', ok()],
    // transformers and val()
    ['tolower(proc.name) = bash', ok()],
    ['toupper(basename(proc.exepath)) = BASH', ok()],
    ['len(proc.args) > 3', ok()],
    ['join(",", (proc.name, proc.pname)) = "a,b"', ok()],
    ['proc.name = val(proc.pname) and proc.pid > val(proc.ppid)', ok()],
    ['b64(evt.arg.data) contains x', ok()],
    // value lists: bare words may be list references, quoted strings never
    ['proc.name in (shell_binaries, "a b", \'c\', d)', ok([], ['shell_binaries', 'd'])],
    ['evt.type in (open,openat,openat2) and fd.num>=0', ok([], ['open', 'openat', 'openat2'])],
    ['proc.name in ()', ok()],
    ['fd.name pmatch (/etc, /root)', ok([], ['/etc', '/root'])],
    ['proc.name in shell_binaries', ok([], ['shell_binaries'])],
    ['proc.name in(a) and container', ok(['container'], ['a'])],
    // the list modifiers of libs 0.25 (falcosecurity/libs#2984)
    ['proc.cmdline startswith oneof (gunicorn, "ruby x")', ok([], ['gunicorn'])],
    ['proc.cmdline contains allof(a, b)', ok([], ['a', 'b'])],
    ['proc.name = oneof', ok()],
  ])('%j', (condition, expected) => {
    expect(parseCondition(condition)).toEqual(expected);
  });

  test('"or(" takes only the parenthesised expression: an "and" cannot follow it, unlike after "or ("', () => {
    expect(parseCondition('a or(b) and c')).toEqual(error('unexpected token after \')\', expecting \'or\', \'and\'', 8));
    expect(parseCondition('a or (b) and c')).toEqual(ok(['a', 'b', 'c']));
    expect(parseCondition('a and(b) or c')).toEqual(ok(['a', 'b', 'c']));
  });

  test('keywords are matched as libsinsp matches them: as prefixes, and alone as identifiers', () => {
    // "or" matches the start of "order", which then lacks a blank.
    expect(parseCondition('a order')).toEqual(error('expected blank or \'(\' after \'or\'', 4));
    expect(parseCondition('a andb')).toEqual(error('expected blank or \'(\' after \'and\'', 5));
    // Alone, they are identifiers, so macro references.
    expect(parseCondition('not')).toEqual(ok(['not']));
    expect(parseCondition('a or or')).toEqual(ok(['a', 'or']));
    expect(parseCondition('notify and order_x')).toEqual(ok(['notify', 'order_x']));
  });
});

describe('what does not parse, where the parser stops and what libsinsp says', () => {
  test.each([
    ['', 'filter input string is empty', 0],
    [' ', 'expected a \'(\' token, a field check, or an identifier', 1],
    ['(a', 'expected a \')\' token', 2],
    ['a)', 'unexpected token after \'a\', expecting \'or\', \'and\'', 1],
    ['a b', 'unexpected token after \'a\', expecting \'or\', \'and\'', 2],
    ['a and', 'expected blank or \'(\' after \'and\'', 5],
    ['a and ', 'expected a \'(\' token, a field check, or an identifier', 6],
    ['proc.name', 'expected a valid check operator', 9],
    ['proc.name bash', 'expected a valid check operator', 10],
    // a word operator needs a blank after it; the word stays consumed
    ['proc.name containsx', 'expected a valid check operator', 18],
    ['proc.name =', 'expected a string value or a field with a valid transformer', 11],
    ['evt.num > x', 'expected a number value', 10],
    // 1e5 has no sign in its exponent: the number is 1
    ['evt.num > 1e5', 'unexpected token after \'1\'', 11],
    ['proc.name in (a,)', 'expected a string value', 16],
    ['proc.name in (,a)', 'expected a \')\' token', 14],
    ['proc.name in (a b)', 'expected a \')\' token', 16],
    // '=' ends a bare word, even inside a value list
    ['proc.env intersects (A=1)', 'expected a \')\' token', 22],
    ['proc.aname[2 = x', 'expected a \']\' token', 12],
    ['proc.aname[] = x', 'expected a valid field argument', 11],
    ['tolower(proc.name = x', 'expected a \')\' token closing the transformer', 18],
    ['tolower(x) = y', 'expected field transformer argument', 8],
    ['proc.name = val(x)', 'expected a field within \'val\' transformer', 16],
    ['proc.name = a"b"', 'unexpected token after \'a\'', 13],
    // quoted strings: unterminated, and escapes libsinsp's unescape_str refuses
    ['proc.name = "abc', 'expected a string value', 12],
    ['proc.name = "a\\\\"', 'expected a string value', 12],
    ['proc.cmdline regex "\\d+"', 'unsupported string escape sequence: \\d', 24],
    ['proc.name = \'a\\"b\'', 'invalid \\" escape in \'-quoted string', 18],
    ['proc.name = "a\\\'b"', 'invalid \\\' escape in "-quoted string', 18],
  ] as Array<[string, string, number]>)('%j: %s at %i', (condition, message, offset) => {
    expect(parseCondition(condition)).toEqual({ ok: false, error: expect.stringContaining(message), offset });
  });

  test('valid escapes, and libsinsp\'s empty-list quirk for a bad first item', () => {
    expect(parseCondition('proc.name = "a\\"b\\n\\t\\\\c\\/d\\ e" and proc.name = \'x\\\'y\'')).toEqual(ok());
    // libsinsp catches any error in a list's first item and then expects ')': an empty list.
    expect(parseCondition('proc.name in ("\\d")')).toEqual(ok());
  });

  test('nesting is bounded (Falco\'s loader parses with max depth 1000), and never exhausts the stack', () => {
    const nested = (n: number) => `${'('.repeat(n)}a${')'.repeat(n)}`;
    expect(parseCondition(nested(150))).toEqual(ok(['a']));
    expect(parseCondition(nested(300))).toEqual(error('exceeded max depth limit of 1000', 200));
    expect(parseCondition(nested(100_000)).ok).toBe(false);
    expect(parseCondition(`${'not '.repeat(10_000)}a`)).toEqual(ok(['a']));
    expect(parseCondition(Array.from({ length: 5_000 }, (_, i) => `m${i}`).join(' and ')).ok).toBe(true);
  });
});

describe('appended conditions (override: {condition: append}) continue an existing one', () => {
  test.each([
    ['and not proc.name in (x)', ok([], ['x'])],
    [' or user_known_activities', ok(['user_known_activities'])],
    ['and(a) or (b)', ok(['a', 'b'])],
    ['   ', ok()],
  ])('%j', (fragment, expected) => {
    expect(parseCondition(fragment, { appended: true })).toEqual(expected);
  });

  test('a fragment that does not start with and/or is refused, though it would parse alone', () => {
    expect(parseCondition('proc.name = x', { appended: true })).toEqual(error('unexpected token', 0));
    expect(parseCondition('and', { appended: true })).toEqual(error('expected blank or \'(\' after \'and\'', 3));
    expect(parseCondition('android', { appended: true })).toEqual(error('expected blank or \'(\' after \'and\'', 3));
  });
});

describe('undefined macros and unknown list names, as Falco\'s loader treats them', () => {
  const defined = { macros: ['spawned_process', 'container'], lists: ['shell_binaries'] };

  test('an identifier that names no macro is an undefined macro ("Undefined macro \'x\' used in filter.")', () => {
    expect(undefinedReferences('spawned_process and container and not user_known_x and (y or spawned_process)', defined)).toEqual({
      ok: true, undefinedMacros: ['user_known_x', 'y'], listsAsMacros: [], listsAsValues: [], literals: [],
    });
  });

  test('a bare word in a value list that names no list is a literal value, not an error', () => {
    // rule_loader_compiler.cpp substitutes only defined lists; the rest parses as bare strings.
    expect(undefinedReferences('proc.name in (shell_binaries, netcat_binaris, "quoted_list")', defined)).toEqual({
      ok: true, undefinedMacros: [], listsAsMacros: [], listsAsValues: [], literals: ['netcat_binaris'],
    });
  });

  test('a macro name inside a value list is a literal too: macros are not expanded there', () => {
    expect(undefinedReferences('proc.name in (container)', defined)).toMatchObject({ undefinedMacros: [], literals: ['container'] });
  });

  test('a list where a macro or a single value is expected is reported (Falco pastes its items there)', () => {
    expect(undefinedReferences('spawned_process and shell_binaries and proc.name = shell_binaries and proc.pname in shell_binaries', defined)).toEqual({
      ok: true, undefinedMacros: [], listsAsMacros: ['shell_binaries'], listsAsValues: ['shell_binaries'], literals: [],
    });
    // A quoted value is not substituted.
    expect(undefinedReferences('proc.name = "shell_binaries"', defined)).toMatchObject({ listsAsValues: [] });
  });

  test('a condition that does not parse gives the parse error', () => {
    expect(undefinedReferences('spawned_process and x y', defined)).toEqual(error('unexpected token after \'x\'', 22));
  });
});

describe('outputs name fields only', () => {
  const defined = { macros: ['spawned_process'], lists: ['shell_binaries'] };

  test('fields, widths, arguments and transformers are accepted', () => {
    expect(outputProblems('Shell (user=%user.name cmd=%proc.cmdline %20fd.name %proc.aname[2] %evt.arg.flags %tolower(proc.name))', defined)).toEqual([]);
    expect(outputProblems('*%proc.name', defined)).toEqual([]);
  });

  test('a macro, a list, a non-field and a stray % are refused, each once, where they stand', () => {
    expect(outputProblems('x %spawned_process %shell_binaries 100% done %foo %', defined)).toEqual([
      { offset: 2, token: '%spawned_process', problem: expect.stringContaining('names macro "spawned_process", not a field') },
      { offset: 19, token: '%shell_binaries', problem: expect.stringContaining('names list "shell_binaries", not a field') },
      { offset: 38, token: '%', problem: expect.stringContaining('is not followed by a field') },
      { offset: 45, token: '%foo', problem: expect.stringContaining('"foo", which is not a field') },
      { offset: 50, token: '%', problem: expect.stringContaining('ends the output') },
    ]);
    expect(outputProblems('%20', defined)).toEqual([{ offset: 0, token: '%20', problem: expect.stringContaining('width and no field') }]);
  });
});

describe('custom entries against the default ruleset', () => {
  const base = { macros: [...DEFAULT_MACROS], lists: [...DEFAULT_LISTS], source: `falco-rules ${DEFAULT_RULES_VERSION}` };
  const rule = (fields: Partial<FalcoRule>): FalcoRule => ({
    rule: 'r', desc: 'd', condition: 'spawned_process', output: 'x %proc.name', priority: 'WARNING' as FalcoRule['priority'], ...fields,
  });
  const check = (entries: { rules?: FalcoRule[]; macros?: FalcoMacro[]; lists?: FalcoList[] }) =>
    referenceProblems({ rules: entries.rules ?? [], macros: entries.macros ?? [], lists: entries.lists ?? [] }, base)
      .map((p) => `${p.path.join('.')}: ${p.message}`);

  test('the README example and realistic custom rules have no problem', () => {
    expect(check({
      lists: [{ list: 'netcat_binaries', items: ['nc', 'ncat', 'netcat'] }],
      macros: [
        { macro: 'web_pod', condition: 'container and k8s.ns.name in (web, shop)' },
        { macro: 'web_shell', condition: 'web_pod and spawned_process and proc.name in (shell_binaries)' },
        { macro: 'container', condition: 'or container.id != host', override: { condition: 'append' } },
      ],
      rules: [
        rule({ condition: 'spawned_process and container and proc.name in (netcat_binaries)', output: 'Netcat started (command=%proc.cmdline container=%container.name)' }),
        rule({ rule: 'w', condition: 'web_shell and not user_known_system_user_login' }),
        rule({ rule: 'Terminal shell in container', override: { condition: 'append', output: 'append' }, condition: 'and not proc.pname in (tmux)', output: 'team=%k8s.ns.name' }),
      ],
    })).toEqual([]);
  });

  test('an undefined macro in a rule or a macro is refused, with a hint when a name is close', () => {
    expect(check({ rules: [rule({ condition: 'spawned_proces and contaner and my_thing' })] })).toEqual([
      expect.stringMatching(/^falco\.rules\.0\.condition: names macro "spawned_proces", which is not defined \(did you mean "spawned_process"\?\); expected a macro of falco-rules 5\.1\.0 or of falco\.macros \(Falco refuses it: "Undefined macro 'spawned_proces' used in filter"\)$/),
      expect.stringContaining('names macro "contaner", which is not defined (did you mean "container"?)'),
      expect.stringMatching(/names macro "my_thing", which is not defined;/),
    ]);
    expect(check({ macros: [{ macro: 'm', condition: 'nope' }] })).toEqual([expect.stringMatching(/^falco\.macros\.0\.condition: names macro "nope"/)]);
  });

  test('a macro sees only the macros defined before it; a rule sees them all', () => {
    expect(check({
      macros: [{ macro: 'first', condition: 'second' }, { macro: 'second', condition: 'spawned_process' }],
      rules: [rule({ condition: 'first and second' })],
    })).toEqual([
      'falco.macros.0.condition: names macro "second", which is defined only after this macro; expected it defined earlier in falco.macros (Falco lets a macro use only the macros defined before it)',
    ]);
  });

  test('a macro naming itself, or a loop made by an append, is refused', () => {
    expect(check({ macros: [{ macro: 'me', condition: 'me or container' }] })).toEqual([
      expect.stringMatching(/^falco\.macros\.0\.condition: names macro "me" itself/),
    ]);
    expect(check({
      macros: [
        { macro: 'a', condition: 'container' },
        { macro: 'b', condition: 'a' },
        { macro: 'a', condition: 'or b', override: { condition: 'append' } },
      ],
    })).toEqual([
      // Falco compiles "a" first and stops at the loop; compiling "b" would fail too, as "b" is
      // not among the macros defined before "b".
      'falco.macros.2.condition: makes a reference loop (a -> b -> a); expected macros that do not use themselves, directly or through others',
      'falco.macros.1.condition: uses macro "a", whose condition names this macro back; expected macros that do not use themselves, directly or through others',
    ]);
  });

  test('an append that names a later macro breaks the macros in between that use it', () => {
    // Falco compiles "b" with the macros defined before it, and expands "a" within that set.
    expect(check({
      macros: [
        { macro: 'a', condition: 'container' },
        { macro: 'b', condition: 'a' },
        { macro: 'c', condition: 'spawned_process' },
        { macro: 'a', condition: 'or c', override: { condition: 'append' } },
      ],
    })).toEqual([expect.stringMatching(/^falco\.macros\.1\.condition: uses macro "a", whose condition names macro "c", defined only after this macro/)]);
  });

  test('lists as macros or single values, syntax errors and outputs are refused where they stand', () => {
    expect(check({
      lists: [{ list: 'my_bins', items: ['a'] }],
      rules: [
        rule({ condition: 'spawned_process and my_bins' }),
        rule({ rule: 'b', condition: 'proc.name = shell_binaries' }),
        rule({ rule: 'c', condition: 'spawned_process and (proc.name = x' }),
        rule({ rule: 'd', output: 'started %spawned_process' }),
        rule({ rule: 'e', override: { condition: 'append' }, condition: 'proc.name = x' }),
      ],
    })).toEqual([
      'falco.rules.0.condition: names list "my_bins" where a macro is expected; expected a list inside a value list, such as proc.name in (my_bins)',
      'falco.rules.1.condition: uses list "shell_binaries" as a single value (Falco pastes the list\'s items there); expected it inside a value list, such as proc.name in (shell_binaries)',
      'falco.rules.2.condition: does not parse at character 35 (at the end): expected a \')\' token; expected a Falco condition (https://falco.org/docs/concepts/rules/conditions)',
      'falco.rules.3.output: %spawned_process at character 9 names macro "spawned_process", not a field (macros are not expanded in outputs); expected %field such as %proc.name or %container.name',
      'falco.rules.4.condition: does not parse at character 1 (near "proc.name = x"): unexpected token after \'\', expecting \'or\', \'and\'; expected a Falco condition that continues the existing one, such as "and not proc.name in (x)" (https://falco.org/docs/concepts/rules/conditions)',
    ]);
  });

  test('a misspelt list inside a value list is a literal for Falco, so it is not refused', () => {
    expect(check({ rules: [rule({ condition: 'spawned_process and proc.name in (shell_binaris)' })] })).toEqual([]);
  });
});

describe('the default ruleset\'s names', () => {
  test('87 macros and 49 lists, each once, with Falco\'s name syntax', () => {
    expect(DEFAULT_MACROS).toHaveLength(87);
    expect(DEFAULT_LISTS).toHaveLength(49);
    expect(new Set(DEFAULT_MACROS).size).toBe(87);
    expect(new Set(DEFAULT_LISTS).size).toBe(49);
    expect(DEFAULT_MACROS.filter((m) => !/^[a-zA-Z]+[a-zA-Z0-9_]*$/.test(m))).toEqual([]);
    expect(DEFAULT_LISTS.filter((l) => !/^[^()"'\s=,]+$/.test(l))).toEqual([]);
    expect(DEFAULT_MACROS.filter((m) => DEFAULT_LISTS.includes(m))).toEqual([]);
  });

  // Conditions in the style of falco-rules 5.1.0, written for this test (the project does not read
  // the ruleset itself): they must parse, and use only default macros and lists.
  test.each([
    '(evt.type in (open,openat,openat2) and evt.is_open_write=true and fd.typechar=\'f\' and fd.num>=0)',
    'evt.type in (execve, execveat) and evt.dir=< and evt.arg.res=0',
    'spawned_process and container and shell_procs and proc.tty != 0 and container_entrypoint and not user_expected_terminal_shell_in_container_conditions',
    'open_read and sensitive_files and proc_name_exists and not proc.name in (user_mgmt_binaries, userexec_binaries, package_mgmt_binaries, cron_binaries, read_sensitive_file_binaries, shell_binaries, hids_binaries, vpn_binaries, mail_config_binaries, nomachine_binaries, sshkit_script_binaries, in.proftpd, mandb, salt-call, salt-minion, postgres_mgmt_binaries, google_oslogin_) and not cmp_cp_by_passwd',
    'evt.type=connect and evt.dir=< and (fd.typechar=4 or fd.typechar=6) and container and k8s_api_server and not k8s_containers',
    'spawned_process and ((grep_commands and private_key_or_password) or (proc.name = "find" and (proc.args contains "id_rsa" or proc.args contains "id_dsa")))',
    'evt.type = ptrace and evt.dir=> and evt.arg.request in (5, 6, 11, 20, 27) and proc_name_exists and not known_ptrace_procs',
    'spawned_process and proc.exe startswith "/dev/shm/" or (proc.cwd startswith "/dev/shm/" and proc.exe startswith "./" )',
    'fd.sport in (ssh_non_standard_ports) and outbound and not proc.name in (rfc_1918_addresses)',
  ])('%s', (condition) => {
    const refs = undefinedReferences(condition, { macros: DEFAULT_MACROS, lists: DEFAULT_LISTS });
    expect(refs).toMatchObject({ ok: true, undefinedMacros: [], listsAsMacros: [], listsAsValues: [] });
  });
});

// ---------------------------------------------------------------------------------------------
// Properties. Well-formed conditions are generated together with the macro and list references
// they contain, so the parser must find exactly those.

interface Generated { text: string; macros: string[]; lists: string[] }

const blank = fc.constantFrom(' ', '  ', '\t', '\n', ' \r\n ');
const maybeBlank = fc.oneof(fc.constant(''), blank);
// Identifiers that stand alone as macro references. "not" alone would start a negation.
const macroName = fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9_]{0,8}$/).filter((n) => n !== 'not');
const fieldName = fc.tuple(fc.stringMatching(/^[a-z]{1,5}$/), fc.array(fc.stringMatching(/^[a-z][a-z0-9_]{0,5}$/), { minLength: 1, maxLength: 2 }))
  .map(([cls, parts]) => [cls, ...parts].join('.'));
const field = fc.tuple(fieldName, fc.option(fc.oneof(fc.stringMatching(/^[a-z0-9]{1,4}$/), fc.constant('"a b"')), { nil: undefined }))
  .map(([name, arg]) => (arg === undefined ? name : `${name}[${arg}]`));
const leftSide = fc.oneof({ weight: 4, arbitrary: field }, { weight: 1, arbitrary: field.map((f) => `tolower(${f})`) });
const bareWord = fc.stringMatching(/^[a-zA-Z0-9_./*:-]{1,10}$/);
const quoted = fc.oneof(
  fc.array(fc.oneof(fc.stringMatching(/^[a-z ,()=]$/), fc.constantFrom('\\n', '\\t', '\\"')), { maxLength: 6 }).map((cs) => `"${cs.join('')}"`),
  fc.array(fc.oneof(fc.stringMatching(/^[a-z ,()=]$/), fc.constantFrom('\\n', '\\\'')), { maxLength: 6 }).map((cs) => `'${cs.join('')}'`),
);
const number = fc.oneof(fc.integer({ min: -1000, max: 1000 }).map(String), fc.constantFrom('0x1F', '1.5', '2e+3', '+7'));

const check: fc.Arbitrary<Generated> = fc.oneof(
  fc.tuple(leftSide, blank).map(([l, b]) => ({ text: `${l}${b}exists`, macros: [], lists: [] })),
  fc.tuple(leftSide, maybeBlank, fc.constantFrom('<=', '<', '>=', '>'), maybeBlank, number)
    .map(([l, b1, op, b2, n]) => ({ text: `${l}${b1}${op}${b2}${n}`, macros: [], lists: [] })),
  fc.tuple(leftSide, maybeBlank, fc.constantFrom('=', '==', '!='), maybeBlank, fc.oneof(bareWord, quoted, field.map((f) => `val(${f})`)))
    .map(([l, b1, op, b2, v]) => ({ text: `${l}${b1}${op}${b2}${v}`, macros: [], lists: [] })),
  fc.tuple(leftSide, blank, fc.constantFrom('contains', 'icontains', 'startswith', 'endswith', 'glob', 'iglob', 'regex', 'bcontains', 'bstartswith'), blank, fc.oneof(bareWord, quoted))
    .map(([l, b1, op, b2, v]) => ({ text: `${l}${b1}${op}${b2}${v}`, macros: [], lists: [] })),
  fc.tuple(leftSide, blank, fc.constantFrom('in', 'intersects', 'pmatch'), maybeBlank,
    fc.array(fc.tuple(fc.boolean(), bareWord, quoted, maybeBlank, maybeBlank), { maxLength: 5 }))
    .map(([l, b1, op, b2, items]) => ({
      text: `${l}${b1}${op}${b2}(${items.map(([bare, w, q, s1, s2]) => `${s1}${bare ? w : q}${s2}`).join(',')})`,
      macros: [],
      lists: items.filter(([bare]) => bare).map(([, w]) => w),
    })),
  macroName.map((m) => ({ text: m, macros: [m], lists: [] })),
);

const { condition } = fc.letrec<{ condition: Generated }>((tie) => ({
  condition: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    check,
    fc.tuple(tie('condition'), fc.constantFrom('and', 'or'), blank, tie('condition'), maybeBlank).map(([a, op, b, c]) => ({
      text: `${a.text} ${op}${b}${c.text}`, macros: [...a.macros, ...c.macros], lists: [...a.lists, ...c.lists],
    })),
    // After "or(" only another "or" may follow (OrExprTail ::= ' ' AndExpr | '(' Expr ')'), so
    // this form is wrapped in parentheses.
    fc.tuple(tie('condition'), fc.constantFrom('and', 'or'), maybeBlank, tie('condition')).map(([a, op, b, c]) => ({
      text: `(${a.text} ${op}(${b}${c.text}${b}))`, macros: [...a.macros, ...c.macros], lists: [...a.lists, ...c.lists],
    })),
    fc.tuple(fc.constantFrom('not ', 'not\t', 'not(', 'not ('), tie('condition')).map(([not, c]) => ({
      text: not.includes('(') ? `${not}${c.text})` : `${not}${c.text}`, macros: c.macros, lists: c.lists,
    })),
    fc.tuple(maybeBlank, tie('condition')).map(([b, c]) => ({ ...c, text: `(${b}${c.text}${b})` })),
  ),
}));

// Precedence does not matter here ("not a or b" is (not a) or b): the references are the same.
const wellFormed = condition;
const unique = (names: string[]) => [...new Set(names)];

describe('properties', () => {
  test('a generated well-formed condition parses, with exactly the generated macro and list references', () => {
    fc.assert(fc.property(wellFormed, (c) => {
      expect(parseCondition(c.text)).toEqual({ ok: true, macros: unique(c.macros), lists: unique(c.lists) });
    }), { numRuns: CONDITION_FUZZ_RUNS });
  });

  test('undefined macros are exactly the generated ones that are not defined, in order', () => {
    fc.assert(fc.property(wellFormed, fc.func(fc.boolean()), (c, isDefined) => {
      const macros = unique(c.macros).filter((m) => isDefined(m));
      const result = undefinedReferences(c.text, { macros, lists: [] });
      expect(result).toMatchObject({ ok: true, undefinedMacros: unique(c.macros).filter((m) => !macros.includes(m)) });
    }), { numRuns: CONDITION_FUZZ_RUNS });
  });

  test('the same condition, appended with "and"/"or", gives the same references', () => {
    fc.assert(fc.property(wellFormed, fc.constantFrom('and ', 'or ', ' and (', 'or('), (c, joint) => {
      const fragment = joint.endsWith('(') ? `${joint}${c.text})` : `${joint}${c.text}`;
      expect(parseCondition(fragment, { appended: true })).toEqual({ ok: true, macros: unique(c.macros), lists: unique(c.lists) });
    }), { numRuns: CONDITION_FUZZ_RUNS });
  });

  test('random text never throws: it parses or says where it stops, within the text', () => {
    const text = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.array(fc.constantFrom('(', ')', ' ', 'not ', 'and ', 'or ', 'a', 'proc.name', ' = ', ' in ', ',', '"', '\'', '\\', 'x', '[', ']', 'val(', 'tolower(', ' exists', '\0', '%'), { maxLength: 30 }).map((p) => p.join('')),
    );
    fc.assert(fc.property(text, fc.boolean(), (t, appended) => {
      const result = parseCondition(t, { appended });
      if (!result.ok) {
        expect(result.offset).toBeGreaterThanOrEqual(0);
        expect(result.offset).toBeLessThanOrEqual(t.length);
      }
      expect(() => undefinedReferences(t, { macros: ['a'], lists: ['x'] }, { appended })).not.toThrow();
      expect(() => outputProblems(t, { macros: ['a'], lists: ['x'] })).not.toThrow();
    }), { numRuns: CONDITION_FUZZ_RUNS });
  });

  test('a well-formed condition with one character inserted or deleted never throws', () => {
    fc.assert(fc.property(wellFormed, fc.nat(), fc.option(fc.string({ minLength: 1, maxLength: 1 }), { nil: undefined }), (c, at, ch) => {
      const i = at % (c.text.length + 1);
      const mutated = ch === undefined ? c.text.slice(0, i) + c.text.slice(i + 1) : c.text.slice(0, i) + ch + c.text.slice(i);
      const result = parseCondition(mutated);
      expect(typeof result.ok).toBe('boolean');
    }), { numRuns: CONDITION_FUZZ_RUNS });
  });

  test('an output of fields has no problem; each %macro inserted in it is reported once, at its place', () => {
    const piece = fc.oneof(fc.stringMatching(/^[a-z =()]{0,6}$/), field.map((f) => `%${f}`));
    fc.assert(fc.property(fc.array(piece, { maxLength: 6 }), fc.array(fc.tuple(fc.nat(), macroName), { maxLength: 3 }), (pieces, inserts) => {
      const clean = pieces.join(' ');
      expect(outputProblems(clean, { macros: [], lists: [] })).toEqual([]);
      const parts = pieces.map((p) => [p]);
      for (const [at, m] of inserts) parts[at % (parts.length || 1)]?.push(`%${m}`);
      const withMacros = parts.map((p) => p.join(' ')).join(' ');
      const found = outputProblems(withMacros, { macros: inserts.map(([, m]) => m), lists: [] });
      expect(found.map((p) => p.token)).toEqual(parts.length ? parts.flatMap((p) => p.slice(1)) : []);
      for (const p of found) expect(withMacros.startsWith(p.token, p.offset)).toBe(true);
    }), { numRuns: CONDITION_FUZZ_RUNS });
  });
});
