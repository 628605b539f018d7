import { compileTimeFormat, type FoundStamp, type StampDefaults, type TimeFormat } from './time-format.js';

/**
 * Timestamps read without knowing a file's layout: at the start of a plain line (when no layout
 * was learned for the file, line-layout.ts, or a line does not fit it) and in the time field of a
 * structured line. Recognised, each optionally in square brackets (`[...]`):
 *  - ISO 8601 and its log variants: `2015-10-18T18:01:47.978Z`, `2015-10-18 18:01:47,978`,
 *    `2015/10/18 18:01:47`, a bare date, with an optional zone (`Z`, `+02:00`, `+0200`, `+02`);
 *  - syslog (RFC 3164) `Jun 17 07:07:00`, whose year StampDefaults supplies;
 *  - C `ctime` as Apache writes it: `Sun Dec 04 04:47:44 2005` (fraction allowed);
 *  - epoch seconds (10 digits, optional fraction) or milliseconds (13 digits).
 * Other layouts (`17/06/09`, `081109 203615`, …) are left to the layout learner, which knows from a
 * file's first lines where its stamps are, rather than guessed line by line.
 */

export type { StampDefaults } from './time-format.js';

/** Epoch values outside 2000..2100 are not taken for times: they are more likely counters or ids. */
const MIN_MS = Date.UTC(2000, 0, 1);
const MAX_MS = Date.UTC(2100, 0, 1);

// Longest first: a stamp with a time must not be read as its bare date.
const DIGIT_LED: readonly TimeFormat[] = [
  "yyyy-MM-dd'T'HH:mm[:ss[.SSS][,SSS]][X]",
  'yyyy-MM-dd HH:mm[:ss[.SSS][,SSS]][X]',
  "yyyy/MM/dd'T'HH:mm[:ss[.SSS][,SSS]][X]",
  'yyyy/MM/dd HH:mm[:ss[.SSS][,SSS]][X]',
  'yyyy-MM-dd',
  'yyyy/MM/dd',
  'UNIX',
  'UNIX_MS',
].map(compileTimeFormat);
const LETTER_LED: readonly TimeFormat[] = ['MMM d HH:mm:ss[.SSS]', 'EEE MMM d HH:mm:ss[.SSS] yyyy'].map(compileTimeFormat);
const DIGIT = /\d/;

function stampAt(text: string, at: number, defaults: StampDefaults): FoundStamp | undefined {
  for (const format of DIGIT.test(text[at] ?? '') ? DIGIT_LED : LETTER_LED) {
    const found = format.readAt(text, at, defaults);
    if (found) return found;
  }
  return undefined;
}

/** The timestamp starting at `at` in `text`, if it is one of the recognised forms. */
export function leadingTimestamp(text: string, defaults: StampDefaults, at = 0): FoundStamp | undefined {
  if (text[at] !== '[') return stampAt(text, at, defaults);
  const inner = stampAt(text, at + 1, defaults);
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

/** A time field of a structured line (JSON, logfmt): a number, an epoch string or a whole timestamp. */
export function timeValue(value: unknown, defaults: StampDefaults): number | undefined {
  if (typeof value === 'number') return epochToMs(value);
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (/^\d+(?:\.\d+)?$/.test(text)) return epochToMs(Number(text));
  const found = leadingTimestamp(text, defaults);
  return found && found.end === text.length ? found.time : undefined;
}
