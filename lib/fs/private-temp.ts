import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

// Temporary folders under TMPDIR that this tool makes (helm's private home, verified chart
// archives). Each carries an owner record, so that a later run can remove what a killed run left
// behind, and only that: a folder without our record, or whose process still runs, is never touched.

export const TEMP_PREFIX = 'falco-otel-honeycomb-';
const OWNER_FILE = '.owner.json';
const TOOL = 'falco-otel-honeycomb';

const created = new Set<string>();
let exitHookInstalled = false;

/** A new folder, mode 0700, removed when this process exits (or by a later run, if it is killed). */
export function createPrivateTempDir(purpose: string, tmpdir: string = os.tmpdir()): string {
  const dir = fs.mkdtempSync(path.join(tmpdir, `${TEMP_PREFIX}${purpose}-`));
  fs.chmodSync(dir, 0o700);
  fs.writeFileSync(path.join(dir, OWNER_FILE), `${JSON.stringify({ tool: TOOL, pid: process.pid })}\n`, { mode: 0o600 });
  created.add(dir);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', removePrivateTempDirs);
  }
  return dir;
}

/** Removes a folder made by createPrivateTempDir now. */
export function removePrivateTempDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
  created.delete(dir);
}

/** Removes every folder this process made and has not removed yet. */
export function removePrivateTempDirs(): void {
  for (const dir of created) removePrivateTempDir(dir);
}

/**
 * Removes the temporary folders of earlier runs that ended without cleaning up (kill -9, power
 * loss): those under TMPDIR with our owner record whose process no longer exists. Returns them.
 */
export function removeStaleTempDirs(tmpdir: string = os.tmpdir()): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(tmpdir).filter((n) => n.startsWith(TEMP_PREFIX));
  } catch {
    return removed;
  }
  for (const name of names) {
    const dir = path.join(tmpdir, name);
    const owner = readOwner(dir);
    if (!owner || owner.pid === process.pid || isAlive(owner.pid)) continue;
    fs.rmSync(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}

function readOwner(dir: string): { pid: number } | undefined {
  try {
    const stat = fs.lstatSync(dir);
    if (!stat.isDirectory() || stat.uid !== process.getuid?.()) return undefined;
    const owner = JSON.parse(fs.readFileSync(path.join(dir, OWNER_FILE), 'utf8'));
    return owner?.tool === TOOL && Number.isInteger(owner.pid) ? owner : undefined;
  } catch {
    return undefined;
  }
}

/** Whether process `pid` exists (one of another user counts). */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
