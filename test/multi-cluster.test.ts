import * as fs from 'fs';
import * as path from 'path';
import { loadAll } from 'js-yaml';
import { fileDigests, tempDir, testRenderer } from './support/helpers';
import { clusterConfigs, synthesize } from '../synth/synthesize';

const RULE = (name: string) => [
  '  rules:',
  `    - rule: ${name}`,
  '      desc: test rule',
  '      condition: spawned_process and proc.name = nc',
  '      output: netcat started (command=%proc.cmdline)',
  '      priority: WARNING',
].join('\n');

function writeConfigs(configs: Record<string, string>): string {
  const dir = tempDir();
  for (const [name, text] of Object.entries(configs)) fs.writeFileSync(path.join(dir, `${name}.yaml`), text);
  return dir;
}

/** Every object under `dir`, by relative file path. */
function objectsIn(dir: string): Record<string, any[]> {
  const result: Record<string, any[]> = {};
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    // Manifests only: not the folders' records of what synth wrote (OUTPUT_RECORD).
    if (!entry.isFile() || !entry.name.endsWith('.k8s.yaml')) continue;
    const file = path.join(entry.parentPath, entry.name);
    result[path.relative(dir, file)] = loadAll(fs.readFileSync(file, 'utf8')).filter(Boolean);
  }
  return result;
}

const collectorOf = (objects: Record<string, any[]>, cluster: string) =>
  objects[`${cluster}/0003-collector.k8s.yaml`].find((o) => o.kind === 'OpenTelemetryCollector');
const customRulesOf = (objects: Record<string, any[]>, cluster: string) =>
  objects[`${cluster}/0002-falco.k8s.yaml`].find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'falco-rules').data['custom-rules.yaml'];

describe('npm run synth:all: one folder per cluster', () => {
  const configDir = writeConfigs({
    'prod-us': `cluster:\n  name: prod-us\nhoneycomb:\n  region: us\nfalco:\n${RULE('Netcat in prod-us')}\n`,
    'prod-eu': `cluster:\n  name: prod-eu\nhoneycomb:\n  region: eu\nfalco:\n${RULE('Netcat in prod-eu')}\n`,
  });
  const outdir = path.join(tempDir(), 'dist');
  let result: Awaited<ReturnType<typeof synthesize>>;
  let objects: Record<string, any[]>;
  beforeAll(async () => {
    result = await synthesize({ clusters: clusterConfigs(configDir), outdir, secretsDir: tempDir(), renderer: testRenderer() });
    objects = objectsIn(outdir);
  });

  test('writes dist/<cluster>/ with the four charts for each config, in apply order', () => {
    const charts = ['0000-namespaces-crds.k8s.yaml', '0001-otel-operator.k8s.yaml', '0002-falco.k8s.yaml', '0003-collector.k8s.yaml'];
    expect(Object.keys(objects).sort()).toEqual([...charts.map((c) => `prod-eu/${c}`), ...charts.map((c) => `prod-us/${c}`)]);
    expect(result.files).toEqual(Object.keys(objects).sort());
    expect(result.summary).toMatch(/prod-eu\/0003-collector\.k8s\.yaml/);
  });

  test('each cluster gets its own name, region endpoint and rules', () => {
    for (const [cluster, endpoint] of [['prod-us', 'api.honeycomb.io:443'], ['prod-eu', 'api.eu1.honeycomb.io:443']]) {
      const collector = collectorOf(objects, cluster);
      const config = collector.spec.config;
      const exporter = Object.values(config.exporters)[0] as { endpoint: string };
      expect(exporter.endpoint).toBe(endpoint);
      expect(config.processors.resource.attributes).toContainEqual(expect.objectContaining({ key: 'k8s.cluster.name', value: cluster }));
      expect(customRulesOf(objects, cluster)).toContain(`Netcat in ${cluster}`);
      const other = cluster === 'prod-us' ? 'prod-eu' : 'prod-us';
      expect(customRulesOf(objects, cluster)).not.toContain(`Netcat in ${other}`);
    }
  });

  test('deterministic: a second run writes the same bytes', async () => {
    const again = path.join(tempDir(), 'dist');
    await synthesize({ clusters: clusterConfigs(configDir), outdir: again, secretsDir: tempDir(), renderer: testRenderer() });
    expect(fileDigests(again)).toEqual(fileDigests(outdir));
  });

  test('atomic: one bad cluster config leaves every cluster folder untouched', async () => {
    const before = fileDigests(outdir);
    const broken = writeConfigs({
      'prod-us': `cluster:\n  name: prod-us\n`,
      'prod-eu': `cluster:\n  name: prod-eu\nhoneycomb:\n  region: mars\n`,
    });
    await expect(synthesize({ clusters: clusterConfigs(broken), outdir, secretsDir: tempDir(), renderer: testRenderer() })).rejects.toThrow(/prod-eu\.yaml:4: honeycomb\.region: "mars"/);
    expect(fileDigests(outdir)).toEqual(before);
    expect(fs.readdirSync(path.dirname(outdir))).toEqual(['dist']);
  });

  test('a config whose cluster.name differs from its file name is refused', async () => {
    const mismatched = writeConfigs({ a: 'cluster:\n  name: a\n', b: 'cluster:\n  name: production\n' });
    await expect(synthesize({ clusters: clusterConfigs(mismatched), outdir: path.join(tempDir(), 'dist') }))
      .rejects.toThrow(/b\.yaml:2: cluster\.name: "production" differs from the file name; expected "b"/);
  });
});

describe('a single-cluster repository keeps the flat dist/', () => {
  test('one config writes the charts directly into dist/', async () => {
    const configDir = writeConfigs({ default: 'cluster:\n  name: demo\n' });
    const outdir = path.join(tempDir(), 'dist');
    await synthesize({ clusters: clusterConfigs(configDir), outdir, secretsDir: tempDir(), renderer: testRenderer() });
    expect(fs.readdirSync(outdir).sort()).toEqual(['.falco-otel-honeycomb', '0000-namespaces-crds.k8s.yaml', '0001-otel-operator.k8s.yaml', '0002-falco.k8s.yaml', '0003-collector.k8s.yaml', 'flux']);
  });
});
