#!/usr/bin/env node
// Part of npm's postinstall: points node_modules/.bin/cdk8s at scripts/cdk8s.cjs, which runs the
// pinned cdk8s-cli with its upgrade check off. That check asks the npm registry for the newest
// cdk8s-cli on every run and prints a banner (or, offline, a stack trace); a repository that pins
// its tools has nothing to gain from it. cdk8s-cli itself is not changed.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const link = path.join(root, 'node_modules', '.bin', 'cdk8s');
if (fs.existsSync(path.join(root, 'node_modules', 'cdk8s-cli'))) {
  fs.rmSync(link, { force: true });
  fs.symlinkSync(path.relative(path.dirname(link), path.join(root, 'scripts', 'cdk8s.cjs')), link);
  console.log('link-cdk8s: node_modules/.bin/cdk8s runs cdk8s-cli without its upgrade check (scripts/cdk8s.cjs)');
}
