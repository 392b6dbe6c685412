/** A DNS label (RFC 1123): namespaces, most object names, cluster names. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** A DNS name: dot-separated labels of letters, digits and '-', at most 253 characters. */
const HOST_NAME = '(?=[^:]{1,253}:)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*';

// An IPv6 address, as RFC 3986 (section 3.2.2) spells out its text forms; an IPv4 tail allowed.
const H16 = '[0-9A-Fa-f]{1,4}';
const IPV4 = '(?:(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const LS32 = `(?:${H16}:${H16}|${IPV4})`;
const IPV6 = [
  `(?:${H16}:){6}${LS32}`,
  `::(?:${H16}:){5}${LS32}`,
  `(?:${H16})?::(?:${H16}:){4}${LS32}`,
  `(?:(?:${H16}:){0,1}${H16})?::(?:${H16}:){3}${LS32}`,
  `(?:(?:${H16}:){0,2}${H16})?::(?:${H16}:){2}${LS32}`,
  `(?:(?:${H16}:){0,3}${H16})?::${H16}:${LS32}`,
  `(?:(?:${H16}:){0,4}${H16})?::${LS32}`,
  `(?:(?:${H16}:){0,5}${H16})?::${H16}`,
  `(?:(?:${H16}:){0,6}${H16})?::`,
].map((form) => `(?:${form})`).join('|');
const PORT = '(?:[1-9]\\d{0,3}|[1-5]\\d{4}|6[0-4]\\d{3}|65[0-4]\\d{2}|655[0-2]\\d|6553[0-5])';

/**
 * `host:port`: a DNS name or a bracketed IPv6 address, and a port from 1 to 65535. The config
 * schema (and so the editor schema) and FalcoCollector use this, and only this.
 */
export const HOST_PORT = new RegExp(`^(?:${HOST_NAME}|\\[(?:${IPV6})\\]):${PORT}$`);

/** What is wrong with `value` as host:port, or undefined. */
export function hostPortProblem(value: string): string | undefined {
  if (HOST_PORT.test(value)) return undefined;
  const expected = 'expected a host name or [IPv6 address] and a port from 1 to 65535, such as "api.honeycomb.io:443", without a scheme';
  const match = /^(\[[^\]]*\]|[^:[\]]*):([0-9]+)$/.exec(value);
  if (!match) return `${JSON.stringify(value)} is not host:port; ${expected}`;
  const [, host, port] = match;
  if (!new RegExp(`^${PORT}$`).test(port)) return `${JSON.stringify(value)} has port ${port}, not one from 1 to 65535; ${expected}`;
  return `${JSON.stringify(value)} has host ${host}, which is not a host name or IPv6 address; ${expected}`;
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
