// `npm run demo:trigger [-- --context C --namespace default --pod nginx --timeout 60]`: does what the
// manual walkthrough did by hand in the demo nginx Pod (config `demo.enabled: true`): opens a shell
// with a terminal, runs `find . -name "*id_rsa*"` and `grep "aws_access_key_id" *` in it, then reads
// the alerts of the Falco pod on the nginx pod's node and checks the three expected rules fired.
// Exit status: 0 all three fired, 1 some did not, 2 bad options or a kubectl step failed.
import { execFile, spawn } from 'child_process';
import { parseArgs, promisify } from 'util';
import { EXPECTED_RULES, FalcoAlert, isAboutPod, parseAlerts, ruleChecklist } from '../demo/falco-alerts';
import { UserError } from '../lib/errors';
import { cut } from '../lib/text';

interface Options {
  readonly context?: string;
  readonly namespace: string;
  readonly pod: string;
  readonly falcoNamespace: string;
  /** Seconds to wait for the pod to be Ready, and then for the alerts. */
  readonly timeout: number;
  /** Seconds between two reads of the Falco log. */
  readonly interval: number;
}

/** Labels of the Falco pods: the falco chart's, release `falco`. */
const FALCO_SELECTOR = 'app.kubernetes.io/name=falco,app.kubernetes.io/instance=falco';
const FALCO_CONTAINER = 'falco';
/** The walkthrough's commands, typed in the shell. */
const DEMO_COMMANDS = ['find . -name "*id_rsa*"', 'grep "aws_access_key_id" *'];
// find and grep exit non-zero when they find nothing, which is the expected outcome: `exit 0` makes
// any other non-zero status kubectl's own (pod gone, no permission, no bash).
const SHELL_SCRIPT = [...DEMO_COMMANDS, 'exit 0'].join('\n');
/** Added to the elapsed time for `kubectl logs --since`, to cover rounding to whole seconds. */
const SINCE_MARGIN_SECONDS = 5;
const USAGE = `usage: npm run demo:trigger -- [--context <ctx>] [--namespace <ns>] [--pod <name>] [--falco-namespace <ns>] [--timeout <s>] [--interval <s>]
Opens a shell in the demo nginx Pod (demo.enabled: true), runs the walkthrough's commands, and checks that
Falco raised its three alerts. Exit 0: all fired; 1: some did not; 2: bad options or a failed kubectl step.
  --context <ctx>           kubeconfig context (default: the current one)
  --namespace <ns>          namespace of the demo Pod (default default)
  --pod <name>              the demo Pod (default nginx)
  --falco-namespace <ns>    namespace of Falco (default falco)
  --timeout <seconds>       wait for the Pod, and then for the alerts (default 60); bounds each kubectl call too
  --interval <seconds>      between two reads of the Falco log (default 2)
  -h, --help                this text`;

