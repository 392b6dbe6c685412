/** A DNS label (RFC 1123): namespaces, most object names, cluster names. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** A DNS name: dot-separated labels of letters, digits and '-', at most 253 characters. */
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * `host:port`: a DNS name or a bracketed IPv6 address, and a port from 1 to 65535. The config
 * schema and FalcoCollector use this, and only this.
 */
export function hostPortProblem(value: string): string | undefined {
  const expected = 'expected a host name or [IPv6 address] and a port from 1 to 65535, such as "api.honeycomb.io:443", without a scheme';
  const match = /^(\[[^\]]*\]|[^:\[\]]*):([0-9]+)$/.exec(value);
  if (!match) return `${JSON.stringify(value)} is not host:port; ${expected}`;
  const [, host, port] = match;
  if (host.startsWith('[') ? !isIpv6(host.slice(1, -1)) : !HOST_NAME.test(host)) return `${JSON.stringify(host)} is not a host name or IPv6 address; ${expected}`;
  if (!/^[1-9][0-9]{0,4}$/.test(port) || Number(port) > 65535) return `port ${port} is not between 1 and 65535; ${expected}`;
  return undefined;
}

/** An IPv6 address (RFC 4291 text forms, an IPv4 tail allowed). */
function isIpv6(text: string): boolean {
  const v4 = /(?:^|:)((?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3})$/.exec(text);
  const body = v4 ? `${text.slice(0, text.length - v4[1].length)}0:0` : text;
  if (!/^[0-9a-fA-F:]+$/.test(body) || (body.match(/::/g) ?? []).length > 1) return false;
  const [head, tail] = body.includes('::') ? body.split('::') : [body, undefined];
  const groups = [...(head ? head.split(':') : []), ...(tail ? tail.split(':') : [])];
  if (groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return false;
  return tail === undefined ? groups.length === 8 : groups.length <= 7;
}

/** Namespaces of Kubernetes itself: a Namespace object for one of them could be pruned by a GitOps tool. */
export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'] as const;

/** What is wrong with `name` as a namespace this tool creates, or undefined. */
export function namespaceProblem(name: string): string | undefined {
  if (!DNS_LABEL.test(name)) {
    return `${JSON.stringify(name)} is not a DNS label; expected a namespace name: lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters`;
  }
  if ((SYSTEM_NAMESPACES as readonly string[]).includes(name)) {
    return `${JSON.stringify(name)} is a namespace of Kubernetes itself; expected a namespace of its own (such as "falco" or "otel"): `
      + 'a Namespace object is emitted for it, and a GitOps tool that prunes would delete it with everything in it';
  }
  return undefined;
}

/** `host:port` as a test, for callers that only need yes or no. */
export const HOST_PORT = { test: (value: string): boolean => hostPortProblem(value) === undefined };
