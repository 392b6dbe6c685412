import * as fs from 'fs';
import * as path from 'path';
import { buildFromConfig, chartTemplates } from '../app/falco-otel-app';
import { ConfigError, LoadedConfig, loadConfig } from '../app/load-config';
import { UserError } from '../lib/errors';
import { removeStaleTempDirs } from '../lib/fs/private-temp';
import { HelmRenderer } from '../lib/helm/helm-renderer';
import { HoneycombSecret, SecretManifest } from '../lib/honeycomb/honeycomb-secret';
import { checkOutputTarget, OutputError, OutputTree, outputDigest, recoverOutputFolder, Replacement, replaceOutputFolder, withOutputLock } from './output-folder';
import { fluxKustomizations } from './flux-kustomizations';
import { checkSecretsTarget, writeSecrets } from './secrets-folder';
import { ManifestFile, ManifestProblem, ManifestValidationError, validateManifests } from './validate/validate-manifests';
import { appManifests, manifestYaml } from './write-manifests';

// The synth pipeline: configs in, one output folder out. Every step that can fail runs before the
// output folder is touched: load and check every config, render the charts (each distinct render
// once, all at once), build, write to memory, validate. Then the folder is replaced in one
// crash-safe swap, and only then are Secrets written, outside it.

/** One cluster's config and, with several clusters, its subfolder of the output. */
export interface ClusterInput {
  readonly configFile: string;
  /** Subfolder of the output (and the expected cluster.name). @default - the output folder itself */
  readonly folder?: string;
}

export interface SynthesizeOptions {
  readonly clusters: readonly ClusterInput[];
  /** Folder replaced by the output. */
  readonly outdir: string;
  /** Folder of per-cluster Secret manifests (`<secretsDir>/<cluster>/`). @default 'secrets' */
  readonly secretsDir?: string;
  /** Bound of each helm run, ms. @default 120000 */
  readonly helmTimeoutMs?: number;
  /** HELM_BIN, CHARTS_DIR, HONEYCOMB_API_KEY. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Progress lines. @default - none */
  readonly log?: (line: string) => void;
  /**
   * Renders the charts; the caller keeps it (and disposes of it), so that renders outlive this synth.
   * @default - a renderer for HELM_BIN and CHARTS_DIR of `env`, bound by `helmTimeoutMs`, disposed of when done
   */
  readonly renderer?: HelmRenderer;
}

export interface SynthesisResult {
  /** Files written, relative to the output folder, in apply order. */
  readonly files: string[];
  /** Number of objects per kind. */
  readonly kinds: Record<string, number>;
  /** Human-readable summary. */
  readonly summary: string;
}

interface BuiltCluster {
  readonly cluster: string;
  readonly folder?: string;
  readonly files: ManifestFile[];
  readonly secrets: SecretManifest[];
  readonly namespace: string;
}

/** Synthesizes the clusters into `outdir`; on any error `outdir` and the secrets are untouched (OutputError says if not). */
export async function synthesize(options: SynthesizeOptions, replacement: Replacement = { swapped: false }): Promise<SynthesisResult> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => undefined);
  checkOutputTarget(options.outdir);
  return withOutputLock(path.resolve(options.outdir), async () => {
    for (const line of recoverOutputFolder(options.outdir)) log(line);
    for (const dir of removeStaleTempDirs()) log(`removed ${dir}, left by an interrupted run`);
    // Checked again under the lock: the recovery may have put a folder back.
    checkOutputTarget(options.outdir);
    const loaded = collectErrors(options.clusters.map((input) => () => ({ input, config: loadClusterConfig(input, env) })));
    // cdk8s sorts object keys unless this is set: the output must not depend on the environment.
    delete process.env.CDK8S_DISABLE_SORT;
    if (options.renderer) return render(loaded, options.renderer, options, replacement);
    const renderer = HelmRenderer.fromEnvironment(env, { timeoutMs: options.helmTimeoutMs });
    try {
      return await render(loaded, renderer, options, replacement);
    } finally {
      renderer.dispose();
    }
  });
}

