import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import { buildApp, Stack } from '../../app/falco-otel-app';
import { Config, ConfigInput, configSchema } from '../../app/config-schema';
import { HelmRenderer, RenderCache } from '../../lib/helm/helm-renderer';
import { projectRoot } from '../../synth/project-root';

/** The run's temporary folder (global-setup.ts); TMPDIR points into it. */
export const SUITE_TMPDIR_ENV = 'FALCO_OTEL_TEST_SUITE_TMPDIR';
/** The run's render cache folder, shared by all test files. */
export const RENDER_CACHE_DIR_ENV = 'FALCO_OTEL_TEST_RENDER_CACHE';

/**
 * Renders kept as JSON files, one per render key, so that every test file and worker of a run
 * renders each distinct chart render once. Keys include the chart's digest, values and helm, so a
 * served render is the one helm would print (charts that render random values, webhookCerts
 * 'helm', are tested with a renderer of their own).
 */
export function diskRenderCache(dir: string): RenderCache {
  const memory = new Map<string, readonly unknown[]>();
  return {
    get: (key) => {
      if (!memory.has(key)) {
        try {
          memory.set(key, JSON.parse(fs.readFileSync(path.join(dir, `${key}.json`), 'utf8')));
        } catch {
          return undefined;
        }
      }
      return memory.get(key);
    },
    set: (key, documents) => {
      memory.set(key, documents);
      // Complete once it has its name: workers read it at the same time.
      const partial = path.join(dir, `${key}.${process.pid}.tmp`);
      fs.writeFileSync(partial, JSON.stringify(documents));
      fs.renameSync(partial, path.join(dir, `${key}.json`));
    },
  };
}

let renderer: HelmRenderer | undefined;

/** The renderer tests build with: the shared chart mirror (CHARTS_DIR), the run's render cache. */
export function testRenderer(): HelmRenderer {
  const dir = process.env[RENDER_CACHE_DIR_ENV];
  renderer ??= new HelmRenderer({ chartsDir: process.env.CHARTS_DIR, helmBinary: process.env.HELM_BIN || undefined, cache: dir ? diskRenderCache(dir) : undefined });
  return renderer;
}

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
export function synthStack(config: Config = testConfig(), env: NodeJS.ProcessEnv = process.env): Stack & { charts: Chart[]; objects: any[] } {
  const stack = buildApp(config, { renderer: testRenderer(), env });
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

/** The suite's own cluster config (what config/default.yaml held when it was written), so that no test depends on config/. */
export const TEST_CONFIG = path.join(projectRoot(), 'test', 'fixtures', 'cluster.yaml');

/** The pinned chart's archive in the suite's chart mirror (CHARTS_DIR). */
export function pinnedChartFile(chart: { name: string; version: string }): string {
  return path.join(process.env.CHARTS_DIR!, `${chart.name}-${chart.version}.tgz`);
}
