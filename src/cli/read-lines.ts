import { isAscii } from 'node:buffer';

/**
 * Lines of a text stream, one callback per line, with memory bounded by the longest line kept.
 * Hand-rolled rather than node:readline because readline also ends a line at a lone `\r` (which
 * would shift every line number after it) and keeps an over-long line whole however big it is.
 * Here a line ends at `\n` only, one trailing `\r` is dropped (CRLF files), and a line longer
 * than `maxChars` keeps its first `maxChars` characters. The stream must already be decoded to
 * strings (setEncoding / `encoding: 'utf8'`): Node's decoder turns invalid UTF-8 into U+FFFD,
 * also across chunk boundaries, so a damaged file is read, never refused.
 */
export const MAX_LINE_CHARS = 1 << 20;

export async function forEachLine(
  chunks: AsyncIterable<string>,
  onLine: (line: string) => void,
  opts: { maxChars?: number; /** Awaited after each chunk when it returns a promise: the consumer's backpressure. */ between?: () => Promise<void> | undefined } = {},
): Promise<void> {
  const maxChars = opts.maxChars ?? MAX_LINE_CHARS;
  let pending = '';
  let cut = false;
  const append = (piece: string): void => {
    if (cut) return;
    if (pending.length + piece.length <= maxChars) pending += piece;
    else {
      pending += piece.slice(0, maxChars - pending.length);
      cut = true;
    }
  };
  const emit = (): void => {
    onLine(!cut && pending.endsWith('\r') ? pending.slice(0, -1) : pending);
    pending = '';
    cut = false;
  };
  for await (const chunk of chunks) {
    let start = 0;
    for (let nl = chunk.indexOf('\n'); nl !== -1; nl = chunk.indexOf('\n', start)) {
      append(chunk.slice(start, nl));
      emit();
      start = nl + 1;
    }
    append(start === 0 ? chunk : chunk.slice(start));
    const wait = opts.between?.();
    if (wait) await wait;
  }
  // The last line may lack its newline; an empty remainder is no line.
  if (pending !== '') emit();
}

/**
 * A line of forEachLineBytes, valid during its callback only (the object and its bytes are
 * reused for the next line).
 */
export class LineBytes {
  bytes: Buffer = Buffer.alloc(0);
  start = 0;
  end = 0;
  /** The decoded text of a line that is not all ASCII: its bytes are not its characters. */
  decoded?: string;

  /** Whether bytes [start, end) are the line's characters, one each. */
  get ascii(): boolean {
    return this.decoded === undefined;
  }

  text(): string {
    return this.decoded ?? this.bytes.toString('latin1', this.start, this.end);
  }
}

/**
 * forEachLine for a byte stream, with the same lines: a line ends at `\n` only, one trailing
 * `\r` is dropped, a line keeps its first maxChars characters, invalid UTF-8 reads as U+FFFD.
 * An ASCII line is handed as bytes of the chunk it lies in (most lines of most logs), so a
 * reader can take it apart in place and make strings only of what it keeps; any other line is
 * decoded. Splitting bytes (0x0a is never part of a multi-byte character) instead of decoding
 * every chunk and splitting the text halves what reading costs a large file (bench/loghub/e2e.ts).
 * Memory stays bounded: of a line split across chunks, at most the 3·maxChars + 8 bytes that
 * hold its first maxChars characters are kept.
 */
export async function forEachLineBytes(
  chunks: AsyncIterable<Buffer>,
  onLine: (line: LineBytes) => void,
  opts: { maxChars?: number; /** Awaited after each chunk when it returns a promise: the consumer's backpressure. */ between?: () => Promise<void> | undefined } = {},
): Promise<void> {
  const maxChars = opts.maxChars ?? MAX_LINE_CHARS;
  // A UTF-8 character is at most 3 bytes a UTF-16 unit, an invalid sequence at most 3 bytes a
  // U+FFFD; a few more bytes let the decoder see the end of the last character kept.
  const maxBytes = 3 * maxChars + 8;
  const line = new LineBytes();
  /** The start of a line that began in an earlier chunk (at most maxBytes of it). */
  let held = Buffer.alloc(0);
  let heldLength = 0;
  let heldCut = false;
  const emit = (bytes: Buffer, start: number, end: number, ascii: boolean, cut: boolean): void => {
    let stop = end;
    if (!cut && stop > start && bytes[stop - 1] === 0x0d) stop--;
    line.bytes = bytes;
    line.start = start;
    if (ascii) {
      line.end = Math.min(stop, start + maxChars);
      line.decoded = undefined;
    } else {
      const text = bytes.toString('utf8', start, stop);
      line.end = stop;
      line.decoded = text.length > maxChars ? text.slice(0, maxChars) : text;
    }
    onLine(line);
  };
  const hold = (chunk: Buffer, start: number, end: number): void => {
    const take = Math.min(end - start, maxBytes - heldLength);
    if (take < end - start) heldCut = true;
    if (take <= 0) return;
    if (heldLength + take > held.length) {
      const grown = Buffer.allocUnsafe(Math.min(maxBytes, Math.max(2 * held.length, heldLength + take, 1024)));
      held.copy(grown, 0, 0, heldLength);
      held = grown;
    }
    chunk.copy(held, heldLength, start, start + take);
    heldLength += take;
  };
  const emitHeld = (): void => {
    emit(held, 0, heldLength, isAscii(held.subarray(0, heldLength)), heldCut);
    heldLength = 0;
    heldCut = false;
  };
  for await (const chunk of chunks) {
    const allAscii = isAscii(chunk);
    let start = 0;
    for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      if (heldLength > 0) {
        hold(chunk, start, nl);
        emitHeld();
      } else emit(chunk, start, nl, allAscii || isAscii(chunk.subarray(start, nl)), false);
      start = nl + 1;
    }
    if (start < chunk.length) hold(chunk, start, chunk.length);
    const wait = opts.between?.();
    if (wait) await wait;
  }
  // The last line may lack its newline; an empty remainder is no line.
  if (heldLength > 0) emitHeld();
}
