/**
 * An error caused by the user's input or environment (config, CHARTS_DIR, helm, env vars).
 * The CLI prints its message alone, without a stack trace, and exits non-zero.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}
