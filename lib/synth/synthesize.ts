import * as fs from 'fs';
import * as path from 'path';
import { chartReleases } from '../config/construct-props';
import { ConfigError, loadConfig } from '../config/load-config';
import { Config } from '../config/schema';
import { UserError } from '../errors';
import { ChartRenders, PLAIN_CDK8S_ENV, RENDER_CACHE_ENV } from '../helm/chart-renders';
import { kubernetesSchema } from '../validate/kubernetes-schema';
import type { SynthesisResult } from './synthesize-cluster';

// Loads without cdk8s and the constructs: each cluster's charts start rendering first, and those
// modules load while helm runs (renderAhead).

export interface SynthesizeOptions {
  /** Config file to read. */
  readonly configFile: string;
  /** Folder replaced by the output. */
  readonly outdir: string;
  /** Folder for Secret manifests built from the environment. @default 'secrets' */
  readonly secretsDir?: string;
}

export interface SynthesizeAllOptions {
  /** Folder of cluster configs, one `<cluster>.yaml` each. */
  readonly configDir: string;
  /** Folder replaced by the output: `<outdir>/<cluster>/` each, or flat with a single config. */
  readonly outdir: string;
  /** Folder for Secret manifests, `<secretsDir>/<cluster>/` each (flat with a single config). @default 'secrets' */
  readonly secretsDir?: string;
}

export type { SynthesisResult } from './synthesize-cluster';

/**
 * One config → `outdir`, atomically: the output is synthesized and validated in a staging folder
 * that replaces `outdir` only when everything succeeded; on any error `outdir` is untouched.
 */
export async function synthesize(options: SynthesizeOptions): Promise<SynthesisResult> {
  const config = loadConfig(options.configFile);
  return inStaging(options.outdir, async (staging) => {
    const { renders, build } = await renderAhead(config);
    return [build.synthesizeCluster(config, { root: staging, secretsDir: options.secretsDir, renders })];
  });
}

/**
 * Every `<configDir>/<cluster>.yaml` → `<outdir>/<cluster>/`, with the same guarantees as
 * synthesize(): all clusters are replaced together or not at all. A folder with a single config
 * keeps the flat layout.
 */
export async function synthesizeAll(options: SynthesizeAllOptions): Promise<SynthesisResult> {
  const configs = clusterConfigs(options.configDir);
  if (configs.length === 1) return synthesize({ configFile: configs[0].file, outdir: options.outdir, secretsDir: options.secretsDir });
  const secretsDir = options.secretsDir ?? 'secrets';
  // Every config is checked before anything is rendered, so all config errors show at once.
  const loaded = collectErrors(configs.map(({ cluster, file }) => () => ({ cluster, config: loadClusterConfig(file, cluster) })));
  return inStaging(options.outdir, async (staging) => {
    const results: SynthesisResult[] = [];
    for (const { cluster, config } of loaded) {
      fs.mkdirSync(path.join(staging, cluster));
      const { renders, build } = await renderAhead(config);
      results.push(build.synthesizeCluster(config, { root: staging, cluster, secretsDir: path.join(secretsDir, cluster), renders }));
    }
    return results;
  });
}

/**
 * Starts rendering the cluster's charts (lib/helm/chart-renders.ts) and, while helm runs, loads
 * what comes next: cdk8s and the constructs (lib/synth/synthesize-cluster.ts and what it imports)
 * and the Kubernetes API schema the output is validated against. With the test suite's render
 * cache (RENDER_CACHE_ENV) renders come from that instead; with PLAIN_CDK8S_ENV, cdk8s runs helm.
 */
async function renderAhead(config: Config): Promise<{ renders?: ChartRenders; build: typeof import('./synthesize-cluster') }> {
  const ahead = !process.env[RENDER_CACHE_ENV] && process.env[PLAIN_CDK8S_ENV] !== '1';
  const renders = ahead ? ChartRenders.start(chartReleases(config)) : undefined;
  const build = await import('./synthesize-cluster');
  kubernetesSchema(config.kubernetesVersion);
  await renders?.finished();
  return { renders, build };
}

/** The cluster configs of a folder: every *.yaml, by name. */
export function clusterConfigs(configDir: string): Array<{ cluster: string; file: string }> {
  let names: string[];
  try {
    names = fs.readdirSync(configDir).filter((f) => f.endsWith('.yaml')).sort();
  } catch {
    throw new UserError(`${configDir}: the config folder does not exist; expected a folder of <cluster>.yaml files`);
  }
  if (names.length === 0) throw new UserError(`${configDir}: holds no <cluster>.yaml file; expected at least one cluster config`);
  return names.map((name) => ({ cluster: path.basename(name, '.yaml'), file: path.join(configDir, name) }));
}

/** A cluster's config, whose cluster.name must be the file's name. */
function loadClusterConfig(file: string, cluster: string): Config {
  const config = loadConfig(file);
  if (config.cluster.name !== cluster) {
    throw new ConfigError(file, [`: cluster.name: ${JSON.stringify(config.cluster.name)} differs from the file name; expected ${JSON.stringify(cluster)}: in a repository of several clusters, config/<cluster>.yaml describes cluster <cluster>`]);
  }
  return config;
}

/** Runs every step; throws one UserError with all their messages if any failed. */
function collectErrors<T>(steps: Array<() => T>): T[] {
  const results: T[] = [];
  const messages: string[] = [];
  for (const step of steps) {
    try {
      results.push(step());
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      messages.push(err.message);
    }
  }
  if (messages.length > 0) throw new UserError(messages.join('\n'));
  return results;
}

/** Runs `produce` on a fresh staging folder beside `outdir`, then swaps it in; removes it on error. */
async function inStaging(outdir: string, produce: (staging: string) => Promise<SynthesisResult[]>): Promise<SynthesisResult> {
  const target = path.resolve(outdir);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  // Beside the target, so the final rename stays on one filesystem.
  const staging = fs.mkdtempSync(path.join(path.dirname(target), `.${path.basename(target)}-staging-`));
  try {
    fs.chmodSync(staging, 0o755);
    // cdk8s sorts object keys unless this is set; output must not depend on the environment.
    delete process.env.CDK8S_DISABLE_SORT;
    const results = await produce(staging);
    replaceFolder(staging, target);
    return merge(results, displayPath(target));
  } catch (err) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw err;
  }
}

/** Swaps `staging` in for `target`; if the swap fails halfway, the old `target` is put back. */
function replaceFolder(staging: string, target: string): void {
  const old = `${staging}-old`;
  const hadTarget = fs.existsSync(target);
  if (hadTarget) fs.renameSync(target, old);
  try {
    fs.renameSync(staging, target);
  } catch (err) {
    if (hadTarget) fs.renameSync(old, target);
    throw err;
  }
  fs.rmSync(old, { recursive: true, force: true });
}

function merge(results: SynthesisResult[], shownAs: string): SynthesisResult {
  const kinds: Record<string, number> = {};
  for (const r of results) for (const [kind, n] of Object.entries(r.kinds)) kinds[kind] = (kinds[kind] ?? 0) + n;
  const files = results.flatMap((r) => r.files);
  const total = Object.values(kinds).reduce((a, b) => a + b, 0);
  const byKind = Object.entries(kinds).sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k} ${n}`).join(', ');
  return { files, kinds, summary: [`${shownAs}/: ${files.length} files, ${total} objects`, ...results.map((r) => r.summary), `  by kind: ${byKind}`].join('\n') };
}

function displayPath(target: string): string {
  const shown = path.relative(process.cwd(), target);
  return shown.startsWith('..') ? target : shown || '.';
}
