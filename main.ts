// The app `npx cdk8s synth` runs (cdk8s.yaml). The cdk8s CLI deletes its output folder before it
// starts the app, so cdk8s.yaml gives it a scratch folder of its own (.cache/cdk8s-cli/output):
// this app writes dist/ (or dist/<cluster>/ for several configs in config/) through the same
// validated, crash-safe pipeline as `npm run synth`, then copies the files into the scratch folder
// for the CLI to list. With `--output <folder>` the app writes that folder instead (which the CLI
// has deleted already). On failure it prints the same one-line messages as npm run synth and
// creates no scratch folder, so the CLI reports "synthesis failed" without a stack trace.
import * as fs from 'fs';
import * as path from 'path';
import { runCommand } from './cli/command';
import { projectRoot } from './synth/project-root';
import { runSynth } from './synth/synth-command';
import { clusterConfigs } from './synth/synthesize';

const ROOT = projectRoot();
const CDK8S_CLI_SCRATCH = path.join(ROOT, '.cache', 'cdk8s-cli', 'output');

async function cdk8sSynth(): Promise<void> {
  const scratch = path.resolve(process.env.CDK8S_OUTDIR ?? CDK8S_CLI_SCRATCH);
  const viaScratch = scratch === CDK8S_CLI_SCRATCH;
  const outdir = viaScratch ? path.join(ROOT, 'dist') : scratch;
  const clusters = process.env.CONFIG ? [{ configFile: process.env.CONFIG }] : clusterConfigs(path.join(ROOT, 'config'));
  const code = await runCommand({
    name: 'synth',
    usage: 'usage: npx cdk8s synth [--output <folder>] (CONFIG=<file> for one config; default: every config/<cluster>.yaml)',
    options: {},
    run: async (_values, io) => {
      const result = await runSynth({ 'outdir': outdir, 'secrets-dir': path.join(ROOT, 'secrets'), 'helm-timeout': '2m' }, clusters, io);
      // The CLI keeps the app's stdout to itself.
      console.error(result.summary);
      if (viaScratch) {
        fs.rmSync(scratch, { recursive: true, force: true });
        fs.cpSync(outdir, scratch, { recursive: true });
      }
    },
    afterFailure: () => 'dist/ was left unchanged.',
  }, []);
  // Non-zero makes the cdk8s CLI print a stack trace of its own; a missing output folder one line.
  process.exit(code === 0 ? 0 : (viaScratch ? 0 : code));
}

void cdk8sSynth();
