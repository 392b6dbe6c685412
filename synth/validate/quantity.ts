// Kubernetes' quantity grammar (k8s.io/apimachinery/pkg/api/resource): a signed decimal number,
// then a binary suffix (Ki..Ei), a decimal suffix (n u m k M G T P E) or an integer exponent
// (e3, E-2), or nothing. "256MB", "1K" and "abc" are not quantities.
const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)([KMGTPE]i|[numkMGTPE]|[eE][+-]?\d+)?$/;

/** Whether `value` is a Kubernetes quantity such as "500m", "256Mi" or "1e3". */
export function isQuantity(value: string): boolean {
  return QUANTITY.test(value);
}
