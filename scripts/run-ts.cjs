#!/usr/bin/env node
// `node scripts/run-ts.cjs <entry.ts> [args…]`: runs a TypeScript entry point from an esbuild bundle
// cached in .cache/build/, rebuilt (≈0.2 s) whenever a file it was built from changed.
//
// Why: `npm run synth` runs on every edit and in every pipeline. tsx (like ts-node) transforms every
// source file on each start, 700 kB of generated CRD types among them; loading one prebuilt file
// takes a fraction of that. Types are not checked here, as with tsx: `npm run typecheck` (tsc) does.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
// Two folders below the root, like lib/helm/: paths the sources build from __dirname
// (lib/helm/pinned.ts finds the pinned helm in .cache/helm/) stay right in the bundle.
const BUILD_DIR = path.join(ROOT, '.cache', 'build');
// Besides the bundled sources: what else changes the build.
const BUILD_INPUTS = ['scripts/run-ts.cjs', 'package.json', 'tsconfig.json', 'node_modules/esbuild/package.json'];

const [entry, ...args] = process.argv.slice(2);
if (!entry || !entry.endsWith('.ts')) {
  console.error('usage: node scripts/run-ts.cjs <entry.ts> [args…]');
  process.exit(2);
}
const bundle = path.join(BUILD_DIR, `${path.relative(ROOT, path.resolve(entry)).replace(/[/\\]/g, '__').replace(/\.ts$/, '')}.js`);
const inputsFile = `${bundle}.inputs.json`;

const digest = (file) => crypto.createHash('sha256').update(fs.readFileSync(path.join(ROOT, file))).digest('hex');

/** True when the bundle exists and every file it was built from has the content it was built from. */
function isFresh() {
  try {
    const inputs = JSON.parse(fs.readFileSync(inputsFile, 'utf8'));
    return fs.existsSync(bundle) && Object.entries(inputs).every(([file, sum]) => digest(file) === sum);
  } catch {
    return false;
  }
}

function build() {
  // eslint-disable-next-line global-require
  const esbuild = require('esbuild');
  fs.mkdirSync(BUILD_DIR, { recursive: true });
  // Written beside and renamed, so that concurrent runs never load half a bundle.
  const partial = `${bundle}.${process.pid}.tmp`;
  const started = Date.now();
  const { metafile } = esbuild.buildSync({
    entryPoints: [path.resolve(entry)],
    absWorkingDir: ROOT,
    outfile: partial,
    bundle: true,
    // npm packages stay in node_modules and load with require(), as under tsx.
    packages: 'external',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    metafile: true,
    logLevel: 'warning',
  });
  const files = [...Object.keys(metafile.inputs), ...BUILD_INPUTS].sort();
  const inputs = Object.fromEntries(files.map((file) => [file, digest(file)]));
  fs.renameSync(partial, bundle);
  // A source saved while esbuild ran may not be in the bundle: then no record, and the next run rebuilds.
  if (files.some((file) => fs.statSync(path.join(ROOT, file)).mtimeMs > started)) return;
  fs.writeFileSync(`${inputsFile}.${process.pid}.tmp`, `${JSON.stringify(inputs, null, 1)}\n`);
  fs.renameSync(`${inputsFile}.${process.pid}.tmp`, inputsFile);
}

if (!isFresh()) build();
// No source maps (reading them costs ≈40 ms per start): stack traces point into the bundle, whose
// code is the sources' own, unminified, under a `// lib/…/file.ts` comment per file.
// The entry sees its own arguments only, as under `tsx <entry.ts> [args…]`.
process.argv = [process.argv[0], bundle, ...args];
require(bundle);
