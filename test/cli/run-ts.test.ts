import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { tempDir } from '../support/helpers';

// scripts/run-ts.cjs (`npm run synth` runs through it) runs an entry point from a cached esbuild
// bundle: a change to any source it imports must show in the next run.

const ROOT = path.resolve(__dirname, '..', '..');

/** A throw-away project with run-ts.cjs, an entry importing a module, and the repository's node_modules. */
function project(): { dir: string; run: (...args: string[]) => string } {
  const dir = tempDir('run-ts-');
  fs.mkdirSync(path.join(dir, 'scripts'));
  fs.mkdirSync(path.join(dir, 'lib'));
  fs.copyFileSync(path.join(ROOT, 'scripts', 'run-ts.cjs'), path.join(dir, 'scripts', 'run-ts.cjs'));
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  fs.writeFileSync(path.join(dir, 'package.json'), '{}\n');
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), '{}\n');
  fs.writeFileSync(path.join(dir, 'lib', 'word.ts'), "export const word: string = 'one';\n");
  fs.writeFileSync(path.join(dir, 'scripts', 'entry.ts'), "import { word } from '../lib/word';\nconsole.log(word, JSON.stringify(process.argv.slice(2)));\n");
  const run = (...args: string[]) => execFileSync(process.execPath, ['scripts/run-ts.cjs', 'scripts/entry.ts', ...args], { cwd: dir, encoding: 'utf8' }).trim();
  return { dir, run };
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
});
