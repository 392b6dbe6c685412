// `npm run schema`: publishes the config schema (app/config-schema.ts) as config/config.schema.json,
// which config files reference so that editors complete and check them.
import * as fs from 'fs';
import { configJsonSchemaText } from '../app/config-schema';
import { main } from '../cli/command';

main({
  name: 'schema',
  usage: 'usage: npm run schema\nWrites config/config.schema.json from app/config-schema.ts (editors check config files with it).',
  options: {},
  run: async (_values, io) => {
    fs.writeFileSync('config/config.schema.json', configJsonSchemaText());
    io.log('wrote config/config.schema.json');
  },
});
