// The control plane's programs, built from the Go wrapper modules under test/peers/ and cached under
// .cache/peers/<name>-<sha256 of the inputs>/, so a machine builds each once. The key covers
// everything that decides the binaries: the wrapper's go.mod, go.sum and Go sources, the package
// list and flags, and the Go version. A lock folder keeps two processes from building the same peer
// at once; the second waits and then finds it built.
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { isAlive } from '../../../lib/fs/private-temp';
import { runProcess } from '../../support/run-process';
import { projectRoot } from '../../../synth/project-root';

export const REPO_ROOT = projectRoot();
const CACHE_ROOT = path.join(REPO_ROOT, '.cache', 'peers');

interface Binary {
  /** File name in the cache folder. */
  readonly name: string;
  /** Go package, as `go build` takes it from inside the wrapper module. */
  readonly pkg: string;
}

interface PeerSpec {
  readonly name: string;
  /** Wrapper module folder, relative to the repository root. */
  readonly moduleDir: string;
  readonly binaries: Binary[];
  /** -ldflags, computed from the module (version stamps). */
  readonly ldflags: (moduleDir: string) => Promise<string>;
}

/** Output of a finished process; rejects on a non-zero exit with its stderr. */
async function run(cmd: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<string> {
  const r = await runProcess(cmd, args, options);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} (in ${options.cwd}) exited ${r.status}:\n${r.stderr.slice(-4000)}`);
  return r.stdout;
}

const goEnv = (): NodeJS.ProcessEnv => ({
  ...process.env,
  // The machine's Go, never one fetched because a go.mod asks for it.
  GOTOOLCHAIN: 'local',
  GOFLAGS: '-buildvcs=false',
  // Static binaries that do not depend on the C library of the machine they were built on.
  CGO_ENABLED: '0',
});

/** The version a go.mod requires of a module (`require <module> <version>`). */
export function requiredVersion(moduleDir: string, module: string): string {
  const gomod = fs.readFileSync(path.join(REPO_ROOT, moduleDir, 'go.mod'), 'utf8');
  const m = gomod.match(new RegExp(`^\\s*(?:require\\s+)?${module.replace(/[.]/g, '\\.')}\\s+(v\\S+)`, 'm'));
  if (!m) throw new Error(`${moduleDir}/go.mod does not require ${module}`);
  return m[1];
}

/** Files whose content decides the binaries: go.mod, go.sum and every .go file, sorted. */
function inputFiles(moduleDir: string): string[] {
  const root = path.join(REPO_ROOT, moduleDir);
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.go') || entry.name === 'go.mod' || entry.name === 'go.sum') out.push(full);
    }
  };
  walk(root);
  return out.sort();
}

async function cacheKey(spec: PeerSpec, ldflags: string): Promise<string> {
  const hash = createHash('sha256');
  hash.update(await run('go', ['version'], { cwd: REPO_ROOT, env: goEnv() }));
  hash.update(JSON.stringify({ binaries: spec.binaries, ldflags, cgo: goEnv().CGO_ENABLED }));
  for (const file of inputFiles(spec.moduleDir)) {
    hash.update(path.relative(REPO_ROOT, file));
    hash.update('\0');
    hash.update(fs.readFileSync(file));
    hash.update('\0');
  }
  return hash.digest('hex');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Holds `<dir>.lock` while `fn` runs; a lock whose owner process is gone is taken over. */
async function withLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const lock = `${dir}.lock`;
  const started = Date.now();
  for (;;) {
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(fs.readFileSync(path.join(lock, 'pid'), { encoding: 'utf8', flag: 'a+' }) || 0);
      if (pid && !isAlive(pid)) {
        fs.rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() - started > 60 * 60 * 1000) throw new Error(`waited an hour for ${lock} (held by pid ${pid})`);
      await sleep(2000);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

export interface BuiltPeer {
  /** Folder holding the binaries. */
  readonly dir: string;
  /** Absolute path of each binary, by name. */
  readonly bin: Record<string, string>;
  /** Seconds the build took, or undefined when it came from the cache. */
  readonly builtInSeconds?: number;
}

async function ensure(spec: PeerSpec): Promise<BuiltPeer> {
  const moduleDir = path.join(REPO_ROOT, spec.moduleDir);
  const ldflags = await spec.ldflags(moduleDir);
  const key = await cacheKey(spec, ldflags);
  const dir = path.join(CACHE_ROOT, `${spec.name}-${key}`);
  const bin = Object.fromEntries(spec.binaries.map((b) => [b.name, path.join(dir, b.name)]));
  const complete = () => spec.binaries.every((b) => fs.existsSync(bin[b.name]));
  if (complete()) return { dir, bin };
  fs.mkdirSync(CACHE_ROOT, { recursive: true });
  return withLock(dir, async () => {
    if (complete()) return { dir, bin };
    const staging = `${dir}.tmp-${process.pid}`;
    fs.rmSync(staging, { recursive: true, force: true });
    fs.mkdirSync(staging, { recursive: true });
    const started = Date.now();
    for (const b of spec.binaries) {
      const t0 = Date.now();
      await run('go', ['build', '-trimpath', '-ldflags', ldflags, '-o', path.join(staging, b.name), b.pkg], { cwd: moduleDir, env: goEnv() });
      process.stderr.write(`peers: built ${spec.name}/${b.name} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    }
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(staging, dir);
    return { dir, bin, builtInSeconds: (Date.now() - started) / 1000 };
  });
}

