/**
 * Input `telemcp ingest` refuses rather than storing it as mojibake: compressed data it does not
 * unpack (xz, zstd, bzip2, zip: told by their magic bytes, as `file(1)` does), UTF-16 text (told
 * by its byte-order mark), and binary data: NUL bytes, or mostly bytes that are not UTF-8 text.
 * Gzip is unpacked (ingest-input.ts), so it is judged by what it holds. Each verdict says how to
 * feed the data in instead. Hand-written: a file-type library would be a dependency for six magic
 * numbers and a share of undecodable bytes.
 */

export interface Refusal {
  reason: string;
  /** The command that writes the data as UTF-8 text to standard output (`xz -dc`), when there is one. */
  convert?: string;
}

/** Bytes of an input's start that are judged. */
export const SNIFF_BYTES = 8192;
/** Bytes needed to tell every magic number below. */
export const MAGIC_BYTES = 6;
/** Above this share of replacement and control characters, the bytes are not text. */
const MAX_NON_TEXT_SHARE = 0.3;

const UNPACK = 'telemcp ingest unpacks gzip only';
const UTF16: Refusal = { reason: 'UTF-16 text; telemcp ingest reads UTF-8', convert: 'iconv -f UTF-16 -t UTF-8' };
const MAGIC: { bytes: number[]; refusal: Refusal }[] = [
  { bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], refusal: { reason: `xz-compressed data; ${UNPACK}`, convert: 'xz -dc' } },
  { bytes: [0x28, 0xb5, 0x2f, 0xfd], refusal: { reason: `zstd-compressed data; ${UNPACK}`, convert: 'zstd -dc' } },
  { bytes: [0x42, 0x5a, 0x68], refusal: { reason: `bzip2-compressed data; ${UNPACK}`, convert: 'bzip2 -dc' } },
  { bytes: [0x50, 0x4b, 0x03, 0x04], refusal: { reason: `a zip archive; ${UNPACK}`, convert: 'unzip -p' } },
  { bytes: [0xff, 0xfe], refusal: UTF16 },
  { bytes: [0xfe, 0xff], refusal: UTF16 },
];
// C0 controls other than tab, line feed, vertical tab, form feed, carriage return and escape (ANSI colours).
const CONTROL = /[\u0001-\u0008\u000e-\u001a\u001c-\u001f\u007f]/g;

/** How to feed a refused input (`-` for standard input) in after all. */
export function refusalHint(refusal: Refusal, path: string, dataset: string): string {
  if (!refusal.convert) return 'telemcp ingest reads text logs (plain, JSON lines, logfmt, syslog), as they are or gzip-compressed';
  const source = path === '-' ? `… | ${refusal.convert}` : `${refusal.convert} '${path.replace(/'/g, "'\\''")}'`;
  return `feed it converted: ${source} | telemcp ingest - --dataset ${dataset}`;
}

/** What is wrong with data whose first bytes are `head` (compressed data ingest does not unpack), if anything. */
export function packedRefusal(head: Uint8Array): Refusal | undefined {
  return MAGIC.find((m) => m.bytes.every((b, i) => head[i] === b))?.refusal;
}

/** What is wrong with text whose first bytes are `head` (NUL bytes, mostly not UTF-8), if anything. */
export function binaryRefusal(head: Uint8Array): Refusal | undefined {
  const bytes = head.subarray(0, SNIFF_BYTES);
  if (bytes.includes(0)) return { reason: 'binary data, not text (it holds NUL bytes)' };
  const text = new TextDecoder('utf-8').decode(bytes);
  const nonText = (text.match(/\uFFFD/g)?.length ?? 0) + (text.match(CONTROL)?.length ?? 0);
  return text.length > 0 && nonText / text.length > MAX_NON_TEXT_SHARE ? { reason: 'binary data, not text (mostly bytes that are not UTF-8)' } : undefined;
}
