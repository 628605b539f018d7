/**
 * Timestamp formats written as Java DateTimeFormatter patterns, the notation Elasticsearch's
 * find_structure API reports and accepts (`yyyy-MM-dd HH:mm:ss,SSS`, `dd/MMM/yyyy:HH:mm:ss Z`),
 * compiled once to a sticky regular expression that reads a stamp at a given position of a line.
 * Hand-written: the JavaScript date libraries parse one whole string per call, none reads a stamp
 * at a position of a longer line, and none completes a stamp without a year the way logs need.
 *
 * Pattern letters: `yyyy`/`uuuu` year, `yy` two-digit year (69–99 → 19xx, else 20xx, as POSIX
 * strptime), `M`/`MM` month, `MMM`/`MMMM` English month name, `d`/`dd` day, `H`/`HH` hour, `h`/`hh`
 * with `a` (AM/PM), `m`/`mm`, `s`/`ss`, `S…` fraction (1–9 digits, whatever the count written),
 * `EEE`/`EEEE` day name (checked for shape, not for agreement with the date), `X…`/`x…` offset or
 * `Z` for UTC, `Z…` offset (`+0200`, `+02:00`), `z…` zone name (UTC, GMT and a few unambiguous
 * abbreviations). `'text'` is literal, `[ … ]` an optional section, a space any run of whitespace.
 * Letters and names match in any case. Whole-pattern keywords: `ISO8601` (the variants of
 * ISO 8601 logs use), `UNIX`, `UNIX_MS`, `UNIX_US`, `UNIX_NS` (epoch seconds with an optional
 * fraction, milliseconds, microseconds, nanoseconds).
 *
 * A stamp must not run on into a letter or digit (`2024-05-01T10:00:00Zfoo` is no stamp) nor stop
 * short of its seconds or fraction (`10:00` of `10:00:00`). Without a zone the time is read as
 * UTC: a log file does not say which zone its writer was in, and UTC keeps the result independent
 * of the machine reading it. A stamp without a year (syslog, logcat) or without a date
 * (`HH:mm:ss.SSS`) is completed by StampDefaults.
 */

export interface StampDefaults {
  /**
   * Epoch ms, normally the ingest time: a stamp without a year gets the latest year that does not
   * put it more than FUTURE_GRACE_MS after this; one without a date, the latest such day.
   */
  now: number;
  /** A fixed year for stamps without one instead. */
  year?: number;
}

export interface FoundStamp {
  /** Epoch ms, UTC. */
  time: number;
  /** Index just past the stamp. */
  end: number;
}

export interface TimeFormat {
  /** The pattern as given. */
  readonly pattern: string;
  /** False when the pattern has no year, so the year of what it reads is inferred. */
  readonly hasYear: boolean;
  /** False when the pattern has no month and day (`HH:mm:ss.SSS`), so the day is inferred. */
  readonly hasDate: boolean;
  /** The stamp starting exactly at `at`, if there is one. */
  readAt(text: string, at: number, defaults: StampDefaults): FoundStamp | undefined;
  /** The pattern as the stamp at `at` spells it (optional sections it lacks left out); undefined when no stamp is there. */
  spelledAt(text: string, at: number): string | undefined;
}

/**
 * How far after the reference time a stamp without a year may lie: the largest zone offset
 * (UTC+14), since such a stamp is the writer's local time read as UTC.
 */
export const FUTURE_GRACE_MS = 14 * 3_600_000;
const DAY_MS = 86_400_000;
/** Epoch values outside 2000..2100 are not taken for times: they are more likely counters or ids. */
const MIN_MS = Date.UTC(2000, 0, 1);
const MAX_MS = Date.UTC(2100, 0, 1);

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const MONTH_NAMES = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const DAYS = 'mon|tue|wed|thu|fri|sat|sun';
const DAY_NAMES = 'monday|tuesday|wednesday|thursday|friday|saturday|sunday';
/** Zone names with one meaning, as minutes east of UTC; others (IST, CST, BST, …) are ambiguous and not read. */
const ZONE_NAMES: Record<string, number> = {
  utc: 0, ut: 0, gmt: 0, z: 0, wet: 0, west: 60, cet: 60, cest: 120, eet: 120, eest: 180, msk: 180,
  est: -300, edt: -240, cdt: -300, mst: -420, mdt: -360, pst: -480, pdt: -420, akst: -540, akdt: -480, hst: -600,
  jst: 540, kst: 540, aest: 600, aedt: 660, nzst: 720, nzdt: 780,
};
/** What may not follow a stamp: a letter or digit, or the rest of a longer stamp (`:ss`, `,SSS`). */
const BOUNDARY = '(?![a-z0-9]|[.,:]\\d)';

