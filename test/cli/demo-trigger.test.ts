import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { tempDir } from '../support/helpers';
import { EXPECTED_RULES } from '../../demo/falco-alerts';

const ROOT = path.resolve(__dirname, '..', '..');
const FIXTURES = process.env.FIXTURES_DIR ?? path.resolve(ROOT, '../shared/fixtures');
const CRI_LOG = path.join(FIXTURES, 'falco-pod-cri.log');

// There is no cluster here: demo-trigger runs against a stub `kubectl` first on PATH. It records its
// argv (and whether its stdin is a terminal), answers the pod and node look-ups, and for `logs` prints
// the fixture as `kubectl logs` would: the kubelet API returns the log lines' content, without the CRI
// prefix `<time> <stream> <P|F> ` that the runtime writes to /var/log/pods (P = partial line, joined
// with the next). What a real cluster does with the exec (tty, Falco's detection) is not tested here.
const STUB = path.join(__dirname, '..', 'stubs', 'demo-kubectl');

interface Run { status: number | null; output: string; calls: { argv: string[]; stdinTTY: boolean }[] }

function stubDir(): string {
  const dir = tempDir('demo-trigger-stub-');
  fs.copyFileSync(STUB, path.join(dir, 'kubectl'));
  fs.chmodSync(path.join(dir, 'kubectl'), 0o755);
  return dir;
}

/** Runs `node scripts/run-ts.cjs scripts/demo-trigger.ts args` (what `npm run demo:trigger` runs; under `script` for a terminal) with the stub kubectl. */
function runTrigger(args: string[], env: Record<string, string> = {}, withTerminal = false): Promise<Run> {
  const dir = stubDir();
  const callsFile = path.join(dir, 'calls.jsonl');
  const command = [process.execPath, 'scripts/run-ts.cjs', 'scripts/demo-trigger.ts', '--timeout', '1', '--interval', '0.1', ...args];
  const [file, argv] = withTerminal
    ? ['script', ['-qec', command.map((a) => `'${a}'`).join(' '), '/dev/null']]
    : [command[0], command.slice(1)];
  const child = spawn(file, argv, {
    cwd: ROOT,
    env: { ...process.env, ...env, PATH: `${dir}${path.delimiter}${process.env.PATH}`, STUB_CALLS: callsFile, STUB_FIXTURE: CRI_LOG },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  return new Promise((resolve) => child.on('close', (status) => {
    const calls = fs.existsSync(callsFile)
      ? fs.readFileSync(callsFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
      : [];
    resolve({ status, output: output.replace(/\r\n/g, '\n'), calls });
  }));
}

const HAS_SCRIPT = spawnSync('script', ['--version']).status === 0;

describe('npm run demo:trigger (stub kubectl, no cluster)', () => {
  test('execs the walkthrough\'s commands, finds Falco on the pod\'s node and checks all three rules', async () => {
    const run = await runTrigger(['--context', 'kind-demo']);
    expect(run.output).toContain('✓ Terminal shell in container');
    expect(run.status).toBe(0);
    // --context goes to every kubectl call.
    expect(run.calls.every((c) => c.argv[0] === '--context' && c.argv[1] === 'kind-demo')).toBe(true);
    const calls = run.calls.map((c) => c.argv.slice(2));
    expect(calls.map((c) => c[0])).toEqual(['wait', 'get', 'get', 'exec', 'logs']);

    // The node of the nginx pod, then the Falco pod on that node.
    expect(calls[1]).toEqual(['get', 'pod', 'nginx', '-n', 'default', '-o', 'jsonpath={.spec.nodeName}']);
    expect(calls[2]).toEqual(expect.arrayContaining(['-n', 'falco', '--field-selector', 'spec.nodeName=k8-worker-1']));
    expect(calls[2]).toContain('app.kubernetes.io/name=falco,app.kubernetes.io/instance=falco');

    // One shell, the two searches in it, in order.
    const exec = calls[3];
    expect(exec.slice(exec.indexOf('--') - 1)).toEqual(['nginx', '--', 'bash', '-c', expect.any(String)]);
    expect(exec).toEqual(expect.arrayContaining(['-n', 'default']));
    const script = exec[exec.length - 1].split('\n');
    expect(script).toEqual(['find . -name "*id_rsa*"', 'grep "aws_access_key_id" *', 'exit 0']);

    // The Falco container's log, from the exec on.
    expect(calls[4]).toEqual(expect.arrayContaining(['logs', '-n', 'falco', 'falco-7xk2p', '-c', 'falco']));
    expect(calls[4].find((a) => a.startsWith('--since='))).toMatch(/^--since=\d+s$/);

    for (const rule of EXPECTED_RULES) expect(run.output).toContain(`✓ ${rule}`);
    expect(run.output).toContain('Notice   Terminal shell in container');
    expect(run.output).toContain('Warning Grep private keys or passwords activities found');
    expect(run.output).not.toContain('✗');
  });

  test('without a terminal it says the shell gets none and does not ask kubectl for one', async () => {
    const run = await runTrigger([]);
    const exec = run.calls.find((c) => c.argv[0] === 'exec')!;
    expect(exec.argv).not.toContain('-t');
    expect(run.output).toMatch(/stdin is not a terminal.*"Terminal shell in container" will not fire/);
  });

  (HAS_SCRIPT ? test : test.skip)('from a terminal, kubectl gets it as stdin and -i -t, so the container gets a tty', async () => {
    const run = await runTrigger([], {}, true);
    const exec = run.calls.find((c) => c.argv[0] === 'exec')!;
    expect(exec.argv.slice(0, 3)).toEqual(['exec', '-i', '-t']);
    expect(exec.stdinTTY).toBe(true);
    expect(run.output).not.toMatch(/not a terminal/);
    expect(run.status).toBe(0);
  });

  test('an alert missing from the log: ✗, a message naming the rule, exit 1 after polling', async () => {
    const run = await runTrigger(['--timeout', '0.5'], { STUB_DROP_RULE: 'Find AWS Credentials' });
    expect(run.output).toContain('✓ Terminal shell in container');
    expect(run.output).toContain('✓ Search Private Keys or Passwords');
    expect(run.output).toContain('✗ Find AWS Credentials');
    expect(run.output).toMatch(/Not every expected rule fired within 0.5s; missing: "Find AWS Credentials"/);
    expect(run.status).toBe(1);
    // It read the log more than once before giving up.
    expect(run.calls.filter((c) => c.argv[0] === 'logs').length).toBeGreaterThan(1);
  });

  test('no Falco pod on the node: exit 2 before exec, saying so', async () => {
    const run = await runTrigger([], { STUB_NO_FALCO: '1' });
    expect(run.status).toBe(2);
    expect(run.output).toMatch(/no Falco pod .* on node k8-worker-1/);
    expect(run.calls.map((c) => c.argv[0])).not.toContain('exec');
  });

  test('an unknown pod: kubectl\'s error and exit 2', async () => {
    const run = await runTrigger(['--pod', 'web']);
    expect(run.status).toBe(2);
    expect(run.output).toMatch(/demo:trigger failed: kubectl wait .*pod\/web.* failed: Error from server \(NotFound\): pods "web" not found/);
  });
});
