import { stringify } from 'yaml';
import type { ManifestFile } from './validate/validate-manifests';

// Flux applies everything under a Kustomization's path as one unit, so the collector (which needs
// the operator's webhook serving) goes in a second Kustomization that dependsOn the first. Each
// output folder carries the two kustomization.yaml files those Kustomizations point at, written
// with it: they list exactly the manifests beside them, so they cannot go stale.

/** The sub-folder of each output folder that holds them. */
export const FLUX_FOLDER = 'flux';

/**
 * `flux/infra/kustomization.yaml` (every manifest before the one holding the OpenTelemetryCollector)
 * and `flux/collector/kustomization.yaml` (that one and the rest, the demo included), by path.
 */
export function fluxKustomizations(files: readonly ManifestFile[]): Map<string, string> {
  const names = files.map((f) => f.file.split('/').pop()!);
  const first = files.findIndex((f) => f.objects.some((o) => o?.kind === 'OpenTelemetryCollector'));
  const split = first < 0 ? names.length : first;
  const kustomization = (what: string, resources: string[]) => `# Written by npm run synth (README, "Flux"): ${what}.\n${stringify({
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: resources.map((r) => `../../${r}`),
  })}`;
  return new Map([
    [`${FLUX_FOLDER}/infra/kustomization.yaml`, kustomization('namespaces, CRDs, the operator with its cert Jobs, and Falco', names.slice(0, split))],
    [`${FLUX_FOLDER}/collector/kustomization.yaml`, kustomization('the OpenTelemetryCollector and what comes after it; apply once infra is ready', names.slice(split))],
  ]);
}
