// Run by test/cli/tmpdir.test.ts in a process of its own, with TMPDIR pointing at an empty folder: it
// uses the suite's helpers the way test files do (temporary folders, the renderer, in-process
// synths with the suite's renderer and their own, the synth CLI), then exits. The folder must be empty afterwards.
import * as path from 'path';
import { synthStack, tempDir, TEST_CONFIG, testRenderer } from './helpers';
import { runSynthCli, scratchDir, writeConfig } from './synth-cli';
import { synthesize } from '../../synth/synthesize';

async function probe(): Promise<void> {
  synthStack();
  await synthesize({ clusters: [{ configFile: TEST_CONFIG }], outdir: path.join(tempDir(), 'dist'), secretsDir: scratchDir(), renderer: testRenderer() });
  testRenderer().dispose();
  await synthesize({ clusters: [{ configFile: TEST_CONFIG }], outdir: path.join(tempDir(), 'dist'), secretsDir: scratchDir() });
  const cli = await runSynthCli(['--config', writeConfig('cluster:\n  name: probe\n'), '--outdir', path.join(scratchDir(), 'dist')], process.env);
  if (cli.status !== 0) throw new Error(`synth CLI failed: ${cli.stderr}`);
}

probe().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
