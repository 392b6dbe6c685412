// `npm run synth`: synthesizes into a staging folder and replaces dist/ only when everything
// succeeded (`cdk8s synth` deletes dist/ before the app runs, so a failure would leave none).
import { DEFAULT_CONFIG_FILE } from '../lib/config/load-config';
import { UserError } from '../lib/errors';
import { synthesize } from '../lib/synth/synthesize';

try {
  const result = synthesize({ configFile: process.env.CONFIG || DEFAULT_CONFIG_FILE, outdir: 'dist' });
  console.log(result.summary);
} catch (err) {
  console.error(err instanceof UserError ? `synth failed: ${err.message}` : err);
  console.error('dist/ was left unchanged.');
  process.exit(1);
}
