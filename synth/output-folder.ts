import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { projectRoot, SOURCE_FOLDERS } from './project-root';
import { UserError } from '../lib/errors';
import { isAlive } from '../lib/fs/private-temp';

// The output folder (dist/ or --outdir) is replaced as a whole, and only when this tool owns it:
// every folder it writes carries a record of the files it wrote there (OUTPUT_RECORD), and a folder
// holding anything else is refused, never emptied. The replacement survives kill -9 at any instant:
// a journal beside the folder says which complete folders exist during the swap, and the next run
// finishes or undoes it (recoverOutputFolder) before it does anything else.

/** The record in each output folder of what this tool wrote there. No .yaml/.json name: GitOps tools and kubectl skip it. */
export const OUTPUT_RECORD = '.falco-otel-honeycomb';
const TOOL = 'falco-otel-honeycomb';

/**
 * What an output folder holds: files by path (`flux/infra/kustomization.yaml` makes its folders),
 * and subfolders with outputs of their own (one per cluster, each with its record).
 */
export interface OutputTree {
  readonly files: ReadonlyMap<string, string>;
  readonly folders?: ReadonlyMap<string, OutputTree>;
  /** The cluster this folder is the output of, if one. */
  readonly cluster?: string;
}

interface OutputRecord {
  readonly tool: typeof TOOL;
  readonly cluster?: string;
  readonly files: Record<string, string>;
  readonly folders: string[];
}

/** A failure of the pipeline, and whether the output folder had already been replaced. */
export class OutputError extends UserError {
  constructor(message: string, readonly outputChanged: boolean) {
    super(message);
  }
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** The record an output folder of `tree` carries: deterministic, so a committed dist/ does not churn. */
function recordOf(tree: OutputTree): string {
  const record: OutputRecord = {
    tool: TOOL,
    ...(tree.cluster ? { cluster: tree.cluster } : {}),
    files: Object.fromEntries([...tree.files].sort(([a], [b]) => a.localeCompare(b)).map(([name, text]) => [name, sha256(text)])),
    folders: [...(tree.folders?.keys() ?? [])].sort(),
  };
  return `${JSON.stringify(record, null, 1)}\n`;
}

/** The record of the output folder `dir`, if it has a valid one. */
export function readOutputRecord(dir: string): OutputRecord | undefined {
  try {
    const record = JSON.parse(fs.readFileSync(path.join(dir, OUTPUT_RECORD), 'utf8'));
    if (record?.tool !== TOOL || typeof record.files !== 'object' || !Array.isArray(record.folders)) return undefined;
    return record;
  } catch {
    return undefined;
  }
}

/** The digest that identifies one synth's output of a folder: its record's. */
export function outputDigest(dir: string): string | undefined {
  try {
    return sha256(fs.readFileSync(path.join(dir, OUTPUT_RECORD)));
  } catch {
    return undefined;
  }
}

// Output of versions before the record existed: manifest files named by cdk8s's chart order.
const LEGACY_MANIFEST = /^\d{4}-[a-z0-9-]+\.k8s\.yaml$/;

/**
 * Why this tool may not replace `dir` (an entry it did not write), or undefined. `record` and
 * `prefix` describe a folder inside an output folder (`flux/`), whose files its record lists.
 */
function foreignContent(dir: string, record: OutputRecord | undefined = readOutputRecord(dir), prefix = ''): string | undefined {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    const rel = `${prefix}${entry.name}`;
    let inner: string | undefined | false = false;
    if (!record) {
      // Output of earlier versions: numbered manifests, one folder of them per cluster.
      if (entry.isFile() && LEGACY_MANIFEST.test(entry.name)) continue;
      if (entry.isDirectory() && !prefix && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(entry.name)) inner = foreignContent(full, undefined, `${rel}/`);
    } else if (entry.isFile() && (rel in record.files || (rel === OUTPUT_RECORD))) {
      continue;
    } else if (entry.isDirectory() && !prefix && record.folders.includes(entry.name)) {
      inner = foreignContent(full);
    } else if (entry.isDirectory() && Object.keys(record.files).some((f) => f.startsWith(`${rel}/`))) {
      inner = foreignContent(full, record, `${rel}/`);
    }
    if (inner === false) return `${full}${entry.isDirectory() ? '/' : ''}`;
    if (inner) return inner;
  }
  return undefined;
}

/**
 * Throws a UserError, touching nothing, unless `target` is a folder this tool may replace: not the
 * repository, a parent of it or one of its source folders; absent, empty, or holding only what a
 * synth wrote; a real, writable folder (not a file or a symlink).
 */