/** Renders, builds, validates and writes the loaded clusters. */
async function render(loaded: Array<{ input: ClusterInput; config: LoadedConfig }>, renderer: HelmRenderer, options: SynthesizeOptions, replacement: Replacement): Promise<SynthesisResult> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => undefined);
  const secretsRoot = options.secretsDir ?? 'secrets';
  const target = path.resolve(options.outdir);
  const templates = loaded.flatMap(({ config }) => chartTemplates(config.config));
  log(`rendering ${new Set(templates.map((t) => JSON.stringify(t))).size} chart(s) with helm (${templates.length} for ${loaded.length} cluster(s))…`);
  await renderer.renderAll(templates);

  log(`building and validating ${loaded.length} cluster(s)…`);
  const built: BuiltCluster[] = [];
  const problems: ManifestProblem[] = [];
  const configErrors: UserError[] = [];
  for (const { input, config } of loaded) {
    try {
      const stack = buildFromConfig(config, { renderer, env });
      const files = appManifests(stack.app).map((f) => ({ ...f, file: input.folder ? path.join(input.folder, f.file) : f.file }));
      problems.push(...validateManifests(files, { kubernetesVersion: config.config.kubernetesVersion }));
      const secrets = HoneycombSecret.manifestsOf(stack.app);
      checkSecretsTarget(secretsRoot, config.config.cluster.name, secrets);
      built.push({ cluster: config.config.cluster.name, folder: input.folder, files, secrets, namespace: stack.secret.namespace });
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      configErrors.push(err);
    }
  }
  if (configErrors.length === 1) throw configErrors[0];
  if (configErrors.length > 1) throw new UserError(configErrors.map((e) => e.message).join('\n'));
  if (problems.length > 0) throw new ManifestValidationError(problems, [...new Set(loaded.map((l) => l.config.config.kubernetesVersion))].join(', '));

  log(`writing ${displayPath(target)}/…`);
  replaceOutputFolder(options.outdir, outputTree(built), replacement);
  for (const cluster of built) {
    const dir = cluster.folder ? path.join(target, cluster.folder) : target;
    try {
      for (const line of writeSecrets(secretsRoot, cluster.cluster, cluster.secrets, outputDigest(dir) ?? '', cluster.namespace)) log(`wrote ${line}`);
    } catch (err) {
      throw new OutputError(`${(err as Error).message} (the output folder ${displayPath(target)} was replaced; deploy refuses its Secrets until a synth writes them)`, true);
    }
  }
  return summarize(built, displayPath(target));
}

function outputTree(built: readonly BuiltCluster[]): OutputTree {
  const treeOf = (cluster: BuiltCluster): OutputTree => ({
    files: new Map([...cluster.files.map((f): [string, string] => [path.basename(f.file), manifestYaml(f.objects)]), ...fluxKustomizations(cluster.files)]),
    cluster: cluster.cluster,
  });
  if (built.length === 1 && !built[0].folder) return treeOf(built[0]);
  return { files: new Map(), folders: new Map(built.map((c) => [c.folder!, treeOf(c)])) };
}

/** A cluster's config; with a subfolder, its cluster.name must be the folder's name. */
function loadClusterConfig(input: ClusterInput, env: NodeJS.ProcessEnv): LoadedConfig {
  const loaded = loadConfig(input.configFile, env);
  if (input.folder && loaded.config.cluster.name !== input.folder) {
    throw new ConfigError(input.configFile, [`${loaded.lineOf(['cluster', 'name'])}: cluster.name: ${JSON.stringify(loaded.config.cluster.name)} differs from the file name; expected ${JSON.stringify(input.folder)}: in a repository of several clusters, config/<cluster>.yaml describes cluster <cluster>`]);
  }
  return loaded;
}

/** The cluster configs of a folder: every *.yaml, by name. */
export function clusterConfigs(configDir: string): ClusterInput[] {
  let names: string[];
  try {
    names = fs.readdirSync(configDir).filter((f) => f.endsWith('.yaml')).sort();
  } catch {
    throw new UserError(`${configDir}: the config folder does not exist; expected a folder of <cluster>.yaml files`);
  }
  if (names.length === 0) throw new UserError(`${configDir}: holds no <cluster>.yaml file; expected at least one cluster config`);
  // A single config keeps the flat layout: dist/ itself.
  if (names.length === 1) return [{ configFile: path.join(configDir, names[0]) }];
  return names.map((name) => ({ configFile: path.join(configDir, name), folder: path.basename(name, '.yaml') }));
}

/** Runs every step; throws one UserError with all their messages if any failed. */
function collectErrors<T>(steps: Array<() => T>): T[] {
  const results: T[] = [];
  const errors: UserError[] = [];
  for (const step of steps) {
    try {
      results.push(step());
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      errors.push(err);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new UserError(errors.map((e) => e.message).join('\n'));
  return results;
}

function summarize(built: readonly BuiltCluster[], shownAs: string): SynthesisResult {
  const kinds: Record<string, number> = {};
  const files = built.flatMap((c) => c.files);
  for (const object of files.flatMap((f) => f.objects)) kinds[object.kind] = (kinds[object.kind] ?? 0) + 1;
  const total = Object.values(kinds).reduce((a, b) => a + b, 0);
  const byKind = Object.entries(kinds).sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k} ${n}`).join(', ');
  const lines = files.map((f) => `  ${f.file}  ${f.objects.length} objects`);
  return { files: files.map((f) => f.file), kinds, summary: [`${shownAs}/: ${files.length} files, ${total} objects`, ...lines, `  by kind: ${byKind}`].join('\n') };
}

export function displayPath(target: string): string {
  const shown = path.relative(process.cwd(), target);
  return shown.startsWith('..') ? target : shown || '.';
}
