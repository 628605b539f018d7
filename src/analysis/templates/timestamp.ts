/**
 * Timestamps as log lines write them, read to epoch milliseconds so mined templates can carry
 * first/last seen. Recognised, each optionally in square brackets (`[...]`):
 *  - ISO 8601 and its log variants: `2015-10-18T18:01:47.978Z`, `2015-10-18 18:01:47,978`,
 *    `2015/10/18 18:01:47`, a bare date, with an optional zone (`Z`, `+02:00`, `+0200`, `+02`);
 *  - syslog (RFC 3164) `Jun 17 07:07:00`, which has no year: the caller supplies one;
 *  - C `ctime` as Apache writes it: `Sun Dec 04 04:47:44 2005` (fraction allowed);
 *  - epoch seconds (10 digits, optional fraction) or milliseconds (13 digits).
 * A time without a zone is read as UTC: a log file does not say which zone its writer was in,
 * and UTC keeps the result independent of the machine reading it. Anything else (`17/06/09`,
 * `081109 203615`, …) is left alone rather than guessed.
 */

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTH = `(${MONTHS.join('|')})`;
/** What may follow a timestamp: the end, whitespace, or the closing bracket. */
const END = '(?=$|[\\s\\]])';

// Sticky (`y`) so a stamp is matched at a position without slicing a possibly huge line.
const ISO = new RegExp(`(\\d{4})[-/](\\d{2})[-/](\\d{2})(?:[T ](\\d{2}):(\\d{2})(?::(\\d{2})(?:[.,](\\d{1,9}))?)?(Z|[+-]\\d{2}(?::?\\d{2})?)?)?${END}`, 'y');
const SYSLOG = new RegExp(`${MONTH}\\s+(\\d{1,2})\\s+(\\d{2}):(\\d{2}):(\\d{2})(?:\\.(\\d{1,9}))?${END}`, 'y');
const CTIME = new RegExp(`(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\\s+${MONTH}\\s+(\\d{1,2})\\s+(\\d{2}):(\\d{2}):(\\d{2})(?:\\.(\\d{1,9}))?\\s+(\\d{4})${END}`, 'y');
const EPOCH = new RegExp(`(\\d{10}|\\d{13})(?:\\.(\\d{1,9}))?${END}`, 'y');

/** Epoch values outside 2000..2100 are not taken for times: they are more likely counters or ids. */
const MIN_MS = Date.UTC(2000, 0, 1);
const MAX_MS = Date.UTC(2100, 0, 1);

export interface FoundTimestamp {
  /** Index just past the timestamp (and its closing bracket). */
  end: number;
  time: number;
}

function utc(year: number, month: number, day: number, h: number, mi: number, s: number, fraction: string | undefined): number | undefined {
  if (month < 1 || month > 12 || day < 1 || day > 31 || h > 23 || mi > 59 || s > 60) return undefined;
  const ms = fraction ? Number(fraction.slice(0, 3).padEnd(3, '0')) : 0;
  return Date.UTC(year, month - 1, day, h, mi, s, ms);
}

function zoneOffsetMs(zone: string | undefined): number {
  if (!zone || zone === 'Z') return 0;
  const digits = zone.slice(1).replace(':', '');
  const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0');
  return (zone[0] === '-' ? -1 : 1) * minutes * 60_000;
}

function matchAt(re: RegExp, text: string, at: number): RegExpExecArray | null {
  re.lastIndex = at;
  return re.exec(text);
}

function stampAt(text: string, at: number, year: number): FoundTimestamp | undefined {
  let m = matchAt(ISO, text, at);
  if (m) {
    const t = utc(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0), m[7]);
    return t === undefined ? undefined : { end: ISO.lastIndex, time: t - zoneOffsetMs(m[8]) };
  }
  m = matchAt(SYSLOG, text, at);
  if (m) {
    const t = utc(year, MONTHS.indexOf(m[1]) + 1, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), m[6]);
    return t === undefined ? undefined : { end: SYSLOG.lastIndex, time: t };
  }
  m = matchAt(CTIME, text, at);
  if (m) {
    const t = utc(Number(m[7]), MONTHS.indexOf(m[1]) + 1, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), m[6]);
    return t === undefined ? undefined : { end: CTIME.lastIndex, time: t };
  }
  m = matchAt(EPOCH, text, at);
  if (m) {
    const time = epochToMs(Number(m[2] ? `${m[1]}.${m[2]}` : m[1]));
    return time === undefined ? undefined : { end: EPOCH.lastIndex, time };
  }
  return undefined;
}

/** The timestamp starting at `at` in `text`, if it is one of the recognised forms. */
export function leadingTimestamp(text: string, year: number, at = 0): FoundTimestamp | undefined {
  if (text[at] !== '[') return stampAt(text, at, year);
  const inner = stampAt(text, at + 1, year);
  return inner && text[inner.end] === ']' ? { end: inner.end + 1, time: inner.time } : undefined;
}

/** An epoch number in seconds, milliseconds, microseconds or nanoseconds (told apart by magnitude). */
export function epochToMs(n: number): number | undefined {
  if (!Number.isFinite(n) || n <= 0) return undefined;
  for (const scale of [1000, 1, 1e-3, 1e-6]) {
    const ms = n * scale;
    if (ms >= MIN_MS && ms < MAX_MS) return Math.round(ms);
  }
  return undefined;
}

/** A time field of a structured line (JSON, logfmt, a log-format header): a number, an epoch string or a whole timestamp. */
export function timeValue(value: unknown, year: number): number | undefined {
  if (typeof value === 'number') return epochToMs(value);
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (/^\d+(?:\.\d+)?$/.test(text)) return epochToMs(Number(text));
  const found = leadingTimestamp(text, year);
  return found && found.end === text.length ? found.time : undefined;
}
