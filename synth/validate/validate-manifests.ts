import * as fs from 'fs';
import * as path from 'path';
import { loadAll } from 'js-yaml';
import { ManifestValidator, ManifestValidatorProps, ValidationProblem } from './manifest-validator';
import { UserError } from '../../lib/errors';

/** A problem of an object in a manifest file. */
export interface ManifestProblem extends Omit<ValidationProblem, 'index'> {
  /** File name, relative to the folder checked. */
  readonly file: string;
}

/** The output failed validation; the message lists every problem, one per line. */
export class ManifestValidationError extends UserError {
  constructor(readonly problems: readonly ManifestProblem[], kubernetesVersion: string) {
    super([
      `${problems.length} problem(s) in the synthesized objects (Kubernetes ${kubernetesVersion} API and the CRDs in the output):`,
      ...problems.map((p) => `  ${formatProblem(p)}`),
    ].join('\n'));
    this.name = 'ManifestValidationError';
  }
}

/** `<file> <Kind>/<namespace>/<name>: <field.path>: <reason>`; cluster-scoped objects have no namespace part. */
export function formatProblem(p: ManifestProblem): string {
  const object = [p.kind, p.namespace, p.name].filter((s) => s !== undefined).join('/');
  return `${p.file} ${object}: ${p.path}: ${p.reason}`;
}

/** The objects of one manifest file, parsed. */
export interface ManifestFile {
  /** File name, relative to the folder it is in. */
  readonly file: string;
  readonly objects: any[];
}

/**
 * Reads every *.yaml file of `dir`, in name order. A file that is not valid YAML becomes a problem
 * rather than an exception, so every problem of the folder is reported at once.
 */
export function readManifestFolder(dir: string): { files: ManifestFile[]; problems: ManifestProblem[] } {
  const files: ManifestFile[] = [];
  const problems: ManifestProblem[] = [];
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()) {
    try {
      // js-yaml: ~10x faster than the yaml package on the 800 kB of CRDs; same YAML 1.2 core schema.
      const documents = loadAll(fs.readFileSync(path.join(dir, file), 'utf8'));
      files.push({ file, objects: documents.filter((d) => d !== null && d !== undefined) });
    } catch (err) {
      problems.push({ file, kind: '?', name: '?', path: '(document)', reason: `YAML error: ${(err as Error).message.split('\n')[0]}` });
    }
  }
  return { files, problems };
}

/**
 * Validates the objects of all `files` together (custom resources against CRDs in any of them), and
 * that no object is there twice: kubectl would apply the second over the first, Argo CD refuses.
 */
export function validateManifests(files: readonly ManifestFile[], props: ManifestValidatorProps = {}): ManifestProblem[] {
  const objects = files.flatMap((f) => f.objects);
  const fileOf = files.flatMap((f) => f.objects.map(() => f.file));
  const problems = new ManifestValidator(props).validate(objects).map(({ index, ...problem }) => ({ file: fileOf[index], ...problem }));
  return [...problems, ...duplicateObjects(files), ...oversizedData(files)];
}

/** The API server keeps a ConfigMap's or Secret's data to 1 MiB (etcd's object size is 1.5 MiB). */
export const MAX_DATA_BYTES = 1024 * 1024;

function oversizedData(files: readonly ManifestFile[]): ManifestProblem[] {
  const problems: ManifestProblem[] = [];
  for (const { file, objects } of files) {
    for (const o of objects) {
      if (o?.apiVersion !== 'v1' || (o.kind !== 'ConfigMap' && o.kind !== 'Secret')) continue;
      const size = [o.data, o.binaryData, o.stringData].flatMap((m) => Object.entries(m ?? {}))
        .reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(String(v)), 0);
      if (size <= MAX_DATA_BYTES) continue;
      const hint = o.kind === 'ConfigMap' ? ': fewer or shorter custom rules, macros or lists' : '';
      problems.push({ file, kind: o.kind, namespace: o.metadata?.namespace, name: o.metadata?.name, path: 'data', reason: `holds ${(size / 1024 / 1024).toFixed(2)} MiB; expected at most 1 MiB, the API server's limit${hint}` });
    }
  }
  return problems;
}

function duplicateObjects(files: readonly ManifestFile[]): ManifestProblem[] {
  const seen = new Map<string, string>();
  const problems: ManifestProblem[] = [];
  for (const { file, objects } of files) {
    for (const o of objects) {
      const group = String(o?.apiVersion ?? '').split('/').slice(0, -1).join('/');
      const key = [group, o?.kind, o?.metadata?.namespace ?? '', o?.metadata?.name].join(' ');
      const first = seen.get(key);
      if (first !== undefined) {
        problems.push({ file, kind: o.kind, namespace: o.metadata?.namespace, name: o.metadata?.name, path: '(object)', reason: `is also in ${first}; expected each object once` });
      } else {
        seen.set(key, file);
      }
    }
  }
  return problems;
}

/** Every problem of the objects in `dir`: unreadable YAML first, then object by object. */
export function validateManifestFolder(dir: string, props: ManifestValidatorProps = {}): ManifestProblem[] {
  const { files, problems } = readManifestFolder(dir);
  return [...problems, ...validateManifests(files, props)];
}
