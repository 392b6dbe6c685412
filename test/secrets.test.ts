import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { loadAll } from 'js-yaml';
import { parse } from 'yaml';
import { tempDir, testRenderer } from './support/helpers';
import { withEnvAsync } from './support/synth-cli';
import { synthesize } from '../synth/synthesize';

const ROOT = path.resolve(__dirname, '..');
const SENTINEL = 'hcaik_SENTINEL_0123456789abcdef_must_never_reach_dist';

/** Every file under `dir` as text. */
function readAll(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => fs.readFileSync(path.join(e.parentPath, e.name), 'utf8'));
}

describe('no secret material under dist/', () => {
  const work = tempDir();
  const configFile = path.join(work, 'cluster.yaml');
  fs.writeFileSync(configFile, 'cluster:\n  name: secret-test\nhoneycomb:\n  apiKey:\n    source: env\n');
  const outdir = path.join(work, 'dist');
  const secretsDir = path.join(work, 'secrets');
  beforeAll(() => withEnvAsync({ HONEYCOMB_API_KEY: SENTINEL }, () => synthesize({ clusters: [{ configFile }], outdir, secretsDir, renderer: testRenderer() })));
  const base64 = Buffer.from(SENTINEL).toString('base64');

  test('neither the API key (plain or base64) nor any private key or certificate is in dist/', () => {
    const files = readAll(outdir);
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const text of files) {
      expect(text).not.toContain(SENTINEL);
      expect(text).not.toContain(base64);
      expect(text).not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE/);
    }
  });

  test('dist/ holds no Secret object at all', () => {
    const kinds = readAll(outdir).flatMap((t) => loadAll(t)).map((d: any) => d?.kind);
    expect(kinds).not.toContain('Secret');
  });

  test('the Secret is written to secrets/<cluster>/, holding the key', () => {
    const dir = path.join(secretsDir, 'secret-test');
    expect(fs.readdirSync(dir).sort()).toEqual(['.synth-secrets.json', 'otel-honeycomb.yaml']);
    const manifest = 'otel-honeycomb.yaml';
    const secret = parse(fs.readFileSync(path.join(dir, manifest), 'utf8'));
    expect(secret).toMatchObject({ kind: 'Secret', metadata: { name: 'honeycomb', namespace: 'otel' } });
    expect(Buffer.from(secret.data['api-key'], 'base64').toString()).toBe(SENTINEL);
    expect(fs.statSync(path.join(dir, manifest)).mode & 0o777).toBe(0o600);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
  });

  test('git ignores secrets/ in this repository', () => {
    // check-ignore exits 0 when the path is ignored (it need not exist).
    expect(() => execFileSync('git', ['check-ignore', '-q', 'secrets/demo/otel-honeycomb.yaml'], { cwd: ROOT })).not.toThrow();
  });
});