export function checkOutputTarget(target: string, root: string = projectRoot()): void {
  const resolved = path.resolve(target);
  const real = realPathOf(resolved);
  const shown = (p: string) => path.relative(process.cwd(), p) || '.';
  const refuse = (why: string) => new UserError(`--outdir ${target}: ${why}; expected a folder of its own for the output, such as dist (the default)`);
  for (const candidate of new Set([resolved, real])) {
    if (candidate === root) throw refuse('is the repository itself, which synth would replace with its output');
    const up = path.relative(candidate, root);
    if (up && !up.startsWith('..') && !path.isAbsolute(up)) throw refuse(`is a parent of the repository (${root}), which synth would replace with its output`);
    const inside = path.relative(root, candidate);
    if (!inside.startsWith('..') && !path.isAbsolute(inside)) {
      const top = inside.split(path.sep)[0];
      if (SOURCE_FOLDERS.includes(top)) throw refuse(`is ${top === inside ? '' : 'inside '}the repository's ${top}/ folder, which holds sources or tools`);
    }
  }
  const stat = fs.lstatSync(resolved, { throwIfNoEntry: false });
  if (!stat) return;
  if (stat.isSymbolicLink()) throw refuse(`is a symbolic link (to ${fs.readlinkSync(resolved)}); synth replaces a real folder only, and never follows a link to replace what it points to`);
  if (!stat.isDirectory()) throw refuse('is a file, not a folder');
  const foreign = foreignContent(resolved);
  if (foreign) {
    throw refuse(`holds ${shown(foreign)}, which no synth wrote (${OUTPUT_RECORD} lists what synth wrote there); move it away, or choose another folder`);
  }
  for (const dir of [resolved, path.dirname(resolved)]) {
    try {
      fs.accessSync(dir, fs.constants.W_OK);
    } catch {
      throw refuse(`${dir === resolved ? 'is' : `is in ${shown(dir)}, which is`} not writable`);
    }
  }
}

function realPathOf(p: string): string {
  // The nearest existing ancestor's real path, with the rest appended.
  const missing: string[] = [];
  for (let dir = p; ; dir = path.dirname(dir)) {
    try {
      return path.join(fs.realpathSync(dir), ...missing.reverse());
    } catch {
      if (path.dirname(dir) === dir) return p;
      missing.push(path.basename(dir));
    }
  }
}

