import { UserError } from '../lib/errors';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a duration as kubectl writes them ("300s", "5m", "1m30s", "500ms"); a bare number is
 * seconds. Returns milliseconds.
 */
export function parseDuration(text: string): number {
  const trimmed = /^\d+$/.test(text.trim()) ? `${text.trim()}s` : text.trim();
  const parts = [...trimmed.matchAll(/(\d+)(ms|s|m|h)/g)];
  if (!parts.length || parts.map((p) => p[0]).join('') !== trimmed) {
    throw new UserError(`${JSON.stringify(text)}: is not a duration; expected a duration such as 300s, 5m or 1m30s`);
  }
  const ms = parts.reduce((sum, [, n, unit]) => sum + Number(n) * UNIT_MS[unit], 0);
  if (ms <= 0) throw new UserError(`${JSON.stringify(text)}: is zero; expected a positive duration such as 300s or 5m`);
  return ms;
}

/** A kubectl `--timeout` value for what is left of a wait, never below 1s (0 would mean "forever" or "no wait"). */
export function kubectlTimeout(ms: number): string {
  return `${Math.max(1, Math.ceil(ms / 1000))}s`;
}

/** Short human form: 300s → "5m", 90s → "90s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = Math.round(ms / 1000);
  return s >= 120 && s % 60 === 0 ? `${s / 60}m` : `${s}s`;
}
