// `npm run synth [-- --config <file>] [-- --outdir <dir>]`: synthesizes into a staging folder and
// replaces the output folder only when everything succeeded (`cdk8s synth` deletes dist/ before
// the app runs, so a failure would leave none).
import { appendFileSync } from 'fs';
import { parseArgs } from 'util';
import { DEFAULT_CONFIG_FILE } from '../lib/config/load-config';
import { runCli } from '../lib/synth/cli';
import { synthesize } from '../lib/synth/synthesize';

// For `npm run bench` where GNU time is missing: this process's peak memory (KiB), appended to a file.
const maxRssFile = process.env.SYNTH_MAXRSS_FILE;
if (maxRssFile) process.on('exit', () => appendFileSync(maxRssFile, `${process.resourceUsage().maxRSS}\n`));

runCli('accepted options: --config <file>, --outdir <dir>', () => {
  const { values } = parseArgs({
    options: {
      config: { type: 'string', default: process.env.CONFIG || DEFAULT_CONFIG_FILE },
      outdir: { type: 'string', default: 'dist' },
    },
  });
  return synthesize({ configFile: values.config!, outdir: values.outdir! });
});
