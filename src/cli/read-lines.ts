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
