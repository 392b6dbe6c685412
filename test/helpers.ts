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

/** A fresh temporary folder, removed when the process exits. */
export function tempDir(prefix = 'falco-otel-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
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
