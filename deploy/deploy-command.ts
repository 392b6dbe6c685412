// The command line of `npm run deploy` (scripts/deploy.ts): applies the synthesized manifests stage by stage (sync waves) with
// kubectl and waits between stages, so that CRDs are established and the operator's webhook serves
// before the collector is sent.
import { parseArgs } from 'util';
import { DeployError, deploy } from './deploy';
import { parseDuration } from './duration';
import { UserError } from '../lib/errors';

const USAGE = `usage: npm run deploy -- [--dir <folder>] [--context <ctx>] [--timeout <duration>] [--secrets <folder>]
Applies a synthesized output to a cluster in stages, waiting between them.
  --dir       synthesized manifests (default dist; with several clusters dist/<cluster>)
  --context   kubeconfig context for every kubectl call (default: the current context, read once)
  --timeout   bound of each wait and of each kubectl call, e.g. 300s, 10m (default 300s)
  --secrets   the folder of per-cluster Secret manifests synth writes (default secrets): only the
              Secrets the last synth of this output wrote for its cluster are applied
  -h, --help  this text`;

/** Runs the CLI; resolves with the exit code. `env` also carries DEPLOY_BACKOFF_MS (tests shorten it). */
export async function run(argv: string[], env: NodeJS.ProcessEnv = process.env, log = console.log, error = console.error): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        dir: { type: 'string', default: 'dist' },
        context: { type: 'string' },
        timeout: { type: 'string', default: '300s' },
        secrets: { type: 'string', default: 'secrets' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    error(`deploy failed: ${(err as Error).message.split('\n')[0]}; expected the options below\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    log(USAGE);
    return 0;
  }
  try {
    let timeoutMs: number;
    try {
      timeoutMs = parseDuration(values.timeout!);
    } catch (err) {
      throw new UserError(`--timeout ${(err as Error).message}`);
    }
    await deploy({
      dir: values.dir!,
      context: values.context,
      timeoutMs,
      secretsDir: values.secrets,
      backoffMs: Number(env.DEPLOY_BACKOFF_MS) > 0 ? Number(env.DEPLOY_BACKOFF_MS) : undefined,
      env,
      log,
    });
    return 0;
  } catch (err) {
    if (err instanceof DeployError) error(err.message);
    else if (err instanceof UserError) for (const line of err.message.split('\n')) error(`deploy failed: ${line}`);
    else error(`deploy failed: internal error: ${(err as Error)?.stack ?? String(err)}\n(this is a bug, not a problem with your input: please report it with this output)`);
    return 1;
  }
}