type Slot = 'year' | 'year2' | 'month' | 'monthName' | 'monthFullName' | 'day' | 'hour' | 'hour12' | 'minute' | 'second' | 'fraction' | 'ampm' | 'offset' | 'zoneName';

type Node = { kind: 'field'; slot?: Slot; source: string; regex: string } | { kind: 'literal'; source: string; regex: string } | { kind: 'optional'; nodes: Node[]; group?: number };

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** The regex and slot of one run of a pattern letter. */
function field(letter: string, count: number): { slot?: Slot; regex: string } {
  const digits = (n: number): string => (n === 1 ? '(\\d{1,2})' : `(\\d{${n}})`);
  switch (letter) {
    case 'y':
    case 'u':
      return count === 2 ? { slot: 'year2', regex: '(\\d{2})' } : { slot: 'year', regex: '(\\d{4})' };
    case 'M':
      if (count >= 4) return { slot: 'monthFullName', regex: `(${MONTH_NAMES.join('|')})` };
      if (count === 3) return { slot: 'monthName', regex: `(${MONTHS.join('|')})` };
      return { slot: 'month', regex: digits(count) };
    case 'd':
      return { slot: 'day', regex: digits(Math.min(count, 2)) };
    case 'H':
      return { slot: 'hour', regex: digits(Math.min(count, 2)) };
    case 'h':
      return { slot: 'hour12', regex: digits(Math.min(count, 2)) };
    case 'm':
      return { slot: 'minute', regex: digits(Math.min(count, 2)) };
    case 's':
      return { slot: 'second', regex: digits(Math.min(count, 2)) };
    case 'S':
      return { slot: 'fraction', regex: '(\\d{1,9})' };
    case 'a':
      return { slot: 'ampm', regex: '(am|pm)' };
    case 'E':
      return { regex: `(?:${count >= 4 ? DAY_NAMES : DAYS})` };
    case 'X':
    case 'x':
      return { slot: 'offset', regex: '(z|[+-]\\d{2}(?::?\\d{2})?)' };
    case 'Z':
      return { slot: 'offset', regex: '(z|[+-]\\d{2}:?\\d{2})' };
    case 'z':
      return { slot: 'zoneName', regex: `(${Object.keys(ZONE_NAMES).sort((a, b) => b.length - a.length).join('|')})` };
    default:
      throw new Error(`timestamp format: pattern letter ${letter} is not supported (supported: y u M d H h m s S a E X x Z z)`);
  }
}

/** The pattern as nodes; `at` is where parsing starts, and the index past the section is returned for `[`. */
function parseNodes(pattern: string, at: number, nested: boolean): { nodes: Node[]; end: number } {
  const nodes: Node[] = [];
  let i = at;
  while (i < pattern.length) {
    const c = pattern[i];
    if (c === ']') {
      if (!nested) throw new Error('timestamp format: a ] closes no [');
      return { nodes, end: i + 1 };
    }
    if (c === '[') {
      const inner = parseNodes(pattern, i + 1, true);
      nodes.push({ kind: 'optional', nodes: inner.nodes });
      i = inner.end;
    } else if (c === "'") {
      const close = pattern.indexOf("'", i + 1);
      if (close === -1) throw new Error("timestamp format: a quote (') is not closed");
      const text = close === i + 1 ? "'" : pattern.slice(i + 1, close);
      nodes.push({ kind: 'literal', source: pattern.slice(i, close + 1), regex: escape(text) });
      i = close + 1;
    } else if (/[A-Za-z]/.test(c)) {
      let j = i;
      while (pattern[j] === c) j++;
      nodes.push({ kind: 'field', source: pattern.slice(i, j), ...field(c, j - i) });
      i = j;
    } else if (/\s/.test(c)) {
      let j = i;
      while (/\s/.test(pattern[j] ?? '')) j++;
      nodes.push({ kind: 'literal', source: pattern.slice(i, j), regex: '\\s+' });
      i = j;
    } else {
      nodes.push({ kind: 'literal', source: c, regex: escape(c) });
      i++;
    }
  }
  if (nested) throw new Error('timestamp format: a [ is not closed');
  return { nodes, end: i };
}

/**
 * The regex of the nodes; fields' capture groups are numbered into `slots`, optional sections get
 * a group of their own. A field may appear in several optional sections (`[.SSS][,SSS]`): the
 * first that matched gives its value.
 */
