import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import './setup-env';
import { RENDER_CACHE_DIR_ENV, SUITE_TMPDIR_ENV, testRenderer } from './helpers';
import { chartTemplates } from '../../app/falco-otel-app';
import { configSchema } from '../../app/config-schema';

// Before any test file: one temporary folder for the whole run (TMPDIR points into it for every
// worker and every process the tests start, and global-teardown.ts removes it), with the suite's
// render cache in it, holding the default config's two charts already.
export default async function globalSetup(_global: unknown, project: { roots: string[] }): Promise<void> {
  const suite = fs.mkdtempSync(path.join(os.tmpdir(), 'falco-otel-tests-'));
  process.env[SUITE_TMPDIR_ENV] = suite;
  process.env.TMPDIR = suite;
  process.env[RENDER_CACHE_DIR_ENV] = path.join(suite, 'renders');
  fs.mkdirSync(process.env[RENDER_CACHE_DIR_ENV]!);
  await testRenderer().renderAll(chartTemplates(configSchema.parse({ cluster: { name: 'test' } })));
  const command = project.roots.some((r) => r.endsWith(`${path.sep}cli`)) ? 'npm run test:cli' : 'npm test';
  console.error(`\n${endToEndNotice(command)}`);
}

/** What `command` (a Node tier) says of the end-to-end tier, which it does not run. */
function endToEndNotice(command: string): string {
  const go = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (go.error || go.status !== 0) {
    return `${command}: the end-to-end tier was skipped: Go is not installed here (\`go version\` failed). `
      + 'It builds the real collector, kube-apiserver and operator from Go modules: install Go 1.26 or newer with access to the Go module proxy, then run `npm run test:e2e`.';
  }
  return `${command}: ${command === 'npm test' ? 'the unit tier' : 'the CLI tier'} only (${go.stdout.trim()} is here: \`npm run test:e2e\` runs the end-to-end tier).`;
}
