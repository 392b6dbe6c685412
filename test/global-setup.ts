import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import './setup-env';
import { chartReleases } from '../lib/config/construct-props';
import { configSchema } from '../lib/config/schema';
import { fillRenderCache, RENDER_CACHE_ENV } from '../lib/helm/helm-release';

// The suite builds the app from a few configs many times over; each build runs `helm template` twice.
// A folder shared by all test files (and the synth CLIs they start) keeps one output per distinct
// render (lib/helm/helm-release.ts: withRenderCache, keyed by binary, arguments, values and helm's
// environment), so each chart is rendered about once per test run and configuration. The default
// config's two renders, which most test files need, are put there before any test file starts.
// Removed at the end.
export default async function globalSetup(): Promise<void> {
  if (process.env[RENDER_CACHE_ENV]) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'helm-renders-'));
  process.env[RENDER_CACHE_ENV] = dir;
  (globalThis as { renderCacheDir?: string }).renderCacheDir = dir;
  const defaults = configSchema.parse({ cluster: { name: 'test' } });
  await fillRenderCache(dir, chartReleases(defaults));
}
