// The end-to-end tests' one way to get a collector configuration: write a cluster config file, run
// the CLI exactly as a user does (`npm run synth` / `npm run synth:all`) into a fresh folder, and read
// the OpenTelemetryCollector it wrote.

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as YAML from 'yaml';
import { TEST_CONFIG } from '../../support/helpers';
import { projectRoot } from '../../../synth/project-root';

const REPO = projectRoot();

/** The OpenTelemetryCollector of one synthesized cluster. */
export interface SynthesizedCollector {
  readonly cluster: string;
  /** spec.config: what the collector runs. */
  readonly config: any;
  /** spec.args: the collector's flags (`--key=value`), as the operator passes them. */
  readonly args: Record<string, string>;
  /** The whole spec (env, volumes, mounts). */
  readonly spec: any;
  /** The YAML file it was read from. */
  readonly file: string;
}

/** The suite's cluster config (test/fixtures/cluster.yaml), to derive variants from. */
export function defaultClusterConfig(): any {
  return YAML.parse(fs.readFileSync(TEST_CONFIG, 'utf8'));
}

/**
 * Synthesizes each config (by cluster name) with the CLI and returns their collectors. One config:
 * `npm run synth -- --config <file> --outdir <new dir>`; several (`several: true`):
 * `npm run synth:all -- --config-dir <dir> --outdir <new dir>`, each with `--secrets-dir <new dir>`.
 * `env` is added to the CLI's environment (HONEYCOMB_API_KEY for `honeycomb.apiKey.source: env`).
 */
export function synthesizeCollectors(
  configs: Record<string, any>,
  options: { several?: boolean; env?: Record<string, string> } = {},
): SynthesizedCollector[] {
  const names = Object.keys(configs);
  if (names.length === 0 || (names.length > 1 && !options.several)) {
    throw new Error('synthesizeCollectors: one config, or several with several: true');
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'falco-e2e-synth-'));
  const configDir = path.join(work, 'config');
  fs.mkdirSync(configDir);
  for (const [name, config] of Object.entries(configs)) {
    fs.writeFileSync(path.join(configDir, `${name}.yaml`), YAML.stringify(config));
  }
  const outdir = path.join(work, 'out'); // must not exist yet
  const secrets = ['--secrets-dir', path.join(work, 'secrets')];
  const args = options.several
    ? ['run', '--silent', 'synth:all', '--', '--config-dir', configDir, '--outdir', outdir, ...secrets]
    : ['run', '--silent', 'synth', '--', '--config', path.join(configDir, `${names[0]}.yaml`), '--outdir', outdir, ...secrets];
  try {
    execFileSync('npm', args, {
      cwd: REPO,
      env: { ...process.env, ...options.env },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (e: any) {
    throw new Error(`npm ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
  try {
    return readCollectors(outdir);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function readCollectors(outdir: string): SynthesizedCollector[] {
  const found: SynthesizedCollector[] = [];
  for (const file of listYaml(outdir)) {
    for (const doc of YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'))) {
      const object = doc.toJS();
      if (object?.kind !== 'OpenTelemetryCollector') continue;
      const relative = path.relative(outdir, path.dirname(file));
      found.push({
        cluster: relative === '' ? '(single)' : relative,
        config: object.spec.config,
        args: object.spec.args ?? {},
        spec: object.spec,
        file,
      });
    }
  }
  if (found.length === 0) throw new Error(`no OpenTelemetryCollector in ${outdir}`);
  return found.sort((a, b) => a.cluster.localeCompare(b.cluster));
}

function listYaml(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return listYaml(p);
    return e.name.endsWith('.yaml') ? [p] : [];
  });
}
