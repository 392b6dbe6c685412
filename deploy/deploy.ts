import * as path from 'path';
import { formatDuration, kubectlTimeout } from './duration';
import { Kubectl, KubectlResult } from './kubectl';
import { groupByWave, readManifestFolder } from './manifests';
import { planStages, PlannedStep, Stage, Step, webhookBackends, webhookHints, WorkloadResource } from './plan';
import { retry, RetryBounds } from './retry';
import { UserError } from '../lib/errors';
import { cut } from '../lib/text';
import { outputDigest, readOutputRecord } from '../synth/output-folder';
import { readSecretsForDeploy } from '../synth/secrets-folder';

/** Field manager of our server-side applies: distinct from `kubectl`, so no other tool's fields are ours to drop. */
export const FIELD_MANAGER = 'falco-otel-deploy';

export interface DeployOptions {
  /** Folder of synthesized manifests (dist, or dist/<cluster>). */
  readonly dir: string;
  /** kubeconfig context for every kubectl call. @default - the current context */
  readonly context?: string;
  /** Bound of each wait and of each kubectl call, in ms. @default 300000 */
  readonly timeoutMs?: number;
  /**
   * Folder of the per-cluster Secret manifests synth writes (`<secretsDir>/<cluster>/`). Only the
   * Secrets the last synth of the deployed output wrote are applied. @default 'secrets'
   */
  readonly secretsDir?: string;
  /** First pause between retries, doubling after each. @default 2000 */
  readonly backoffMs?: number;
  /** Attempts of an apply refused by a webhook that is not serving yet. @default 6 */
  readonly applyAttempts?: number;
  /** Environment of the kubectl processes. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Progress output. @default console.log */
  readonly log?: (line: string) => void;
}

export interface RolloutReport {
  readonly workload: string;
  readonly status: string;
}

export interface DeployReport {
  readonly context: string;
  readonly stages: string[];
  readonly rollouts: RolloutReport[];
}

/** A failed deploy: which stage and step, what kubectl said, and what to look at. */
export class DeployError extends UserError {
  constructor(
    public readonly stage: string,
    public readonly step: string,
    public readonly detail: string,
    public readonly hints: string[],
  ) {
    super([
      `deploy failed in stage "${stage}", step "${step}":`,
      indent(cut(detail.trim(), 2000) || '(kubectl printed nothing)'),
      ...(hints.length ? ['Look at:', ...hints.map((h) => `  ${h}`)] : []),
      'Re-running `npm run deploy` is safe: every apply is idempotent and the waits only read.',
    ].join('\n'));
    this.name = 'DeployError';
  }
}

/** The API server is unreachable or the kubeconfig is wrong: another try will not help. */
const UNREACHABLE = /The connection to the server .* was refused|Unable to connect to the server|couldn't get current server API group list|failed to download openapi|context was not found|current-context is not set|no configuration has been provided|Unauthorized|must be logged in/i;
/** A webhook or a just-established CRD that is not serving yet. */
const NOT_SERVING_YET = /failed calling webhook|conversion webhook|no endpoints available|connection refused|ensure CRDs are installed first|no matches for kind|could not find the requested resource|x509: certificate signed by unknown authority/i;
/** A wait that ended before its condition: the object may still be on its way. */
const NOT_YET = /timed out waiting|NotFound|not found|no matching resources/i;

const indent = (text: string): string => text.split('\n').map((l) => `  ${l}`).join('\n');
const firstLine = (text: string): string => text.trim().split('\n')[0] ?? '';

const applyRetryable = (r: KubectlResult): boolean => !UNREACHABLE.test(r.stderr) && NOT_SERVING_YET.test(r.stderr);
const waitRetryable = (r: KubectlResult): boolean => !UNREACHABLE.test(r.stderr) && NOT_YET.test(r.stderr);

/** Hints for a failed apply, from what kubectl said. */
function applyHints(stderr: string, webhookHintLines: string[]): string[] {
  if (UNREACHABLE.test(stderr)) {
    return ['kubectl config current-context   # the cluster deployed to; pass --context to choose', 'kubectl cluster-info'];
  }
  const hints: string[] = [];
  if (/webhook|no endpoints available|connection refused|x509/i.test(stderr)) hints.push(...webhookHintLines);
  if (/no matches for kind|ensure CRDs are installed first|could not find the requested resource/i.test(stderr)) {
    hints.push('kubectl get crd   # the CRDs come in wave 0 and must be established');
  }
  if (/field is immutable/i.test(stderr)) {
    hints.push('kubectl delete <the object named above>   # immutable fields (Job templates, selectors) cannot change in place; delete it, then re-run');
  }
  return hints;
}

