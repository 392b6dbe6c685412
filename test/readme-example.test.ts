import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { tempDir } from './support/helpers';
import { validateManifestFolder } from '../synth/validate/validate-manifests';

// The README's "Using the constructs in your own cdk8s app" block, run as it stands there: a
// user copying it gets what this test checks.

const ROOT = path.resolve(__dirname, '..');
const SECTION = '## Using the constructs in your own cdk8s app';

function readmeExample(): string {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf(SECTION));
  const block = /```ts\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error(`no ts block under "${SECTION}" in README.md`);
  return block[1];
}

test('the README\'s own-app example synthesizes one valid chart with the whole stack, grown as it says', () => {
  const source = readmeExample();
  expect(source).toContain("from './lib'");
  const dir = tempDir('readme-example-');
  const outdir = path.join(dir, 'dist');
  const file = path.join(dir, 'app.ts');
  // Written outside the repository, so its imports are resolved to the repository's.
  fs.writeFileSync(file, source
    .replace("from './lib'", `from ${JSON.stringify(path.join(ROOT, 'lib'))}`)
    .replace("from 'cdk8s'", `from ${JSON.stringify(require.resolve('cdk8s'))}`));
  const previous = process.env.CDK8S_OUTDIR;
  process.env.CDK8S_OUTDIR = outdir;
  try {
    jest.isolateModules(() => require(file));
  } finally {
    if (previous === undefined) delete process.env.CDK8S_OUTDIR; else process.env.CDK8S_OUTDIR = previous;
  }

  expect(fs.readdirSync(outdir)).toEqual(['security.k8s.yaml']);
  const objects = parseAllDocuments(fs.readFileSync(path.join(outdir, 'security.k8s.yaml'), 'utf8')).map((d) => d.toJS());
  const find = (kind: string, name?: string) => objects.filter((o) => o.kind === kind && (!name || o.metadata.name === name));
  expect(find('Namespace').map((n) => [n.metadata.name, n.metadata.labels['pod-security.kubernetes.io/enforce']]).sort())
    .toEqual([['falco', 'privileged'], ['otel', 'privileged']]);
  expect(find('DaemonSet', 'falco')).toHaveLength(1);
  expect(find('Deployment', 'opentelemetry-operator')).toHaveLength(1);
  expect(find('Secret')).toEqual([]);

  const [collector] = find('OpenTelemetryCollector');
  expect(collector.metadata.namespace).toBe('otel');
  expect(collector.spec.config.service.pipelines.logs.processors).toEqual(['memory_limiter', 'resource', 'filter/noisy-rules']);
  expect(collector.spec.config.processors['filter/noisy-rules'].logs.log_record).toHaveLength(1);
  expect(collector.spec.config.exporters.otlp_grpc.endpoint).toBe('api.eu1.honeycomb.io:443');

  const falcoFiles = find('ConfigMap').map((c) => Object.values(c.data ?? {}).join('\n')).join('\n');
  expect(falcoFiles).toContain('Netcat in container');
  expect(falcoFiles).toMatch(/disable:\s*\n\s*rule: Find AWS Credentials/);

  expect(validateManifestFolder(outdir, { kubernetesVersion: '1.28.0' })).toEqual([]);
});
