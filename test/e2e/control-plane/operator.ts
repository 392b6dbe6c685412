// The real opentelemetry-operator manager, run out-of-cluster against the test control plane as the
// operator's own ServiceAccount (so the chart's RBAC is what it works with), with the chart's
// arguments except those that only make sense in a pod: webhooks off (nothing here can reach a
// webhook server), no leader election, no metrics or probe listeners.
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ControlPlane } from './control-plane';
import { buildOperator, requiredVersion } from './peers';

export const OPERATOR_VERSION = requiredVersion('test/peers/operator', 'github.com/open-telemetry/opentelemetry-operator');

export interface RunningOperator {
  readonly log: () => string;
  readonly args: string[];
  stop(): Promise<void>;
}

/** The chart's manager arguments, less those that bind ports or need a pod. */
export function outOfClusterArgs(deployment: any): string[] {
  const manager = deployment.spec.template.spec.containers.find((c: any) => c.name === 'manager');
  const dropped = /^--(metrics-addr|metrics-secure|health-probe-addr|webhook-port|enable-leader-election)(=|$)/;
  return [
    ...manager.args.filter((a: string) => !dropped.test(a)),
    '--metrics-addr=0',
    '--health-probe-addr=0',
    '--enable-leader-election=false',
    '--enable-webhooks=false',
  ];
}

export async function startOperator(cp: ControlPlane, deployment: any): Promise<RunningOperator> {
  const built = await buildOperator();
  const namespace = deployment.metadata.namespace;
  const serviceAccount = deployment.spec.template.spec.serviceAccountName;
  const kubeconfig = await cp.serviceAccountKubeconfig(namespace, serviceAccount);
  const logFile = path.join(cp.dir, 'operator.log');
  const out = fs.openSync(logFile, 'a');
  const args = outOfClusterArgs(deployment);
  const child: ChildProcess = spawn(built.bin.manager, args, {
    stdio: ['ignore', out, out],
    env: {
      PATH: process.env.PATH,
      HOME: cp.dir,
      KUBECONFIG: kubeconfig,
      ENABLE_WEBHOOKS: 'false',
      // What the chart's Deployment sets from the downward API.
      NAMESPACE: namespace,
      SERVICE_ACCOUNT_NAME: serviceAccount,
    },
  });
  fs.closeSync(out);
  const kill = () => child.kill('SIGKILL');
  process.on('exit', kill);
  const log = () => fs.readFileSync(logFile, 'utf8');
  return {
    log,
    args,
    async stop() {
      process.off('exit', kill);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(kill, 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
