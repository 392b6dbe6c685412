// Builds the end-to-end tests' peers from Go modules (test/peers/) and caches the binaries under the
// git-ignored .cache/peers/, keyed by a sha256 of everything that goes into them, so a machine builds
// each once. A lock directory keeps two processes from building the same binary at once.
// CLI: `npx tsx test/e2e/peers.ts` (npm run peers) builds them all and prints where they are.

import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { projectRoot } from '../../synth/project-root';

const REPO = projectRoot();
const PEERS_SRC = path.join(REPO, 'test', 'peers');
const CACHE = path.join(REPO, '.cache', 'peers');

/** A peer: what goes into its build and how it is built. */
interface PeerRecipe {
  readonly name: string;
  /** Files (relative to test/peers) whose content keys the cache. */
  readonly inputs: readonly string[];
  /** Builds the binary at `out`, using `work` as scratch space. */
  build(out: string, work: string): void;
}

function goEnv(): NodeJS.ProcessEnv {
  // GOTOOLCHAIN=local: the installed Go builds, never a downloaded toolchain.
  // GONOSUMDB for husky: the module proxy serves it but its checksum database lookup is refused
  // here; go.sum pins its hash, which `go` checks against the download.
  return { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-buildvcs=false', GONOSUMDB: 'github.com/honeycombio/husky' };
}

function run(cmd: string, args: string[], cwd: string): void {
  const r = spawnSync(cmd, args, { cwd, env: goEnv(), encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`peers: cannot run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`peers: ${cmd} ${args.join(' ')} failed in ${cwd}:\n${r.stdout}\n${r.stderr}`);
}

/** Go programs of the test/peers module. */
function goProgram(name: string): PeerRecipe {
  return {
    name,
    inputs: ['go.mod', 'go.sum', ...listGoFiles(name)],
    build: (out) => run('go', ['build', '-trimpath', '-o', out, `./${name}`], PEERS_SRC),
  };
}

const COLLECTOR: PeerRecipe = {
  name: 'otelcol-k8s',
  // go.mod/go.sum pin the builder.
  inputs: ['go.mod', 'go.sum', 'otelcol/manifest.yaml'],
  build(out, work) {
    const ocb = path.join(work, 'ocb');
    run('go', ['build', '-trimpath', '-o', ocb, 'go.opentelemetry.io/collector/cmd/builder'], PEERS_SRC);
    const buildDir = path.join(work, 'build');
    const manifest = fs.readFileSync(path.join(PEERS_SRC, 'otelcol', 'manifest.yaml'), 'utf8');
    const rewritten = manifest.replace(/^(\s*output_path:).*$/m, `$1 ${buildDir}`);
    if (rewritten === manifest) throw new Error('peers: test/peers/otelcol/manifest.yaml has no dist.output_path line');
    const manifestCopy = path.join(work, 'manifest.yaml');
    fs.writeFileSync(manifestCopy, rewritten);
    run(ocb, ['--config', manifestCopy], work);
    fs.renameSync(path.join(buildDir, 'otelcol-k8s'), out);
  },
};

export const PEERS = {
  collector: COLLECTOR,
  honeycomb: goProgram('honeycomb'),
  podlog: goProgram('podlog'),
} as const;

export type PeerName = keyof typeof PEERS;

function listGoFiles(dir: string): string[] {
  return fs.readdirSync(path.join(PEERS_SRC, dir)).filter((f) => f.endsWith('.go')).sort().map((f) => `${dir}/${f}`);
}

let goVersionCache: string | undefined;
function goVersion(): string {
  goVersionCache ??= execFileSync('go', ['version'], { env: goEnv(), encoding: 'utf8' }).trim();
  return goVersionCache;
}

/** Whether a Go toolchain is on PATH; the end-to-end tests need one. */
export function haveGo(): boolean {
  try {
    goVersion();
    return true;
  } catch {
    return false;
  }
}

function cacheKey(recipe: PeerRecipe): string {
  const h = createHash('sha256');
  h.update(`${recipe.name}\0${goVersion()}\0${process.platform}/${process.arch}\0`);
  for (const input of recipe.inputs) {
    h.update(`${input}\0`);
    h.update(fs.readFileSync(path.join(PEERS_SRC, input)));
    h.update('\0');
  }
  return h.digest('hex').slice(0, 20);
}

/** Path of the cached binary of `name`, building it first if this machine has none for its inputs. */
export function peerBinary(name: PeerName): string {
  const recipe = PEERS[name];
  const dir = path.join(CACHE, `${recipe.name}-${cacheKey(recipe)}`);
  const bin = path.join(dir, recipe.name);
  if (fs.existsSync(bin)) return bin;
  fs.mkdirSync(CACHE, { recursive: true });
  const lock = `${dir}.lock`;
  acquireLock(lock);
  try {
    if (fs.existsSync(bin)) return bin; // built by the process that held the lock
    const work = fs.mkdtempSync(path.join(CACHE, `.build-${recipe.name}-`));
    try {
      const started = Date.now();
      const out = path.join(work, recipe.name);
      recipe.build(out, work);
      fs.mkdirSync(dir, { recursive: true });
      fs.renameSync(out, bin); // atomic: a binary at `bin` is always complete
      process.stderr.write(`peers: built ${recipe.name} in ${((Date.now() - started) / 1000).toFixed(1)} s -> ${bin}\n`);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
    return bin;
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

function acquireLock(lock: string): void {
  const deadline = Date.now() + 30 * 60 * 1000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
      return;
    } catch (e: any) {
      if (e.code !== 'EEXIST') throw e;
    }
    if (lockIsStale(lock)) {
      fs.rmSync(lock, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`peers: ${lock} held for 30 minutes; remove it if no build is running`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
  }
}

function lockIsStale(lock: string): boolean {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(path.join(lock, 'pid'), 'utf8'));
  } catch {
    // Just created by another process that has not written its pid yet, or left without one.
    try {
      return Date.now() - fs.statSync(lock).mtimeMs > 10_000;
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return false;
  } catch (e: any) {
    return e.code === 'ESRCH';
  }
}
