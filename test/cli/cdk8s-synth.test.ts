import * as fs from 'fs';
import * as path from 'path';
import { fileDigests, tempDir } from '../support/helpers';
import { runProcess } from '../support/run-process';
import { resolveHelm } from '../../lib/helm/helm-binary';

// `npx cdk8s synth`, the path cdk8s users know, runs the same validated, crash-safe pipeline as
// `npm run synth`, never empties dist/, handles several clusters, and prints neither stack traces
// nor cdk8s-cli's upgrade check.

const ROOT = path.resolve(__dirname, '..', '..');

const run = (command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) => runProcess(command, args, { cwd: ROOT, ...options });

describe('npx cdk8s synth, in a throw-away copy of the project', () => {
  const project = path.join(tempDir('cdk8s-project-'), 'project');
  const env: NodeJS.ProcessEnv = { ...process.env, HELM_BIN: resolveHelm(undefined).path };
  delete env.CONFIG;
  delete env.CDK8S_CHECK_UPGRADE;
  const cdk8s = (extra: NodeJS.ProcessEnv = {}, ...args: string[]) => run('npx', ['cdk8s', 'synth', ...args], { cwd: project, env: { ...env, ...extra } });

  beforeAll(() => {
    fs.mkdirSync(project);
    for (const entry of ['app', 'cli', 'config', 'demo', 'deploy', 'dist', 'imports', 'lib', 'scripts', 'synth', 'main.ts', 'cdk8s.yaml', 'package.json', 'tsconfig.json']) {
      fs.cpSync(path.join(ROOT, entry), path.join(project, entry), { recursive: true });
    }
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(project, 'node_modules'));
  });

  test('writes dist/ as npm run synth does: the committed bytes, no stack trace, no upgrade check', async () => {
    const { status, stdout, stderr } = await cdk8s();
    expect(status).toBe(0);
    expect(fileDigests(path.join(project, 'dist'))).toEqual(fileDigests(path.join(ROOT, 'dist')));
    expect(stdout).toContain('0003-collector.k8s.yaml');
    expect(stderr).toMatch(/^dist\/: \d+ files, \d+ objects$/m);
    expect(`${stdout}${stderr}`).not.toMatch(/new version|cdk8s-cli is available|\bat .*\.js:\d+/);
  });

  test('a bad config fails with the same one-line message, and dist/ is not emptied (the CLI deletes only its scratch folder)', async () => {
    const before = fileDigests(path.join(project, 'dist'));
    const bad = path.join(project, 'bad.yaml');
    fs.writeFileSync(bad, 'cluster:\n  name: demo\nhoneycomb:\n  region: mars\n');
    const { status, stdout, stderr } = await cdk8s({ CONFIG: bad });
    expect(status).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([
      `synth failed: ${bad}:4: honeycomb.region: "mars" is not accepted; expected one of: us, eu`,
      'dist/ was left unchanged.',
      'ERROR: synthesis failed, app expected to create ".cache/cdk8s-cli/output"',
    ]);
    expect(stdout).not.toMatch(/\bat .*:\d+:\d+/);
    expect(fileDigests(path.join(project, 'dist'))).toEqual(before);
  });

  test('an object the API server would refuse fails validation, as with npm run synth', async () => {
    const bad = path.join(project, 'quantity.yaml');
    fs.writeFileSync(bad, 'cluster:\n  name: demo\nfalco:\n  resources:\n    limits: {memory: 256MB}\n');
    const { status, stderr } = await cdk8s({ CONFIG: bad });
    expect(status).toBe(1);
    expect(stderr).toContain(`synth failed: ${bad}:5: falco.resources.limits.memory: "256MB" is not a quantity`);
  });

  test('several configs in config/: one folder per cluster', async () => {
    for (const f of fs.readdirSync(path.join(project, 'config')).filter((n) => n.endsWith('.yaml'))) fs.rmSync(path.join(project, 'config', f));
    fs.writeFileSync(path.join(project, 'config', 'prod-us.yaml'), 'cluster:\n  name: prod-us\n');
    fs.writeFileSync(path.join(project, 'config', 'prod-eu.yaml'), 'cluster:\n  name: prod-eu\nhoneycomb:\n  region: eu\n');
    const { status, stderr } = await cdk8s();
    expect([status, stderr]).toEqual([0, expect.stringMatching(/^dist\/: 8 files/m)]);
    expect(fs.existsSync(path.join(project, 'dist', '0000-namespaces-crds.k8s.yaml'))).toBe(false);
    expect(fs.readdirSync(path.join(project, 'dist')).sort()).toEqual(['.falco-otel-honeycomb', 'prod-eu', 'prod-us']);
    expect(fs.readdirSync(path.join(project, 'dist', 'prod-eu')).filter((f) => f.endsWith('.yaml'))).toHaveLength(4);
  });
});
