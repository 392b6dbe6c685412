import { ApiObject, App, Chart } from 'cdk8s';
import { falcoDaemonSetProps, otelOperatorProps } from './lib/config/construct-props';
import { Config } from './lib/config/schema';
import { NginxDemo } from './lib/demo/nginx-demo';
import { SYNC_WAVE_ANNOTATION } from './lib/k8s/annotations';
import { FalcoDaemonSet } from './lib/falco/falco-daemon-set';
import { HoneycombSecret } from './lib/honeycomb/honeycomb-secret';
import { FalcoCollector } from './lib/otel/falco-collector';
import { OtelOperator } from './lib/otel/otel-operator';

export interface BuildOptions {
  /** Folder the synthesized YAML goes to. @default - CDK8S_OUTDIR, else 'dist' */
  readonly outdir?: string;
  /** Folder for Secret manifests built from the environment. @default 'secrets' */
  readonly secretsDir?: string;
  /** Folder of packaged charts. @default - CHARTS_DIR */
  readonly chartsDir?: string;
}

/** The charts of the app, one per deployable unit, in apply order. */
export interface Stack {
  readonly app: App;
  readonly base: Chart;
  readonly operator: OtelOperator;
  readonly falco: FalcoDaemonSet;
  readonly secret: HoneycombSecret;
  readonly collector: FalcoCollector;
}

/** Every object of the chart gets its apply position as sync wave (0 = namespaces and CRDs). */
function annotateSyncWave(chart: Chart, wave: number): void {
  for (const object of chart.node.findAll().filter((c): c is ApiObject => c instanceof ApiObject)) {
    object.metadata.addAnnotation(SYNC_WAVE_ANNOTATION, String(wave));
  }
}

/**
 * Builds the whole stack from a validated config. Entry points: `npm run synth` (scripts/synth.ts,
 * validated, atomic dist/) and `npx cdk8s synth` (scripts/cdk8s-app.ts, as cdk8s.yaml says).
 * Charts depend on each other so that cdk8s prefixes their files in apply order: 0000 namespaces
 * and CRDs, 0001 operator, 0002 Falco, 0003 collector, and 0004 the walkthrough's nginx Pod when
 * `demo.enabled`.
 */
export function buildApp(config: Config, options: BuildOptions = {}): Stack {
  const app = new App({ outdir: options.outdir });
  const base = new Chart(app, 'namespaces-crds');

  const operatorChart = new Chart(app, 'otel-operator');
  const operator = new OtelOperator(operatorChart, 'operator', { ...otelOperatorProps(config, options.chartsDir), namespaceScope: base });

  const falcoChart = new Chart(app, 'falco');
  const falco = new FalcoDaemonSet(falcoChart, 'falco', { ...falcoDaemonSetProps(config, options.chartsDir), namespaceScope: base });

  const collectorChart = new Chart(app, 'collector');
  const secret = new HoneycombSecret(collectorChart, 'honeycomb', {
    namespace: config.otel.namespace,
    source: config.honeycomb.apiKey.source,
    secretName: config.honeycomb.apiKey.secretName,
    secretKey: config.honeycomb.apiKey.secretKey,
    secretsDir: options.secretsDir,
  });
  const collector = new FalcoCollector(collectorChart, 'collector', {
    falco,
    secret,
    clusterName: config.cluster.name,
    region: config.honeycomb.region,
    endpoint: config.honeycomb.endpoint,
    dataset: config.honeycomb.dataset,
  });

  operatorChart.addDependency(base);
  falcoChart.addDependency(operatorChart);
  collectorChart.addDependency(falcoChart);
  const charts = [base, operatorChart, falcoChart, collectorChart];
  if (config.demo.enabled) {
    const demoChart = new Chart(app, 'demo');
    new NginxDemo(demoChart, 'nginx');
    demoChart.addDependency(collectorChart);
    charts.push(demoChart);
  }
  charts.forEach(annotateSyncWave);
  // Argo CD's dry run fails on a kind whose CRD is not installed yet; the CRD comes in wave 0.
  collector.collector.metadata.addAnnotation('argocd.argoproj.io/sync-options', 'SkipDryRunOnMissingResource=true');
  return { app, base, operator, falco, secret, collector };
}
