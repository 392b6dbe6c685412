import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { HelmRenderer, HelmTemplate } from './helm-renderer';
import { StaticApiObject } from '../k8s/static-api-object';

export interface HelmReleaseProps extends HelmTemplate {
  /** Renders the chart (and keeps renders for reuse). @default HelmRenderer.shared() */
  readonly renderer?: HelmRenderer;
}

/**
 * A pinned chart rendered by `helm template` (lib/helm/helm-renderer.ts), its documents made into
 * ApiObjects the way cdk8s's `Include` makes them, without helm's test hooks.
 */
export class HelmRelease extends Construct {
  public readonly releaseName: string;
  public readonly namespace: string;
  /** The scope of the rendered objects. */
  private readonly objects: Construct;
  /** The document each rendered object was made from: frozen, and shared by renders with the same key. */
  private readonly documents = new Map<ApiObject, any>();

  constructor(scope: Construct, id: string, props: HelmReleaseProps) {
    super(scope, id);
    this.releaseName = props.releaseName;
    this.namespace = props.namespace;
    this.objects = new Construct(this, 'chart');
    const documents = (props.renderer ?? HelmRenderer.shared()).render(props);
    let unnamed = 0;
    for (const document of documents) {
      // Test hooks are Pods that `helm test` runs by hand; applied by kubectl they would run once and linger.
      if (/\btest(-success)?\b/.test(document.metadata?.annotations?.['helm.sh/hook'] ?? '')) continue;
      // As Include names them: name[-kind][-namespace].
      const name = document.metadata?.name ?? `object${unnamed++}`;
      const id = [name, document.kind?.toLowerCase(), document.metadata?.namespace].filter((x) => x).join('-');
      this.documents.set(new ApiObject(this.objects, id, document), document);
    }
  }

  /** All rendered objects that are still here. */
  public get apiObjects(): ApiObject[] {
    return this.objects.node.children.filter((o): o is ApiObject => o instanceof ApiObject);
  }

  /** The rendered object of this kind and name, or an error naming what the chart rendered. */
  public findObject(kind: string, name: string): ApiObject {
    const found = this.apiObjects.find((o) => o.kind === kind && o.name === name);
    if (!found) {
      const rendered = this.apiObjects.map((o) => `${o.kind}/${o.name}`).join(', ');
      throw new Error(`the chart rendered no ${kind}/${name} (it rendered: ${rendered})`);
    }
    return found;
  }

  /** Removes the rendered objects for which `predicate` holds. */
  public removeObjects(predicate: (o: ApiObject) => boolean): void {
    for (const o of this.apiObjects.filter(predicate)) this.objects.node.tryRemoveChild(o.node.id);
  }

  /**
   * Moves a rendered object, as helm printed it and with its metadata, to `scope` (CRDs to a chart
   * applied first, say), as a StaticApiObject, whose body is sorted once (and once per render key).
   * Move an object before changing it otherwise (JSON patches are not carried over).
   */
  public moveObject(object: ApiObject, scope: Construct): ApiObject {
    const document = this.documents.get(object);
    if (!document) throw new Error(`HelmRelease.moveObject: ${object.node.path} is not a rendered object of ${this.node.path}`);
    this.objects.node.tryRemoveChild(object.node.id);
    return new StaticApiObject(scope, `${this.node.id}-${object.node.id}`, object.metadata.toJson(), document);
  }

  /**
   * Replaces a rendered object by a new one built from its JSON, in `scope` (default: where it
   * was). Values in the returned JSON may be cdk8s Lazy values, resolved at synth time.
   */
  public replaceObject(object: ApiObject, transform: (json: any) => any, scope: Construct = this.objects): ApiObject {
    const json = object.toJson();
    const id = object.node.id;
    this.objects.node.tryRemoveChild(id);
    return new ApiObject(scope, scope === this.objects ? id : `${this.node.id}-${id}`, transform(json));
  }
}
