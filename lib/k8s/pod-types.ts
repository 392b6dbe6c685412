// Pod-level types the constructs take as props, with the enums the config schema accepts for them.

/** A Kubernetes toleration. */
export interface Toleration {
  /** Taint key to tolerate. @default - every key (with operator Exists) */
  readonly key?: string;
  /** How key and value are compared. @default 'Equal' */
  readonly operator?: 'Exists' | 'Equal';
  /** Taint value to match with operator Equal. @default - none */
  readonly value?: string;
  /** Taint effect to tolerate. @default - every effect */
  readonly effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  /** How long a NoExecute taint is tolerated. @default - forever */
  readonly tolerationSeconds?: number;
}

export const TOLERATION_OPERATORS = ['Exists', 'Equal'] as const;
export const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;

/** CPU and memory of a container, as Kubernetes quantities. */
export interface ResourceRequirements {
  /** What the scheduler reserves. @default - none */
  readonly requests?: { readonly cpu?: string | number; readonly memory?: string | number };
  /** The most the container may use. @default - none */
  readonly limits?: { readonly cpu?: string | number; readonly memory?: string | number };
}
