// `npm run deploy -- --help`
import { run } from '../deploy/deploy-command';

run(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
