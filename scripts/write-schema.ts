// `npm run schema`: publishes the config schema (lib/config/schema.ts) as config/config.schema.json,
// which config files reference so that editors complete and check them.
import * as fs from 'fs';
import { configJsonSchemaText } from '../lib/config/schema';

fs.writeFileSync('config/config.schema.json', configJsonSchemaText());
console.log('wrote config/config.schema.json');
