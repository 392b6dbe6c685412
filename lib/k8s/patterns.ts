/** A DNS label (RFC 1123): namespaces, most object names, cluster names. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** `host:port`: a DNS name (labels of at most 63 characters) or a bracketed IPv6 address, and a port. */
export const HOST_PORT = /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*):(?:[1-9][0-9]{0,4})$/;
