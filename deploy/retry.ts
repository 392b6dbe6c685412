import { KubectlResult } from './kubectl';

export interface RetryBounds {
  /** Stop after this many attempts. @default unbounded (the deadline bounds it) */
  readonly attempts?: number;
  /** Stop once this time (Date.now()) is reached. @default unbounded (attempts bound it) */
  readonly deadline?: number;
  /** First pause between attempts; doubles after each one, up to maxBackoffMs. */
  readonly backoffMs: number;
  /** @default 30000 */
  readonly maxBackoffMs?: number;
  /** Told before each pause, e.g. to log why. */
  readonly onRetry?: (result: KubectlResult, attempt: number, pauseMs: number) => void;
}

export interface RetryOutcome {
  /** The last result: a success, or the failure that ended the retries. */
  readonly result: KubectlResult;
  readonly attempts: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt` until it succeeds, fails in a way `transient` does not accept, or the bounds are
 * reached. `attempt` gets the attempt number and the milliseconds left before the deadline.
 */
export async function retry(
  attempt: (n: number, remainingMs: number) => Promise<KubectlResult>,
  transient: (result: KubectlResult) => boolean,
  bounds: RetryBounds,
): Promise<RetryOutcome> {
  let pause = bounds.backoffMs;
  for (let n = 1; ; n++) {
    const remaining = bounds.deadline === undefined ? Infinity : bounds.deadline - Date.now();
    const result = await attempt(n, remaining);
    if (result.code === 0 || !transient(result)) return { result, attempts: n };
    const outOfAttempts = bounds.attempts !== undefined && n >= bounds.attempts;
    const outOfTime = bounds.deadline !== undefined && Date.now() + pause >= bounds.deadline;
    if (outOfAttempts || outOfTime) return { result, attempts: n };
    bounds.onRetry?.(result, n, pause);
    await sleep(pause);
    pause = Math.min(pause * 2, bounds.maxBackoffMs ?? 30_000);
  }
}