const KUBE_MODULE = 'test/peers/kube';

/** etcd, kube-apiserver, kubectl of the release test/peers/kube/go.mod requires, the certgen stand-in and pki. */
export const KUBE: PeerSpec = {
  name: 'kube',
  moduleDir: KUBE_MODULE,
  binaries: [
    { name: 'kube-apiserver', pkg: 'k8s.io/kubernetes/cmd/kube-apiserver' },
    { name: 'etcd', pkg: './etcd' },
    { name: 'kubectl', pkg: 'k8s.io/kubernetes/cmd/kubectl' },
    { name: 'kube-webhook-certgen', pkg: './certgen' },
    { name: 'pki', pkg: './pki' },
  ],
  // What hack/lib/version.sh stamps: without it the apiserver reports v0.0.0-master and kubectl
  // warns about version skew.
  ldflags: async () => {
    const v = requiredVersion(KUBE_MODULE, 'k8s.io/kubernetes');
    const [, major, minor] = v.match(/^v(\d+)\.(\d+)\./)!;
    const vars = { gitVersion: v, gitMajor: major, gitMinor: minor, gitTreeState: 'clean', gitCommit: '' };
    return ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version']
      .flatMap((pkg) => Object.entries(vars).map(([k, val]) => `-X ${pkg}.${k}=${val}`))
      .concat(['-s', '-w'])
      .join(' ');
  },
};

/**
 * Where the version of `module` that the wrapper module in `cwd` requires is unpacked, downloading it
 * first if need be (`go list -m -f {{.Dir}}` prints nothing for a module not yet in the cache).
 */
async function downloadedModule(module: string, cwd: string): Promise<{ Dir: string; Version: string }> {
  return JSON.parse(await run('go', ['mod', 'download', '-json', module], { cwd, env: goEnv() }));
}

const OPERATOR_MODULE = 'test/peers/operator';
const OPERATOR = 'github.com/open-telemetry/opentelemetry-operator';

/** The opentelemetry-operator's manager, stamped as the project's Makefile stamps it (OPERATOR_LDFLAGS). */
export const OPERATOR_PEER: PeerSpec = {
  name: 'operator',
  moduleDir: OPERATOR_MODULE,
  binaries: [{ name: 'manager', pkg: OPERATOR }],
  ldflags: async (moduleDir) => {
    const { Dir: src } = await downloadedModule(OPERATOR, moduleDir);
    const versions = Object.fromEntries(
      fs.readFileSync(path.join(src, 'versions.txt'), 'utf8').split('\n')
        .filter((l) => /^[a-z-]+=/.test(l))
        .map((l) => l.split('=') as [string, string]),
    );
    const pkg = `${OPERATOR}/internal/version`;
    const vars: Record<string, string | undefined> = {
      version: requiredVersion(OPERATOR_MODULE, OPERATOR).replace(/^v/, ''),
      // Fixed, so the key (and the binary) does not change with the clock.
      buildDate: '1970-01-01T00:00:00Z',
      otelCol: versions['opentelemetry-collector'],
      targetAllocator: versions.targetallocator,
      operatorOpAMPBridge: versions['operator-opamp-bridge'],
      autoInstrumentationJava: versions['autoinstrumentation-java'],
      autoInstrumentationNodeJS: versions['autoinstrumentation-nodejs'],
      autoInstrumentationPython: versions['autoinstrumentation-python'],
      autoInstrumentationDotNet: versions['autoinstrumentation-dotnet'],
      autoInstrumentationGo: versions['autoinstrumentation-go'],
      autoInstrumentationApacheHttpd: versions['autoinstrumentation-apache-httpd'],
      autoInstrumentationNginx: versions['autoinstrumentation-nginx'],
    };
    return ['-s', '-w', ...Object.entries(vars).filter(([, val]) => val).map(([k, val]) => `-X ${pkg}.${k}=${val}`)].join(' ');
  },
};

const LINT_MODULE = 'test/peers/lint';

/** kube-score (kube-linter is not served by this machine's module proxy). */
export const LINT_PEER: PeerSpec = {
  name: 'lint',
  moduleDir: LINT_MODULE,
  binaries: [{ name: 'kube-score', pkg: 'github.com/zegl/kube-score/cmd/kube-score' }],
  ldflags: async () => `-s -w -X main.version=${requiredVersion(LINT_MODULE, 'github.com/zegl/kube-score').replace(/^v/, '')}`,
};

export const buildKube = (): Promise<BuiltPeer> => ensure(KUBE);
export const buildOperator = (): Promise<BuiltPeer> => ensure(OPERATOR_PEER);
export const buildLinter = (): Promise<BuiltPeer> => ensure(LINT_PEER);

/**
 * The cert-manager CRDs (cert-manager.io group) of the cert-manager module the operator module
 * requires: the schema the `cert-manager` variant's Certificate and Issuer are checked against. They are
 * controller-gen's output in that module (deploy/crds/), the source of cert-manager's chart CRDs.
 */
export async function certManagerCrdFiles(): Promise<{ version: string; files: string[] }> {
  const { Dir, Version } = await downloadedModule('github.com/cert-manager/cert-manager', path.join(REPO_ROOT, OPERATOR_MODULE));
  const crds = path.join(Dir, 'deploy', 'crds');
  const files = fs.readdirSync(crds).filter((f) => /^cert-manager\.io_.*\.yaml$/.test(f)).sort().map((f) => path.join(crds, f));
  return { version: Version, files };
}
