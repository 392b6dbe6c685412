// A MODEL of what our collector config does to a kubelet log file, for tests. It is NOT the
// collector: no collector binary runs here. It reads the operators and the resource processor from
// the synthesized config and applies them the way the stanza docs describe (pkg/stanza/docs/
// operators/{container,json_parser,move}.md, types/{severity,timestamp,expression}.md). It knows
// only the operators and `if` expressions our config uses, and throws on anything else, so a
// config change the model cannot follow fails the test instead of passing unnoticed.

/** Severity numbers of the stanza severity aliases (pkg/stanza/docs/types/severity.md). */
export const STANZA_SEVERITY_NUMBERS: Readonly<Record<string, number>> = {
  default: 0,
  trace: 1, trace2: 2, trace3: 3, trace4: 4,
  debug: 5, debug2: 6, debug3: 7, debug4: 8,
  info: 9, info2: 10, info3: 11, info4: 12,
  warn: 13, warn2: 14, warn3: 15, warn4: 16,
  error: 17, error2: 18, error3: 19, error4: 20,
  fatal: 21, fatal2: 22, fatal3: 23, fatal4: 24,
};

/** A log record as it leaves the collector (OTLP log data model, JSON-ish). */
export interface ModelRecord {
  /** RFC 3339 with nanoseconds, UTC. */
  timestamp: string;
  severityNumber: number;
  severityText?: string;
  body: unknown;
  attributes: Record<string, any>;
  resource: Record<string, any>;
}

type Operator = Record<string, any>;

/** Runs the file_log operators and the resource processor on the lines of one log file. */
export function runPipeline(config: any, filePath: string, lines: string[], env: Record<string, string>): ModelRecord[] {
  const receiver = config.receivers.file_log;
  const entries = containerFirst(receiver.operators)(filePath, lines, receiver.include_file_path === true);
  const records = entries.map((e) => receiver.operators.slice(1).reduce((r: ModelRecord, op: Operator) => applyOperator(op, r), e));
  return records.map((r: ModelRecord) => applyResourceProcessor(config.processors.resource, r, env));
}

/** What Honeycomb shows: attributes and resource flattened into dotted column names. */
export function honeycombColumns(record: ModelRecord): Record<string, unknown> {
  return { ...flatten(record.resource), ...flatten(record.attributes), body: record.body };
}

function containerFirst(operators: Operator[]) {
  if (operators[0]?.type !== 'container') throw new Error('model: the first operator must be `container`');
  return parseContainerLog;
}

// container operator: CRI-O/containerd `<time> <stream> <P|F> <text>` with P parts joined until F,
// or docker `{"log","stream","time"}`; k8s metadata from /var/log/pods/<ns>_<pod>_<uid>/<c>/<n>.log.
function parseContainerLog(filePath: string, lines: string[], includeFilePath: boolean): ModelRecord[] {
  if (!includeFilePath) throw new Error('model: container needs include_file_path to read k8s metadata from the path');
  const resource = podMetadata(filePath);
  const records: ModelRecord[] = [];
  let partial = '';
  for (const line of lines.filter((l) => l.length > 0)) {
    const parsed = line.startsWith('{') ? dockerLine(line) : criLine(line);
    partial += parsed.text;
    if (parsed.partial) continue;
    records.push({
      timestamp: parsed.time,
      severityNumber: 0,
      body: partial,
      attributes: { 'log.iostream': parsed.stream, 'log.file.path': filePath },
      resource: { ...resource },
    });
    partial = '';
  }
  return records;
}

function criLine(line: string): { time: string; stream: string; partial: boolean; text: string } {
  const m = /^(\S+) (stdout|stderr) ([PF]) (.*)$/.exec(line);
  if (!m) throw new Error(`model: not a CRI log line: ${line}`);
  return { time: m[1], stream: m[2], partial: m[3] === 'P', text: m[4] };
}

function dockerLine(line: string): { time: string; stream: string; partial: boolean; text: string } {
  const d = JSON.parse(line);
  const partial = !d.log.endsWith('\n');
  return { time: d.time, stream: d.stream, partial, text: partial ? d.log : d.log.slice(0, -1) };
}

function podMetadata(filePath: string): Record<string, string> {
  const m = /^\/var\/log\/pods\/([^_/]+)_([^_/]+)_([^/]+)\/([^/]+)\/(\d+)\.log$/.exec(filePath);
  if (!m) throw new Error(`model: not a kubelet pod log path: ${filePath}`);
  return {
    'k8s.namespace.name': m[1], 'k8s.pod.name': m[2], 'k8s.pod.uid': m[3],
    'k8s.container.name': m[4], 'k8s.container.restart_count': m[5],
  };
}

