import { App, Names } from 'cdk8s';
import { dump } from 'js-yaml';
import { UserError } from '../lib/errors';
import { ManifestFile } from './validate/validate-manifests';

/**
 * A manifest file's text: the objects as `---`-separated YAML documents. Written with js-yaml:
 * its default dump schema quotes every string that YAML 1.1 (kubectl's reader) or YAML 1.2 would
 * read as something else ('yes', '0755', '1:30', …). No anchors, no folding, double quotes: the
 * same bytes as cdk8s's writer for this app's objects (test/write-manifests.test.ts), four times as fast.
 */
export function manifestYaml(objects: readonly unknown[]): string {
  return objects.map(objectYaml).join('---\n');
}

// A fleet of clusters repeats most objects byte for byte (the operator's CRDs above all): each is
// written once per process, looked up by its JSON, which is ten times cheaper to make than its YAML.
const written = new Map<string, string>();

function objectYaml(object: unknown): string {
  const key = JSON.stringify(object);
  let text = written.get(key);
  if (text === undefined) {
    text = dump(object, { lineWidth: -1, noRefs: true, quoteStyle: 'double' });
    written.set(key, text);
  }
  return text;
}

/** A construct's validation message and where it is. */
export class AppValidationError extends UserError {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

/**
 * The files `app.synth()` would write, in apply order, without writing them: each chart's objects
 * (chart.toJson(), dependency order), named as cdk8s names them (`0000-<chart>.k8s.yaml` once
 * charts depend on each other). Every construct's validation runs first; all its problems are
 * thrown together as one AppValidationError.
 */
export function appManifests(app: App): ManifestFile[] {
  const problems = app.node.findAll().flatMap((c) => c.node.validate().map((error) => `${c.node.path}: ${error}`));
  if (problems.length > 0) throw new AppValidationError(problems);
  const charts = app.charts;
  const indexed = charts.some((c) => c.node.dependencies.length > 0);
  return charts.map((chart, i) => ({
    file: `${indexed ? `${String(i).padStart(4, '0')}-` : ''}${Names.toDnsLabel(chart)}${app.outputFileExtension}`,
    objects: chart.toJson(),
  }));
}
