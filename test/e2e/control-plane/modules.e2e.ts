// The wrapper modules say what the issue asks of them, so a version bump cannot drift: the staging
// replaces are exactly those of the required k8s.io/kubernetes release, etcd is the version that
// release requires of its etcd client, and the operator's apis submodule is of the operator's release.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { REPO_ROOT, requiredVersion } from './peers';

const goEnv = { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-buildvcs=false' };

function modJson(moduleDir: string): any {
  return JSON.parse(execFileSync('go', ['mod', 'edit', '-json'], { cwd: path.join(REPO_ROOT, moduleDir), env: goEnv, encoding: 'utf8' }));
}

/** go.mod of a module version, from the module cache (downloaded if missing). */
function upstreamGoMod(module: string, version: string): string {
  const info = JSON.parse(execFileSync('go', ['mod', 'download', '-json', `${module}@${version}`], { cwd: REPO_ROOT, env: goEnv, encoding: 'utf8' }));
  return fs.readFileSync(info.GoMod, 'utf8');
}

test('kube: one replace per staging module of the required k8s.io/kubernetes, at its v0 version, and no other', () => {
  const version = requiredVersion('test/peers/kube', 'k8s.io/kubernetes');
  const staging = [...upstreamGoMod('k8s.io/kubernetes', version).matchAll(/^\s*(k8s\.io\/[\w.-]+) => \.\/staging\/src\/\1$/gm)].map((m) => m[1]).sort();
  expect(staging.length).toBeGreaterThan(20);
  const replaces = (modJson('test/peers/kube').Replace ?? []).map((r: any) => `${r.Old.Path} => ${r.New.Path} ${r.New.Version}`).sort();
  expect(replaces).toEqual(staging.map((m) => `${m} => ${m} ${version.replace(/^v1\./, 'v0.')}`));
});

test('kube: etcd server is the version k8s.io/kubernetes requires of the etcd client', () => {
  const k8s = upstreamGoMod('k8s.io/kubernetes', requiredVersion('test/peers/kube', 'k8s.io/kubernetes'));
  const client = k8s.match(/^\s*go\.etcd\.io\/etcd\/client\/v3 (v\S+)/m)?.[1];
  expect(client).toBeDefined();
  expect(requiredVersion('test/peers/kube', 'go.etcd.io/etcd/server/v3')).toBe(client);
});

test('operator: the apis submodule is replaced by the apis release of the same version', () => {
  const version = requiredVersion('test/peers/operator', 'github.com/open-telemetry/opentelemetry-operator');
  const replaces = modJson('test/peers/operator').Replace ?? [];
  expect(replaces.map((r: any) => [r.Old.Path, r.New.Path, r.New.Version])).toEqual([
    ['github.com/open-telemetry/opentelemetry-operator/apis', 'github.com/open-telemetry/opentelemetry-operator/apis', version],
  ]);
});