function applyOperator(op: Operator, record: ModelRecord): ModelRecord {
  if (op.if !== undefined && !evaluate(op.if, record)) return record;
  switch (op.type) {
    case 'json_parser': return jsonParser(op, record);
    case 'move': return move(op, record);
    default: throw new Error(`model: operator type ${op.type} is not modelled`);
  }
}

// The `if` expressions the model understands: `body startsWith "<s>"` and `<field> != nil and <field> != nil`.
function evaluate(expression: string, record: ModelRecord): boolean {
  const starts = /^body startsWith "([^"]*)"$/.exec(expression);
  if (starts) return typeof record.body === 'string' && record.body.startsWith(starts[1]);
  const notNil = /^(\S+) != nil and (\S+) != nil$/.exec(expression);
  if (notNil) return getField(record, notNil[1]) != null && getField(record, notNil[2]) != null;
  throw new Error(`model: cannot evaluate the expression ${JSON.stringify(expression)}`);
}

function jsonParser(op: Operator, record: ModelRecord): ModelRecord {
  let parsed: unknown;
  try {
    parsed = JSON.parse(String(getField(record, op.parse_from ?? 'body')));
  } catch {
    return record; // on_error: send — the entry goes on unparsed
  }
  const out = structuredClone(record);
  setField(out, op.parse_to ?? 'attributes', parsed);
  if (op.timestamp) out.timestamp = parseGoTime(op.timestamp, getField(out, op.timestamp.parse_from));
  if (op.severity) Object.assign(out, parseSeverity(op.severity, getField(out, op.severity.parse_from)));
  return out;
}

function parseGoTime(spec: Record<string, string>, value: unknown): string {
  if (spec.layout_type !== 'gotime' || spec.layout !== '2006-01-02T15:04:05.999999999Z07:00') {
    throw new Error(`model: only the RFC 3339 nano gotime layout is modelled, got ${spec.layout_type} ${spec.layout}`);
  }
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/.exec(String(value));
  if (!m) throw new Error(`model: ${value} does not match the layout`);
  return `${m[1]}.${(m[2] ?? '').padEnd(9, '0')}Z`;
}

// Default preset (aliases plus warning/err spellings) plus the mapping, compared in lower case.
function parseSeverity(spec: { preset?: string; mapping?: Record<string, string | string[]> }, value: unknown) {
  if (spec.preset !== undefined) throw new Error('model: only the default severity preset is modelled');
  const table = new Map<string, string>(Object.keys(STANZA_SEVERITY_NUMBERS).map((a) => [a, a]));
  [['warning', 'warn'], ['err', 'error']].forEach(([k, v]) => table.set(k, v));
  for (const [alias, values] of Object.entries(spec.mapping ?? {})) {
    if (!(alias in STANZA_SEVERITY_NUMBERS)) throw new Error(`model: ${alias} is not a stanza severity`);
    for (const v of ([] as string[]).concat(values)) table.set(v.toLowerCase(), alias);
  }
  const alias = table.get(String(value).toLowerCase()) ?? 'default';
  return { severityNumber: STANZA_SEVERITY_NUMBERS[alias], severityText: String(value) };
}

function move(op: Operator, record: ModelRecord): ModelRecord {
  const out = structuredClone(record);
  const value = getField(out, op.from);
  deleteField(out, op.from);
  setField(out, op.to, value);
  return out;
}

function applyResourceProcessor(spec: { attributes: Array<Record<string, string>> }, record: ModelRecord, env: Record<string, string>): ModelRecord {
  const out = structuredClone(record);
  for (const a of spec.attributes) {
    if (a.action !== 'upsert') throw new Error(`model: resource action ${a.action} is not modelled`);
    out.resource[a.key] = a.value.replace(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name) => env[name] ?? '');
  }
  return out;
}

// Field syntax: `body`, `attributes`, `attributes.a.b` (nested maps).
function pathOf(field: string): string[] {
  const parts = field.split('.');
  if (!['body', 'attributes', 'resource'].includes(parts[0])) throw new Error(`model: field ${field} is not modelled`);
  return parts;
}

function getField(record: any, field: string): any {
  return pathOf(field).reduce((v, k) => (v == null ? undefined : v[k]), record);
}

function setField(record: any, field: string, value: unknown): void {
  const parts = pathOf(field);
  const parent = parts.slice(0, -1).reduce((v, k) => (v[k] ??= {}), record);
  parent[parts[parts.length - 1]] = value;
}

function deleteField(record: any, field: string): void {
  const parts = pathOf(field);
  const parent = parts.slice(0, -1).reduce((v, k) => v?.[k], record);
  if (parent) delete parent[parts[parts.length - 1]];
}

function flatten(value: Record<string, any>, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object' && !Array.isArray(v)) Object.assign(out, flatten(v, key));
    else out[key] = v;
  }
  return out;
}
