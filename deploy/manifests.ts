import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { UserError } from '../lib/errors';
import { SYNC_WAVE_ANNOTATION } from '../lib/k8s/annotations';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  [key: string]: any;
}

/** An object and the file it was read from, for error messages. */
export interface SourcedObject {
  readonly object: KubeObject;
  readonly file: string;
}

/** The objects of one sync wave, in file order. */
export interface Wave {
  readonly wave: number;
  readonly objects: KubeObject[];
}

/** `Kind namespace/name` or `Kind name`. */
export function describeObject(o: KubeObject): string {
  return `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
}

function manifestFiles(dir: string): string[] {
  return fs.readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f) && fs.statSync(path.join(dir, f)).isFile())
    .sort();
}

function parseFile(file: string): SourcedObject[] {
  return parseAllDocuments(fs.readFileSync(file, 'utf8')).flatMap((doc, i) => {
    if (doc.errors.length) throw new UserError(`${file}: document ${i + 1} is not valid YAML: ${doc.errors[0].message}`);
    const object = doc.toJSON();
    if (object == null) return [];
    if (typeof object !== 'object' || !object.kind || !object.metadata?.name) {
      throw new UserError(`${file}: document ${i + 1} is not a Kubernetes object (kind and metadata.name are required)`);
    }
    return [{ object, file }];
  });
}

/**
 * Every object of the YAML files directly in `dir`. A folder holding only per-cluster folders
 * (dist/<cluster>/) is refused with the folders to choose from.
 */
export function readManifestFolder(dir: string): SourcedObject[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new UserError(`${dir} is not a folder: synthesize first (npm run synth), or pass --dir <folder>`);
  }
  const files = manifestFiles(dir);
  if (!files.length) {
    const clusters = fs.readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && manifestFiles(path.join(dir, d.name)).length > 0)
      .map((d) => d.name)
      .sort();
    if (clusters.length) {
      throw new UserError(`${dir} holds one folder per cluster (${clusters.join(', ')}): pass --dir ${path.join(dir, clusters[0])} and that cluster's --context`);
    }
    throw new UserError(`${dir} holds no YAML manifests: synthesize first (npm run synth)`);
  }
  return files.flatMap((f) => parseFile(path.join(dir, f)));
}

/** Groups objects by their sync-wave annotation, lowest wave first. */
export function groupByWave(objects: SourcedObject[]): Wave[] {
  const waves = new Map<number, KubeObject[]>();
  for (const { object, file } of objects) {
    const raw = object.metadata.annotations?.[SYNC_WAVE_ANNOTATION];
    if (raw === undefined) {
      throw new UserError(`${describeObject(object)} in ${file} has no ${SYNC_WAVE_ANNOTATION} annotation, so its apply stage is unknown: re-synthesize (npm run synth)`);
    }
    if (!/^-?\d+$/.test(String(raw).trim())) {
      throw new UserError(`${describeObject(object)} in ${file}: ${SYNC_WAVE_ANNOTATION} is "${raw}", not an integer`);
    }
    const wave = Number(raw);
    waves.set(wave, [...(waves.get(wave) ?? []), object]);
  }
  return [...waves.entries()].sort(([a], [b]) => a - b).map(([wave, objs]) => ({ wave, objects: objs }));
}