function describeStep(step: Step): string {
  switch (step.type) {
    case 'apply': return `apply ${step.objects.length} object${step.objects.length > 1 ? 's' : ''}`;
    case 'established': return `wait for ${step.crds.length} CRD${step.crds.length > 1 ? 's' : ''} to be established`;
    case 'condition': return `wait for ${step.resource}${step.names.length > 1 ? 's' : ''} ${step.names.map((n) => `${step.namespace}/${n}`).join(', ')} to be ${step.condition}`;
    case 'created': return `wait for ${step.owner} to create ${step.resource} ${step.namespace}/${step.name}`;
    case 'rollout': return `rollout of ${step.resource} ${step.namespace}/${step.name}`;
  }
}

/** Runs the stages of one deploy against one context. */
class Deployer {
  private kubectl: Kubectl;
  private readonly timeoutMs: number;
  private readonly backoffMs: number;
  private readonly log: (line: string) => void;
  private webhookHintLines: string[] = [];

  constructor(private readonly options: DeployOptions) {
    this.timeoutMs = options.timeoutMs ?? 300_000;
    this.kubectl = new Kubectl({ context: options.context, env: options.env, timeoutMs: this.timeoutMs });
    this.backoffMs = options.backoffMs ?? 2000;
    this.log = options.log ?? console.log;
  }

  public async run(): Promise<DeployReport> {
    const { dir } = this.options;
    const waves = groupByWave(readManifestFolder(dir));
    const { objects: secrets, dir: secretsDir, note } = this.secrets(dir);
    const stages = planStages(waves, secrets, path.normalize(secretsDir));
    this.webhookHintLines = webhookHints(webhookBackends(waves.flatMap((w) => w.objects)));

    const context = this.options.context ?? (await this.currentContext());
    // Pinned: switching contexts in another terminal mid-deploy must not split the deploy across clusters.
    this.kubectl = new Kubectl({ context, env: this.options.env, timeoutMs: this.timeoutMs });
    this.log(`Deploying ${dir} to context ${context}: ${stages.length} stages, each wait bounded by ${formatDuration(this.timeoutMs)}.`);
    if (!secrets.length) this.log(note);
    for (const stage of stages) {
      this.log(`==> ${stage.name}`);
      for (const planned of stage.steps) await this.runStep(stage, planned);
    }
    const rollouts = await this.reportRollouts(stages);
    this.log(`Deployed ${dir} to context ${context}.`);
    for (const r of rollouts) this.log(`  ${r.workload}: ${r.status}`);
    return { context, stages: stages.map((s) => s.name), rollouts };
  }

  /**
   * The Secrets to apply: those the last synth of this output wrote for its cluster (the output's
   * record names the cluster; the secrets folder's record, the output it belongs to). Anything else
   * is refused by readSecretsForDeploy.
   */
  private secrets(dir: string): { objects: any[]; dir: string; note: string } {
    const root = this.options.secretsDir ?? 'secrets';
    const record = readOutputRecord(dir);
    if (!record?.cluster) {
      return { objects: [], dir: root, note: `(${dir} has no record of a synth of one cluster, so no Secrets are applied: the collector's Secret must exist in the cluster already)` };
    }
    const found = readSecretsForDeploy(root, record.cluster, outputDigest(dir) ?? '');
    return { ...found, note: `(no Secrets written by synth for cluster ${record.cluster} in ${found.dir}/: the collector's Secret must exist in the cluster already)` };
  }

  private async currentContext(): Promise<string> {
    const r = await this.kubectl.run(['config', 'current-context']);
    if (r.code !== 0) {
      throw new DeployError('preflight', 'find the current kubectl context', r.stderr, [
        'kubectl config get-contexts   # then pass --context <name>',
      ]);
    }
    return r.stdout.trim();
  }

  private async runStep(stage: Stage, planned: PlannedStep): Promise<void> {
    const { step } = planned;
    const name = describeStep(step);
    this.log(`    ${name}`);
    const { result, attempts } = await this.execute(step);
    for (const line of result.stdout.trim().split('\n').filter(Boolean)) this.log(`      ${line}`);
    if (result.code === 0) return;
    const hints = step.type === 'apply' ? applyHints(result.stderr, this.webhookHintLines) : planned.hints;
    const tries = attempts > 1 ? ` (${attempts} attempts)` : '';
    throw new DeployError(stage.name, name, `${this.shownCall(step)}${tries} failed:\n${result.stderr.trim()}`, hints.map((h) => this.kubectl.show(h)));
  }

  /** The kubectl call of a step, for error messages. */
  private shownCall(step: Step): string {
    return this.kubectl.show(`kubectl ${this.stepArgs(step, this.timeoutMs).join(' ')}`);
  }

