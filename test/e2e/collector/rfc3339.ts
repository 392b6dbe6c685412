/** Unix nanoseconds of an RFC 3339 time with up to 9 fraction digits, exactly (Date keeps only ms). */
export function rfc3339Nanos(text: string): bigint {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(text);
  if (!m) throw new Error(`not RFC 3339: ${text}`);
  const seconds = BigInt(Date.parse(`${m[1]}${m[3]}`) / 1000);
  return seconds * 1_000_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}
