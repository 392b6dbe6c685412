// `npm run synth [-- --config <file>] [-- --outdir <dir>]`: synthesizes into a staging folder and
// replaces the output folder only when everything succeeded (`cdk8s synth` deletes dist/ before
// the app runs, so a failure would leave none).
import { parseArgs } from 'util';
import { DEFAULT_CONFIG_FILE } from '../lib/config/load-config';
import { UserError } from '../lib/errors';
import { synthesize } from '../lib/synth/synthesize';

const USAGE = 'accepted options: --config <file>, --outdir <dir>';

function main(): void {
  const { values } = parseArgs({
    options: {
      config: { type: 'string', default: process.env.CONFIG || DEFAULT_CONFIG_FILE },
      outdir: { type: 'string', default: 'dist' },
    },
  });
  const result = synthesize({ configFile: values.config!, outdir: values.outdir! });
  console.log(result.summary);
}

/** One stderr line per problem, each starting with "synth failed: ". */
function report(err: unknown): void {
  const usage = (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS');
  if (usage) {
    console.error(`synth failed: ${(err as Error).message}; ${USAGE}`);
  } else if (err instanceof UserError) {
    for (const line of err.message.split('\n')) console.error(`synth failed: ${line}`);
  } else {
    // Not the user's input: a bug, shown with its stack.
    console.error('synth failed: internal error:', err);
  }
  console.error('The output folder was left unchanged.');
}

try {
  main();
} catch (err) {
  report(err);
  process.exit(1);
}
