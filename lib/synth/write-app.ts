import * as fs from 'fs';
import * as path from 'path';
import { App, Yaml } from 'cdk8s';
import { dump } from 'js-yaml';
import { PLAIN_CDK8S_ENV } from '../helm/chart-renders';
import { ManifestFile } from '../validate/validate-manifests';

/**
 * A manifest file's text: the objects as `---`-separated YAML documents. Written with js-yaml rather
 * than cdk8s's Yaml.stringify (the yaml package), which takes four times as long on the operator's
 * 780 kB of CRDs. js-yaml's default dump schema quotes every string that YAML 1.1 (kubectl's
 * reader) or YAML 1.2 would read as something else ('yes', '0755', '1:30', …). No anchors, no
 * folding, double quotes: for this app's objects, the same bytes as cdk8s's writer (test/write-app.test.ts).
 */
export function manifestYaml(objects: readonly unknown[]): string {
  return objects.map((o) => dump(o, { lineWidth: -1, noRefs: true, quoteStyle: 'double' })).join('---\n');
}

/**
 * `app.synth()`, with every file written by manifestYaml() (by cdk8s's own writer when
 * PLAIN_CDK8S_ENV is 1). Returns the objects of each file, in apply order, so that they are
 * validated as written without reading the files back.
 */
export function writeApp(app: App): ManifestFile[] {
  const files: ManifestFile[] = [];
  const cdk8sSave = Yaml.save;
  const plain = process.env[PLAIN_CDK8S_ENV] === '1';
  Yaml.save = (filePath: string, objects: any[]) => {
    if (plain) cdk8sSave.call(Yaml, filePath, objects);
    else fs.writeFileSync(filePath, manifestYaml(objects));
    files.push({ file: path.relative(app.outdir, filePath), objects });
  };
  try {
    app.synth();
  } finally {
    Yaml.save = cdk8sSave;
  }
  return files.sort((a, b) => a.file.localeCompare(b.file));
}
