import * as zlib from 'zlib';

// Reads one file out of a .tgz (a chart archive as `helm package` writes it: gzip, then ustar with
// PAX or GNU long-name records), in memory and bounded, so that a chart's own Chart.yaml can be
// checked before helm ever reads the archive.

/** The most an archive may hold once decompressed; pinned charts are far below it. */
const MAX_UNPACKED_BYTES = 64 * 1024 * 1024;
const BLOCK = 512;

/** The content of `wanted` (a path inside the archive), undefined if absent; throws on a malformed archive. */
export function readFileFromTarGz(archive: Buffer, wanted: string): Buffer | undefined {
  const tar = zlib.gunzipSync(archive, { maxOutputLength: MAX_UNPACKED_BYTES });
  let longName: string | undefined;
  for (let offset = 0; offset + BLOCK <= tar.length;) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) return undefined; // end of archive
    const size = octal(header.subarray(124, 136));
    const type = String.fromCharCode(header[156] || 0x30);
    const body = offset + BLOCK;
    if (body + size > tar.length) throw new Error('truncated tar archive');
    const content = tar.subarray(body, body + size);
    offset = body + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'L') { longName = cString(content); continue; }
    if (type === 'x') { longName = paxPath(content) ?? longName; continue; }
    if (type === 'g') continue;
    const prefix = cString(header.subarray(345, 500));
    const name = longName ?? (prefix ? `${prefix}/${cString(header.subarray(0, 100))}` : cString(header.subarray(0, 100)));
    longName = undefined;
    if ((type === '0' || type === '\0' || type === '7') && name.replace(/^\.\//, '') === wanted) return Buffer.from(content);
  }
  return undefined;
}

function cString(bytes: Buffer): string {
  const end = bytes.indexOf(0);
  return bytes.subarray(0, end < 0 ? bytes.length : end).toString('utf8');
}

function octal(bytes: Buffer): number {
  const text = cString(bytes).trim();
  if (!/^[0-7]*$/.test(text)) throw new Error(`bad size field in tar header: ${JSON.stringify(text)}`);
  return text ? parseInt(text, 8) : 0;
}

/** The `path` record of a PAX extended header ("<len> path=<value>\n" records). */
function paxPath(content: Buffer): string | undefined {
  for (const record of content.toString('utf8').split('\n')) {
    const match = /^\d+ path=(.*)$/.exec(record);
    if (match) return match[1];
  }
  return undefined;
}
