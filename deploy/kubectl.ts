import { spawn } from 'child_process';
import { UserError } from '../lib/errors';

export interface KubectlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface KubectlOptions {
  /** kubeconfig context, passed to every call. @default - the current context */
  readonly context?: string;
  /** Environment of the kubectl processes (PATH finds kubectl). @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Bound of a call without a bound of its own, ms. @default 300000 */
  readonly timeoutMs?: number;
}

/** What a kubectl that printed more than this printed: enough for any message, bounded for any kubectl. */
const MAX_OUTPUT = 4 * 1024 * 1024;
/** A wait is given its --timeout and a tenth of it on top (1 s to 15 s) to report it, before it is killed. */
const grace = (ms: number) => Math.min(15_000, Math.max(1_000, ms / 10));

/** Runs kubectl, always against the same context, each call bounded in time. */
export class Kubectl {
  constructor(private readonly options: KubectlOptions = {}) {}

  /** The full argument list of a call: `--context` first, so it applies to every subcommand. */
  public args(args: string[]): string[] {
    return this.options.context ? ['--context', this.options.context, ...args] : args;
  }

  /** A command line to show the user (hints, errors), with the context if one was given. */
  public show(command: string): string {
    return this.options.context ? command.replace(/^kubectl /, `kubectl --context ${this.options.context} `) : command;
  }

  /**
   * Runs `kubectl <args>` with `input` on stdin; resolves with its exit code and output. A call
   * that runs longer than `boundMs` (a wait: its own --timeout plus a grace) is killed and
   * resolves as failed, saying so: a kubectl that hangs never hangs deploy.
   */
  public run(args: string[], input?: string, boundMs?: number): Promise<KubectlResult> {
    const bound = boundMs !== undefined ? boundMs + grace(boundMs) : (this.options.timeoutMs ?? 300_000);
    return new Promise((resolve, reject) => {
      const child = spawn('kubectl', this.args(args), { env: this.options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      let killed = false;
      const timer = setTimeout(() => { killed = true; child.kill('SIGKILL'); }, bound);
      child.stdout.on('data', (d) => { if (stdout.length < MAX_OUTPUT) stdout += d; });
      child.stderr.on('data', (d) => { if (stderr.length < MAX_OUTPUT) stderr += d; });
      child.on('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(err.code === 'ENOENT' ? new UserError('kubectl: is not on PATH; expected kubectl installed (https://kubernetes.io/docs/tasks/tools/)') : err);
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (killed) {
          resolve({ code: 124, stdout, stderr: `${stderr}${stderr && !stderr.endsWith('\n') ? '\n' : ''}kubectl did not answer within ${Math.round(bound / 1000)} s and was stopped (deploy --timeout bounds every kubectl call)` });
          return;
        }
        resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
      });
      // A kubectl that exits before reading stdin must not crash us with EPIPE.
      child.stdin.on('error', () => undefined);
      child.stdin.end(input ?? '');
    });
  }
}
