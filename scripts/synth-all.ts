// `npm run synth:all -- --help`
import { SYNTH_ALL_COMMAND } from '../synth/synth-command';
import { main } from '../cli/command';

main(SYNTH_ALL_COMMAND);
