import { ApiObject } from 'cdk8s';
// The generated Kubernetes API classes only: cdk8s-plus-28's index would load all of cdk8s-plus (≈0.1 s).
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s';
import { Construct } from 'constructs';

/**
 * The Namespace object `name` in `scope`, created unless one is there already: Falco and the
 * operator may share a namespace and a scope, and two objects of the same name would make
 * `kubectl apply` and Argo CD report duplicates.
 */
export function ensureNamespace(scope: Construct, name: string): ApiObject {
  const existing = scope.node.children.find((c): c is ApiObject => c instanceof ApiObject && c.kind === 'Namespace' && c.name === name);
  return existing ?? new k8s.KubeNamespace(scope, `namespace-${name}`, { metadata: { name } });
}
