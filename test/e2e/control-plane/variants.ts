// The config variants the control-plane tests synthesize, and the one way they are synthesized: the
// CLI, as a user runs it (`npm run synth`, `npm run synth:all`), into a fresh output folder.
import * as fs from 'fs';
import * as path from 'path';
import YAML from 'yaml';
import { runProcess, tempDir } from './control-plane';
import { KUBERNETES_MINORS } from '../../../lib/k8s/kubernetes-versions';
import { TEST_CONFIG } from '../../support/helpers';
import { projectRoot } from '../../../synth/project-root';

/**
 * Kubernetes versions each variant is rendered for (`kubernetesVersion` in the config): every
 * minor the app supports. Whatever the render, the apiserver under test is 1.33.
 */
export const KUBERNETES_VERSIONS: readonly string[] = KUBERNETES_MINORS.map((m) => `${m}.0`);

const REPO_ROOT = projectRoot();

export interface Variant {
  readonly name: string;
  /** Keys merged over the suite's test/fixtures/cluster.yaml (objects merged, everything else replaced). */
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

/** The suite's cluster config with `overrides` merged in. */
export function configWith(overrides: Record<string, unknown>): Record<string, unknown> {
  const base = YAML.parse(fs.readFileSync(TEST_CONFIG, 'utf8'));
  return merge(base, overrides);
}

export interface Synthesized {
  /** Folder (or folders, one per cluster with synth:all) of manifests, as `npm run deploy --dir` takes them. */
  readonly dirs: string[];
  /** Folder of the Secret manifests the synth built (source: env): `<secretsDir>/<cluster>/`, as deploy's --secrets takes it. */
  readonly secretsDir: string;
  /** What the CLI printed. */
  readonly output: string;
}

/**
 * Runs the synth CLI as a user would, into a fresh output folder:
 *   npm run synth -- --config <file> --outdir <dir> --secrets-dir <dir>          (one config)
 *   npm run synth:all -- --config-dir <dir> --outdir <dir> --secrets-dir <dir>   (several)
 */
export async function synthWithCli(configs: Record<string, Record<string, unknown>>, env: Record<string, string> = {}): Promise<Synthesized> {
  const work = tempDir('e2e-synth-');
  const outdir = path.join(work, 'dist'); // must not exist yet: the CLI creates it
  const secretsDir = path.join(work, 'secrets');
  const configDir = path.join(work, 'config');
  fs.mkdirSync(configDir);
  const names = Object.keys(configs);
  for (const name of names) fs.writeFileSync(path.join(configDir, `${name}.yaml`), YAML.stringify(configs[name]));
  const args = names.length === 1
    ? ['run', '--silent', 'synth', '--', '--config', path.join(configDir, `${names[0]}.yaml`), '--outdir', outdir, '--secrets-dir', secretsDir]
    : ['run', '--silent', 'synth:all', '--', '--config-dir', configDir, '--outdir', outdir, '--secrets-dir', secretsDir];
  const r = await runProcess('npm', args, { cwd: REPO_ROOT, env: { ...process.env, ...env } });
  if (r.code !== 0) throw new Error(`npm ${args.join(' ')} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  const dirs = names.length === 1 ? [outdir] : names.map((n) => path.join(outdir, n));
  return { dirs, secretsDir, output: r.stdout };
}

/** Every object of the manifest folders (multi-document YAML), in file order. */
export function readObjects(dir: string): any[] {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()
    .flatMap((f) => YAML.parseAllDocuments(fs.readFileSync(path.join(dir, f), 'utf8')).map((d) => d.toJSON()))
    .filter((o) => o && o.kind);
}