function regexOf(nodes: Node[], slots: Partial<Record<Slot, number[]>>, next: { group: number }): string {
  let out = '';
  for (const node of nodes) {
    if (node.kind === 'literal') out += node.regex;
    else if (node.kind === 'field') {
      if (node.slot) (slots[node.slot] ??= []).push(next.group++);
      out += node.regex;
    } else {
      node.group = next.group++;
      out += `(${regexOf(node.nodes, slots, next)})?`;
    }
  }
  return out;
}

function spell(nodes: readonly Node[], m: RegExpExecArray): string {
  return nodes.map((n) => (n.kind !== 'optional' ? n.source : m[n.group!] === undefined ? '' : spell(n.nodes, m))).join('');
}

function twoDigitYear(yy: number): number {
  return yy >= 69 ? 1900 + yy : 2000 + yy;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function validDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]);
}

/** The latest year that puts `month`/`day` + `msOfDay` no later than the reference time plus the grace. */
function yearless(month: number, day: number, msOfDay: number, defaults: StampDefaults): number | undefined {
  if (defaults.year !== undefined) return validDate(defaults.year, month, day) ? Date.UTC(defaults.year, month - 1, day) + msOfDay : undefined;
  const notAfter = defaults.now + FUTURE_GRACE_MS;
  // Nine years back always meet a 29 February.
  for (let year = new Date(notAfter).getUTCFullYear(), tries = 0; tries < 9; year--, tries++) {
    if (!validDate(year, month, day)) continue;
    const time = Date.UTC(year, month - 1, day) + msOfDay;
    if (time <= notAfter) return time;
  }
  return undefined;
}

/** The latest day that puts `msOfDay` no later than the reference time plus the grace. */
function dateless(msOfDay: number, defaults: StampDefaults): number {
  const notAfter = defaults.now + FUTURE_GRACE_MS;
  const time = Math.floor(notAfter / DAY_MS) * DAY_MS + msOfDay;
  return time <= notAfter ? time : time - DAY_MS;
}

function offsetMinutes(zone: string): number {
  if (zone === 'z' || zone === 'Z') return 0;
  const digits = zone.slice(1).replace(':', '');
  const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0');
  return zone[0] === '-' ? -minutes : minutes;
}

function compilePattern(pattern: string): TimeFormat {
  const { nodes } = parseNodes(pattern, 0, false);
  const slots: Partial<Record<Slot, number[]>> = {};
  const re = new RegExp(`${regexOf(nodes, slots, { group: 1 })}${BOUNDARY}`, 'iy');
  const hasDate = slots.day !== undefined && (slots.month ?? slots.monthName ?? slots.monthFullName) !== undefined;
  const hasTime = (slots.hour ?? slots.hour12) !== undefined;
  if (!hasDate && !hasTime) throw new Error(`timestamp format ${pattern} has neither a date (month and day) nor a time (hours)`);
  if ((slots.year ?? slots.year2) !== undefined && !hasDate) throw new Error(`timestamp format ${pattern} has a year but no month and day`);
  if (slots.hour12 !== undefined && slots.ampm === undefined) throw new Error(`timestamp format ${pattern}: h (hour of AM/PM) needs a (the AM/PM marker)`);
  const hasYear = hasDate && (slots.year ?? slots.year2) !== undefined;

  const exec = (text: string, at: number): RegExpExecArray | null => {
    re.lastIndex = at;
    return re.exec(text);
  };
  // Each slot's groups looked up once here, not by name for every line read.
  const groups = (slot: Slot): readonly number[] => slots[slot] ?? [];
  const [year, year2, month, monthName, monthFullName, day, hour, hour12, minute, second, fraction, ampm, offset, zoneName] = (
    ['year', 'year2', 'month', 'monthName', 'monthFullName', 'day', 'hour', 'hour12', 'minute', 'second', 'fraction', 'ampm', 'offset', 'zoneName'] as const
  ).map(groups);
  const text = (m: RegExpExecArray, of: readonly number[]): string | undefined => {
    for (let k = 0; k < of.length; k++) if (m[of[k]] !== undefined) return m[of[k]];
    return undefined;
  };
  const num = (m: RegExpExecArray, of: readonly number[]): number | undefined => {
    const v = text(m, of);
    return v === undefined ? undefined : Number(v);
  };

  return {
    pattern,
    hasYear,
    hasDate,
    spelledAt(line, at) {
      const m = exec(line, at);
      return m ? spell(nodes, m) : undefined;
    },
    readAt(line, at, defaults) {
      const m = exec(line, at);
      if (!m) return undefined;
      let h = num(m, hour) ?? 0;
      const h12 = num(m, hour12);
      if (h12 !== undefined) {
        if (h12 < 1 || h12 > 12) return undefined;
        h = (h12 % 12) + (text(m, ampm)?.toLowerCase() === 'pm' ? 12 : 0);
      }
      const mi = num(m, minute) ?? 0;
      const sec = num(m, second) ?? 0;
      if (h > 23 || mi > 59 || sec > 60) return undefined;
      const frac = text(m, fraction);
      const msOfDay = ((h * 60 + mi) * 60 + sec) * 1000 + (frac ? Number(frac.slice(0, 3).padEnd(3, '0')) : 0);
      let time: number | undefined;
      if (hasDate) {
        const short = text(m, monthName)?.toLowerCase();
        const full = text(m, monthFullName)?.toLowerCase();
        const mo = short !== undefined ? MONTHS.indexOf(short) + 1 : full !== undefined ? MONTH_NAMES.indexOf(full) + 1 : num(m, month) ?? 0;
        const d = num(m, day) ?? 0;
        const yy = num(m, year2);
        const y = num(m, year) ?? (yy !== undefined ? twoDigitYear(yy) : undefined);
        if (y === undefined) time = yearless(mo, d, msOfDay, defaults);
        else time = validDate(y, mo, d) ? Date.UTC(y, mo - 1, d) + msOfDay : undefined;
      } else {
        time = dateless(msOfDay, defaults);
      }
      if (time === undefined) return undefined;
      const off = text(m, offset);
      const zone = text(m, zoneName)?.toLowerCase();
      const minutes = off !== undefined ? offsetMinutes(off) : zone !== undefined ? ZONE_NAMES[zone] : 0;
      return { time: time - minutes * 60_000, end: re.lastIndex };
    },
  };
}

