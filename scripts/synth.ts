// `npm run synth -- --help`
import { SYNTH_COMMAND } from '../synth/synth-command';
import { main } from '../cli/command';

main(SYNTH_COMMAND);
