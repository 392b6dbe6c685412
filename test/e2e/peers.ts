// Builds the end-to-end tier's peers from the Go modules under test/peers/ and caches them under the
// git-ignored .cache/peers/<name>-<sha256 of the inputs>/, so a machine builds each once. The key
// covers everything that decides the binaries: the module's go.mod and go.sum, its Go sources (or the
// builder manifest), the build settings (flags, cgo) and the Go version. A lock folder keeps two
// processes from building the same peer at once; the second waits and then finds it built.
// Builds run synchronously: a test waits for its peer before anything else can happen.
// The peers themselves: the collector, the Honeycomb stand-in and the pod-log writer here; the
// control plane's in control-plane/peers.ts. `npm run peers` builds them all.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isAlive } from '../../lib/fs/private-temp';
import { projectRoot } from '../../synth/project-root';

export const REPO_ROOT = projectRoot();
const CACHE_ROOT = path.join(REPO_ROOT, '.cache', 'peers');

/** A peer: the binaries of one build, what goes into it and how it is made. */
export interface PeerRecipe {
  /** Cache folder prefix. */
  readonly name: string;
  /** The Go module it builds from, relative to the repository root. */
  readonly moduleDir: string;
  /** Files of the module (relative to it) whose content keys the cache. */
  readonly inputs: readonly string[];
  /** Whatever else decides the binaries (flags): part of the key. @default - nothing */
  readonly settings?: () => unknown;
  /** File names of the binaries, in the peer's cache folder. */
  readonly binaries: readonly string[];
  /** Writes every binary into `staging`; `work` is scratch space, removed afterwards. */
  build(staging: string, work: string): void;
}

export interface BuiltPeer {
  /** Folder holding the binaries. */
  readonly dir: string;
  /** Absolute path of each binary, by name. */
  readonly bin: Record<string, string>;
  /** Seconds the build took, or undefined when it came from the cache. */
  readonly builtInSeconds?: number;
}

/** The environment of every go command here. */
export function goEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    // The machine's Go, never one fetched because a go.mod asks for it.
    GOTOOLCHAIN: 'local',
    GOFLAGS: '-buildvcs=false',
    // Static binaries that do not depend on the C library of the machine they were built on.
    CGO_ENABLED: '0',
    // The module proxy serves husky but its checksum database lookup is refused here; go.sum pins
    // its hash, which go checks against the download.
    GONOSUMDB: 'github.com/honeycombio/husky',
  };
}