/**
 * Epoch numbers of one unit: `digits` digits, or one fewer (the unit's values of 2000–2001), and
 * for seconds a fraction; only values within 2000..2100 are times.
 */
function epochFormat(pattern: string, digits: number, toMs: number): TimeFormat {
  const re = new RegExp(`(\\d{${digits - 1},${digits}})${toMs === 1000 ? '(?:[.,](\\d{1,9}))?' : ''}${BOUNDARY}`, 'iy');
  return {
    pattern,
    hasYear: true,
    hasDate: true,
    spelledAt(text, at) {
      re.lastIndex = at;
      return re.test(text) ? pattern : undefined;
    },
    readAt(text, at) {
      re.lastIndex = at;
      const m = re.exec(text);
      if (!m) return undefined;
      const time = Math.floor(Number(m[1]) * toMs + (m[2] ? Number(`0.${m[2]}`) * toMs : 0));
      return time >= MIN_MS && time < MAX_MS ? { time, end: re.lastIndex } : undefined;
    },
  };
}

/** One of several formats, the first that reads the stamp. */
function anyOf(pattern: string, formats: readonly TimeFormat[]): TimeFormat {
  return {
    pattern,
    hasYear: formats.every((f) => f.hasYear),
    hasDate: formats.every((f) => f.hasDate),
    spelledAt(text, at) {
      for (const f of formats) {
        const spelled = f.spelledAt(text, at);
        if (spelled !== undefined) return spelled;
      }
      return undefined;
    },
    readAt(text, at, defaults) {
      for (const f of formats) {
        const found = f.readAt(text, at, defaults);
        if (found) return found;
      }
      return undefined;
    },
  };
}

const KEYWORDS: Record<string, () => TimeFormat> = {
  ISO8601: () => anyOf('ISO8601', [compilePattern("yyyy-MM-dd'T'HH:mm[:ss][.SSS][,SSS][XXX]"), compilePattern('yyyy-MM-dd HH:mm[:ss][.SSS][,SSS][XXX]'), compilePattern("yyyyMMdd'T'HHmmss[.SSS][XX]")]),
  UNIX: () => epochFormat('UNIX', 10, 1000),
  UNIX_MS: () => epochFormat('UNIX_MS', 13, 1),
  UNIX_US: () => epochFormat('UNIX_US', 16, 1e-3),
  UNIX_NS: () => epochFormat('UNIX_NS', 19, 1e-6),
};

/** A timestamp format from its pattern; throws with the reason when the pattern is not one. */
export function compileTimeFormat(pattern: string): TimeFormat {
  const keyword = KEYWORDS[pattern.trim().toUpperCase()];
  if (keyword) return keyword();
  if (pattern.trim() === '') throw new Error('timestamp format is empty');
  return compilePattern(pattern);
}
