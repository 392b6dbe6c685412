import type { Toleration } from '../k8s/pod-types';

/**
 * Where a Falco's alerts can be read on each node: the pods of a DaemonSet, whose container writes
 * them as JSON lines on stdout. FalcoDaemonSet is one; a Falco deployed by other means can be
 * described by hand.
 */
export interface IFalcoLogSource {
  /** Namespace of the DaemonSet. */
  readonly namespace: string;
  /** Name of the DaemonSet: its pods are named `<name>-<5 characters>`. */
  readonly daemonSetName: string;
  /** Container that prints the alerts. */
  readonly containerName: string;
  /** Tolerations of the DaemonSet's pods: a collector that reads them runs on the same nodes. */
  readonly tolerations: readonly Toleration[];
}
