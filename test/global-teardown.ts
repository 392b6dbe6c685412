import * as fs from 'fs';

export default function globalTeardown(): void {
  const dir = (globalThis as { renderCacheDir?: string }).renderCacheDir;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}
