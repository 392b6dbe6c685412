import * as fs from 'fs';
import * as path from 'path';
import Ajv2020 from 'ajv/dist/2020';
import { parse } from 'yaml';
import { loadConfig } from '../app/load-config';
import { configJsonSchemaText } from '../app/config-schema';

// config/config.schema.json is what editors check config files with; it must be what
// lib/config/schema.ts says today (`npm run schema` regenerates it).

const ROOT = path.resolve(__dirname, '..');
const SCHEMA_FILE = path.join(ROOT, 'config', 'config.schema.json');
const DEFAULT_CONFIG = path.join(ROOT, 'config', 'default.yaml');

function validator() {
  const schema = JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8'));
  return new Ajv2020({ strict: false, allErrors: true }).compile(schema);
}

describe('config/config.schema.json', () => {
  test('is up to date with lib/config/schema.ts (else run `npm run schema`)', () => {
    expect(fs.readFileSync(SCHEMA_FILE, 'utf8')).toBe(configJsonSchemaText());
  });

  test('is a draft 2020-12 schema', () => {
    expect(JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8')).$schema).toBe('https://json-schema.org/draft/2020-12/schema');
  });

  test('accepts config/default.yaml, which the loader accepts too', () => {
    const validate = validator();
    const valid = validate(parse(fs.readFileSync(DEFAULT_CONFIG, 'utf8')));
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    expect(loadConfig(DEFAULT_CONFIG, {}).config.cluster.name).toBe('demo');
  });

  test('rejects what the loader rejects: an unknown key, a bad enum value, a wrong type', () => {
    const validate = validator();
    const config = parse(fs.readFileSync(DEFAULT_CONFIG, 'utf8'));
    expect(validate({ ...config, honeycomb: { ...config.honeycomb, datset: 'x' } })).toBe(false);
    expect(validate({ ...config, honeycomb: { ...config.honeycomb, region: 'de' } })).toBe(false);
    expect(validate({ ...config, falco: { ...config.falco, driver: 'ebpf' } })).toBe(false);
    expect(validate({ ...config, cluster: { name: 'Not_A_Label' } })).toBe(false);
    expect(validate({ ...config, falco: { ...config.falco, rules: [{ rule: 'r', severity: 'high' }] } })).toBe(false);
  });
});
