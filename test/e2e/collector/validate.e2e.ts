// Issue 11, points 1 and 2: the real collector (otelcol-k8s 0.158.0 built from modules) has every
// component the synthesized configs name, and `validate` plus a real start-up accept every config
// the app emits, with no deprecation warning.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as YAML from 'yaml';
import { literal } from '../../../lib/otel/collector-config';
import { peerBinary } from '../peers';
import { CollectorProcess } from './collector-process';
import { rewriteForNode, RunnableCollector } from './node-rewrite';
import { HoneycombStandIn } from './standin';
import { defaultClusterConfig, SynthesizedCollector, synthesizeCollectors } from './synthesized';

const KINDS = ['receivers', 'processors', 'exporters', 'extensions', 'connectors'] as const;

function variants(): Record<string, SynthesizedCollector> {
  const base = defaultClusterConfig();
  const with_ = (patch: (c: any) => void) => {
    const c = structuredClone(base);
    patch(c);
    return c;
  };
  const one = (config: any, env?: Record<string, string>) => synthesizeCollectors({ [config.cluster.name]: config }, { env })[0];
  const several = synthesizeCollectors({
    'prod-us': with_((c) => { c.cluster.name = 'prod-us'; }),
    'prod-eu': with_((c) => { c.cluster.name = 'prod-eu'; c.honeycomb.region = 'eu'; c.honeycomb.dataset = 'falco-eu'; }),
  }, { several: true });
  return {
    'default': one(base),
    'eu region': one(with_((c) => { c.honeycomb.region = 'eu'; })),
    'custom endpoint': one(with_((c) => { c.honeycomb.endpoint = 'otlp-gateway.observability.svc:4317'; })),
    'env Secret': one(with_((c) => { c.honeycomb.apiKey = { source: 'env' }; }), { HONEYCOMB_API_KEY: 'hcaik_e2e_not_a_real_key' }),
    'least-privileged Falco': one(with_((c) => { c.falco.driver = 'modern_ebpf'; c.falco.leastPrivileged = true; })),
    ...Object.fromEntries(several.map((s) => [`several clusters: ${s.cluster}`, s])),
  };
}

