import * as fs from 'fs';
import * as path from 'path';
import Ajv2020 from 'ajv/dist/2020';
import { parse, stringify } from 'yaml';
import { loadConfig, parseConfig } from '../app/load-config';
import { TEST_CONFIG } from './support/helpers';
import { configJsonSchemaText } from '../app/config-schema';

// config/config.schema.json is what editors check config files with; it must be what
// lib/config/schema.ts says today (`npm run schema` regenerates it).

const ROOT = path.resolve(__dirname, '..');
const SCHEMA_FILE = path.join(ROOT, 'config', 'config.schema.json');
const DEFAULT_CONFIG = TEST_CONFIG;

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

  test('accepts the suite\'s config and every config/*.yaml, which the loader accepts too', () => {
    for (const file of fs.readdirSync(path.join(ROOT, 'config')).filter((f) => f.endsWith('.yaml'))) {
      expect([file, validator()(parse(fs.readFileSync(path.join(ROOT, 'config', file), 'utf8')))]).toEqual([file, true]);
    }
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

describe('the editor schema refuses exactly what the loader refuses, field by field', () => {
  const base = () => parse(fs.readFileSync(DEFAULT_CONFIG, 'utf8'));
  const RULE = { rule: 'r', desc: 'd', condition: 'proc.name = x', output: 'o' };
  const CASES: Array<[string, (c: any) => void]> = [
    ...['1.28.0', '1.33.9', '1.34.0', '1.27.1', 'v1.28.0', '1.28'].map((v): [string, (c: any) => void] => [`kubernetesVersion ${v}`, (c) => { c.kubernetesVersion = v; }]),
    ...['certgen', 'cert-manager', 'helm', 'none'].map((v): [string, (c: any) => void] => [`webhookCerts ${v}`, (c) => { c.otel.webhookCerts = v; }]),
    ...['WARNING', 'warning', 'Info', 'INFO', 'HIGH', 'informational', ''].map((v): [string, (c: any) => void] => [`priority ${JSON.stringify(v)}`, (c) => { c.falco.rules = [{ ...RULE, priority: v }]; }]),
    ...['api.honeycomb.io:443', '[::1]:443', '[:::::]:443', 'h:0', 'h:65536', 'https://h', 'x_y:1', '[2001:db8::1]:4317', '10.0.0.1:4317'].map((v): [string, (c: any) => void] => [`endpoint ${v}`, (c) => { c.honeycomb.endpoint = v; }]),
    ...['falco', 'a b', 'x'.repeat(256), 'fal\nco', '${env:X}', '$x', ''].map((v): [string, (c: any) => void] => [`dataset ${JSON.stringify(v).slice(0, 20)}`, (c) => { c.honeycomb.dataset = v; }]),
    ...['falco', 'kube-system', 'default', 'Falco', 'kube-public-x'].map((v): [string, (c: any) => void] => [`falco.namespace ${v}`, (c) => { c.falco.namespace = v; }]),
    ...['100m', '1', '-1', '256MB', '1Gi', '+1'].map((v): [string, (c: any) => void] => [`cpu ${v}`, (c) => { c.falco.resources = { requests: { cpu: v } }; }]),
    ...[1, -1, 0.5].map((v): [string, (c: any) => void] => [`memory ${v}`, (c) => { c.falco.resources = { limits: { memory: v } }; }]),
    ...['us', 'eu', 'de'].map((v): [string, (c: any) => void] => [`region ${v}`, (c) => { c.honeycomb.region = v; }]),
    ['1000 disabled tags', (c) => { c.falco.disabledTags = Array.from({ length: 1000 }, () => 'container'); }],
    ['1001 disabled tags', (c) => { c.falco.disabledTags = Array.from({ length: 1001 }, () => 'container'); }],
  ];

  test.each(CASES)('%s', (_name, edit) => {
    const config = base();
    edit(config);
    let loaderAccepts = true;
    try {
      // The schema's own checks only: rule names and conditions are the construct's (reported with file and line).
      parseConfig(stringify(config), 'c.yaml', {});
    } catch {
      loaderAccepts = false;
    }
    expect(validator()(config)).toBe(loaderAccepts);
  });
});
