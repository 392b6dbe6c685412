import * as fs from 'fs';
import * as path from 'path';
import { runProcess } from '../support/run-process';

// A user's machine without Go: `npm test` still passes and says the end-to-end tier was skipped,
// and why. Go is taken off PATH (every PATH folder holding a `go` is left out); one small test
// file keeps the run short, since the notice comes from the suite's global set-up, not the files.

const ROOT = path.resolve(__dirname, '..', '..');

test('npm test without Go on PATH: passes, and its first line says the end-to-end tier was skipped and why', async () => {
  const withoutGo = (process.env.PATH ?? '').split(path.delimiter).filter((dir) => dir && !fs.existsSync(path.join(dir, 'go'))).join(path.delimiter);
  const run = await runProcess('npm', ['test', '--', 'test/architecture.test.ts'], { cwd: ROOT, env: { ...process.env, PATH: withoutGo } });
  expect(run.status).toBe(0);
  expect(run.stderr).toContain('npm test: the end-to-end tier was skipped: Go is not installed here (`go version` failed).');
  expect(run.stderr).toContain('install Go 1.26 or newer with access to the Go module proxy, then run `npm run test:e2e`');
  expect(run.stderr).toMatch(/^Tests: +\d+ passed, \d+ total$/m);
});
