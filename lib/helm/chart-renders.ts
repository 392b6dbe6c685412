import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { _child_process } from 'cdk8s/lib/_child_process';
import { stringify } from 'yaml';
import type { HelmReleaseProps } from './helm-release';
import { chartLocation, checkHelmInBackground, helmBinary } from './pinned';

/** Folder of `helm template` outputs shared by a test run (test/global-setup.ts sets it); unset outside tests. */
export const RENDER_CACHE_ENV = 'HELM_RENDER_CACHE';

/**
 * Set to 1, charts are rendered by cdk8s's Helm and loaded by its Yaml.load, without the renders
 * ahead of this file and the in-process load of lib/helm/helm-release.ts, and files are written by
 * cdk8s's Yaml.save (lib/synth/write-app.ts); test/helm-load.test.ts compares both paths byte for
 * byte. (In tests, helm's output may still come from the suite's render cache: the same bytes.)
 */
export const PLAIN_CDK8S_ENV = 'HELM_RELEASE_PLAIN_CDK8S';

/** A `helm template` run, as cdk8s's Helm construct starts it for a HelmRelease. */
export interface HelmTemplateCommand {
  readonly command: string;
  readonly args: readonly string[];
  /** Path of the values file (`-f`), if there is one. */
  readonly valuesFile?: string;
  /** Its text. */
  readonly valuesText?: string;
}

/**
 * The command cdk8s's Helm construct (node_modules/cdk8s/lib/helm.js) runs for a HelmRelease
 * with these props, its values file at `valuesFile`: the same arguments in the same order, the
 * same values text (cdk8s's Yaml.stringify).
 */
export function helmTemplateCommand(props: HelmReleaseProps, valuesFile: string): HelmTemplateCommand {
  const location = chartLocation(props.chart, props.chartsDir);
  const args = ['template'];
  const hasValues = props.values !== undefined && Object.keys(props.values).length > 0;
  if (hasValues) args.push('-f', valuesFile);
  if (location.repo) args.push('--repo', location.repo);
  if (location.version) args.push('--version', location.version);
  args.push('--namespace', props.namespace, ...helmFlags(props), props.releaseName, location.chart);
  return {
    command: props.helmExecutable ?? helmBinary(),
    args,
    valuesFile: hasValues ? valuesFile : undefined,
    valuesText: hasValues ? stringify(props.values, { keepUndefined: true, lineWidth: 0, version: '1.1' }) : undefined,
  };
}

/** Writes the command's values file, if it has one. */
export function writeValuesFile(command: HelmTemplateCommand): void {
  if (command.valuesFile !== undefined) fs.writeFileSync(command.valuesFile, command.valuesText ?? '');
}

/** helm's output, or undefined if helm failed. */
export function runTemplate(command: HelmTemplateCommand): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const child = spawn(command.command, command.args, { stdio: ['ignore', 'pipe', 'ignore'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.on('error', () => resolve(undefined));
    child.on('close', (status) => resolve(status === 0 ? Buffer.concat(chunks) : undefined));
  });
}

/** Flags HelmRelease adds to cdk8s's. */
export function helmFlags(props: HelmReleaseProps): string[] {
  return ['--kube-version', props.kubernetesVersion ?? '1.28.0'];
}

interface Render extends HelmTemplateCommand {
  readonly stdout: Buffer;
}

/**
 * `helm template` runs started together, ahead of the constructs that need them: synth renders
 * both charts at once while its modules load, instead of one after the other inside the
 * constructors. `serve()` then answers cdk8s's Helm from them. A render that failed, or that is not
 * exactly the command cdk8s runs, is not used: cdk8s runs helm itself, as without this.
 */
export class ChartRenders {
  /** Starts one `helm template` per release, all at once, and the check of the helm binary beside them. */
  public static start(releases: readonly HelmReleaseProps[]): ChartRenders {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chart-renders-'));
    const commands = releases.map((props, i) => helmTemplateCommand(props, path.join(dir, `values-${i}.yaml`)));
    const runs = commands.map(async (command): Promise<Render | undefined> => {
      writeValuesFile(command);
      const stdout = await runTemplate(command);
      return stdout && { ...command, stdout };
    });
    const checks = [...new Set(commands.map((c) => c.command))].map(checkHelmInBackground);
    const finished = Promise.all([Promise.all(runs), ...checks]).then(([renders]) => renders.filter((r): r is Render => r !== undefined))
      .finally(() => fs.rmSync(dir, { recursive: true, force: true }));
    return new ChartRenders(finished);
  }

  /** Renders that ended well; filled in when finished() resolves. */
  private renders: Render[] = [];

  private constructor(private readonly finishing: Promise<Render[]>) {}

  /** Resolves once every helm run has ended. */
  public async finished(): Promise<void> {
    this.renders = await this.finishing;
  }

  /**
   * Runs `fn` (which builds the app) with cdk8s's spawnSync seam answering each `helm template`
   * that was rendered ahead from the render, then puts the seam back.
   */
  public serve<T>(fn: () => T): T {
    const spawnSync = _child_process.spawnSync;
    _child_process.spawnSync = ((command: string, args: readonly string[], options: object) => {
      const render = this.renders.find((r) => sameCommand(r, command, args));
      if (!render) return spawnSync(command, args, options);
      return { pid: 0, output: [], stdout: render.stdout, stderr: Buffer.alloc(0), status: 0, signal: null };
    }) as typeof spawnSync;
    try {
      return fn();
    } finally {
      _child_process.spawnSync = spawnSync;
    }
  }
}

/** True when cdk8s is about to run `command args` with a values file holding the same text as the render's. */
function sameCommand(render: Render, command: string, args: readonly string[]): boolean {
  if (command !== render.command || args.length !== render.args.length) return false;
  const valuesAt = render.args.indexOf('-f') + 1;
  if (!args.every((arg, i) => (valuesAt > 0 && i === valuesAt) || arg === render.args[i])) return false;
  return valuesAt === 0 || fs.readFileSync(args[valuesAt], 'utf8') === render.valuesText;
}
