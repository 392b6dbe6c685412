// Runs a synthesized Job's containers as local processes, in the order a kubelet would (init
// containers, then the others), with what the kubelet would give them: the Job's ServiceAccount
// identity (a TokenRequest token, as the projected token would be), its Secret and emptyDir
// volumes as folders, and the mount paths in its arguments pointed at those folders.
//
// What it cannot show: images (each is mapped to a local program, below), the pod's security
// context, scheduling, restarts and backoff. It runs each container once.
import * as fs from 'fs';
import * as path from 'path';
import { ControlPlane, RunResult, runProcess } from './control-plane';

/** Image repositories of the cert Jobs, and the program that stands in for each here. */
export function programFor(image: string, cp: ControlPlane): string {
  const repository = image.replace(/@sha256:[0-9a-f]+$/, '').replace(/:[^/:]+$/, '');
  switch (repository) {
    case 'registry.k8s.io/ingress-nginx/kube-webhook-certgen': return cp.kube.bin['kube-webhook-certgen']; // the stand-in
    case 'registry.k8s.io/kubectl': return cp.kube.bin.kubectl; // our kubectl 1.33 for the image's 1.36
    case 'docker.io/library/busybox': return ''; // the container's own command (sh), from the machine
    default: throw new Error(`no local program stands in for image ${image}`);
  }
}

export interface ContainerRun extends RunResult {
  readonly container: string;
}

export type JobRun =
  /** The pod could not start (a volume's Secret is missing): no container ran. */
  | { readonly started: false; readonly reason: string }
  | { readonly started: true; readonly containers: ContainerRun[]; readonly succeeded: boolean };

/** Replaces each mount path (as a whole path prefix) in `text` with its folder on this machine. */
function remap(text: string, mounts: Array<{ mountPath: string; dir: string }>): string {
  let out = text;
  for (const { mountPath, dir } of mounts) {
    const escaped = mountPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    out = out.replace(new RegExp(`(^|[\\s"'=:])${escaped}(?=/|$|[\\s"'])`, 'gm'), `$1${dir}`);
  }
  return out;
}

export async function runJob(cp: ControlPlane, job: any, workDir: string): Promise<JobRun> {
  const namespace = job.metadata.namespace;
  const pod = job.spec.template.spec;
  fs.mkdirSync(workDir, { recursive: true });

  // Volumes, as the kubelet sets them up before any container starts.
  const volumeDirs = new Map<string, string>();
  for (const volume of pod.volumes ?? []) {
    const dir = fs.mkdtempSync(path.join(workDir, `${volume.name}-`));
    if (volume.secret) {
      const secret = await cp.get('secret', volume.secret.secretName, namespace);
      if (!secret) return { started: false, reason: `secret "${volume.secret.secretName}" not found (the pod waits in ContainerCreating)` };
      const items: Array<{ key: string; path: string }> = volume.secret.items ?? Object.keys(secret.data ?? {}).map((k) => ({ key: k, path: k }));
      for (const item of items) {
        const value = secret.data?.[item.key];
        if (value === undefined) return { started: false, reason: `secret "${volume.secret.secretName}" has no key "${item.key}"` };
        fs.writeFileSync(path.join(dir, item.path), Buffer.from(value, 'base64'));
      }
    } else if (!volume.emptyDir) {
      throw new Error(`volume ${volume.name}: only secret and emptyDir volumes are run here`);
    }
    volumeDirs.set(volume.name, dir);
  }

  const kubeconfig = pod.automountServiceAccountToken === false ? undefined : await cp.serviceAccountKubeconfig(namespace, pod.serviceAccountName ?? 'default');
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: workDir, ...(kubeconfig ? { KUBECONFIG: kubeconfig } : {}) };

  const containers: ContainerRun[] = [];
  for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
    const mounts = (c.volumeMounts ?? []).map((m: any) => ({ mountPath: m.mountPath, dir: volumeDirs.get(m.name)! }));
    const program = programFor(c.image, cp);
    const argv = [...(c.command ?? []), ...(c.args ?? [])].map((a: string) => remap(a, mounts));
    const [cmd, ...args] = program ? [program, ...argv] : argv;
    for (const e of c.env ?? []) if (e.value !== undefined) env[e.name] = e.value;
    const r = await runProcess(cmd, args, { env });
    containers.push({ container: c.name, ...r });
    if (r.code !== 0) return { started: true, containers, succeeded: false };
  }
  return { started: true, containers, succeeded: true };
}
