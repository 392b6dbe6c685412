import * as fs from 'fs';
import { SUITE_TMPDIR_ENV } from './helpers';

export default function globalTeardown(): void {
  const suite = process.env[SUITE_TMPDIR_ENV];
  if (suite) fs.rmSync(suite, { recursive: true, force: true });
}