/** Names of the folders and files beside `target` that a replacement uses. */
function sideNames(target: string) {
  const parent = path.dirname(target);
  const base = path.basename(target);
  return {
    parent,
    journal: path.join(parent, `.${base}.swap`),
    lock: path.join(parent, `.${base}.lock`),
    staging: (id: string) => path.join(parent, `.${base}.staging-${id}`),
    old: (id: string) => path.join(parent, `.${base}.old-${id}`),
    pattern: new RegExp(`^\\.${escapeRegExp(base)}\\.(staging|old)-(\\d+)-[0-9a-f]+$`),
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

interface Journal { staging: string; old: string }

/**
 * Finishes or undoes a replacement of `target` that a killed run left halfway, then removes what
 * interrupted runs left beside it (staging folders, old copies). Returns what it did, one line each.
 */
export function recoverOutputFolder(target: string): string[] {
  const names = sideNames(path.resolve(target));
  const done: string[] = [];
  const journal = readJournal(names.journal);
  if (journal) {
    const staging = path.join(names.parent, journal.staging);
    const old = path.join(names.parent, journal.old);
    const targetExists = fs.existsSync(names.parent) && fs.lstatSync(path.resolve(target), { throwIfNoEntry: false }) !== undefined;
    if (!targetExists) {
      // Killed between the two renames: the new output (complete: its record is written last) or the old one goes back.
      if (readOutputRecord(staging)) {
        fs.renameSync(staging, path.resolve(target));
        done.push(`finished the replacement of ${target} that an interrupted synth left halfway (the new output is in place)`);
      } else if (fs.existsSync(old)) {
        fs.renameSync(old, path.resolve(target));
        done.push(`put back the previous ${target} that an interrupted synth had moved aside`);
      }
    }
    syncDir(names.parent);
    fs.rmSync(names.journal, { force: true });
    syncDir(names.parent);
  }
  // The lock of a killed run.
  const holder = Number(safeRead(names.lock));
  if (holder && holder !== process.pid && !isAlive(holder)) fs.rmSync(names.lock, { force: true });
  // No journal: leftovers of runs killed before their swap began, or after it ended.
  for (const name of safeReaddir(names.parent)) {
    const match = names.pattern.exec(name);
    if (!match || isAlive(Number(match[2]))) continue;
    fs.rmSync(path.join(names.parent, name), { recursive: true, force: true });
    done.push(`removed ${path.join(path.dirname(target), name)}, left by an interrupted synth`);
  }
  return done;
}

function readJournal(file: string): Journal | undefined {
  try {
    const journal = JSON.parse(fs.readFileSync(file, 'utf8'));
    const safe = (name: unknown) => typeof name === 'string' && !name.includes('/') && name.startsWith('.');
    return safe(journal.staging) && safe(journal.old) ? journal : undefined;
  } catch {
    return undefined;
  }
}

/** Runs `fn` holding the lock of `target`, so that two synths never replace the same folder at once. */
export async function withOutputLock<T>(target: string, fn: () => Promise<T>): Promise<T> {
  const { lock, parent } = sideNames(path.resolve(target));
  fs.mkdirSync(parent, { recursive: true });
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(lock, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw err;
      const holder = Number(safeRead(lock));
      if (isAlive(holder)) {
        throw new UserError(`${target}: another synth (process ${holder}) is writing it; expected one synth at a time: wait for it to end`);
      }
      // The lock of a killed run.
      fs.rmSync(lock, { force: true });
    }
  }
  // Also when the process exits without unwinding (a signal handler's process.exit).
  const release = () => fs.rmSync(lock, { force: true });
  process.on('exit', release);
  try {
    return await fn();
  } finally {
    process.off('exit', release);
    release();
  }
}

/** Paths of a replacement in progress, so that a signal handler can clean up. */
export interface Replacement {
  staging?: string;
  /** Set once `target` has been swapped: from then on it changed. */
  swapped: boolean;
}

/**
 * Replaces `target` by a folder holding `tree`: written into a staging folder beside it (record
 * last), then swapped in under a journal. On an error before the swap, `target` is untouched.
 */
export function replaceOutputFolder(target: string, tree: OutputTree, state: Replacement = { swapped: false }): void {
  const resolved = path.resolve(target);
  const names = sideNames(resolved);
  const id = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const staging = names.staging(id);
  state.staging = staging;
  try {
    writeTree(staging, tree);
  } catch (err) {
    fs.rmSync(staging, { recursive: true, force: true });
    state.staging = undefined;
    throw writeError(err, target);
  }
  const old = names.old(id);
  const hadTarget = fs.existsSync(resolved);
  writeDurably(names.journal, `${JSON.stringify({ staging: path.basename(staging), old: path.basename(old) })}\n`);
  try {
    if (hadTarget) fs.renameSync(resolved, old);
    fs.renameSync(staging, resolved);
  } catch (err) {
    // Undo: the old folder back where it was, the journal gone.
    if (hadTarget && !fs.existsSync(resolved) && fs.existsSync(old)) fs.renameSync(old, resolved);
    fs.rmSync(staging, { recursive: true, force: true });
    fs.rmSync(names.journal, { force: true });
    state.staging = undefined;
    throw writeError(err, target);
  }
  state.swapped = true;
  state.staging = undefined;
  syncDir(names.parent);
  fs.rmSync(names.journal, { force: true });
  syncDir(names.parent);
  fs.rmSync(old, { recursive: true, force: true });
}

function writeError(err: unknown, target: string): UserError {
  const e = err as NodeJS.ErrnoException;
  const why: Record<string, string> = {
    ENOSPC: 'the disk is full',
    EDQUOT: 'the disk quota is used up',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'the file system is read-only',
  };
  if (e?.code && why[e.code]) return new UserError(`${target}: the output could not be written (${why[e.code]}: ${e.path ?? ''}); expected a writable folder with room for the output`);
  return err instanceof UserError ? err : (err as UserError);
}

/** Writes `tree` into the new folder `dir`, every file synced, each folder's record last. */
function writeTree(dir: string, tree: OutputTree): void {
  fs.mkdirSync(dir, { mode: 0o755 });
  fs.chmodSync(dir, 0o755);
  for (const [name, text] of tree.files) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true, mode: 0o755 });
    writeDurably(path.join(dir, name), text, 0o644);
  }
  for (const [name, sub] of tree.folders ?? []) writeTree(path.join(dir, name), sub);
  writeDurably(path.join(dir, OUTPUT_RECORD), recordOf(tree), 0o644);
  syncDir(dir);
}

/** Writes a new file and syncs it to disk. */
function writeDurably(file: string, data: string, mode = 0o644): void {
  const fd = fs.openSync(file, 'w', mode);
  try {
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function syncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // Some file systems refuse fsync on a folder; the renames are still ordered.
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

function safeRead(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}

