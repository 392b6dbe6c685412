import { spawn } from 'child_process';
import { UserError } from '../errors';

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
}

/** Runs kubectl, always against the same context. */
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

  /** Runs `kubectl <args>` with `input` on stdin; resolves with its exit code and output. */
  public run(args: string[], input?: string): Promise<KubectlResult> {
    return new Promise((resolve, reject) => {
      const child = spawn('kubectl', this.args(args), { env: this.options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('error', (err: NodeJS.ErrnoException) => {
        reject(err.code === 'ENOENT' ? new UserError('kubectl is not on PATH: install it (https://kubernetes.io/docs/tasks/tools/)') : err);
      });
      child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
      // A kubectl that exits before reading stdin must not crash us with EPIPE.
      child.stdin.on('error', () => undefined);
      child.stdin.end(input ?? '');
    });
  }
}
