import * as fs from 'fs';
import * as path from 'path';

// The layering the README's "Architecture" section describes, read from the sources' imports.

const ROOT = path.resolve(__dirname, '..');
const PRODUCTION = ['lib', 'app', 'synth', 'deploy', 'cli', 'scripts', 'demo'];

function sources(folder: string): string[] {
  return fs.readdirSync(path.join(ROOT, folder), { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.(ts|cjs|mjs)$/.test(f)).map((f) => path.join(folder, f));
}

/** Repository-relative targets of the file's relative imports and requires ('lib/k8s/patterns'). */
function localImports(file: string): string[] {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
  const specifiers = [...text.matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]);
  return specifiers.map((s) => path.relative(ROOT, path.resolve(ROOT, path.dirname(file), s)));
}

const topFolder = (p: string) => p.split(path.sep)[0];
const productionFiles = [...PRODUCTION.flatMap(sources), 'main.ts'];
/** Entry points of the test tooling itself: they build and drive the end-to-end peers. */
const TEST_TOOLING = ['scripts/peers.ts', 'scripts/bench-pipeline.ts'];

test('the library imports only itself, the generated imports/ and packages', () => {
  const outside = sources('lib').flatMap((f) => localImports(f).filter((t) => !['lib', 'imports'].includes(topFolder(t))).map((t) => `${f} → ${t}`));
  expect(outside).toEqual([]);
});

test('the app imports the library and itself, not the pipeline, deploy or the entry points', () => {
  const outside = sources('app').flatMap((f) => localImports(f).filter((t) => !['lib', 'app', 'imports'].includes(topFolder(t))).map((t) => `${f} → ${t}`));
  expect(outside).toEqual([]);
});

test('nothing outside test/ imports test support, or reads a variable of the test suite', () => {
  const problems = productionFiles.filter((f) => !TEST_TOOLING.includes(f)).flatMap((f) => {
    const text = fs.readFileSync(path.join(ROOT, f), 'utf8');
    return [
      ...localImports(f).filter((t) => topFolder(t) === 'test').map((t) => `${f} imports ${t}`),
      ...(/FALCO_OTEL_TEST|JEST_WORKER_ID|process\.env\.JEST/.test(text) ? [`${f} reads a test variable`] : []),
    ];
  });
  expect(problems).toEqual([]);
});

test('no code assigns into cdk8s\'s or Node\'s modules (no run-time patching)', () => {
  const patching = /\b(?:Yaml\.(?:load|save)|_child_process\.\w+|Module\.prototype\.\w+|Module\._\w+|cp\.spawnSync|childProcess\.\w+)\s*=[^=]/;
  const found = productionFiles.filter((f) => patching.test(fs.readFileSync(path.join(ROOT, f), 'utf8')));
  expect(found).toEqual([]);
});

test('the scanner sees imports (so the tests above can fail)', () => {
  expect(localImports('app/falco-otel-app.ts')).toEqual(expect.arrayContaining(['lib/otel/falco-collector', 'app/config-schema']));
  expect(localImports('synth/synthesize.ts')).toEqual(expect.arrayContaining(['app/falco-otel-app']));
});
