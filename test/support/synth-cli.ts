import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { tempDir, TEST_CONFIG, testRenderer } from './helpers';
import { ProcessResult, runProcess } from './run-process';
import { projectRoot } from '../../synth/project-root';
import { synthesize } from '../../synth/synthesize';

// Helpers to prove that bad input leaves the output folder alone: a folder holding a previous
// good output, a fingerprint of it (every file's bytes and mode, and the folder's neighbours, where
// a staging folder could be left behind), and a runner for the real synth CLI.

const ROOT = projectRoot();

// One temporary root per test file (removed at exit), with a fresh folder per use.
let root: string | undefined;
function freshDir(prefix: string): string {
  root ??= tempDir('bad-input-');
  return fs.mkdtempSync(path.join(root, prefix));
}

/** A fresh `<temp>/dist` holding the committed output (a previous good synth), and nothing beside it. */
export function previousOutput(): string {
  const outdir = path.join(freshDir('out-'), 'dist');
  fs.cpSync(path.join(ROOT, 'dist'), outdir, { recursive: true });
  return outdir;
}

/** A fresh `<temp>/dist` holding a synth's output of TEST_CONFIG (with its record), and the secrets root beside it. */
export async function previousSynth(): Promise<{ outdir: string; secrets: string }> {
  const base = freshDir('synth-');
  const outdir = path.join(base, 'dist');
  const secrets = path.join(base, 'secrets');
  fs.mkdirSync(secrets);
  await synthesize({ renderer: testRenderer(), clusters: [{ configFile: TEST_CONFIG }], outdir, secretsDir: secrets });
  return { outdir, secrets };
}

/** sha256 and mode of every file under `outdir`, plus the names beside it. Equal fingerprints: byte-identical. */
export function fingerprint(outdir: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const entry of fs.readdirSync(outdir, { recursive: true, withFileTypes: true })) {
    const file = path.join(entry.parentPath, entry.name);
    const stat = fs.statSync(file);
    const bytes = entry.isFile() ? createHash('sha256').update(fs.readFileSync(file)).digest('hex') : 'folder';
    result[path.relative(outdir, file)] = `${bytes} ${stat.mode.toString(8)}`;
  }
  result['(beside it)'] = fs.readdirSync(path.dirname(outdir)).sort().join(', ');
  return result;
}

/** A fresh empty temporary folder. */
export function scratchDir(prefix = 'tmp-'): string {
  return freshDir(prefix);
}

/** Writes a config file into a fresh temporary folder and returns its path. */
export function writeConfig(text: string, name = 'cluster.yaml'): string {
  const file = path.join(freshDir('config-'), name);
  fs.writeFileSync(file, text);
  return file;
}

/**
 * Runs the real synth CLI (`node scripts/run-ts.cjs scripts/synth.ts`, what `npm run synth` runs,
 * without npm's own output) with `env` replacing the environment. Asynchronous, so that several runs overlap.
 */
export function runSynthCli(args: string[], env: NodeJS.ProcessEnv): Promise<ProcessResult> {
  return runProcess(process.execPath, synthCliArgs(args), { cwd: ROOT, env });
}

/** Node's arguments for the real synth CLI with `args`, for tests that start it themselves (to kill it, or as another user). */
export function synthCliArgs(args: string[]): string[] {
  return [path.join(ROOT, 'scripts', 'run-ts.cjs'), path.join(ROOT, 'scripts', 'synth.ts'), ...args];
}

/** process.env without the variables named, plus `extra`. */
export function envWith(extra: Record<string, string>, without: string[] = []): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const name of without) delete env[name];
  return env;
}

/** Runs `fn` with process.env changed as given (undefined deletes), then restores it. */
export function withEnv<T>(changes: Record<string, string | undefined>, fn: () => T): T {
  const restore = changeEnv(changes);
  try {
    return fn();
  } finally {
    restore();
  }
}

/** withEnv for an async `fn`: process.env is restored once its promise settled. */
export async function withEnvAsync<T>(changes: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const restore = changeEnv(changes);
  try {
    return await fn();
  } finally {
    restore();
  }
}

/** Changes process.env; returns the function that puts it back. */
function changeEnv(changes: Record<string, string | undefined>): () => void {
  const saved = { ...process.env };
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  return () => {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
  };
}
