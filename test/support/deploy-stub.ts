import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** The stub kubectl (test/stubs/kubectl): records calls, answers per scenario. No cluster involved. */
const STUB = path.join(__dirname, '..', 'stubs', 'kubectl');

// One temporary root for the whole test file; removeScratch() deletes it (call it in afterAll: an
// exit handler does not run inside jest's sandbox). Not test/helpers' tempDir: that module loads the
// cdk8s app, which these tests do not need and which takes a second to load.
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'deploy-test-'));

/** Deletes every folder made by scratch() and installStub(). */
export function removeScratch(): void {
  fs.rmSync(root, { recursive: true, force: true });
}

/** A fresh folder under the test file's temporary root. */
export function scratch(prefix: string): string {
  return fs.mkdtempSync(path.join(root, prefix));
}

export interface StubCall {
  /** argv without a leading `--context <ctx>`. */
  readonly args: string[];
  /** The context passed, if any. */
  readonly context?: string;
  /** For apply: `Kind/name` of every object sent on stdin. */
  readonly applied?: string[];
}

/** A folder holding the stub as `kubectl`; put it first on PATH. */
export function installStub(): string {
  const bin = scratch('kubectl-stub-bin-');
  fs.copyFileSync(STUB, path.join(bin, 'kubectl'));
  fs.chmodSync(path.join(bin, 'kubectl'), 0o755);
  return bin;
}

/** A fresh state folder with this scenario (shell assignments, e.g. { CRD_WAIT_FAILS: 2 }). */
export function newScenario(settings: Record<string, string | number> = {}): string {
  const dir = scratch('kubectl-stub-state-');
  fs.writeFileSync(path.join(dir, 'scenario'), Object.entries(settings).map(([k, v]) => `${k}=${v}\n`).join(''));
  return dir;
}

/** The calls recorded in a state folder, in order. */
export function recordedCalls(stateDir: string): StubCall[] {
  const log = path.join(stateDir, 'calls.log');
  if (!fs.existsSync(log)) return [];
  return fs.readFileSync(log, 'utf8').trimEnd().split('\n').map((line) => {
    const [n, ...argv] = line.split('\t');
    const context = argv[0] === '--context' ? argv[1] : undefined;
    const args = context === undefined ? argv : argv.slice(2);
    const stdin = path.join(stateDir, `stdin-${n}.json`);
    const applied = fs.existsSync(stdin)
      ? fs.readFileSync(stdin, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line)).map((o) => `${o.kind}/${o.metadata.name}`)
      : undefined;
    return { args, context, applied };
  });
}
