import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { buildApp } from '../../main';
import { loadConfig } from '../config/load-config';

export interface SynthesizeOptions {
  /** Config file to read. */
  readonly configFile: string;
  /** Folder replaced by the output. */
  readonly outdir: string;
  /** Folder for Secret manifests built from the environment. @default 'secrets' */
  readonly secretsDir?: string;
}

export interface SynthesisResult {
  /** File names written, in apply order. */
  readonly files: string[];
  /** Number of objects per kind. */
  readonly kinds: Record<string, number>;
  /** Human-readable summary. */
  readonly summary: string;
}

/**
 * Config → staging folder → (validated) → `outdir`, atomically: on any error `outdir` is untouched
 * and the staging folder is removed.
 */
export function synthesize(options: SynthesizeOptions): SynthesisResult {
  const config = loadConfig(options.configFile);
  const outdir = path.resolve(options.outdir);
  const parent = path.dirname(outdir);
  fs.mkdirSync(parent, { recursive: true });
  // Staging beside outdir, so the final rename stays on one filesystem.
  const staging = fs.mkdtempSync(path.join(parent, `.${path.basename(outdir)}-staging-`));
  fs.chmodSync(staging, 0o755);
  try {
    // cdk8s sorts object keys unless this is set; output must not depend on the environment.
    delete process.env.CDK8S_DISABLE_SORT;
    buildApp(config, { outdir: staging, secretsDir: options.secretsDir }).app.synth();
    const shown = path.relative(process.cwd(), outdir);
    const result = summarize(staging, shown.startsWith('..') ? outdir : shown || '.');
    replaceFolder(staging, outdir);
    return result;
  } catch (err) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw err;
  }
}

function replaceFolder(staging: string, outdir: string): void {
  const old = `${staging}-old`;
  if (fs.existsSync(outdir)) fs.renameSync(outdir, old);
  fs.renameSync(staging, outdir);
  fs.rmSync(old, { recursive: true, force: true });
}

function summarize(dir: string, shownAs: string): SynthesisResult {
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();
  const kinds: Record<string, number> = {};
  const lines: string[] = [];
  let total = 0;
  for (const file of files) {
    const objects = parseAllDocuments(fs.readFileSync(path.join(dir, file), 'utf8')).map((d) => d.toJSON()).filter(Boolean);
    for (const o of objects) kinds[o.kind] = (kinds[o.kind] ?? 0) + 1;
    total += objects.length;
    lines.push(`  ${file}  ${objects.length} objects`);
  }
  const byKind = Object.entries(kinds).sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k} ${n}`).join(', ');
  const summary = [`${shownAs}/: ${files.length} files, ${total} objects`, ...lines, `  by kind: ${byKind}`].join('\n');
  return { files, kinds, summary };
}
