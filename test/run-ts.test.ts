import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { tempDir } from './helpers';

// scripts/run-ts.cjs (`npm run synth` runs through it) runs an entry point from a cached esbuild
// bundle: a change to any source it imports must show in the next run.

const ROOT = path.resolve(__dirname, '..');

/** A throw-away project with run-ts.cjs, an entry importing a module, and the repository's node_modules. */
function project(): { dir: string; run: (...args: string[]) => string } {
  const dir = tempDir('run-ts-');
  fs.mkdirSync(path.join(dir, 'scripts'));
  fs.mkdirSync(path.join(dir, 'lib'));
  fs.copyFileSync(path.join(ROOT, 'scripts', 'run-ts.cjs'), path.join(dir, 'scripts', 'run-ts.cjs'));
  fs.copyFileSync(path.join(ROOT, 'scripts', 'code-cache.cjs'), path.join(dir, 'scripts', 'code-cache.cjs'));
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  fs.writeFileSync(path.join(dir, 'package.json'), '{}\n');
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), '{}\n');
  fs.writeFileSync(path.join(dir, 'lib', 'word.ts'), "export const word: string = 'one';\n");
  fs.writeFileSync(path.join(dir, 'scripts', 'entry.ts'), "import { word } from '../lib/word';\nconsole.log(word, JSON.stringify(process.argv.slice(2)));\n");
  const run = (...args: string[]) => execFileSync(process.execPath, ['scripts/run-ts.cjs', 'scripts/entry.ts', ...args], { cwd: dir, encoding: 'utf8' }).trim();
  return { dir, run };
}

/** Runs the project's entry with RUN_TS_CODE_CACHE set; returns stdout and the stats line. */
function runWithCache(dir: string, mode: string): { stdout: string; stats: string } {
  const run = spawnSync(process.execPath, ['scripts/run-ts.cjs', 'scripts/entry.ts'], { cwd: dir, encoding: 'utf8', env: { ...process.env, RUN_TS_CODE_CACHE: mode } });
  return { stdout: run.stdout.trim(), stats: run.stderr.trim() };
}

describe('scripts/run-ts.cjs', () => {
  test('runs the entry with its own arguments, from a bundle in .cache/build/ that it reuses', () => {
    const { dir, run } = project();
    expect(run('--outdir', 'x')).toBe('one ["--outdir","x"]');
    const bundle = path.join(dir, '.cache', 'build', 'scripts__entry.js');
    const built = fs.statSync(bundle).mtimeMs;
    expect(run()).toBe('one []');
    expect(fs.statSync(bundle).mtimeMs).toBe(built);
  });

  test('a changed imported source is rebuilt into the next run, whatever its modification time', () => {
    const { dir, run } = project();
    expect(run()).toBe('one []');
    const source = path.join(dir, 'lib', 'word.ts');
    const { atime, mtime } = fs.statSync(source);
    fs.writeFileSync(source, "export const word: string = 'two';\n");
    fs.utimesSync(source, atime, mtime); // same time as before: the content decides
    expect(run()).toBe('two []');
  });

  test('V8 code cache (scripts/code-cache.cjs): the next run compiles nothing; a same-length edit runs as edited; RUN_TS_CODE_CACHE=0 turns it off', () => {
    const { dir } = project();
    const cache = path.join(dir, '.cache', 'v8');
    expect(runWithCache(dir, 'stats')).toEqual({ stdout: 'one []', stats: expect.stringMatching(/^code cache: 0 modules from the cache, [1-9]\d* compiled$/) });
    expect(runWithCache(dir, 'stats')).toEqual({ stdout: 'one []', stats: expect.stringMatching(/^code cache: [1-9]\d* modules from the cache, 0 compiled$/) });

    // The bundle itself, edited in place: the same length, other content, no rebuild. V8 checks a
    // cache only against the source's length, so the cache must be keyed by content too.
    const bundle = path.join(dir, '.cache', 'build', 'scripts__entry.js');
    const text = fs.readFileSync(bundle, 'utf8');
    expect(text).toContain('"one"');
    fs.writeFileSync(bundle, text.replace('"one"', '"six"'));
    expect(runWithCache(dir, 'stats')).toEqual({ stdout: 'six []', stats: 'code cache: 0 modules from the cache, 1 compiled' });
    const entries = fs.readdirSync(cache);
    expect(new Set(entries.map((e) => e.split('-')[0])).size).toBe(entries.length); // one entry per module

    fs.rmSync(cache, { recursive: true });
    expect(runWithCache(dir, '0')).toEqual({ stdout: 'six []', stats: '' });
    expect(fs.existsSync(cache)).toBe(false);
  });
});
