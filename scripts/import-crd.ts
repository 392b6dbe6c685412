// `npm run import`: generates imports/opentelemetry.io.ts from the OpenTelemetryCollector CRD that
// the pinned operator chart ships, so the typed class matches what the cluster will serve.
// Only the storage version (v1beta1) is imported: all versions make ~1.4 MB of TypeScript that
// slows every compile, and this project writes v1beta1 only.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { stringify } from 'yaml';
import { main } from '../cli/command';
import { createPrivateTempDir } from '../lib/fs/private-temp';
import { HelmRenderer } from '../lib/helm/helm-renderer';
import { OtelOperator } from '../lib/otel/otel-operator';
import { OTEL_OPERATOR_CHART } from '../lib/pins';

const CRD_NAME = 'opentelemetrycollectors.opentelemetry.io';

main({
  name: 'import',
  usage: `usage: npm run import
Renders the pinned operator chart (${OTEL_OPERATOR_CHART.name} ${OTEL_OPERATOR_CHART.version}; CHARTS_DIR, HELM_BIN as for synth)
and generates imports/opentelemetry.io.ts from its ${CRD_NAME} CRD (storage version only).`,
  options: {},
  run: async (_values, io) => {
    const documents = HelmRenderer.fromEnvironment().render(OtelOperator.chartTemplate());
    const crd = structuredClone(documents.find((o) => o.kind === 'CustomResourceDefinition' && o.metadata?.name === CRD_NAME));
    if (!crd) throw new Error(`the operator chart rendered no CRD ${CRD_NAME}`);
    crd.spec.versions = crd.spec.versions.filter((v: { storage: boolean }) => v.storage);
    const work = createPrivateTempDir('import');
    const file = path.join(work, `${CRD_NAME}.yaml`);
    fs.writeFileSync(file, stringify(crd));
    const cdk8s = path.join(__dirname, '..', 'node_modules', '.bin', 'cdk8s');
    // --no-save: the import comes from a temporary file, which must not be recorded in cdk8s.yaml.
    execFileSync(cdk8s, ['import', file, '--language', 'typescript', '--output', 'imports', '--no-save', '--no-check-upgrade'], { stdio: 'inherit' });
    io.log(`imports/: ${CRD_NAME} (${crd.spec.versions.map((v: { name: string }) => v.name).join(', ')}) from ${OTEL_OPERATOR_CHART.name} ${OTEL_OPERATOR_CHART.version}`);
  },
});
