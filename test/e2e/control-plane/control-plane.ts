// A real etcd + kube-apiserver on loopback, with certificates made for this run. No
// controller-manager, scheduler or kubelet: objects are stored, validated, defaulted and admitted
// exactly as a cluster would, but nothing reconciles them (no Pod ever runs, no namespace is ever
// finalized). Each test file starts its own, so files cannot see each other's objects.
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as https from 'https';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { BuiltPeer, buildKube } from './peers';
import { runProcess as runToEnd } from '../../support/run-process';

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ControlPlane {
  /** Folder of this run: certificates, kubeconfig, data and logs. */
  readonly dir: string;
  readonly kubeconfig: string;
  /** Name of the admin context in the kubeconfig. */
  readonly context: string;
  readonly server: string;
  readonly kube: BuiltPeer;
  /** Environment for processes that use the cluster: KUBECONFIG, and our kubectl first on PATH. */
  readonly env: NodeJS.ProcessEnv;
  /** Runs our kubectl as the admin. */
  kubectl(args: string[], input?: string, env?: NodeJS.ProcessEnv): Promise<RunResult>;
  /** Like kubectl, but throws with its stderr on a non-zero exit; resolves with stdout. */
  kubectlOk(args: string[], input?: string): Promise<string>;
  /** `kubectl get -o json` of one object, or undefined when it does not exist. */
  get(resource: string, name: string, namespace?: string): Promise<any | undefined>;
  /** A kubeconfig authenticating as a ServiceAccount (token from the TokenRequest API). */
  serviceAccountKubeconfig(namespace: string, name: string): Promise<string>;
  /** The tail of the apiserver's log, for failure messages. */
  apiserverLog(): string;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (free when asked; the processes bind it right after). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function runProcess(cmd: string, args: string[], options: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<RunResult> {
  const r = await runToEnd(cmd, args, { ...options, input: options.input ?? '' });
  return { code: r.status ?? (r.signal ? 128 : 1), stdout: r.stdout, stderr: r.stderr };
}

const tempDirs: string[] = [];

/** Removes the folders tempDir made; each test file calls it in afterAll (jest's sandboxed process sees no 'exit'). */
export function removeTempDirs(): void {
  for (const d of tempDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

/** A fresh temporary folder, removed by removeTempDirs. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

const children = new Set<ChildProcess>();
// A test run that dies must not leave an apiserver or etcd behind.
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')));

function startDaemon(bin: string, args: string[], logFile: string): ChildProcess {
  const out = fs.openSync(logFile, 'a');
  const child = spawn(bin, args, { stdio: ['ignore', out, out] });
  fs.closeSync(out);
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

async function stopDaemon(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

const tail = (file: string, chars = 4000): string => {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.slice(-chars);
  } catch {
    return '(no log)';
  }
};

/** GET `url` with the client certificate; resolves with the status code (0 when not reachable). */
function probe(url: string, tls: { ca: Buffer; cert: Buffer; key: Buffer }): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = https.get(url, { ...tls, timeout: 2000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.on('timeout', () => req.destroy());
  });
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, log: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} not ready after ${timeoutMs / 1000} s; log:\n${log()}`);
}

export interface ControlPlaneOptions {
  /**
   * Whether the apiserver calls admission webhooks. The operator's webhook Service can have no
   * endpoint here (no Pod runs, no pod network), so with its webhook configurations applied every
   * write of an OpenTelemetryCollector is refused (failurePolicy: Fail). Tests that need to write
   * collectors turn the two webhook admission plugins off; the configurations are still validated
   * and stored like any object. @default true
   */
  readonly admissionWebhooks?: boolean;
}

export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const kube = await buildKube();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-control-plane-'));
  const pki = path.join(dir, 'pki');
  const pkiRun = await runProcess(kube.bin.pki, [pki]);
  if (pkiRun.code !== 0) throw new Error(`pki failed: ${pkiRun.stderr}`);
  const p = (name: string) => path.join(pki, name);

  const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const etcdUrl = `https://127.0.0.1:${etcdPort}`;
  const etcdLog = path.join(dir, 'etcd.log');
  const etcd = startDaemon(kube.bin.etcd, [
    '--name=e2e',
    `--data-dir=${path.join(dir, 'etcd')}`,
    `--listen-client-urls=${etcdUrl}`,
    `--advertise-client-urls=${etcdUrl}`,
    `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
    `--initial-cluster=e2e=http://127.0.0.1:${peerPort}`,
    `--cert-file=${p('etcd-server.crt')}`,
    `--key-file=${p('etcd-server.key')}`,
    `--trusted-ca-file=${p('ca.crt')}`,
    '--client-cert-auth',
    // A test's data does not need to survive a power cut; fsync is most of etcd's latency on a busy disk.
    '--unsafe-no-fsync',
    '--log-level=warn',
  ], etcdLog);

  const server = `https://127.0.0.1:${apiPort}`;
  const apiLog = path.join(dir, 'kube-apiserver.log');
  const apiserver = startDaemon(kube.bin['kube-apiserver'], [
    `--etcd-servers=${etcdUrl}`,
    `--etcd-cafile=${p('ca.crt')}`,
    `--etcd-certfile=${p('apiserver-etcd-client.crt')}`,
    `--etcd-keyfile=${p('apiserver-etcd-client.key')}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${apiPort}`,
    `--cert-dir=${path.join(dir, 'apiserver-certs')}`,
    `--tls-cert-file=${p('apiserver.crt')}`,
    `--tls-private-key-file=${p('apiserver.key')}`,
    `--client-ca-file=${p('ca.crt')}`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${p('sa.pub')}`,
    `--service-account-signing-key-file=${p('sa.key')}`,
    '--service-cluster-ip-range=10.0.0.0/24',
    '--authorization-mode=RBAC',
    // As kubeadm and every managed cluster set it: Falco's default driver needs a privileged container.
    '--allow-privileged=true',
    ...(options.admissionWebhooks === false ? ['--disable-admission-plugins=MutatingAdmissionWebhook,ValidatingAdmissionWebhook'] : []),
    '--profiling=false',
    '--v=1',
  ], apiLog);

  const tls = { ca: fs.readFileSync(p('ca.crt')), cert: fs.readFileSync(p('admin.crt')), key: fs.readFileSync(p('admin.key')) };
  const stop = async () => {
    await stopDaemon(apiserver);
    await stopDaemon(etcd);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor('kube-apiserver /readyz', async () => {
      if (etcd.exitCode !== null) throw new Error(`etcd exited ${etcd.exitCode}:\n${tail(etcdLog)}`);
      if (apiserver.exitCode !== null) throw new Error(`kube-apiserver exited ${apiserver.exitCode}:\n${tail(apiLog)}`);
      return (await probe(`${server}/readyz`, tls)).status === 200;
    }, 120_000, () => tail(apiLog));
  } catch (err) {
    await stop();
    throw err;
  }

  const context = 'e2e';
  const kubeconfig = path.join(dir, 'kubeconfig');
  fs.writeFileSync(kubeconfig, kubeconfigYaml(server, p('ca.crt'), context, { 'client-certificate': p('admin.crt'), 'client-key': p('admin.key') }), { mode: 0o600 });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KUBECONFIG: kubeconfig,
    PATH: `${kube.dir}${path.delimiter}${process.env.PATH ?? ''}`,
    // kubectl's discovery cache, kept out of the user's ~/.kube.
    HOME: dir,
  };
  const kubectl = (args: string[], input?: string, overrideEnv?: NodeJS.ProcessEnv) =>
    runProcess(kube.bin.kubectl, args, { input, env: overrideEnv ?? env });
  const kubectlOk = async (args: string[], input?: string) => {
    const r = await kubectl(args, input);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}:\n${r.stderr}`);
    return r.stdout;
  };
  return {
    dir,
    kubeconfig,
    context,
    server,
    kube,
    env,
    kubectl,
    kubectlOk,
    async get(resource, name, namespace) {
      const r = await kubectl(['get', resource, name, ...(namespace ? ['-n', namespace] : []), '-o', 'json', '--ignore-not-found', '--show-managed-fields']);
      if (r.code !== 0) throw new Error(`kubectl get ${resource} ${name}: ${r.stderr}`);
      return r.stdout.trim() ? JSON.parse(r.stdout) : undefined;
    },
    async serviceAccountKubeconfig(namespace, name) {
      const token = (await kubectlOk(['create', 'token', name, '-n', namespace, '--duration=1h'])).trim();
      const file = path.join(dir, `kubeconfig-${namespace}-${name}`);
      fs.writeFileSync(file, kubeconfigYaml(server, p('ca.crt'), context, { token }), { mode: 0o600 });
      return file;
    },
    apiserverLog: () => tail(apiLog),
    stop,
  };
}

function kubeconfigYaml(server: string, ca: string, context: string, user: Record<string, string>): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: context, cluster: { server, 'certificate-authority': ca } }],
    users: [{ name: context, user }],
    contexts: [{ name: context, context: { cluster: context, user: context } }],
    'current-context': context,
  }, null, 2);
}
