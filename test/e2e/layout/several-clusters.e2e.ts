// The several-clusters layout passes the whole unit suite: a copy of the repository's tracked files
// (the working tree's), its one config renamed to config/<its cluster.name>.yaml and a second
// cluster added, synthesized with `npm run synth` into dist/<cluster>/ (with each folder's Flux
// pair), then both Node tiers (`npm test`, `npm run test:cli`) in that copy. Nothing in the suite may assume the flat dist/ or
// config/default.yaml.

import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { projectRoot } from '../../../synth/project-root';

const ROOT = projectRoot();

function copyTrackedFiles(to: string): void {
  const files = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const file of files) {
    const from = path.join(ROOT, file);
    if (!fs.existsSync(from)) continue; // deleted in the working tree, not yet committed
    fs.mkdirSync(path.dirname(path.join(to, file)), { recursive: true });
    fs.copyFileSync(from, path.join(to, file));
  }
  // Installed things are shared, not copied: node_modules and the pinned helm.
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(to, 'node_modules'));
  fs.mkdirSync(path.join(to, '.cache'));
  fs.symlinkSync(path.join(ROOT, '.cache', 'helm'), path.join(to, '.cache', 'helm'));
  // Tests ask git what it ignores.
  execFileSync('git', ['init', '-q'], { cwd: to });
}

describe('the several-clusters layout', () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'falco-e2e-layout-'));
  const project = path.join(base, 'repo');
  // A test runs the CLI as nobody, who must reach the repository (mkdtemp makes it 0700).
  fs.chmodSync(base, 0o755);
  // The suite reads the shared fixtures and charts beside the repository, as CI provides them.
  fs.symlinkSync(path.resolve(ROOT, '..', 'shared'), path.join(base, 'shared'));
  afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

  test('config/<cluster>.yaml for two clusters: synth writes dist/<cluster>/, and the unit and CLI tiers pass there', () => {
    copyTrackedFiles(project);
    const configs = fs.readdirSync(path.join(project, 'config')).filter((f) => f.endsWith('.yaml'));
    expect(configs).toHaveLength(1);
    const first = parse(fs.readFileSync(path.join(project, 'config', configs[0]), 'utf8')).cluster.name;
    fs.renameSync(path.join(project, 'config', configs[0]), path.join(project, 'config', `${first}.yaml`));
    fs.writeFileSync(path.join(project, 'config', 'prod-eu.yaml'),
      '# yaml-language-server: $schema=./config.schema.json\ncluster:\n  name: prod-eu\nhoneycomb:\n  region: eu\ndemo:\n  enabled: true\n');

    const env = { ...process.env, CHARTS_DIR: process.env.CHARTS_DIR! };
    const synth = spawnSync(process.execPath, ['scripts/run-ts.cjs', 'scripts/synth.ts'], { cwd: project, env, encoding: 'utf8' });
    expect({ status: synth.status, stderr: synth.stderr }).toEqual({ status: 0, stderr: '' });
    expect(fs.readdirSync(path.join(project, 'dist')).sort()).toEqual(['.falco-otel-honeycomb', first, 'prod-eu'].sort());
    for (const cluster of [first, 'prod-eu']) {
      expect(fs.readdirSync(path.join(project, 'dist', cluster, 'flux')).sort()).toEqual(['collector', 'infra']);
    }
    expect(fs.readFileSync(path.join(project, 'dist', 'prod-eu', 'flux', 'collector', 'kustomization.yaml'), 'utf8')).toContain('../../0004-demo.k8s.yaml');

    // Both Node tiers: the unit tier (npm test) and the CLI tier (npm run test:cli).
    for (const [tier, config] of [['unit', 'jest.config.js'], ['CLI', 'jest.cli.config.js']]) {
      const suite = spawnSync(process.execPath, ['--max-semi-space-size=64', 'node_modules/jest/bin/jest.js', '--config', config, '--ci'], { cwd: project, env, encoding: 'utf8' });
      const summary = /^Tests: .*$/m.exec(suite.stderr)?.[0];
      process.stderr.write(`[several clusters] ${tier} tier in the layout: ${summary}\n`);
      if (suite.status !== 0) process.stderr.write(suite.stderr.split('\n').filter((l) => /●|✕|FAIL/.test(l)).slice(0, 40).join('\n'));
      expect([tier, suite.status]).toEqual([tier, 0]);
      expect(summary).toMatch(/^Tests: +\d+ passed, \d+ total$/);
    }
  });
});