  private stepArgs(step: Step, remainingMs: number): string[] {
    const timeout = `--timeout=${kubectlTimeout(remainingMs)}`;
    switch (step.type) {
      case 'apply': return ['apply', '--server-side', '--force-conflicts', `--field-manager=${FIELD_MANAGER}`, '-f', '-'];
      case 'established': return ['wait', '--for=condition=established', timeout, ...step.crds.map((c) => `crd/${c}`)];
      case 'condition': return ['wait', `--for=condition=${step.condition}`, timeout, '-n', step.namespace, ...step.names.map((n) => `${step.resource}/${n}`)];
      case 'created': return ['get', step.resource, step.name, '-n', step.namespace, '--ignore-not-found', '-o', 'name'];
      case 'rollout': return ['rollout', 'status', `${step.resource}/${step.name}`, '-n', step.namespace, timeout];
    }
  }

  private bounds(extra: Partial<RetryBounds>): RetryBounds {
    return {
      backoffMs: this.backoffMs,
      onRetry: (r, n, pause) => this.log(`      not yet (attempt ${n}): ${firstLine(r.stderr) || 'not there yet'}; retrying in ${formatDuration(pause)}`),
      ...extra,
    };
  }

  private execute(step: Step) {
    if (step.type === 'apply') {
      // A stream of JSON objects, which kubectl reads as it reads YAML: JSON leaves no room for YAML
      // 1.1/1.2 differences (an unquoted `on` is a boolean to kubectl's parser, a string to ours).
      const input = step.objects.map((o) => `${JSON.stringify(o)}\n`).join('');
      return retry(() => this.kubectl.run(this.stepArgs(step, 0), input), applyRetryable, this.bounds({ attempts: this.options.applyAttempts ?? 6 }));
    }
    const deadline = Date.now() + this.timeoutMs;
    if (step.type === 'created') return this.pollCreated(step, deadline);
    // The first call gets the whole bound; a retry (object not there yet) what is left of it.
    return retry((n, remaining) => {
      const bound = n === 1 ? this.timeoutMs : remaining;
      return this.kubectl.run(this.stepArgs(step, bound), undefined, bound);
    }, waitRetryable, this.bounds({ deadline }));
  }

  /** The operator creates the collector's workload asynchronously: poll until it exists. */
  private pollCreated(step: Extract<Step, { type: 'created' }>, deadline: number) {
    const notYet = `${step.resource} ${step.namespace}/${step.name} not created yet`;
    const attempt = async (): Promise<KubectlResult> => {
      const r = await this.kubectl.run(this.stepArgs(step, 0));
      if (r.code !== 0 || r.stdout.trim()) return r;
      return { code: 1, stdout: '', stderr: `${notYet} (waited up to ${formatDuration(this.timeoutMs)})` };
    };
    return retry(attempt, (r) => r.stderr.startsWith(notYet), this.bounds({ deadline, maxBackoffMs: 10_000 }));
  }

  /** Ready counts of every workload whose rollout was waited for (Falco's, the collector's, ...). */
  private async reportRollouts(stages: Stage[]): Promise<RolloutReport[]> {
    const rollouts = stages.flatMap((s) => s.steps.map((p) => p.step)).filter((s): s is Extract<Step, { type: 'rollout' }> => s.type === 'rollout');
    const reports: RolloutReport[] = [];
    for (const r of rollouts) {
      const r2 = await this.kubectl.run(['get', r.resource, r.name, '-n', r.namespace, '-o', `jsonpath=${READY_PATH[r.resource]}`]);
      const status = r2.code === 0 ? `${r2.stdout.trim()} ready, rolled out` : `rolled out (status unavailable: ${firstLine(r2.stderr)})`;
      reports.push({ workload: `${r.resource} ${r.namespace}/${r.name}`, status });
    }
    return reports;
  }
}

/** Ready/desired pods of a workload, as `kubectl get -o jsonpath` prints them. */
const READY_PATH: Record<WorkloadResource, string> = {
  daemonset: '{.status.numberReady}/{.status.desiredNumberScheduled} pods',
  deployment: '{.status.readyReplicas}/{.status.replicas} replicas',
  statefulset: '{.status.readyReplicas}/{.status.replicas} replicas',
};

/**
 * Applies a folder of synthesized manifests in stages (one per sync wave) and waits between them:
 * CRDs established, Jobs complete, Pods ready, workloads rolled out, the collector's DaemonSet created by the
 * operator and rolled out. Throws DeployError naming the stage on the first failure.
 */
export function deploy(options: DeployOptions): Promise<DeployReport> {
  return new Deployer(options).run();
}
