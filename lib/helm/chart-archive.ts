import { spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { load } from 'js-yaml';
import { readFileFromTarGz } from './tar-gz';
import { UserError } from '../errors';
import { PinnedChart } from '../pins';
import { cut } from '../text';

// A chart is trusted by the sha256 of its archive, never by its file name: every archive, from
// CHARTS_DIR or downloaded, is read once into memory, checked against the digests pinned in
// lib/helm/pins.json and against its own Chart.yaml, and only those checked bytes are given to helm.

/** A chart archive whose digest is pinned. */
export interface VerifiedChart {
  readonly chart: PinnedChart;
  readonly sha256: string;
  readonly bytes: Buffer;
  /** Where it was read from: a file, or the chart repository. */
  readonly origin: string;
}

/** No pinned chart comes close; a bigger file is not read at all. */
const MAX_ARCHIVE_BYTES = 16 * 1024 * 1024;

/** Checks `bytes` as an archive of `chart`; throws a UserError naming `origin`, both digests and the fix. */
export function verifyChartArchive(chart: PinnedChart, bytes: Buffer, origin: string): VerifiedChart {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const label = `${chart.name} ${chart.version}`;
  if (!chart.archives.some((a) => a.sha256 === sha256)) {
    const expected = chart.archives.map((a) => `${a.sha256} (${a.source})`).join('; or ');
    throw new UserError(`${origin}: sha256 ${sha256} is not a pinned digest of chart ${label}; expected ${expected}. `
      + `Fetch the pinned chart again (${pullCommand(chart, '<folder>')}), or, once you have checked where this archive comes from, add its sha256 to lib/helm/pins.json`);
  }
  let manifest: { name?: unknown; version?: unknown } | undefined;
  try {
    const text = readFileFromTarGz(bytes, `${chart.name}/Chart.yaml`);
    manifest = text ? (load(text.toString('utf8')) as typeof manifest) : undefined;
  } catch (err) {
    throw new UserError(`${origin}: is not a readable chart archive (${cut((err as Error).message, 200)}); expected the packaged chart ${label}`);
  }
  if (manifest?.name !== chart.name || String(manifest?.version) !== chart.version) {
    const found = manifest ? `name ${JSON.stringify(manifest.name)}, version ${JSON.stringify(manifest.version)}` : `no ${chart.name}/Chart.yaml`;
    throw new UserError(`${origin}: its Chart.yaml says ${found}; expected name "${chart.name}", version "${chart.version}"`);
  }
  return { chart, sha256, bytes, origin };
}

/** The pinned chart from a folder of packaged charts (`<name>-<version>.tgz`, as `helm pull` names them). */
export function chartFromFolder(chart: PinnedChart, chartsDir: string): VerifiedChart {
  const file = path.resolve(chartsDir, `${chart.name}-${chart.version}.tgz`);
  const where = `CHARTS_DIR=${chartsDir}`;
  const missing = `expected the pinned chart ${chart.name} ${chart.version} at ${file}: fetch it with \`${pullCommand(chart, chartsDir)}\`, or unset CHARTS_DIR to download it at synth time`;
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  if (!stat) throw new UserError(`${where} ${folderContent(chartsDir, chart.name)}; ${missing}`);
  if (!stat.isFile()) throw new UserError(`${file}: is not a regular file; ${missing}`);
  if (stat.size > MAX_ARCHIVE_BYTES) throw new UserError(`${file}: is ${stat.size} bytes, more than any chart archive (${MAX_ARCHIVE_BYTES}); ${missing}`);
  return verifyChartArchive(chart, fs.readFileSync(file), file);
}

/** The pinned chart downloaded from its repository by `helm pull` into `workDir`, then verified. */
export function downloadChart(chart: PinnedChart, helm: string, workDir: string, env: NodeJS.ProcessEnv, timeoutMs: number): VerifiedChart {
  const dest = fs.mkdtempSync(path.join(workDir, 'pull-'));
  const args = ['pull', chart.name, '--repo', chart.repo, '--version', chart.version, '--destination', dest];
  const run = spawnSync(helm, args, { encoding: 'utf8', env, timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 });
  const origin = `${chart.repo} (chart ${chart.name} ${chart.version})`;
  if (run.error || run.status !== 0) {
    const reason = (run.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT'
      ? `did not finish within ${timeoutMs / 1000} s`
      : cut(String(run.stderr ?? '').trim() || run.error?.message || `exit code ${run.status}`);
    throw new UserError(`${origin}: \`helm ${args.slice(0, 6).join(' ')}\` failed: ${reason}; expected the chart repository to be reachable: to render offline, set CHARTS_DIR to a folder holding ${chart.name}-${chart.version}.tgz (or raise --helm-timeout)`);
  }
  const file = path.join(dest, `${chart.name}-${chart.version}.tgz`);
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  if (!stat?.isFile() || stat.size > MAX_ARCHIVE_BYTES) throw new UserError(`${origin}: \`helm pull\` wrote no usable ${chart.name}-${chart.version}.tgz; expected the packaged chart`);
  return verifyChartArchive(chart, fs.readFileSync(file), origin);
}

function pullCommand(chart: PinnedChart, folder: string): string {
  return `helm pull ${chart.name} --repo ${chart.repo} --version ${chart.version} -d ${folder}`;
}

/** What a charts folder holds of a chart, for the message when the pinned version is missing. */
function folderContent(chartsDir: string, name: string): string {
  if (!fs.existsSync(chartsDir)) return 'does not exist';
  if (!fs.statSync(chartsDir).isDirectory()) return 'is not a folder';
  const others = fs.readdirSync(chartsDir).filter((f) => f.startsWith(`${name}-`) && /^\d/.test(f.slice(name.length + 1)) && f.endsWith('.tgz')).sort();
  return others.length > 0 ? `holds only ${others.join(', ')} of chart ${name}` : `holds no chart ${name}`;
}
