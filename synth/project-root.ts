import * as fs from 'fs';
import * as path from 'path';

const PACKAGE_NAME = 'falco-otel-honeycomb';

/**
 * The repository's root: the nearest folder above this file whose package.json is this project's
 * (the same from the sources and from the bundles under .cache/build/).
 */
export function projectRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    try {
      if (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).name === PACKAGE_NAME) return dir;
    } catch {
      // not here
    }
    if (path.dirname(dir) === dir) return process.cwd();
  }
}

/** Folders of the repository that hold sources or tools, never output. */
export const SOURCE_FOLDERS = ['.git', '.ci', '.cache', 'app', 'bench', 'config', 'demo', 'deploy', 'imports', 'lib', 'node_modules', 'scripts', 'secrets', 'synth', 'test'];
