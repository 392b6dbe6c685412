import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import { buildApp, Stack } from '../main';
import { Config, ConfigInput, configSchema } from '../lib/config/schema';

/** A validated config: the defaults plus `input`. */
export function testConfig(input: Partial<ConfigInput> = {}): Config {
  return configSchema.parse({ cluster: { name: 'test' }, ...input });
}

const tempDirs: string[] = [];
process.on('exit', () => tempDirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

/** A fresh temporary folder, removed when the process exits. */
export function tempDir(prefix = 'falco-otel-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** Builds the app from `config` and returns the stack and every object, chart by chart. */
export function synthStack(config: Config = testConfig()): Stack & { charts: Chart[]; objects: any[] } {
  const stack = buildApp(config, { outdir: tempDir(), secretsDir: tempDir() });
  const charts = stack.app.charts;
  const objects = charts.flatMap((c) => Testing.synth(c));
  return { ...stack, charts, objects };
}

/** The one object of this kind (and name), or a failing expectation. */
export function findOne(objects: any[], kind: string, name?: string): any {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata?.name === name));
  if (found.length !== 1) {
    throw new Error(`expected one ${kind}${name ? `/${name}` : ''}, found ${found.length}`);
  }
  return found[0];
}

/**
 * Objects for a snapshot, with each CRD's `spec.versions` (thousands of lines copied from the
 * operator chart) replaced by its digest: the snapshot stays readable and still catches any change.
 */
export function snapshotView(objects: any[]): any[] {
  return objects.map((o) => (o.kind !== 'CustomResourceDefinition' ? o : {
    ...o,
    spec: { ...o.spec, versions: `sha256:${createHash('sha256').update(JSON.stringify(o.spec.versions)).digest('hex')}` },
  }));
}

/** sha256 of every file under `dir`, by relative path: equal results mean byte-identical folders. */
export function fileDigests(dir: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    result[path.relative(dir, file)] = createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  }
  return result;
}