function options(): Options {
  const { values } = parseArgs({
    options: {
      'context': { type: 'string' },
      'namespace': { type: 'string', default: 'default' },
      'pod': { type: 'string', default: 'nginx' },
      'falco-namespace': { type: 'string', default: 'falco' },
      'timeout': { type: 'string', default: '60' },
      'interval': { type: 'string', default: '2' },
      'help': { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  return {
    context: values.context,
    namespace: values.namespace!,
    pod: values.pod!,
    falcoNamespace: values['falco-namespace']!,
    timeout: seconds('--timeout', values.timeout!),
    interval: seconds('--interval', values.interval!),
  };
}

function seconds(option: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UserError(`${option} ${JSON.stringify(value)}: is not a positive number of seconds; expected a number such as 60 (see --help)`);
  return n;
}

function withContext(opts: Options, args: string[]): string[] {
  return opts.context ? ['--context', opts.context, ...args] : args;
}

/** Runs kubectl and returns its stdout; a failure becomes a UserError carrying kubectl's message. */
async function kubectl(opts: Options, args: string[]): Promise<string> {
  const argv = withContext(opts, args);
  try {
    // Bounded: a kubectl that hangs must not hang the demo.
    const { stdout } = await promisify(execFile)('kubectl', argv, { maxBuffer: 64 * 1024 * 1024, timeout: (opts.timeout + 30) * 1000, killSignal: 'SIGKILL' });
    return stdout;
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new UserError('kubectl is not on PATH; install it and point it at the cluster');
    const reason = (e as { killed?: boolean }).killed ? `did not answer within ${opts.timeout + 30} s` : cut(e.stderr?.trim() || e.message);
    throw new UserError(`kubectl ${argv.join(' ')} failed: ${reason}`);
  }
}

async function waitReady(opts: Options): Promise<void> {
  console.log(`Waiting for pod ${opts.namespace}/${opts.pod} to be Ready…`);
  await kubectl(opts, ['wait', '--for=condition=Ready', `pod/${opts.pod}`, '-n', opts.namespace, `--timeout=${opts.timeout}s`]);
}

async function nodeOfPod(opts: Options): Promise<string> {
  const node = (await kubectl(opts, ['get', 'pod', opts.pod, '-n', opts.namespace, '-o', 'jsonpath={.spec.nodeName}'])).trim();
  if (!node) throw new UserError(`pod ${opts.namespace}/${opts.pod} is not scheduled on a node yet`);
  return node;
}

async function falcoPodOn(opts: Options, node: string): Promise<string> {
  const out = await kubectl(opts, ['get', 'pods', '-n', opts.falcoNamespace, '-l', FALCO_SELECTOR,
    '--field-selector', `spec.nodeName=${node}`, '-o', 'jsonpath={.items[*].metadata.name}']);
  const pods = out.trim().split(/\s+/).filter(Boolean);
  if (pods.length === 0) {
    throw new UserError(`no Falco pod (${FALCO_SELECTOR}) in namespace ${opts.falcoNamespace} on node ${node}: `
      + 'is the falco DaemonSet deployed, and does it tolerate that node\'s taints (falco.tolerations)?');
  }
  return pods[0];
}

/**
 * Opens bash in the pod and runs the commands in it. The "Terminal shell in container" rule needs
 * a terminal in the container (proc.tty != 0); kubectl allocates one (-t) only when its own stdin
 * is a terminal, so -i -t is passed, with this process's terminal, when there is one.
 */
async function triggerAlerts(opts: Options): Promise<void> {
  const tty = Boolean(process.stdin.isTTY);
  if (!tty) {
    console.warn('warning: stdin is not a terminal, so the shell gets none and "Terminal shell in container" will not fire; '
      + 'run from a terminal, or in CI under `script -qec "npm run demo:trigger" /dev/null`');
  }
  const args = withContext(opts, ['exec', ...(tty ? ['-i', '-t'] : []), '-n', opts.namespace, opts.pod, '--', 'bash', '-c', SHELL_SCRIPT]);
  console.log(`$ kubectl exec ${tty ? '-it ' : ''}${opts.pod} -- bash\n${DEMO_COMMANDS.map((c) => `  # ${c}`).join('\n')}`);
  const status = await new Promise<number | null>((resolve, reject) => {
    spawn('kubectl', args, { stdio: 'inherit' }).on('error', reject).on('exit', (code) => resolve(code));
  });
  if (status !== 0) throw new UserError(`kubectl exec into ${opts.namespace}/${opts.pod} failed (exit ${status}); is the pod Running and does its image have bash?`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads the Falco log until every expected rule fired for the pod, or the timeout passed. */
async function collectAlerts(opts: Options, falcoPod: string, since: number): Promise<{ mine: FalcoAlert[]; others: number }> {
  const deadline = Date.now() + opts.timeout * 1000;
  for (;;) {
    // --since is a duration measured by the node, so the local clock's offset does not matter.
    const window = Math.ceil((Date.now() - since) / 1000) + SINCE_MARGIN_SECONDS;
    const log = await kubectl(opts, ['logs', '-n', opts.falcoNamespace, falcoPod, '-c', FALCO_CONTAINER, `--since=${window}s`]);
    const alerts = parseAlerts(log);
    const mine = alerts.filter((a) => isAboutPod(a, opts.namespace, opts.pod));
    const done = ruleChecklist(mine).every((r) => r.fired);
    if (done || Date.now() >= deadline) return { mine, others: alerts.length - mine.length };
    await sleep(Math.min(opts.interval * 1000, deadline - Date.now()));
  }
}

/** Prints the alerts and the checklist; returns whether every expected rule fired. */
function report(opts: Options, mine: FalcoAlert[], others: number): boolean {
  console.log(`\nAlerts about ${opts.namespace}/${opts.pod}: ${mine.length}${others ? ` (${others} about other containers ignored)` : ''}`);
  for (const a of mine) console.log(`  ${a.time}  ${a.priority.padEnd(8)} ${a.rule}\n    ${a.output}`);
  const checklist = ruleChecklist(mine);
  console.log('\nExpected rules:');
  for (const r of checklist) console.log(`  ${r.fired ? '✓' : '✗'} ${r.rule}`);
  const missing = checklist.filter((r) => !r.fired).map((r) => r.rule);
  if (missing.length > 0) {
    console.error(`\nNot every expected rule fired within ${opts.timeout}s; missing: ${missing.map((m) => JSON.stringify(m)).join(', ')}. `
      + 'Check that the rule is not in falco.disabledRules or falco.disabledTags, that the Falco pod logs no driver errors '
      + '(kubectl logs), and, for "Terminal shell in container", that this ran from a terminal.');
  }
  return missing.length === 0;
}

async function main(): Promise<number> {
  const opts = options();
  await waitReady(opts);
  const node = await nodeOfPod(opts);
  const falcoPod = await falcoPodOn(opts, node);
  console.log(`Pod ${opts.namespace}/${opts.pod} runs on node ${node}; Falco there: ${opts.falcoNamespace}/${falcoPod}`);
  const startedAt = Date.now();
  await triggerAlerts(opts);
  console.log(`\nReading alerts of ${falcoPod} (up to ${opts.timeout}s for: ${EXPECTED_RULES.join(', ')})…`);
  const { mine, others } = await collectAlerts(opts, falcoPod, startedAt);
  return report(opts, mine, others) ? 0 : 1;
}

// exitCode rather than exit(): lets piped stdout drain.
main().then(
  (code) => { process.exitCode = code; },
  (err) => {
    const usage = (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS');
    if (usage) console.error(`demo:trigger failed: ${(err as Error).message}; expected the options below\n${USAGE}`);
    else if (err instanceof UserError) console.error(`demo:trigger failed: ${err.message}`);
    else console.error(`demo:trigger failed: internal error: ${(err as Error)?.stack ?? String(err)}\n(this is a bug, not a problem with your input: please report it with this output)`);
    process.exitCode = 2;
  },
);
