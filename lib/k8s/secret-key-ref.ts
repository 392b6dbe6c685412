/** A key of a Secret: what a container's `secretKeyRef` names. HoneycombSecret is one. */
export interface ISecretKeyRef {
  /** Namespace of the Secret; only pods of that namespace can read it. */
  readonly namespace: string;
  readonly secretName: string;
  readonly secretKey: string;
}
