/**
 * Snappy's block format (not the framed one), as Loki push clients (Promtail, Alloy's
 * `loki.write`) and Prometheus remote write compress a request body: a varint preamble with the
 * uncompressed length, then literal and copy elements.
 * Source: https://github.com/google/snappy/blob/main/format_description.txt.
 *
 * snappyjs decompresses, but trusts the stream: it neither checks that the output fills the
 * length the preamble declares (a truncated body would decode to zero-padded bytes) nor that
 * copies stay inside it (writes past the end are dropped, so a small body could keep the CPU busy
 * copying nothing). So the elements are walked first, without writing anything: the declared
 * length is checked against the cap before any allocation (a snappy bomb allocates nothing), and
 * the elements must add up to exactly that length with every copy inside what precedes it.
 */
import { uncompress } from 'snappyjs';

export type SnappyResult = { ok: true; data: Buffer } | { ok: false; tooLarge: boolean; reason: string };

/** The framed format's stream identifier chunk (type 0xff, length 6, "sNaPpY"): a common mix-up, named in the refusal. */
const FRAMED_MAGIC = Buffer.from([0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59]);

/** The preamble: the uncompressed length as a little-endian base-128 varint of at most 32 bits. */
function readPreamble(body: Uint8Array): { length: number; next: number } | undefined {
  let length = 0;
  for (let i = 0; i < 5 && i < body.length; i++) {
    length += (body[i] & 0x7f) * 2 ** (7 * i);
    if (body[i] < 0x80) return length < 2 ** 32 ? { length, next: i + 1 } : undefined;
  }
  return undefined;
}

/** Little-endian unsigned integer of `n` (1 to 4) bytes at `at`. */
function readLE(body: Uint8Array, at: number, n: number): number {
  const low = body[at] | (n > 1 ? body[at + 1] << 8 : 0) | (n > 2 ? body[at + 2] << 16 : 0);
  // The fourth byte by multiplication: shifted, it would turn the sum negative.
  return n > 3 ? low + body[at + 3] * 0x1000000 : low;
}

/** Why the elements after the preamble do not decode to exactly `length` bytes, or undefined when they do. */
function elementProblem(body: Uint8Array, start: number, length: number): string | undefined {
  let pos = start;
  let produced = 0;
  while (pos < body.length) {
    const tag = body[pos++];
    let len: number;
    let offset = 0;
    switch (tag & 3) {
      case 0: {
        const sizeBytes = (tag >>> 2) - 59;
        if (sizeBytes > 0) {
          if (pos + sizeBytes > body.length) return `a literal's length is cut off at byte ${pos}`;
          len = readLE(body, pos, sizeBytes) + 1;
          pos += sizeBytes;
        } else len = (tag >>> 2) + 1;
        if (pos + len > body.length) return `a literal of ${len} bytes at byte ${pos} runs past the end of the body`;
        pos += len;
        break;
      }
      case 1:
        if (pos + 1 > body.length) return `a copy is cut off at byte ${pos}`;
        len = ((tag >>> 2) & 7) + 4;
        offset = ((tag >>> 5) << 8) | body[pos++];
        break;
      default: {
        const offsetBytes = (tag & 3) === 2 ? 2 : 4;
        if (pos + offsetBytes > body.length) return `a copy is cut off at byte ${pos}`;
        len = (tag >>> 2) + 1;
        offset = readLE(body, pos, offsetBytes);
        pos += offsetBytes;
      }
    }
    if ((tag & 3) !== 0 && (offset === 0 || offset > produced)) return `a copy at byte ${pos} reaches back ${offset} bytes, outside the ${produced} decoded so far`;
    produced += len;
    if (produced > length) return `the data decodes to more than the ${length} bytes its preamble declares`;
  }
  return produced === length ? undefined : `the data decodes to ${produced} bytes, not the ${length} its preamble declares (truncated?)`;
}

/** A snappy block decompressed, refused above `maxBytes` uncompressed before anything is allocated. */
export function decompressSnappyBlock(body: Uint8Array, maxBytes: number): SnappyResult {
  if (body.length >= FRAMED_MAGIC.length && FRAMED_MAGIC.equals(body.subarray(0, FRAMED_MAGIC.length))) {
    return { ok: false, tooLarge: false, reason: 'this is the snappy framed (stream) format; send the block format, as Promtail and Alloy do' };
  }
  const preamble = readPreamble(body);
  if (!preamble) return { ok: false, tooLarge: false, reason: 'the body does not start with a snappy block preamble (a varint length)' };
  if (preamble.length > maxBytes) return { ok: false, tooLarge: true, reason: `the body declares ${preamble.length} bytes once decompressed, more than ${maxBytes}` };
  const problem = elementProblem(body, preamble.next, preamble.length);
  if (problem) return { ok: false, tooLarge: false, reason: `the body is not valid snappy block data: ${problem}` };
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return { ok: true, data: uncompress(bytes, maxBytes) };
}