/** `otelcol-k8s components`: type names by kind. */
function binaryComponents(): Record<string, Set<string>> {
  const r = spawnSync(peerBinary('collector'), ['components'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`components failed: ${r.stderr}`);
  const parsed = YAML.parse(r.stdout);
  return Object.fromEntries(KINDS.map((k) => [k, new Set((parsed[k] ?? []).map((c: any) => c.name))]));
}

// The exporter connects at start-up; a stand-in to connect to keeps gRPC from logging refusals.
let standIn: HoneycombStandIn;

function runnableOf(s: SynthesizedCollector, dir: string): RunnableCollector {
  fs.mkdirSync(path.join(dir, 'pods'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'storage'), { recursive: true });
  return rewriteForNode(s, { podLogRoot: path.join(dir, 'pods'), storageDir: path.join(dir, 'storage'), endpoint: standIn.endpoint });
}

/** Warnings a start-up logs: zap's console encoder writes the level as its own column. */
function warnings(log: string): string[] {
  return log.split('\n').filter((l) => /\twarn\t|\terror\t/i.test(l) || /deprecat/i.test(l));
}

async function startUpLog(runnable: RunnableCollector, dir: string): Promise<string> {
  const c = new CollectorProcess(runnable, dir);
  await c.start();
  await c.stop();
  return c.log();
}

describe('the synthesized collector configs on the real otelcol-k8s 0.158.0', () => {
  const all = variants();
  const components = binaryComponents();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'falco-e2e-validate-'));
  beforeAll(async () => { standIn = await HoneycombStandIn.start(path.join(work, 'standin')); });
  afterAll(async () => {
    await standIn.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  test('the variants differ where their config says (so each run checks something)', () => {
    expect(all['eu region'].config.exporters.otlp_grpc.endpoint).toBe('api.eu1.honeycomb.io:443');
    expect(all['custom endpoint'].config.exporters.otlp_grpc.endpoint).toBe('otlp-gateway.observability.svc:4317');
    expect(all['default'].config.exporters.otlp_grpc.endpoint).toBe('api.honeycomb.io:443');
    expect(Object.keys(all).filter((k) => k.startsWith('several clusters')).length).toBe(2);
  });

  test.each(Object.keys(all))('%s: every component it names is one the binary has', (name) => {
    const { config } = all[name];
    const missing = KINDS.flatMap((kind) => Object.keys(config[kind] ?? {})
      .filter((id) => !components[kind].has(id.split('/')[0])).map((id) => `${kind}.${id}`));
    expect(missing).toEqual([]);
    expect(Object.keys(config.receivers).length).toBeGreaterThan(0);
  });

  test.each(Object.keys(all))('%s: validate passes, and a start-up logs no warning', async (name) => {
    const dir = path.join(work, name.replace(/[^a-z0-9]+/gi, '-'));
    const runnable = runnableOf(all[name], dir);
    const configFile = path.join(dir, 'validate.yaml');
    fs.writeFileSync(configFile, YAML.stringify(runnable.config));
    const r = spawnSync(peerBinary('collector'), ['validate', '--config', configFile, ...runnable.argv], {
      encoding: 'utf8', env: { PATH: process.env.PATH, ...runnable.env },
    });
    expect({ status: r.status, output: r.stdout + r.stderr }).toEqual({ status: 0, output: '' });
    // `validate` does not build the pipelines, so it never logs a deprecated alias; a start does.
    expect(warnings(await startUpLog(runnable, path.join(dir, 'run')))).toEqual([]);
  });

  test('the dataset is taken literally: service.name as written, `$` and `$$` included; `${env:…}` unescaped would put the API key there', () => {
    const dataset = 'alerts $prod $$eu ${x';
    const config = structuredClone(runnableOf(all['default'], path.join(work, 'literal')).config);
    const attribute = config.processors.resource.attributes.find((a: any) => a.key === 'service.name');
    const printed = (value: string) => {
      attribute.value = value;
      const dir = fs.mkdtempSync(path.join(work, 'literal-'));
      const file = path.join(dir, 'config.yaml');
      fs.writeFileSync(file, YAML.stringify(config));
      const r = spawnSync(peerBinary('collector'), ['print-config', '--mode', 'unredacted', '--config', file], {
        encoding: 'utf8', env: { PATH: process.env.PATH, HONEYCOMB_API_KEY: 'hcaik_e2e_key', K8S_POD_IP: '127.0.0.1', K8S_NODE_NAME: 'node-1' },
      });
      if (r.status !== 0) throw new Error(`print-config failed: ${r.stderr}`);
      return YAML.parse(r.stdout).processors.resource.attributes.find((a: any) => a.key === 'service.name').value;
    };
    // What the app writes for a dataset (lib/otel/collector-config.ts, literal()).
    expect(printed(literal(dataset))).toBe(dataset);
    // Unescaped, the collector reads `$$` as `$` and expands variables: why synth refuses "${" in a dataset.
    expect(printed('a$$b')).toBe('a$b');
    expect(printed('${env:HONEYCOMB_API_KEY}')).toBe('hcaik_e2e_key');
  });

  test('the warning check catches a deprecated alias (the same config with exporter `otlp`)', async () => {
    const runnable = runnableOf(all['default'], path.join(work, 'alias'));
    const config = structuredClone(runnable.config);
    config.exporters = { otlp: config.exporters.otlp_grpc };
    config.service.pipelines.logs.exporters = ['otlp'];
    const found = warnings(await startUpLog({ ...runnable, config }, path.join(work, 'alias', 'run')));
    expect(found.join('\n')).toMatch(/"otlp" alias is deprecated; use "otlp_grpc" instead/);
  });
});
