// `npm run import`: generates imports/opentelemetry.io.ts from the OpenTelemetryCollector CRD that
// the pinned operator chart ships, so the typed class matches what the cluster will serve.
// Only the storage version (v1beta1) is imported: all versions make ~1.4 MB of TypeScript that
// slows every compile, and this project writes v1beta1 only.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments, stringify } from 'yaml';
import { chartLocation, OTEL_OPERATOR_CHART, resolveHelm } from '../lib/helm/pinned';

const CRD_NAME = 'opentelemetrycollectors.opentelemetry.io';

function renderChart(): string {
  const location = chartLocation(OTEL_OPERATOR_CHART);
  const args = ['template', 'opentelemetry-operator', location.chart, '--namespace', 'otel', '--kube-version', '1.28.0',
    '--set', 'admissionWebhooks.certManager.enabled=false', '--set', 'admissionWebhooks.autoGenerateCert.enabled=false'];
  if (location.repo) args.push('--repo', location.repo, '--version', location.version!);
  return execFileSync(resolveHelm(), args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

function main(): void {
  const crd = parseAllDocuments(renderChart()).map((d) => d.toJSON()).find((o) => o?.kind === 'CustomResourceDefinition' && o.metadata.name === CRD_NAME);
  if (!crd) throw new Error(`the operator chart rendered no CRD ${CRD_NAME}`);
  crd.spec.versions = crd.spec.versions.filter((v: { storage: boolean }) => v.storage);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'import-crd-'));
  try {
    const file = path.join(work, `${CRD_NAME}.yaml`);
    fs.writeFileSync(file, stringify(crd));
    const cdk8s = path.join(__dirname, '..', 'node_modules', '.bin', 'cdk8s');
    // --no-save: the import comes from a temporary file, which must not be recorded in cdk8s.yaml.
    execFileSync(cdk8s, ['import', file, '--language', 'typescript', '--output', 'imports', '--no-save', '--no-check-upgrade'], { stdio: 'inherit' });
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  console.log(`imports/: ${CRD_NAME} (${crd.spec.versions.map((v: { name: string }) => v.name).join(', ')}) from ${OTEL_OPERATOR_CHART.name} ${OTEL_OPERATOR_CHART.version}`);
}

main();
