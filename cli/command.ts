import { parseArgs, ParseArgsConfig } from 'util';
import { parseDuration } from '../deploy/duration';
import { UserError } from '../lib/errors';

// How every npm script of this repository behaves on the command line: `--help` prints the usage
// and exits 0; bad options, bad input and failed steps print one line per problem as
// `<command> failed: <where>: <what>; expected <what>` and exit non-zero; a bug (anything that is
// not a UserError) says it is one and how to report it; SIGINT and SIGTERM clean up and say so.

export const REPORT_BUGS = 'this is a bug, not a problem with your input: please report it with this output (and the command you ran) to the maintainers of this repository';

export interface CommandIo {
  /** A progress or result line on stdout. */
  readonly log: (line: string) => void;
  /** Registers what to undo if the command is interrupted (SIGINT, SIGTERM); returns its removal. */
  readonly onInterrupt: (cleanup: () => string | void) => () => void;
}

export interface Command {
  /** As in "<name> failed: …". */
  readonly name: string;
  /** The usage text: printed by --help, and named in option errors. */
  readonly usage: string;
  readonly options: NonNullable<ParseArgsConfig['options']>;
  /** Allow arguments that are not options. @default false */
  readonly positionals?: boolean;
  /** Exit code of a bad option. @default 1 */
  readonly usageExitCode?: number;
  /** Runs the command; resolves with its exit code (default 0). */
  readonly run: (values: Record<string, string | boolean | undefined>, io: CommandIo, positionals: string[]) => Promise<number | void>;
  /** What to print after the problem lines of a failure, if anything. */
  readonly afterFailure?: (err: unknown) => string | undefined;
}

/** Runs `command` with `argv` (default: this process's) and exits with its code. */
export function main(command: Command, argv: string[] = process.argv.slice(2)): void {
  runCommand(command, argv).then((code) => process.exit(code));
}

/** As main(), resolving with the exit code instead of exiting. */
export async function runCommand(command: Command, argv: string[]): Promise<number> {
  const fail = (line: string) => console.error(`${command.name} failed: ${line}`);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options: { ...command.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: command.positionals ?? false, strict: true });
  } catch (err) {
    fail(`${(err as Error).message.split('\n')[0]}; expected the options below`);
    console.error(command.usage);
    return command.usageExitCode ?? 1;
  }
  if (parsed.values.help) {
    console.log(command.usage);
    return 0;
  }
  const cleanups = new Set<() => string | void>();
  const onSignal = (signal: NodeJS.Signals) => {
    const notes = [...cleanups].map((c) => c()).filter((n): n is string => !!n);
    console.error(`${command.name} interrupted by ${signal}: ${notes.length ? notes.join('; ') : 'nothing was left behind'}`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const io: CommandIo = {
    log: (line) => console.log(line),
    onInterrupt: (cleanup) => {
      cleanups.add(cleanup);
      return () => cleanups.delete(cleanup);
    },
  };
  try {
    return (await command.run(parsed.values as Record<string, string | boolean | undefined>, io, parsed.positionals)) ?? 0;
  } catch (err) {
    const environment = environmentProblem(err);
    if (err instanceof UserError) {
      for (const line of err.message.split('\n')) fail(line);
    } else if (environment) {
      fail(environment);
    } else {
      fail(`internal error: ${(err as Error)?.message ?? String(err)}`);
      console.error(`(${REPORT_BUGS})`);
      console.error((err as Error)?.stack ?? '');
    }
    const after = command.afterFailure?.(err);
    if (after) console.error(after);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Errors of the machine rather than of the code (permissions, a full disk): one line, not a bug report. */
const ENVIRONMENT_ERRORS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EROFS: 'the file system is read-only',
  EMFILE: 'too many open files',
};

function environmentProblem(err: unknown): string | undefined {
  const e = err as NodeJS.ErrnoException;
  const why = e?.code ? ENVIRONMENT_ERRORS[e.code] : undefined;
  if (!why) return undefined;
  return `${e.path ?? e.syscall ?? 'a file'}: ${why} (${e.syscall ?? 'access'}); expected the files and folders this command reads and writes to be accessible, with room to write`;
}

/** A duration option such as 90s, 2m, 1m30s, in ms; a UserError naming the option otherwise. */
export function durationOption(option: string, value: string): number {
  try {
    return parseDuration(value);
  } catch (err) {
    throw new UserError(`${option} ${(err as Error).message}`);
  }
}
