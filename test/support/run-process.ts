import { spawn } from 'child_process';

/** What a finished process printed, and how it ended. */
export interface ProcessResult {
  /** Exit code; null when a signal ended it. */
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `command` to its end and collects its output. Asynchronous, so that several runs overlap.
 * Its stdin gets `input` and is closed, or is closed at once without it.
 */
export function runProcess(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    // Both are pipes (stdio above).
    child.stdout!.on('data', (d) => { stdout += d; });
    child.stderr!.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
    if (child.stdin) {
      child.stdin.on('error', () => undefined); // a process that exits without reading its input
      child.stdin.end(options.input);
    }
  });
}
