import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments, stringify } from 'yaml';
import { UserError } from '../lib/errors';
import type { SecretManifest } from '../lib/honeycomb/honeycomb-secret';

// Secret manifests (honeycomb.apiKey.source: env) live outside the output, in secrets/<cluster>/,
// beside a record of what the last synth of that cluster wrote there and which output it belongs
// to. Deploy applies exactly what the record lists, and only with that output.

/** The record in each cluster's secrets folder. */
export const SECRETS_RECORD = '.synth-secrets.json';
const TOOL = 'falco-otel-honeycomb';

export interface SecretsRecord {
  readonly tool: typeof TOOL;
  readonly cluster: string;
  /** Digest of the output folder's record (outputDigest) the Secrets were written with. */
  readonly output: string;
  /** The namespace every Secret must be in. */
  readonly namespace: string;
  /** sha256 of each Secret manifest file, by name. */
  readonly files: Record<string, string>;
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** Refuses, touching nothing, a secrets folder (or file in it) that is a symbolic link or not what it should be. */
export function checkSecretsTarget(root: string, cluster: string, manifests: readonly SecretManifest[]): void {
  const dir = path.join(root, cluster);
  for (const [p, kind] of [[root, 'folder'], [dir, 'folder'], ...manifests.map((m) => [path.join(dir, secretFileName(m)), 'file'] as const)] as const) {
    const stat = fs.lstatSync(p, { throwIfNoEntry: false });
    if (!stat) continue;
    if (stat.isSymbolicLink()) {
      throw new UserError(`${p}: is a symbolic link (to ${fs.readlinkSync(p)}); expected a real ${kind}: synth never writes a Secret through a link, which could put the API key anywhere`);
    }
    if (kind === 'folder' ? !stat.isDirectory() : !stat.isFile()) throw new UserError(`${p}: is not a ${kind}; expected the ${kind} synth writes Secret manifests ${kind === 'folder' ? 'into' : 'as'}`);
  }
}

/** `<namespace>-<name>.yaml` */
export function secretFileName(manifest: SecretManifest): string {
  return `${manifest.metadata.namespace}-${manifest.metadata.name}.yaml`;
}

/**
 * Writes the cluster's Secret manifests (each to a temporary file in the same folder, synced,
 * then renamed; mode 0600, folder 0700), removes those the previous synth of this cluster wrote
 * and this one does not, and records what is there. Without manifests and without an earlier
 * record nothing is created.
 */
export function writeSecrets(root: string, cluster: string, manifests: readonly SecretManifest[], output: string, namespace: string): string[] {
  checkSecretsTarget(root, cluster, manifests);
  const dir = path.join(root, cluster);
  const previous = readRecord(dir);
  if (manifests.length === 0 && !previous) return [];
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
  const files: Record<string, string> = {};
  for (const manifest of manifests) {
    const text = `# Written by npm run synth from HONEYCOMB_API_KEY. Never commit this file.\n${stringify(manifest)}`;
    const name = secretFileName(manifest);
    writePrivately(path.join(dir, name), text);
    files[name] = sha256(text);
  }
  // Only what an earlier synth recorded is removed: a file someone else put here is left (and deploy refuses it).
  const removed = Object.keys(previous?.files ?? {}).filter((name) => !(name in files) && !name.includes('/'));
  for (const name of removed) fs.rmSync(path.join(dir, name), { force: true });
  const record: SecretsRecord = { tool: TOOL, cluster, output, namespace, files };
  writePrivately(path.join(dir, SECRETS_RECORD), `${JSON.stringify(record, null, 1)}\n`);
  return [...Object.keys(files).map((f) => path.join(dir, f)), ...removed.map((f) => `${path.join(dir, f)} (removed)`)];
}

function writePrivately(file: string, text: string): void {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  try {
    // O_EXCL: never through a link someone put at the temporary name.
    const fd = fs.openSync(temp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
    try {
      fs.writeFileSync(fd, text);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.chmodSync(temp, 0o600);
    fs.renameSync(temp, file);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOSPC' || e.code === 'EDQUOT') throw new UserError(`${file}: could not be written (the disk is full); expected room for the Secret manifest: the previous one is unchanged`);
    if (e.code === 'EACCES' || e.code === 'EPERM' || e.code === 'EROFS') throw new UserError(`${file}: could not be written (${e.code}); expected a writable secrets folder`);
    throw err;
  }
}

function readRecord(dir: string): SecretsRecord | undefined {
  try {
    const record = JSON.parse(fs.readFileSync(path.join(dir, SECRETS_RECORD), 'utf8'));
    return record?.tool === TOOL && typeof record.files === 'object' ? record : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The Secrets deploy may apply for a cluster's output: exactly the manifests its last synth wrote
 * for that output, each unchanged (by digest), of kind Secret, in the recorded namespace. Throws a
 * UserError for anything else in the folder, a record of another cluster or output, or a change.
 */
export function readSecretsForDeploy(root: string, cluster: string, output: string): { objects: any[]; dir: string } {
  const dir = path.join(root, cluster);
  const stat = fs.lstatSync(dir, { throwIfNoEntry: false });
  if (!stat) return { objects: [], dir };
  if (stat.isSymbolicLink() || !stat.isDirectory()) throw new UserError(`${dir}: is not a folder; expected the secrets folder synth writes`);
  const record = readRecord(dir);
  const resynth = 'run `npm run synth` (or synth:all) again, then deploy';
  if (!record) throw new UserError(`${dir}: has no ${SECRETS_RECORD}, so what is in it was not written by synth; expected only what synth writes: ${resynth}`);
  if (record.cluster !== cluster) throw new UserError(`${dir}: its Secrets were written for cluster ${JSON.stringify(record.cluster)}, not ${JSON.stringify(cluster)}; expected the Secrets of the cluster being deployed: ${resynth}`);
  if (record.output !== output) throw new UserError(`${dir}: its Secrets belong to another synth of ${cluster} than the output being deployed; expected the Secrets written with this output: ${resynth}`);
  const objects: any[] = [];
  for (const name of fs.readdirSync(dir).sort()) {
    if (name === SECRETS_RECORD) continue;
    const file = path.join(dir, name);
    const expected = record.files[name];
    if (!expected) throw new UserError(`${file}: was not written by synth; expected only the Secret manifests synth writes in ${dir}: remove it`);
    const fileStat = fs.lstatSync(file);
    if (!fileStat.isFile()) throw new UserError(`${file}: is not a regular file; expected the Secret manifest synth wrote: ${resynth}`);
    const text = fs.readFileSync(file, 'utf8');
    if (sha256(text) !== expected) throw new UserError(`${file}: changed since synth wrote it; expected the manifest as synth wrote it: ${resynth}`);
    for (const doc of parseAllDocuments(text)) {
      const object = Array.isArray(doc) ? undefined : doc.toJSON();
      if (object == null) continue;
      if (object.kind !== 'Secret' || object.apiVersion !== 'v1') throw new UserError(`${file}: holds a ${object.kind}; expected only Secrets`);
      if (object.metadata?.namespace !== record.namespace) throw new UserError(`${file}: holds a Secret in namespace ${JSON.stringify(object.metadata?.namespace)}; expected namespace ${JSON.stringify(record.namespace)}`);
      objects.push(object);
    }
  }
  for (const name of Object.keys(record.files)) {
    if (!fs.existsSync(path.join(dir, name))) throw new UserError(`${path.join(dir, name)}: is missing; expected the Secret manifest synth wrote: ${resynth}`);
  }
  return { objects, dir };
}
