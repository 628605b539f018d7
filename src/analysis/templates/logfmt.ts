/**
 * logfmt (`ts=2024-05-01T10:00:00Z level=warn msg="disk almost full" pct=91`), as written by
 * go-kit, logrus, Heroku and Prometheus. A line is logfmt only when every token is a
 * `key=value` pair: a plain sentence with one `user=root` in it is not. Values are bare (up to
 * the next whitespace, possibly empty) or double-quoted with backslash escapes.
 */
export type LogfmtPairs = [key: string, value: string][];

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\' };

function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n' || c === '\f' || c === '\v';
}

/** The pairs of a whole logfmt line, in order; undefined unless the whole line is pairs (at least one). */
export function parseLogfmt(line: string): LogfmtPairs | undefined {
  const pairs: LogfmtPairs = [];
  const n = line.length;
  let i = 0;
  for (;;) {
    while (i < n && isSpace(line[i])) i++;
    if (i >= n) return pairs.length ? pairs : undefined;
    const keyStart = i;
    while (i < n && line[i] !== '=' && line[i] !== '"' && !isSpace(line[i])) i++;
    if (i === keyStart || line[i] !== '=') return undefined;
    const key = line.slice(keyStart, i++);
    let value = '';
    if (line[i] === '"') {
      i++;
      let closed = false;
      while (i < n) {
        const run = i;
        while (i < n && line[i] !== '"' && line[i] !== '\\') i++;
        value += line.slice(run, i);
        if (i >= n) break;
        if (line[i++] === '"') {
          closed = true;
          break;
        }
        if (i < n) {
          const e = line[i++];
          value += ESCAPES[e] ?? `\\${e}`;
        }
      }
      if (!closed || (i < n && !isSpace(line[i]))) return undefined;
    } else {
      const valueStart = i;
      while (i < n && !isSpace(line[i])) i++;
      value = line.slice(valueStart, i);
    }
    pairs.push([key, value]);
  }
}

/** One pair written back as logfmt, quoting the value when it needs it. */
export function formatLogfmtPair(key: string, value: string): string {
  return /[\s"=]/.test(value) ? `${key}=${JSON.stringify(value)}` : `${key}=${value}`;
}
