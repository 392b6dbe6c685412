// The control plane's programs, built from the Go wrapper modules under test/peers/ (kube, operator,
// lint) and cached by the tier's one peer builder (../peers.ts), keyed by the wrapper's go.mod,
// go.sum and Go sources, the -ldflags and the Go version.
import * as fs from 'fs';
import * as path from 'path';
import { BuiltPeer, buildPeer, goRun, moduleInputs, PeerRecipe, REPO_ROOT } from '../peers';

export type { BuiltPeer };
export { REPO_ROOT };

/** The version a go.mod requires of a module (`require <module> <version>`). */
export function requiredVersion(moduleDir: string, module: string): string {
  const gomod = fs.readFileSync(path.join(REPO_ROOT, moduleDir, 'go.mod'), 'utf8');
  const m = gomod.match(new RegExp(`^\\s*(?:require\\s+)?${module.replace(/[.]/g, '\\.')}\\s+(v\\S+)`, 'm'));
  if (!m) throw new Error(`${moduleDir}/go.mod does not require ${module}`);
  return m[1];
}

/** A peer of `go build -trimpath -ldflags <ldflags> <package>` per binary, in a wrapper module. */
function wrapperPeer(name: string, moduleDir: string, packages: Record<string, string>, ldflags: () => string): PeerRecipe {
  let flags: string | undefined;
  const memo = () => (flags ??= ldflags());
  return {
    name,
    moduleDir,
    inputs: moduleInputs(moduleDir),
    settings: () => ({ packages, ldflags: memo() }),
    binaries: Object.keys(packages),
    build(staging) {
      for (const [binary, pkg] of Object.entries(packages)) {
        const t0 = Date.now();
        goRun('go', ['build', '-trimpath', '-ldflags', memo(), '-o', path.join(staging, binary), pkg], path.join(REPO_ROOT, moduleDir));
        process.stderr.write(`peers: built ${name}/${binary} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
      }
    },
  };
}

const KUBE_MODULE = 'test/peers/kube';

/** etcd, kube-apiserver, kubectl of the release test/peers/kube/go.mod requires, the certgen stand-in and pki. */
export const KUBE = wrapperPeer('kube', KUBE_MODULE, {
  'kube-apiserver': 'k8s.io/kubernetes/cmd/kube-apiserver',
  etcd: './etcd',
  kubectl: 'k8s.io/kubernetes/cmd/kubectl',
  'kube-webhook-certgen': './certgen',
  pki: './pki',
}, () => {
  // What hack/lib/version.sh stamps: without it the apiserver reports v0.0.0-master and kubectl
  // warns about version skew.
  const v = requiredVersion(KUBE_MODULE, 'k8s.io/kubernetes');
  const [, major, minor] = v.match(/^v(\d+)\.(\d+)\./)!;
  const vars = { gitVersion: v, gitMajor: major, gitMinor: minor, gitTreeState: 'clean', gitCommit: '' };
  return ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version']
    .flatMap((pkg) => Object.entries(vars).map(([k, val]) => `-X ${pkg}.${k}=${val}`))
    .concat(['-s', '-w'])
    .join(' ');
});

/**
 * Where the version of `module` that the wrapper module `moduleDir` requires is unpacked, downloading
 * it first if need be (`go list -m -f {{.Dir}}` prints nothing for a module not yet in the cache).
 */
function downloadedModule(module: string, moduleDir: string): { Dir: string; Version: string } {
  return JSON.parse(goRun('go', ['mod', 'download', '-json', module], path.join(REPO_ROOT, moduleDir)));
}

const OPERATOR_MODULE = 'test/peers/operator';
const OPERATOR = 'github.com/open-telemetry/opentelemetry-operator';

/** The opentelemetry-operator's manager, stamped as the project's Makefile stamps it (OPERATOR_LDFLAGS). */
export const OPERATOR_PEER = wrapperPeer('operator', OPERATOR_MODULE, { manager: OPERATOR }, () => {
  const { Dir: src } = downloadedModule(OPERATOR, OPERATOR_MODULE);
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
});

const LINT_MODULE = 'test/peers/lint';

/** kube-score (kube-linter is not served by this machine's module proxy). */
export const LINT_PEER = wrapperPeer('lint', LINT_MODULE, { 'kube-score': 'github.com/zegl/kube-score/cmd/kube-score' },
  () => `-s -w -X main.version=${requiredVersion(LINT_MODULE, 'github.com/zegl/kube-score').replace(/^v/, '')}`);

// Async for the callers' beforeAll; the build itself blocks (nothing else runs while a test waits for it).
export const buildKube = async (): Promise<BuiltPeer> => buildPeer(KUBE);
export const buildOperator = async (): Promise<BuiltPeer> => buildPeer(OPERATOR_PEER);
export const buildLinter = async (): Promise<BuiltPeer> => buildPeer(LINT_PEER);

/**
 * The cert-manager CRDs (cert-manager.io group) of the cert-manager module the operator module
 * requires: the schema the `cert-manager` variant's Certificate and Issuer are checked against. They are
 * controller-gen's output in that module (deploy/crds/), the source of cert-manager's chart CRDs.
 */
export async function certManagerCrdFiles(): Promise<{ version: string; files: string[] }> {
  const { Dir, Version } = downloadedModule('github.com/cert-manager/cert-manager', OPERATOR_MODULE);
  const crds = path.join(Dir, 'deploy', 'crds');
  const files = fs.readdirSync(crds).filter((f) => /^cert-manager\.io_.*\.yaml$/.test(f)).sort().map((f) => path.join(crds, f));
  return { version: Version, files };
}
