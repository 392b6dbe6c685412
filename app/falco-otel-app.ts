import { ApiObject, App, Chart } from 'cdk8s';
import { Config } from './config-schema';
import { LoadedConfig, throwConfigProblems } from './load-config';
import { NginxDemo } from '../lib/demo/nginx-demo';
import { FalcoDaemonSet, FalcoDaemonSetProps } from '../lib/falco/falco-daemon-set';
import { HelmRenderer, HelmTemplate } from '../lib/helm/helm-renderer';
import { HoneycombSecret, HoneycombSecretProps } from '../lib/honeycomb/honeycomb-secret';
import { SYNC_WAVE_ANNOTATION } from '../lib/k8s/annotations';
import { FalcoCollector } from '../lib/otel/falco-collector';
import { OtelOperator, OtelOperatorProps } from '../lib/otel/otel-operator';

// The app, in one place: a cluster's config becomes the props of the constructs, and the
// constructs go into one chart per deployable unit, in apply order. The synth pipeline (synth/)
// writes and validates what this builds; it knows nothing of the config.

export interface BuildOptions {
  /** Renders the charts. @default HelmRenderer.shared() */
  readonly renderer?: HelmRenderer;
  /** Where the API key comes from for `honeycomb.apiKey.source: env`. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
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

/** The props of the two chart-rendering constructs, from a config. */
function chartProps(config: Config, renderer?: HelmRenderer): { operator: OtelOperatorProps; falco: FalcoDaemonSetProps } {
  return {
    operator: {
      namespace: config.otel.namespace,
      webhookCerts: config.otel.webhookCerts,
      kubernetesVersion: config.kubernetesVersion,
      renderer,
    },
    falco: {
      ...config.falco,
      kubernetesVersion: config.kubernetesVersion,
      renderer,
    },
  };
}

/** The `helm template` runs buildApp(config) makes: rendered ahead (all at once) by HelmRenderer.renderAll. */
export function chartTemplates(config: Config): HelmTemplate[] {
  const props = chartProps(config);
  return [OtelOperator.chartTemplate(props.operator), FalcoDaemonSet.chartTemplate(props.falco)];
}

/** Every object of the chart gets its apply position as sync wave (0 = namespaces and CRDs). */
function annotateSyncWave(chart: Chart, wave: number): void {
  for (const object of chart.node.findAll().filter((c): c is ApiObject => c instanceof ApiObject)) {
    object.metadata.addAnnotation(SYNC_WAVE_ANNOTATION, String(wave));
  }
}

/**
 * Builds the whole stack from a validated config. Charts depend on each other so that they are
 * written in apply order: 0000 namespaces and CRDs, 0001 operator, 0002 Falco, 0003 collector, and
 * 0004 the walkthrough's nginx Pod when `demo.enabled`.
 */
export function buildApp(config: Config, options: BuildOptions = {}): Stack {
  const app = new App();
  const props = chartProps(config, options.renderer);
  const base = new Chart(app, 'namespaces-crds');

  const operatorChart = new Chart(app, 'otel-operator');
  const operator = new OtelOperator(operatorChart, 'operator', { ...props.operator, namespaceScope: base });

  const falcoChart = new Chart(app, 'falco');
  const falco = new FalcoDaemonSet(falcoChart, 'falco', { ...props.falco, namespaceScope: base });

  const collectorChart = new Chart(app, 'collector');
  const secretProps: HoneycombSecretProps = {
    namespace: config.otel.namespace,
    ...config.honeycomb.apiKey,
    apiKey: config.honeycomb.apiKey.source === 'env' ? (options.env ?? process.env).HONEYCOMB_API_KEY : undefined,
  };
  const secret = new HoneycombSecret(collectorChart, 'honeycomb', secretProps);
  // The rest of honeycomb.* (region, endpoint, dataset) are the collector's props as they are.
  const { apiKey: _apiKey, ...collectorProps } = config.honeycomb;
  const collector = new FalcoCollector(collectorChart, 'collector', {
    ...collectorProps,
    falco,
    secret,
    clusterName: config.cluster.name,
    namespaceScope: base,
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

/** Builds the stack from a loaded config; what the constructs find wrong in their props is reported as config problems, all at once. */
export function buildFromConfig(loaded: LoadedConfig, options: BuildOptions = {}): Stack {
  const stack = buildApp(loaded.config, options);
  throwConfigProblems(loaded, [{ prefix: 'falco', problems: stack.falco.problems() }]);
  return stack;
}
