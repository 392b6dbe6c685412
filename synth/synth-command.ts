import * as path from 'path';
import { DEFAULT_CONFIG_FILE } from '../app/load-config';
import { OutputError, Replacement } from './output-folder';
import { clusterConfigs, displayPath, synthesize, SynthesisResult } from './synthesize';
import { durationOption, type Command } from '../cli/command';

// `npm run synth` and `npm run synth:all` (scripts/synth.ts, scripts/synth-all.ts) and the app
// `npx cdk8s synth` runs (main.ts): the same pipeline behind each.

const COMMON_OPTIONS = {
  'outdir': { type: 'string', default: 'dist' },
  'secrets-dir': { type: 'string', default: 'secrets' },
  'helm-timeout': { type: 'string', default: '2m' },
} as const;

const COMMON_USAGE = `  --outdir <folder>         output folder, replaced as a whole (default dist); refused if it holds
                            anything a synth did not write, or is the repository or one of its source folders
  --secrets-dir <folder>    Secret manifests of honeycomb.apiKey.source: env, per cluster (default secrets)
  --helm-timeout <duration> bound of each helm run (default 2m)
  -h, --help                this text`;

const ENVIRONMENT = `Environment: CONFIG (config file), CHARTS_DIR (offline chart folder), HELM_BIN (another helm v4),
HONEYCOMB_API_KEY (for honeycomb.apiKey.source: env).`;

/** Runs the pipeline, tracking the replacement so that an interrupt or failure can say what changed. */
export async function runSynth(values: Record<string, unknown>, clusters: ReturnType<typeof clusterConfigs>, io: { log: (l: string) => void; onInterrupt: (c: () => string | void) => () => void }): Promise<SynthesisResult> {
  const outdir = String(values.outdir);
  const replacement: Replacement = { swapped: false };
  const off = io.onInterrupt(() => (replacement.swapped
    ? `${outdir} had already been replaced`
    : `${displayPath(path.resolve(outdir))} was left unchanged (the next synth removes anything this one left beside it)`));
  try {
    return await synthesize({
      clusters,
      outdir,
      secretsDir: String(values['secrets-dir']),
      helmTimeoutMs: durationOption('--helm-timeout', String(values['helm-timeout'])),
      log: (line) => io.log(`synth: ${line}`),
    }, replacement);
  } catch (err) {
    if (err instanceof OutputError || !replacement.swapped) throw err;
    throw new OutputError((err as Error).message, true);
  } finally {
    off();
  }
}

/** What the CLI prints after the problem lines of a failure. */
export function afterSynthFailure(err: unknown): string {
  return err instanceof OutputError && err.outputChanged
    ? 'The output folder was replaced before this failure (see above).'
    : 'The output folder was left unchanged.';
}

export const SYNTH_COMMAND: Command = {
  name: 'synth',
  usage: `usage: npm run synth -- [--config <file>] [--outdir <folder>] [--secrets-dir <folder>] [--helm-timeout <duration>]
Synthesizes a cluster's config into the output folder: rendered, validated, then swapped in. Without
--config (or CONFIG), every config/<cluster>.yaml, as npm run synth:all: one config gives <outdir>
itself, several give <outdir>/<cluster>/.
  --config <file>           one cluster's config (default: CONFIG; e.g. ${DEFAULT_CONFIG_FILE})
${COMMON_USAGE}
${ENVIRONMENT}`,
  options: { config: { type: 'string' }, ...COMMON_OPTIONS },
  afterFailure: afterSynthFailure,
  run: async (values, io) => {
    const configFile = (values.config as string | undefined) ?? (process.env.CONFIG || undefined);
    io.log((await runSynth(values, configFile ? [{ configFile }] : clusterConfigs('config'), io)).summary);
  },
};

export const SYNTH_ALL_COMMAND: Command = {
  name: 'synth',
  usage: `usage: npm run synth:all -- [--config-dir <folder>] [--outdir <folder>] [--secrets-dir <folder>] [--helm-timeout <duration>]
Synthesizes every <config-dir>/<cluster>.yaml into <outdir>/<cluster>/ (a single config: <outdir> itself),
all validated before any is written, and swapped in together.
  --config-dir <folder>     the cluster configs (default config)
${COMMON_USAGE}
${ENVIRONMENT}`,
  options: { 'config-dir': { type: 'string', default: 'config' }, ...COMMON_OPTIONS },
  afterFailure: afterSynthFailure,
  run: async (values, io) => {
    io.log((await runSynth(values, clusterConfigs(String(values['config-dir'])), io)).summary);
  },
};
