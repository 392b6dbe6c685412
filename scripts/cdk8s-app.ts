// The app `npx cdk8s synth` runs (cdk8s.yaml: through scripts/run-ts.cjs): what main.ts does when run
// directly, written by cdk8s into its output folder (CDK8S_OUTDIR). `npm run synth` adds validation
// and an atomic replace of dist/ (scripts/synth.ts); both write the same files.
import { DEFAULT_CONFIG_FILE, loadConfig } from '../lib/config/load-config';
import { writeApp } from '../lib/synth/write-app';
import { buildApp } from '../main';

writeApp(buildApp(loadConfig(process.env.CONFIG || DEFAULT_CONFIG_FILE)).app);
