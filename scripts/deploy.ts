// `npm run deploy [-- --dir dist/<cluster>] [-- --context <ctx>] [-- --timeout 5m] [-- --secrets <dir>]`:
// applies the synthesized manifests stage by stage (sync waves) with kubectl and waits between
// stages, so that CRDs are established and the operator's webhook serves before the collector is sent.
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { DeployError, deploy } from '../lib/deploy/deploy';
import { parseDuration } from '../lib/deploy/duration';
import { UserError } from '../lib/errors';

const USAGE = `usage: npm run deploy -- [--dir <folder>] [--context <ctx>] [--timeout <duration>] [--secrets <folder>]
  --dir       synthesized manifests (default dist; with several clusters dist/<cluster>)
  --context   kubeconfig context for every kubectl call (default: the current context)
  --timeout   bound of each wait, e.g. 300s, 10m (default 300s)
  --secrets   Secret manifests applied before the collector, if any (default secrets/<cluster> for --dir dist/<cluster> when it exists, else secrets)`;

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
        secrets: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    error(`deploy: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    log(USAGE);
    return 0;
  }
  try {
    await deploy({
      dir: values.dir!,
      context: values.context,
      timeoutMs: parseDuration(values.timeout!),
      secretsDir: values.secrets ?? defaultSecretsDir(values.dir!),
      secretsDirNamed: values.secrets !== undefined,
      backoffMs: Number(env.DEPLOY_BACKOFF_MS) > 0 ? Number(env.DEPLOY_BACKOFF_MS) : undefined,
      env,
      log,
    });
    return 0;
  } catch (err) {
    if (err instanceof DeployError) error(err.message);
    else error(err instanceof UserError ? `deploy failed: ${err.message}` : err);
    return 1;
  }
}

if (require.main === module) {
  run(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}

/** `secrets/<cluster>` for `--dir dist/<cluster>` when synth:all wrote one, else `secrets`. */
export function defaultSecretsDir(dir: string): string {
  const perCluster = path.join('secrets', path.basename(path.resolve(dir)));
  return path.basename(path.resolve(dir)) !== 'dist' && fs.existsSync(perCluster) ? perCluster : 'secrets';
}
