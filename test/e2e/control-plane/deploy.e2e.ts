// `npm run deploy` against a real apiserver. The CRDs' established wait is real here; with no
// kubelet no Job or Pod ever runs, so the deploy must stop at wave 1's Job wait, bounded by
// --timeout, and say so. The waits that need running Pods (Jobs complete, rollouts, the operator
// creating the collector's DaemonSet) stay covered by the stub-kubectl tests in test/deploy.test.ts.
import { ControlPlane, runProcess, RunResult, startControlPlane, removeTempDirs, tempDir } from './control-plane';
import { REPO_ROOT } from './peers';
import { configWith, readObjects, synthWithCli } from './variants';

let cp: ControlPlane;
let dist: string;
let emptySecrets: string;

beforeAll(async () => {
  cp = await startControlPlane();
  dist = (await synthWithCli({ default: configWith({}) })).dirs[0];
  // An empty secrets folder, so a developer's own secrets/ is never sent to the test cluster.
  emptySecrets = tempDir('e2e-deploy-secrets-');
});

afterAll(async () => {
  removeTempDirs();
  await cp?.stop();
});

/** `npm run deploy` as a user runs it, with the test cluster's kubeconfig and our kubectl on PATH. */
function npmDeploy(timeout: string): Promise<RunResult> {
  return runProcess('npm', ['run', '--silent', 'deploy', '--', '--dir', dist, '--context', cp.context, '--timeout', timeout, '--secrets', emptySecrets], {
    cwd: REPO_ROOT,
    env: { ...cp.env, DEPLOY_BACKOFF_MS: '200' },
  });
}

let first: RunResult & { seconds: number };

test('deploy applies wave 0, waits for the CRDs to be established, applies wave 1, and stops at its Job wait', async () => {
  const t0 = Date.now();
  first = { ...(await npmDeploy('10s')), seconds: (Date.now() - t0) / 1000 };
  process.stderr.write(`npm run deploy (${first.seconds.toFixed(1)} s, exit ${first.code}):\n--- stdout\n${first.stdout}\n--- stderr\n${first.stderr}\n`);

  expect(first.code).toBe(1);
  expect(first.stdout).toMatch(new RegExp(`Deploying ${dist.replace(/[/.]/g, '\\$&')} to context ${cp.context}: \\d+ stages, each wait bounded by 10s`));
  expect(first.stdout).toMatch(/==> wave 0: 2 Namespaces, 4 CRDs/);
  expect(first.stdout).toMatch(/wait for 4 CRDs to be established\n(.*condition met\n){4}/);
  expect(first.stdout).toMatch(/==> wave 1: /);
  expect(first.stdout).not.toMatch(/==> wave 2/);
  expect(first.stderr).toMatch(/deploy failed in stage "wave 1: [^"]*", step "wait for jobs otel\/opentelemetry-operator-webhook-certgen-\w+, otel\/opentelemetry-operator-webhook-crd-cabundle-\w+ to be complete"/);
  expect(first.stderr).toMatch(/timed out waiting for the condition/);
  expect(first.stderr).toMatch(/Re-running `npm run deploy` is safe/);
  // Bounded by --timeout (10 s), not hanging.
  expect(first.seconds).toBeLessThan(60);
});

test('what the apiserver holds afterwards: established CRDs, wave 1 applied, nothing of later waves', async () => {
  const objects = readObjects(dist);
  for (const crd of objects.filter((o) => o.kind === 'CustomResourceDefinition')) {
    const live = await cp.get('customresourcedefinition', crd.metadata.name);
    expect(live.status.conditions.find((c: any) => c.type === 'Established')?.status).toBe('True');
  }
  for (const job of objects.filter((o) => o.kind === 'Job')) {
    const live = await cp.get('job', job.metadata.name, job.metadata.namespace);
    // Stored, but no controller or kubelet here: it never starts.
    expect(live.status?.startTime).toBeUndefined();
  }
  expect(await cp.get('daemonset', 'falco', 'falco')).toBeUndefined();
  expect(await cp.get('opentelemetrycollector', 'falco', 'otel')).toBeUndefined();
});

test('running it again stops at the same place, with the same message', async () => {
  const again = await npmDeploy('5s');
  expect(again.code).toBe(1);
  const step = (s: string) => s.match(/deploy failed in stage "[^"]*", step "[^"]*"/)?.[0];
  expect(step(again.stderr)).toBe(step(first.stderr));
});