/** Runs `cmd` in `cwd` with goEnv(); its stdout, or an error with its stderr. */
export function goRun(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, env: goEnv(), encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`peers: cannot run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`peers: ${cmd} ${args.join(' ')} (in ${cwd}) exited ${r.status}:\n${r.stderr.slice(-4000)}`);
  return r.stdout;
}

let goVersionCache: string | undefined;
function goVersion(): string {
  goVersionCache ??= goRun('go', ['version'], REPO_ROOT).trim();
  return goVersionCache;
}

/** Whether a Go toolchain is on PATH; the end-to-end tier needs one. */
export function haveGo(): boolean {
  try {
    goVersion();
    return true;
  } catch {
    return false;
  }
}

/** go.mod, go.sum and every .go file under `folders` of the module (not those of nested modules), sorted. */
export function moduleInputs(moduleDir: string, folders: readonly string[] = ['.']): string[] {
  const root = path.join(REPO_ROOT, moduleDir);
  const out = ['go.mod', 'go.sum'];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory() && !fs.existsSync(path.join(full, 'go.mod'))) walk(full);
      else if (entry.isFile() && entry.name.endsWith('.go')) out.push(path.relative(root, full));
    }
  };
  for (const folder of folders) walk(path.join(root, folder));
  return [...new Set(out)].sort();
}

function cacheKey(recipe: PeerRecipe): string {
  const hash = createHash('sha256');
  hash.update(`${recipe.name}\0${goVersion()}\0${process.platform}/${process.arch}\0`);
  hash.update(JSON.stringify({ binaries: recipe.binaries, settings: recipe.settings?.() ?? null, cgo: goEnv().CGO_ENABLED }));
  for (const input of recipe.inputs) {
    hash.update(`\0${input}\0`);
    hash.update(fs.readFileSync(path.join(REPO_ROOT, recipe.moduleDir, input)));
  }
  return hash.digest('hex').slice(0, 32);
}

/** The peer's binaries, built first if this machine has none for its inputs. */
export function buildPeer(recipe: PeerRecipe): BuiltPeer {
  const dir = path.join(CACHE_ROOT, `${recipe.name}-${cacheKey(recipe)}`);
  const bin = Object.fromEntries(recipe.binaries.map((b) => [b, path.join(dir, b)]));
  const complete = () => recipe.binaries.every((b) => fs.existsSync(bin[b]));
  if (complete()) return { dir, bin };
  fs.mkdirSync(CACHE_ROOT, { recursive: true });
  return withLock(dir, () => {
    if (complete()) return { dir, bin }; // built by the process that held the lock
    const staging = `${dir}.tmp-${process.pid}`;
    const work = `${dir}.work-${process.pid}`;
    for (const folder of [staging, work]) {
      fs.rmSync(folder, { recursive: true, force: true });
      fs.mkdirSync(folder, { recursive: true });
    }
    const started = Date.now();
    try {
      recipe.build(staging, work);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(staging, dir); // atomic: a folder at `dir` is always complete
    const builtInSeconds = (Date.now() - started) / 1000;
    process.stderr.write(`peers: built ${recipe.name} (${recipe.binaries.join(', ')}) in ${builtInSeconds.toFixed(1)} s -> ${dir}\n`);
    return { dir, bin, builtInSeconds };
  });
}

/** Holds `<dir>.lock` while `fn` runs; a lock whose owner process is gone is taken over. */
function withLock<T>(dir: string, fn: () => T): T {
  const lock = `${dir}.lock`;
  const deadline = Date.now() + 60 * 60 * 1000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (lockIsStale(lock)) {
      fs.rmSync(lock, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`peers: ${lock} held for an hour; remove it if no build is running`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
  }
  try {
    return fn();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

function lockIsStale(lock: string): boolean {
  let text = '';
  try {
    text = fs.readFileSync(path.join(lock, 'pid'), 'utf8');
  } catch {
    // No pid file: read below by the folder's age.
  }
  const pid = Number(text);
  if (text && Number.isInteger(pid) && pid > 0) return !isAlive(pid);
  // Just made by another process that has not written its pid yet (the file may exist, empty), or
  // left without one.
  try {
    return Date.now() - fs.statSync(lock).mtimeMs > 10_000;
  } catch {
    return false;
  }
}

const PEERS_MODULE = 'test/peers';

/** A Go program of the test/peers module. */
function goProgram(name: string): PeerRecipe {
  return {
    name,
    moduleDir: PEERS_MODULE,
    inputs: moduleInputs(PEERS_MODULE, [name]),
    binaries: [name],
    build: (staging) => { goRun('go', ['build', '-trimpath', '-o', path.join(staging, name), `./${name}`], path.join(REPO_ROOT, PEERS_MODULE)); },
  };
}

/** otelcol-k8s, built by the OpenTelemetry Collector Builder (pinned in go.mod) from otelcol/manifest.yaml. */
const COLLECTOR: PeerRecipe = {
  name: 'otelcol-k8s',
  moduleDir: PEERS_MODULE,
  inputs: ['go.mod', 'go.sum', 'otelcol/manifest.yaml'],
  binaries: ['otelcol-k8s'],
  build(staging, work) {
    const src = path.join(REPO_ROOT, PEERS_MODULE);
    const ocb = path.join(work, 'ocb');
    goRun('go', ['build', '-trimpath', '-o', ocb, 'go.opentelemetry.io/collector/cmd/builder'], src);
    const buildDir = path.join(work, 'build');
    const manifest = fs.readFileSync(path.join(src, 'otelcol', 'manifest.yaml'), 'utf8');
    const rewritten = manifest.replace(/^(\s*output_path:).*$/m, `$1 ${buildDir}`);
    if (rewritten === manifest) throw new Error('peers: test/peers/otelcol/manifest.yaml has no dist.output_path line');
    const manifestCopy = path.join(work, 'manifest.yaml');
    fs.writeFileSync(manifestCopy, rewritten);
    goRun(ocb, ['--config', manifestCopy], work);
    fs.renameSync(path.join(buildDir, 'otelcol-k8s'), path.join(staging, 'otelcol-k8s'));
  },
};

/** The collector's side of the tier: the collector, the Honeycomb stand-in, the pod-log writer. */
export const PEERS = {
  collector: COLLECTOR,
  honeycomb: goProgram('honeycomb'),
  podlog: goProgram('podlog'),
} as const;

export type PeerName = keyof typeof PEERS;

/** Path of the binary of `name`, built first if need be. */
export function peerBinary(name: PeerName): string {
  const recipe = PEERS[name];
  return buildPeer(recipe).bin[recipe.binaries[0]];
}
