import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { tempDir } from '../support/helpers';

// After npm test, nothing is left in TMPDIR: the run's folder (global-setup.ts) is removed at the
// end, and the helpers clean up after themselves too. This runs them in a process of their own with
// an isolated, empty TMPDIR, and checks that it is empty again when the process has exited.
test('the suite\'s helpers leave nothing in TMPDIR: temporary folders, renders, an in-process synth, the synth CLI', () => {
  const isolated = tempDir('isolated-tmpdir-');
  const root = path.resolve(__dirname, '..', '..');
  const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: isolated };
  delete env.FALCO_OTEL_TEST_RENDER_CACHE;
  const run = spawnSync(process.execPath, [path.join(root, 'scripts', 'run-ts.cjs'), path.join(root, 'test', 'support', 'tmpdir-probe.ts')], { cwd: root, env, encoding: 'utf8' });
  expect([run.status, run.stderr]).toEqual([0, '']);
  expect(fs.readdirSync(isolated)).toEqual([]);
});
