import { UserError } from '../errors';

/**
 * Runs a synth command: prints its summary, or one stderr line per problem (each starting with
 * "synth failed: ") and exits 1. `usage` lists the accepted options for argument errors.
 */
export async function runCli(usage: string, command: () => Promise<{ summary: string }>): Promise<void> {
  try {
    console.log((await command()).summary);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`synth failed: ${(err as Error).message}; ${usage}`);
    } else if (err instanceof UserError) {
      for (const line of err.message.split('\n')) console.error(`synth failed: ${line}`);
    } else {
      // Not the user's input: a bug, shown with its stack.
      console.error('synth failed: internal error:', err);
    }
    console.error('The output folder was left unchanged.');
    process.exit(1);
  }
}
