import * as fs from 'fs';
import * as path from 'path';
import { load } from 'js-yaml';

const ROOT = path.resolve(__dirname, '..');

describe('Flux kustomizations in deploy/flux', () => {
  const resources = (name: string) => {
    const dir = path.join(ROOT, 'deploy', 'flux', name);
    const kustomization = load(fs.readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
    return kustomization.resources.map((r) => path.relative(ROOT, path.resolve(dir, r)));
  };

  test('infra and collector list every file of dist/ exactly once, the collector last', () => {
    const infra = resources('infra');
    const collector = resources('collector');
    const dist = fs.readdirSync(path.join(ROOT, 'dist')).filter((f) => f.endsWith('.yaml')).map((f) => path.join('dist', f)).sort();
    expect([...infra, ...collector].sort()).toEqual(dist);
    expect(collector).toEqual(['dist/0003-collector.k8s.yaml']);
  });
});
