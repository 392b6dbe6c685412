// `npm run synth:all [-- --config-dir config] [-- --outdir dist]`: every config/<cluster>.yaml →
// dist/<cluster>/, validated and replaced together (a single config keeps the flat dist/).
import { parseArgs } from 'util';
import { runCli } from '../lib/synth/cli';
import { synthesizeAll } from '../lib/synth/synthesize';

runCli('accepted options: --config-dir <folder>, --outdir <dir>', () => {
  const { values } = parseArgs({
    options: {
      'config-dir': { type: 'string', default: 'config' },
      'outdir': { type: 'string', default: 'dist' },
    },
  });
  return synthesizeAll({ configDir: values['config-dir']!, outdir: values.outdir! });
});
