import * as fs from 'fs';
import * as path from 'path';
import { fileDigests, tempDir, TEST_CONFIG } from './support/helpers';
import { withEnvAsync } from './support/synth-cli';
import { clusterConfigs, synthesize } from '../synth/synthesize';

const ROOT = path.resolve(__dirname, '..');

/** Synthesizes the default config with a given environment, restoring process.env afterwards. */
async function synthWithEnv(env: Record<string, string>): Promise<string> {
  const outdir = path.join(tempDir(), 'dist');
  await withEnvAsync(env, () => synthesize({ clusters: [{ configFile: TEST_CONFIG }], outdir, secretsDir: tempDir() }));
  return outdir;
}

/** A kubeconfig whose current context points at another namespace, to show it has no effect. */
function kubeconfig(namespace: string): string {
  const file = path.join(tempDir(), 'config');
  fs.writeFileSync(file, [
    'apiVersion: v1', 'kind: Config', `current-context: ctx-${namespace}`,
    'clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]',
    `contexts: [{name: ctx-${namespace}, context: {cluster: c, namespace: ${namespace}, user: u}}]`,
    'users: [{name: u, user: {token: t}}]', '',
  ].join('\n'));
  return file;
}

describe('reproducible output', () => {
  const tmpA = tempDir();
  const tmpB = tempDir();
  let first: string;
  let second: string;
  beforeAll(async () => {
    first = await synthWithEnv({ TMPDIR: tmpA, HOME: tempDir(), KUBECONFIG: kubeconfig('kube-system'), CDK8S_DISABLE_SORT: '1' });
    second = await synthWithEnv({ TMPDIR: tmpB, HOME: tempDir(), KUBECONFIG: kubeconfig('default') });
  });

  test('two synths with different TMPDIR, HOME and kube context give byte-identical files', () => {
    const a = fileDigests(first);
    expect(Object.keys(a).length).toBeGreaterThanOrEqual(4);
    expect(fileDigests(second)).toEqual(a);
  });

  test('the committed dist/ is what this commit synthesizes from config/ (same bytes on any machine and day, any layout)', async () => {
    const outdir = path.join(tempDir(), 'dist');
    await synthesize({ clusters: clusterConfigs(path.join(ROOT, 'config')), outdir, secretsDir: tempDir() });
    expect(fileDigests(path.join(ROOT, 'dist'))).toEqual(fileDigests(outdir));
  });

  test('rendering charts leaves no temporary folders behind', () => {
    expect(fs.readdirSync(tmpA)).toEqual([]);
    expect(fs.readdirSync(tmpB)).toEqual([]);
  });
});
