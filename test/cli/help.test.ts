import * as fs from 'fs';
import * as path from 'path';
import { runProcess } from '../support/run-process';

// The command line, as a user meets it: every npm script answers --help, through npm itself.

const ROOT = path.resolve(__dirname, '..', '..');
const SCRIPTS: Record<string, string> = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts;

const run = (command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) => runProcess(command, args, { cwd: ROOT, ...options });

describe('every npm script accepts --help: usage on stdout, exit 0', () => {
  // npm's own scripts of the tools (jest, tsc) print those tools' help.
  const TOOLS: Record<string, RegExp> = { test: /Usage: jest/, 'test:cli': /Usage: jest/, 'test:e2e': /Usage: jest/, typecheck: /tsc: The TypeScript Compiler/ };
  const names = Object.keys(SCRIPTS).filter((n) => n !== 'postinstall');
  const runs = Object.fromEntries(names.map((name) => [name, run('npm', ['run', '--silent', name, '--', '--help'])]));

  test.each(names)('%s', async (name) => {
    const { status, stdout, stderr } = await runs[name];
    expect([name, status, stderr.trim()]).toEqual([name, 0, '']);
    expect(stdout).toMatch(TOOLS[name] ?? new RegExp(`^usage: npm run ${name.replace(':', '\\:')}\\b`));
  });
});
