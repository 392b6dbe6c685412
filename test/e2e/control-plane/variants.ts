// The config variants the control-plane tests synthesize, and the one way they are synthesized: the
// CLI, as a user runs it (`npm run synth`, `npm run synth:all`), into a fresh output folder.
import * as fs from 'fs';
import * as path from 'path';
import YAML from 'yaml';
import { runProcess, tempDir } from './control-plane';
import { REPO_ROOT } from './peers';

/**
 * Kubernetes versions each variant is rendered for (`kubernetesVersion` in the config).
 * The app accepts only 1.28 today; the lead replaces this with the app's own list of supported
 * minors (1.28–1.33) once it exists. Whatever the render, the apiserver under test is 1.33.
 */
export const KUBERNETES_VERSIONS: readonly string[] = ['1.28.0'];

export interface Variant {
  readonly name: string;
  /** Keys merged over config/default.yaml (objects merged, everything else replaced). */
  readonly config: Record<string, unknown>;
  /** Environment of the synth (e.g. HONEYCOMB_API_KEY). */
  readonly env?: Record<string, string>;
  /** CRDs the cluster needs before this variant's objects can be applied. */
  readonly needs?: 'cert-manager-crds';
}

/** A fake key, only ever sent to the loopback apiserver. */
export const TEST_API_KEY = 'e2e-test-key-0123456789abcdef';

export const VARIANTS: readonly Variant[] = [
  { name: 'default', config: {} },
  { name: 'region-eu', config: { honeycomb: { region: 'eu' } } },
  { name: 'custom-endpoint', config: { honeycomb: { endpoint: 'otlp.example.internal:4317' } } },
  { name: 'api-key-from-env', config: { honeycomb: { apiKey: { source: 'env' } } }, env: { HONEYCOMB_API_KEY: TEST_API_KEY } },
  { name: 'least-privileged-falco', config: { falco: { driver: 'modern_ebpf', leastPrivileged: true } } },
  { name: 'cert-manager', config: { otel: { webhookCerts: 'cert-manager' } }, needs: 'cert-manager-crds' },
];

/** Two clusters synthesized together by `npm run synth:all`. */
export const MULTI_CLUSTER: Record<string, Record<string, unknown>> = {
  'prod-us': { cluster: { name: 'prod-us' } },
  'prod-eu': { cluster: { name: 'prod-eu' }, honeycomb: { region: 'eu' } },
};

function merge(base: any, over: any): any {
  if (!over || typeof over !== 'object' || Array.isArray(over)) return over;
  const out: any = { ...(base ?? {}) };
  for (const [k, v] of Object.entries(over)) out[k] = merge(base?.[k], v);
  return out;
}

/** config/default.yaml with `overrides` merged in. */
export function configWith(overrides: Record<string, unknown>): Record<string, unknown> {
  const base = YAML.parse(fs.readFileSync(path.join(REPO_ROOT, 'config', 'default.yaml'), 'utf8'));
  return merge(base, overrides);
}

export interface Synthesized {
  /** Folder (or folders, one per cluster with synth:all) of manifests, as `npm run deploy --dir` takes them. */
  readonly dirs: string[];
  /** Folder of the Secret manifests the synth built (source: env), moved out of the repository. */
  readonly secretsDir: string;
  /** What the CLI printed. */
  readonly output: string;
}

const SECRETS_DIR = path.join(REPO_ROOT, 'secrets');

/**
 * Runs the synth CLI as a user would, into a fresh output folder:
 *   npm run synth -- --config <file> --outdir <dir>                    (one config)
 *   npm run synth:all -- --config-dir <dir> --outdir <dir>             (several)
 * The CLI writes Secrets (source: env) to ./secrets of the repository and has no option to put
 * them elsewhere, so whatever was there before is put back afterwards and the new ones are moved
 * into the test's folder.
 */
export async function synthWithCli(configs: Record<string, Record<string, unknown>>, env: Record<string, string> = {}): Promise<Synthesized> {
  const work = tempDir('e2e-synth-');
  const outdir = path.join(work, 'dist'); // must not exist yet: the CLI creates it
  const configDir = path.join(work, 'config');
  fs.mkdirSync(configDir);
  const names = Object.keys(configs);
  for (const name of names) fs.writeFileSync(path.join(configDir, `${name}.yaml`), YAML.stringify(configs[name]));
  const args = names.length === 1
    ? ['run', '--silent', 'synth', '--', '--config', path.join(configDir, `${names[0]}.yaml`), '--outdir', outdir]
    : ['run', '--silent', 'synth:all', '--', '--config-dir', configDir, '--outdir', outdir];

  const secretsBefore = snapshotFolder(SECRETS_DIR);
  let r;
  try {
    r = await runProcess('npm', args, { cwd: REPO_ROOT, env: { ...process.env, ...env } });
  } finally {
    const secretsDir = path.join(work, 'secrets');
    moveNewFiles(SECRETS_DIR, secretsDir, secretsBefore);
  }
  if (r.code !== 0) throw new Error(`npm ${args.join(' ')} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  const dirs = names.length === 1 ? [outdir] : names.map((n) => path.join(outdir, n));
  return { dirs, secretsDir: path.join(work, 'secrets'), output: r.stdout };
}

/** Content of every file under `dir`, by relative path (undefined when `dir` does not exist). */
function snapshotFolder(dir: string): Map<string, Buffer> | undefined {
  if (!fs.existsSync(dir)) return undefined;
  const files = new Map<string, Buffer>();
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else files.set(path.relative(dir, full), fs.readFileSync(full));
    }
  };
  walk(dir);
  return files;
}

/** Moves what the synth wrote under `from` to `to`, and restores `from` as it was. */
function moveNewFiles(from: string, to: string, before: Map<string, Buffer> | undefined): void {
  fs.mkdirSync(to, { recursive: true });
  const after = snapshotFolder(from) ?? new Map<string, Buffer>();
  for (const [rel, content] of after) {
    if (before?.get(rel)?.equals(content)) continue;
    fs.mkdirSync(path.dirname(path.join(to, rel)), { recursive: true });
    fs.writeFileSync(path.join(to, rel), content, { mode: 0o600 });
    if (before?.has(rel)) fs.writeFileSync(path.join(from, rel), before.get(rel)!);
    else fs.rmSync(path.join(from, rel));
  }
  if (!before) fs.rmSync(from, { recursive: true, force: true });
}

/** Every object of the manifest folders (multi-document YAML), in file order. */
export function readObjects(dir: string): any[] {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()
    .flatMap((f) => YAML.parseAllDocuments(fs.readFileSync(path.join(dir, f), 'utf8')).map((d) => d.toJSON()))
    .filter((o) => o && o.kind);
}
