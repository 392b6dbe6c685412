import * as path from 'path';
import { buildApp } from '../../main';
import { Config } from '../config/schema';
import { ChartRenders } from '../helm/chart-renders';
import { ManifestFile, ManifestValidationError, validateManifests } from '../validate/validate-manifests';
import { writeApp } from './write-app';

export interface SynthesisResult {
  /** Files written, relative to the output folder, in apply order. */
  readonly files: string[];
  /** Number of objects per kind. */
  readonly kinds: Record<string, number>;
  /** Human-readable summary. */
  readonly summary: string;
}

export interface SynthesizeClusterOptions {
  /** Existing empty folder the files go to; with `cluster`, its subfolder of that name. */
  readonly root: string;
  /** Name of the cluster, for a subfolder of `root`. @default - none: `root` itself */
  readonly cluster?: string;
  /** Folder for Secret manifests built from the environment. @default 'secrets' */
  readonly secretsDir?: string;
  /** Chart renders started ahead for this config. @default - the constructs run helm themselves */
  readonly renders?: ChartRenders;
}

/** Builds, writes and validates one cluster's output; throws a ManifestValidationError listing every problem. */
export function synthesizeCluster(config: Config, options: SynthesizeClusterOptions): SynthesisResult {
  const { cluster, renders } = options;
  const dir = cluster === undefined ? options.root : path.join(options.root, cluster);
  const build = () => buildApp(config, { outdir: dir, secretsDir: options.secretsDir });
  const files = writeApp((renders ? renders.serve(build) : build()).app);
  const named = files.map((f) => ({ ...f, file: cluster === undefined ? f.file : path.join(cluster, f.file) }));
  const problems = validateManifests(named, { kubernetesVersion: config.kubernetesVersion });
  if (problems.length > 0) throw new ManifestValidationError(problems, config.kubernetesVersion);
  return summarize(named);
}

function summarize(files: ManifestFile[]): SynthesisResult {
  const kinds: Record<string, number> = {};
  for (const object of files.flatMap((f) => f.objects)) kinds[object.kind] = (kinds[object.kind] ?? 0) + 1;
  const lines = files.map((f) => `  ${f.file}  ${f.objects.length} objects`);
  return { files: files.map((f) => f.file), kinds, summary: lines.join('\n') };
}
