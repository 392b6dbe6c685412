import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { tempDir, TEST_CONFIG, testRenderer } from './support/helpers';
import { fingerprint, previousSynth, writeConfig } from './support/synth-cli';
import { UserError } from '../lib/errors';
import { TEMP_PREFIX } from '../lib/fs/private-temp';
import { OUTPUT_RECORD, recoverOutputFolder } from '../synth/output-folder';
import { writeSecrets } from '../synth/secrets-folder';
import { synthesize } from '../synth/synthesize';

// What a hostile tester (or an accident) tried against synth, each as a test: the output folder,
// the secrets folder and the repository are never harmed; every bad input gives one line and exit 1.

const ROOT = path.resolve(__dirname, '..');
const CLUSTER = 'cluster:\n  name: demo\n';

/** Synthesizes; resolves with the UserError it must throw. */
async function refused(options: Parameters<typeof synthesize>[0]): Promise<UserError> {
  let error: unknown;
  try {
    await synthesize({ renderer: testRenderer(), ...options });
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(UserError);
  return error as UserError;
}

describe('the output folder: synth replaces only a folder it owns', () => {
  test.each([['.', 'is the repository itself'], ['..', 'is a parent of the repository'], ['/', 'is a parent of the repository'],
    ['config', "is the repository's config/ folder"], ['lib/helm', "is inside the repository's lib/ folder"], ['.git', "is the repository's .git/ folder"],
    ['secrets', "is the repository's secrets/ folder"]])('--outdir %s is refused, and nothing is touched', async (outdir, why) => {
    const beside = fs.readdirSync(path.dirname(path.resolve(ROOT, outdir)));
    const error = await refused({ clusters: [{ configFile: TEST_CONFIG }], outdir: path.resolve(ROOT, outdir), secretsDir: tempDir() });
    expect(error.message).toContain(why);
    expect(error.message.split('\n')).toHaveLength(1);
    expect(fs.readdirSync(path.dirname(path.resolve(ROOT, outdir)))).toEqual(beside);
  });

  test('a folder holding anything a synth did not write is refused and kept as it is', async () => {
    const { outdir } = await previousSynth();
    fs.writeFileSync(path.join(outdir, 'notes.txt'), 'mine');
    const before = fingerprint(outdir);
    const error = await refused({ clusters: [{ configFile: TEST_CONFIG }], outdir, secretsDir: tempDir() });
    expect(error.message).toMatch(/holds .*notes\.txt, which no synth wrote \(\.falco-otel-honeycomb lists what synth wrote there\)/);
    expect(fingerprint(outdir)).toEqual(before);
  });

  test('a dist that is a file, or a symbolic link, is refused, not replaced', async () => {
    const base = tempDir('hostile-');
    const file = path.join(base, 'dist');
    fs.writeFileSync(file, 'a file');
    expect((await refused({ clusters: [{ configFile: TEST_CONFIG }], outdir: file })).message).toContain('is a file, not a folder');
    const target = tempDir('elsewhere-');
    const link = path.join(base, 'linked');
    fs.symlinkSync(target, link);
    expect((await refused({ clusters: [{ configFile: TEST_CONFIG }], outdir: link })).message).toContain('is a symbolic link');
    expect(fs.readFileSync(file, 'utf8')).toBe('a file');
    expect(fs.readdirSync(target)).toEqual([]);
  });

  test('the output of earlier versions (numbered manifests, no record) is replaced', async () => {
    const outdir = path.join(tempDir('hostile-'), 'dist');
    fs.mkdirSync(outdir);
    fs.writeFileSync(path.join(outdir, '0003-collector.k8s.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: old\n');
    await synthesize({ renderer: testRenderer(), clusters: [{ configFile: TEST_CONFIG }], outdir, secretsDir: tempDir() });
    expect(fs.readdirSync(outdir)).toContain(OUTPUT_RECORD);
  });
});

describe('the swap survives kill -9 at any instant', () => {
  // Every state a killed run can leave: the journal names the staging folder and the old copy.
  const states = ['before the journal', 'after the journal', 'after dist was moved aside', 'after the new dist was moved in', 'after the journal was removed'] as const;

  test.each(states)('killed %s: the next synth finds a complete old or new dist/, and nothing beside it', async (state) => {
    const { outdir } = await previousSynth();
    const old = fingerprint(outdir);
    const base = path.basename(outdir);
    const parent = path.dirname(outdir);
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    const staging = path.join(parent, `.${base}.staging-${dead}-abcd1234`);
    const moved = path.join(parent, `.${base}.old-${dead}-abcd1234`);
    // A new output, complete (its record written last), in the staging folder.
    fs.cpSync(outdir, staging, { recursive: true });
    fs.appendFileSync(path.join(staging, '0003-collector.k8s.yaml'), '# new\n');
    fs.writeFileSync(path.join(staging, OUTPUT_RECORD), fs.readFileSync(path.join(outdir, OUTPUT_RECORD)));
    const newPrint = fingerprint(staging);
    const journal = path.join(parent, `.${base}.swap`);
    if (state !== 'before the journal') fs.writeFileSync(journal, JSON.stringify({ staging: path.basename(staging), old: path.basename(moved) }));
    if (['after dist was moved aside', 'after the new dist was moved in', 'after the journal was removed'].includes(state)) fs.renameSync(outdir, moved);
    if (['after the new dist was moved in', 'after the journal was removed'].includes(state)) fs.renameSync(staging, outdir);
    if (state === 'after the journal was removed') fs.rmSync(journal);

    recoverOutputFolder(outdir);
    const now = fingerprint(outdir);
    const strip = (p: Record<string, string>) => Object.fromEntries(Object.entries(p).filter(([k]) => k !== '(beside it)'));
    expect([strip(old), strip(newPrint)]).toContainEqual(strip(now));
    expect(fs.readdirSync(parent).sort()).toEqual(['dist', 'secrets']);
  });

  test('leftovers of killed runs beside dist/ and under TMPDIR are removed by the next synth; nothing else is', async () => {
    const { outdir } = await previousSynth();
    const parent = path.dirname(outdir);
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    fs.mkdirSync(path.join(parent, `.dist.staging-${dead}-0000aaaa`));
    fs.mkdirSync(path.join(parent, '.dist.staging-mine'));
    const tmp = process.env.TMPDIR!;
    const stale = path.join(tmp, `${TEMP_PREFIX}helm-killed`);
    fs.mkdirSync(stale, { recursive: true });
    fs.writeFileSync(path.join(stale, '.owner.json'), JSON.stringify({ tool: 'falco-otel-honeycomb', pid: dead }));
    const lines: string[] = [];
    await synthesize({ renderer: testRenderer(), clusters: [{ configFile: TEST_CONFIG }], outdir, secretsDir: tempDir(), log: (l) => lines.push(l) });
    expect(fs.readdirSync(parent).sort()).toEqual(['.dist.staging-mine', 'dist', 'secrets']);
    expect(fs.existsSync(stale)).toBe(false);
    expect(lines).toEqual(expect.arrayContaining([expect.stringMatching(/^removed .*\.dist\.staging-\d+-0000aaaa, left by an interrupted synth$/), `removed ${stale}, left by an interrupted run`]));
  });

});

describe('the Secret writer', () => {
  const manifest = (key: string) => ({ apiVersion: 'v1' as const, kind: 'Secret' as const, metadata: { name: 'honeycomb', namespace: 'otel' }, type: 'Opaque' as const, data: { 'api-key': Buffer.from(key).toString('base64') } });

  test('never writes through a symbolic link, at the file or at the folder; the target is left as it was', () => {
    const root = tempDir('secrets-');
    const target = path.join(tempDir('target-'), 'victim');
    fs.writeFileSync(target, 'do not touch', { mode: 0o644 });
    fs.mkdirSync(path.join(root, 'demo'));
    fs.symlinkSync(target, path.join(root, 'demo', 'otel-honeycomb.yaml'));
    expect(() => writeSecrets(root, 'demo', [manifest('k')], 'x', 'otel')).toThrow(/otel-honeycomb\.yaml: is a symbolic link .*never writes a Secret through a link/);
    const linkedRoot = path.join(tempDir('secrets-'), 'secrets');
    fs.symlinkSync(path.dirname(target), linkedRoot);
    expect(() => writeSecrets(linkedRoot, 'demo', [manifest('k')], 'x', 'otel')).toThrow(/secrets: is a symbolic link/);
    expect(fs.readFileSync(target, 'utf8')).toBe('do not touch');
    expect(fs.statSync(target).mode & 0o777).toBe(0o644);
  });

  test('a 0644 file it rewrites becomes 0600, the folder 0700', () => {
    const root = tempDir('secrets-');
    fs.mkdirSync(path.join(root, 'demo'), { mode: 0o755 });
    fs.writeFileSync(path.join(root, 'demo', 'otel-honeycomb.yaml'), 'old', { mode: 0o644 });
    writeSecrets(root, 'demo', [manifest('k')], 'x', 'otel');
    expect(fs.statSync(path.join(root, 'demo', 'otel-honeycomb.yaml')).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.join(root, 'demo')).mode & 0o777).toBe(0o700);
  });

  // A real full disk: a tiny tmpfs (needs root, as in CI here); elsewhere the test says why it is skipped.
  const canMount = process.getuid?.() === 0 && spawnSync('mount', ['--version']).status === 0;
  (canMount ? test : test.skip)('a full disk leaves the previous Secret as it was, and no partial file (tmpfs of 64 kB)', () => {
    const disk = tempDir('full-disk-');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', disk]);
    try {
      const root = path.join(disk, 'secrets');
      writeSecrets(root, 'demo', [manifest('old-key')], 'x', 'otel');
      const before = fs.readFileSync(path.join(root, 'demo', 'otel-honeycomb.yaml'), 'utf8');
      // Fill what is left: the write stops with ENOSPC once the disk is full.
      expect(() => fs.writeFileSync(path.join(disk, 'filler'), Buffer.alloc(64 * 1024))).toThrow(/ENOSPC/);
      expect(() => writeSecrets(root, 'demo', [manifest('k'.repeat(20_000))], 'y', 'otel')).toThrow(/could not be written \(the disk is full\); expected room for the Secret manifest: the previous one is unchanged/);
      expect(fs.readFileSync(path.join(root, 'demo', 'otel-honeycomb.yaml'), 'utf8')).toBe(before);
      expect(fs.readdirSync(path.join(root, 'demo')).sort()).toEqual(['.synth-secrets.json', 'otel-honeycomb.yaml']);
    } finally {
      execFileSync('umount', [disk]);
    }
  });
  if (!canMount) console.warn('hostile-input: the full-disk test needs root to mount a tmpfs; skipped here');

  test('a synth that fails validation has not rewritten the Secret', async () => {
    const base = tempDir('hostile-');
    const secrets = path.join(base, 'secrets');
    const env = { ...process.env, HONEYCOMB_API_KEY: 'first-key' };
    const config = writeConfig(`${CLUSTER}honeycomb:\n  apiKey: {source: env}\n`);
    await synthesize({ renderer: testRenderer(), clusters: [{ configFile: config }], outdir: path.join(base, 'dist'), secretsDir: secrets, env });
    const before = fs.readFileSync(path.join(secrets, 'demo', 'otel-honeycomb.yaml'), 'utf8');
    const bad = writeConfig(`${CLUSTER}honeycomb:\n  apiKey: {source: env}\nfalco:\n  resources: {limits: {cpu: "1x"}}\n`);
    await expect(synthesize({ renderer: testRenderer(), clusters: [{ configFile: bad }], outdir: path.join(base, 'dist'), secretsDir: secrets, env: { ...env, HONEYCOMB_API_KEY: 'second-key' } })).rejects.toThrow(UserError);
    expect(fs.readFileSync(path.join(secrets, 'demo', 'otel-honeycomb.yaml'), 'utf8')).toBe(before);
  });

  test('a synth with source: existing removes the Secret an earlier source: env synth wrote (and only that)', async () => {
    const base = tempDir('hostile-');
    const secrets = path.join(base, 'secrets');
    const outdir = path.join(base, 'dist');
    await synthesize({ renderer: testRenderer(), clusters: [{ configFile: writeConfig(`${CLUSTER}honeycomb:\n  apiKey: {source: env}\n`) }], outdir, secretsDir: secrets, env: { ...process.env, HONEYCOMB_API_KEY: 'k' } });
    fs.writeFileSync(path.join(secrets, 'demo', 'mine.txt'), 'not synth\'s');
    await synthesize({ renderer: testRenderer(), clusters: [{ configFile: writeConfig(CLUSTER) }], outdir, secretsDir: secrets });
    expect(fs.readdirSync(path.join(secrets, 'demo')).sort()).toEqual(['.synth-secrets.json', 'mine.txt']);
  });
});

describe('bounded input and time', () => {
  test.each([['/dev/zero', 'is not a regular file (a device, FIFO or socket)'], ['/dev/null', 'is not a regular file (a device, FIFO or socket)']])('CONFIG=%s is refused at once', async (file, why) => {
    expect((await refused({ clusters: [{ configFile: file }], outdir: path.join(tempDir(), 'dist') })).message).toBe(`${file}: ${why}; expected a YAML config file: pass --config <file> or set CONFIG (config/default.yaml is an example)`);
  });

  test('a FIFO is refused without waiting for a writer', async () => {
    const fifo = path.join(tempDir('fifo-'), 'config.yaml');
    execFileSync('mkfifo', [fifo]);
    const started = Date.now();
    expect((await refused({ clusters: [{ configFile: fifo }], outdir: path.join(tempDir(), 'dist') })).message).toContain('is not a regular file');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  test('a config of more than 1 MiB (a 20 MB list) is refused, with the limit', async () => {
    const big = path.join(tempDir('big-'), 'config.yaml');
    fs.writeFileSync(big, `${CLUSTER}falco:\n  disabledTags: [${'x,'.repeat(10_000_000)}x]\n`);
    expect((await refused({ clusters: [{ configFile: big }], outdir: path.join(tempDir(), 'dist') })).message).toMatch(/config\.yaml: is 2000\d+ bytes; expected a YAML config file of at most 1024 KiB/);
  });

  test.each([
    ['nesting the parser cannot follow (5,000 brackets)', `x: ${'['.repeat(5000)}${']'.repeat(5000)}\n`, 'nests deeper than a YAML parser can follow'],
    ['nesting past the limit (100 levels)', `x: ${'['.repeat(100)}${']'.repeat(100)}\n`, 'nests more than 64 levels deep'],
    ['an alias bomb', `a: &a [x]\n${Array.from({ length: 30 }, (_, i) => `b${i}: &b${i} [*${i ? `b${i - 1}` : 'a'}, *${i ? `b${i - 1}` : 'a'}]`).join('\n')}\n`, 'uses more than 100 aliases'],
  ])('a config with %s gives one line with the limit', async (_name, body, problem) => {
    const message = (await refused({ clusters: [{ configFile: writeConfig(`${CLUSTER}${body}`) }], outdir: path.join(tempDir(), 'dist') })).message;
    expect(message.split('\n')).toHaveLength(1);
    expect(message).toContain(problem);
    expect(message).toMatch(/expected a config of plain YAML mappings and lists,? nested at most 64 levels/);
  });

});

describe('accepted once, though a cluster or the collector would refuse or misuse it: now refused with one line', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['an endpoint port over 65535', 'honeycomb:\n  endpoint: api.honeycomb.io:99999\n', /honeycomb\.endpoint: "api\.honeycomb\.io:99999" has port 99999, not one from 1 to 65535; expected a host name or \[IPv6 address\] and a port/],
    ['an endpoint of colons', 'honeycomb:\n  endpoint: "[:::::]:443"\n', /honeycomb\.endpoint: "\[:::::\]:443" has host \[:::::\], which is not a host name or IPv6 address; expected a host name or \[IPv6 address\] and a port/],
    ['a negative quantity', 'falco:\n  resources:\n    requests: {cpu: -1}\n', /falco\.resources\.requests\.cpu: -1 is negative; expected a non-negative number or quantity/],
    ['a negative quantity string', 'falco:\n  resources:\n    limits: {memory: "-1Gi"}\n', /falco\.resources\.limits\.memory: "-1Gi" is not a quantity/],
    ['a dataset with a newline', 'honeycomb:\n  dataset: "fal\\nco"\n', /honeycomb\.dataset: "fal\\nco" is not a dataset name; expected one line of printable characters/],
    ['a dataset with a NUL', 'honeycomb:\n  dataset: "fal\\0co"\n', /honeycomb\.dataset: "fal\\u0000co" is not a dataset name/],
    ['a dataset expanding the API key', 'honeycomb:\n  dataset: "${env:HONEYCOMB_API_KEY}"\n', /honeycomb\.dataset: "\$\{env:HONEYCOMB_API_KEY\}" is not a dataset name; expected .*without "\$\{" \(the collector would expand it/],
    ['falco.namespace kube-system', 'falco:\n  namespace: kube-system\n', /falco\.namespace: "kube-system" is a namespace of Kubernetes itself; expected a namespace of its own such as "falco"/],
    ['otel.namespace default', 'otel:\n  namespace: default\n', /otel\.namespace: "default" is a namespace of Kubernetes itself/],
    ['a rule naming a macro that does not exist', 'falco:\n  rules:\n    - {rule: r, desc: d, condition: not_a_macro and proc.name = x, output: o, priority: info}\n', /falco\.rules\.0\.condition: names macro "not_a_macro", which is not defined/],
  ];

  test.each(cases)('%s', async (_name, body, expected) => {
    const error = await refused({ clusters: [{ configFile: writeConfig(`${CLUSTER}${body}`) }], outdir: path.join(tempDir(), 'dist'), secretsDir: tempDir() });
    const lines = error.message.split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(expected);
  });

  test('a custom-rules ConfigMap over 1 MiB is refused by validation, naming the object and the limit', async () => {
    // 100 rules sharing one 12 kB description through aliases: a small config, a large rules file.
    const rules = Array.from({ length: 100 }, (_, i) => `    - {rule: Rule ${i}, desc: ${i ? '*d' : `&d ${'x'.repeat(12_000)}`}, condition: proc.name = x, output: o, priority: INFO}`);
    const error = await refused({ clusters: [{ configFile: writeConfig(`${CLUSTER}falco:\n  rules:\n${rules.join('\n')}\n`) }], outdir: path.join(tempDir(), 'dist'), secretsDir: tempDir() });
    expect(error.message).toMatch(/0002-falco\.k8s\.yaml ConfigMap\/falco\/falco-rules: data: holds 1\.\d\d MiB; expected at most 1 MiB, the API server's limit: fewer or shorter custom rules/);
  });
});

describe('fuzzing synth: mutated configs never end in an internal error and never change dist/ or secrets/ on failure', () => {
  /** fast-check runs of this property (the README states it); each is a whole synth. */
  const SYNTH_FUZZ_RUNS = 25;

  test('random edits of the fields that do not change the charts\' values (so each run is fast)', async () => {
    const { outdir, secrets } = await previousSynth();
    const before = { out: fingerprint(outdir), secrets: fingerprint(secrets) };
    const value = fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.boolean(), fc.constant(null), fc.constantFrom('${env:X}', 'a\nb', '-1', '[::1]:0', 'proc.name = x', 'WARNING', 'us', 'env'));
    const field = fc.constantFrom(['cluster', 'name'], ['honeycomb', 'region'], ['honeycomb', 'dataset'], ['honeycomb', 'endpoint'], ['honeycomb', 'apiKey', 'secretName'], ['falco', 'disabledRules'], ['falco', 'rules'], ['falco', 'macros'], ['demo', 'enabled']);
    let failures = 0;
    await fc.assert(fc.asyncProperty(field, value, fc.boolean(), async (at, v, inList) => {
      const config: any = { cluster: { name: 'demo' } };
      let node = config;
      for (const key of at.slice(0, -1)) node = (node[key] ??= {});
      node[at[at.length - 1]] = inList ? [v] : v;
      try {
        await synthesize({ renderer: testRenderer(), clusters: [{ configFile: writeConfig(stringify(config)) }], outdir, secretsDir: secrets });
        // A config that synthesizes: the output is that config's; put the previous one back.
        await synthesize({ renderer: testRenderer(), clusters: [{ configFile: TEST_CONFIG }], outdir, secretsDir: secrets });
      } catch (err) {
        failures++;
        if (!(err instanceof UserError)) throw err;
        expect({ out: fingerprint(outdir), secrets: fingerprint(secrets) }).toEqual(before);
      }
    }), { numRuns: SYNTH_FUZZ_RUNS });
    expect(failures).toBeGreaterThan(0);
  });
});
