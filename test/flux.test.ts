import * as fs from 'fs';
import * as path from 'path';
import { load } from 'js-yaml';
import { TEST_CONFIG, tempDir, testRenderer } from './support/helpers';
import { writeConfig } from './support/synth-cli';
import { clusterConfigs, synthesize } from '../synth/synthesize';

// Each output folder carries the two kustomization.yaml files Flux's Kustomizations point at
// (synth/flux-kustomizations.ts), written with the manifests: these check they list exactly the
// manifests beside them, the collector (and the demo) last, in the flat and the several-clusters layout.

const ROOT = path.resolve(__dirname, '..');

function resources(outputDir: string, name: 'infra' | 'collector'): string[] {
  const dir = path.join(outputDir, 'flux', name);
  const kustomization = load(fs.readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8')) as { kind: string; resources: string[] };
  expect(kustomization.kind).toBe('Kustomization');
  return kustomization.resources.map((r) => path.relative(outputDir, path.resolve(dir, r)));
}

function expectPair(outputDir: string, collector?: string[]): void {
  const manifests = fs.readdirSync(outputDir).filter((f) => f.endsWith('.k8s.yaml')).sort();
  expect([...resources(outputDir, 'infra'), ...resources(outputDir, 'collector')]).toEqual(manifests);
  if (collector) expect(resources(outputDir, 'collector')).toEqual(collector);
  else expect(resources(outputDir, 'collector')[0]).toBe('0003-collector.k8s.yaml');
}

describe('Flux kustomizations, generated into each output folder', () => {
  test('the committed dist/ (whatever the layout: one folder per cluster when config/ holds several)', () => {
    const dist = path.join(ROOT, 'dist');
    const clusters = clusterConfigs(path.join(ROOT, 'config'));
    for (const { folder } of clusters) expectPair(folder ? path.join(dist, folder) : dist);
  });

  test('several clusters, one with the demo: each folder its own pair, the demo in the collector\'s', async () => {
    const dir = path.dirname(writeConfig('cluster:\n  name: eu\n', 'eu.yaml'));
    fs.writeFileSync(path.join(dir, 'us.yaml'), `${fs.readFileSync(TEST_CONFIG, 'utf8').replace(/name: demo/, 'name: us')}demo:\n  enabled: true\n`.replace(/\ndemo:\n  enabled: false\n/, '\n'));
    const outdir = path.join(tempDir(), 'dist');
    await synthesize({ clusters: clusterConfigs(dir), outdir, secretsDir: tempDir(), renderer: testRenderer() });
    expectPair(path.join(outdir, 'eu'), ['0003-collector.k8s.yaml']);
    expectPair(path.join(outdir, 'us'), ['0003-collector.k8s.yaml', '0004-demo.k8s.yaml']);
  });
});
