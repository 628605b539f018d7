import { createLineReader } from './line-reader.js';
import { compileTimeFormat, type StampDefaults, type TimeFormat } from './time-format.js';

/**
 * Where a plain-text log keeps each line's timestamp and level, learned from the file's first
 * lines with no flags, as Elasticsearch's `_text_structure/find_structure` does: every candidate
 * timestamp format is tried at the start of each of the first fields of every sample line; the
 * format and field that read a stamp in the most lines (the earliest field among near-equals,
 * since a header leads the line) is the file's, when it reads at least half of them. The level is
 * then the field, before or after the stamp, that holds a level word or letter (`INFO`, `[notice]`,
 * `Info`, `D`) in at least half of the timed lines. Applying the layout to a line is one sticky
 * match at a known field and one word lookup, so the cost per line does not grow with the number
 * of formats known. A line the layout does not fit (another writer's, a banner) is read as
 * line-reader.ts reads plain text without a layout.
 *
 * Besides the formats listed in DIGIT_LED and LETTER_LED, a field that reads as six numbers with separators
 * (`2005-06-03-15.42.50.675872`) is a date-time too when every sample line spells it with the same
 * separators: the layout then has the format those separators make.
 */

export interface LayoutRead {
  message: string;
  /** Epoch ms. */
  time?: number;
  /** The level as written (`INFO`, `notice`, `D`), for the caller to map to its scale. */
  level?: string;
}

export interface LineLayout {
  /** The stamp's format as the file spells it and where the stamp and the level are: `yyMMdd HHmmss at the start, level in field 4`. */
  readonly description: string;
  read(line: string): LayoutRead;
}

export interface LearnOptions {
  dates: StampDefaults;
  /** The one format to look for (`--timestamp-format`) instead of the candidates. */
  format?: TimeFormat;
  /** Lines that continue a record (stack frames, …): left out of the sample, they hold no header. */
  continues?: (line: string) => boolean;
}

/** Sample lines looked at, at most. */
export const LAYOUT_SAMPLE_LINES = 1000;
/** Sample lines every candidate format is tried on at every field. */
const FIRST_LOOK_LINES = 100;
/** Fields from the start of a line where a stamp is looked for. */
const STAMP_FIELDS = 10;
/** Fields after the stamp where a level is looked for (BGL's is the seventh). */
const LEVEL_FIELDS = 10;

// The formats logs write, as Java patterns (time-format.ts); the order breaks ties between
// formats reading the same field. Digit-led and letter-led are kept apart so a field is only
// tried against formats that can start with its first character.
const DIGIT_LED = [
  "yyyy-MM-dd'T'HH:mm:ss[.SSS][,SSS][XXX]", // ISO 8601, RFC 3339, Spring Boot, logback ISO8601
  'yyyy-MM-dd HH:mm:ss[.SSS][,SSS][XXX]', // log4j, Python logging, Windows CBS, Hadoop
  'yyyy-MM-dd HH:mm:ss[.SSS][,SSS] Z', // MySQL, Postgres with a numeric zone
  'yyyy/MM/dd HH:mm:ss[.SSS][,SSS]', // Go's log package
  "yyyyMMdd'T'HHmmss[.SSS][XX]", // ISO 8601 basic
  'yyyyMMdd HH:mm:ss[.SSS]',
  'yy/MM/dd HH:mm:ss[.SSS]', // log4j yy/MM/dd (Spark)
  'yyMMdd HHmmss', // HDFS
  'yyMMdd HH:mm:ss', // MySQL 5 error log
  'MM-dd HH:mm:ss[.SSS]', // Android logcat threadtime
  'MMdd HH:mm:ss[.SSSSSS]', // glog / klog, after the level letter
  'dd/MMM/yyyy:HH:mm:ss[ Z]', // Apache / nginx access logs
  'd MMM yyyy HH:mm:ss[,SSS][.SSS]', // log4j DATE
  'dd-MMM-yyyy HH:mm:ss[.SSS]', // Tomcat, Oracle
  'HH:mm:ss[.SSS][,SSS]', // logback and log4j2 defaults: no date
  'UNIX',
  'UNIX_MS',
  'UNIX_US',
  'UNIX_NS',
].map(compileTimeFormat);
const LETTER_LED = [
  'EEE MMM d HH:mm:ss[.SSSSSS] yyyy', // ctime, Apache error log
  'EEE MMM d HH:mm:ss z yyyy', // date(1)
  'EEE, d MMM yyyy HH:mm:ss[ Z][ z]', // RFC 1123 / 2822
  'MMM d, yyyy h:mm:ss a', // java.util.logging, Tomcat
  'MMM d yyyy HH:mm:ss[.SSS]',
  'MMM d HH:mm:ss[.SSS]', // RFC 3164 syslog
].map(compileTimeFormat);

/** Six numbers with separators: a date-time in a layout no list foresaw. */
const GENERIC = /(\d{1,4})([-/.])(\d{1,2})\2(\d{1,4})([-T_: ]|\s+)(\d{1,2})([:.])(\d{2})\7(\d{2})(?:([.,])(\d{1,9}))?(?![a-z0-9])/iy;
/** Characters a stamp may be wrapped in or glued to: brackets, quotes, glog's level letter. */
const STAMP_LEAD = /[[("'IWEFDV]/;
/** What may sit between a stamp and the text after it: its closing bracket, one separator. */
const AFTER_STAMP = /[\])"']?\s*(?:[-|:,](?=\s|$)\s*)?/y;
const LEVEL_WORDS = new Set([
  'trace', 'finest', 'finer', 'verbose', 'debug', 'fine', 'info', 'information', 'informational', 'notice',
  'warn', 'warning', 'error', 'err', 'severe', 'crit', 'critical', 'alert', 'emerg', 'emergency', 'fatal', 'panic',
]);
/** One-letter levels (Android, glog): upper case only, a lower-case letter is a word. */
const LEVEL_LETTERS = new Set(['V', 'D', 'I', 'W', 'E', 'F', 'A']);

type LevelAt = { kind: 'before'; field: number } | { kind: 'after'; field: number } | { kind: 'lead' };

interface StampAt {
  format: TimeFormat;
  field: number;
  /** Characters of the field before the stamp (an opening bracket, glog's level letter). */
  skip: number;
}

function isSpace(code: number): boolean {
  return code === 32 || code === 9;
}

/** Where field `n` (0-based, whitespace-separated) of `line` starts, from `from`; undefined when there are fewer. */
function fieldStart(line: string, n: number, from = 0): number | undefined {
  let i = from;
  while (i < line.length && isSpace(line.charCodeAt(i))) i++;
  for (let k = 0; k < n; k++) {
    while (i < line.length && !isSpace(line.charCodeAt(i))) i++;
    while (i < line.length && isSpace(line.charCodeAt(i))) i++;
  }
  return i < line.length ? i : undefined;
}

/** The level a field starting at `at` holds, unwrapped (`[notice]` → `notice`, `INFO:` → `INFO`). */
function levelToken(line: string, at: number | undefined): string | undefined {
  if (at === undefined) return undefined;
  let start = at;
  let end = at;
  while (end < line.length && !isSpace(line.charCodeAt(end))) end++;
  if ('[(<'.includes(line[start])) start++;
  for (let n = 0; n < 2 && end > start && '])>:,;|'.includes(line[end - 1]); n++) end--;
  // No level word is longer than `informational`: most fields are refused before any slicing.
  if (end - start > 13) return undefined;
  const token = line.slice(start, end);
  if (token.length === 1) return LEVEL_LETTERS.has(token) ? token : undefined;
  return LEVEL_WORDS.has(token.toLowerCase()) ? token : undefined;
}

function afterStamp(line: string, end: number): number {
  AFTER_STAMP.lastIndex = end;
  return AFTER_STAMP.test(line) ? AFTER_STAMP.lastIndex : end;
}

function stampAt(line: string, at: StampAt, dates: StampDefaults): { start: number; time: number; end: number } | undefined {
  const start = fieldStart(line, at.field);
  if (start === undefined) return undefined;
  if (at.skip && !STAMP_LEAD.test(line[start])) return undefined;
  const found = at.format.readAt(line, start + at.skip, dates);
  return found && { start, ...found };
}

/** The format a generic six-number stamp makes, from its separators and the values seen. */
function genericPattern(m: RegExpExecArray, firstAboveTwelve: boolean, secondAboveTwelve: boolean): string | undefined {
  const [, a, dateSep, b, c, between, , timeSep, , , fractionSep] = m;
  const lit = (sep: string): string => (/\s/.test(sep) ? ' ' : /[a-z]/i.test(sep) ? `'${sep}'` : sep);
  const width = (text: string, letter: string): string => (text.length === 2 ? letter + letter : letter);
  let date: string;
  if (a.length === 4) date = ['yyyy', width(b, 'M'), width(c, 'd')].join(dateSep);
  else if (c.length === 4) {
    // Day first unless the values say otherwise, except with slashes, which US dates use.
    const monthFirst = secondAboveTwelve || (!firstAboveTwelve && dateSep === '/');
    date = (monthFirst ? [width(a, 'M'), width(b, 'd'), 'yyyy'] : [width(a, 'd'), width(b, 'M'), 'yyyy']).join(dateSep);
  } else return undefined;
  const fraction = fractionSep ? `[${fractionSep}${'S'.repeat(m[11].length)}]` : '';
  return `${date}${lit(between)}HH${timeSep}mm${timeSep}ss${fraction}`;
}

interface Tally {
  stamp: StampAt;
  hits: number;
  order: number;
}

/** Counts, per format and field (of the first `fields`), the sample lines whose stamp it reads. */
function tallyStamps(lines: readonly string[], opts: LearnOptions, fields = STAMP_FIELDS): Map<string, Tally> {
  const tallies = new Map<string, Tally>();
  const generic = new Map<string, { example: RegExpExecArray; firstAboveTwelve: boolean; secondAboveTwelve: boolean }>();
  const count = (key: string, stamp: StampAt, order: number): void => {
    const t = tallies.get(key);
    if (t) t.hits++;
    else tallies.set(key, { stamp, hits: 1, order });
  };
  for (const line of lines) {
    for (let field = 0, start = fieldStart(line, 0); field < fields && start !== undefined; field++, start = fieldStart(line, 1, start)) {
      for (let skip = 0; skip <= (STAMP_LEAD.test(line[start]) ? 1 : 0); skip++) {
        const at = start + skip;
        const candidates = opts.format ? [opts.format] : /\d/.test(line[at] ?? '') ? DIGIT_LED : LETTER_LED;
        const index = candidates.findIndex((f) => f.readAt(line, at, opts.dates));
        if (index !== -1) {
          count(`${index}/${field}/${skip}`, { format: candidates[index], field, skip }, index);
          continue;
        }
        if (opts.format) continue;
        GENERIC.lastIndex = at;
        const m = GENERIC.exec(line);
        if (!m || Number(m[6]) > 23 || Number(m[8]) > 59 || Number(m[9]) > 60) continue;
        const key = `g${m[2]}${m[5]}${m[7]}${m[10] ?? ''}${m[1].length}${m[4].length}/${field}/${skip}`;
        const seen = generic.get(key) ?? { example: m, firstAboveTwelve: false, secondAboveTwelve: false };
        seen.firstAboveTwelve ||= Number(m[1]) > 12;
        seen.secondAboveTwelve ||= Number(m[3]) > 12;
        generic.set(key, seen);
        // The format is made below, once every value seen tells day from month; a generic stamp ranks after the listed ones.
        count(key, { format: DIGIT_LED[0], field, skip }, DIGIT_LED.length + LETTER_LED.length);
      }
    }
  }
  for (const [key, seen] of generic) {
    const pattern = genericPattern(seen.example, seen.firstAboveTwelve, seen.secondAboveTwelve);
    const tally = tallies.get(key)!;
    if (pattern) tally.stamp = { ...tally.stamp, format: compileTimeFormat(pattern) };
    else tallies.delete(key);
  }
  return tallies;
}

/** The stamp position most sample lines agree on, preferring the earliest field among near-equals. */
function chooseStamp(tallies: Map<string, Tally>): StampAt | undefined {
  const all = [...tallies.values()];
  const best = Math.max(0, ...all.map((t) => t.hits));
  const near = all.filter((t) => t.hits * 10 >= best * 9);
  near.sort((x, y) => x.stamp.field - y.stamp.field || x.stamp.skip - y.stamp.skip || y.hits - x.hits || x.order - y.order);
  return near[0]?.stamp;
}

/** Counts where sample lines hold a level; the winner must hold one in at least half of them. */
class LevelTally {
  private readonly tallies = new Map<string, { at: LevelAt; hits: number }>();
  private lines = 0;

  line(): void {
    this.lines++;
  }

  count(at: LevelAt): void {
    const key = at.kind === 'lead' ? 'lead' : `${at.kind}/${at.field}`;
    const t = this.tallies.get(key);
    if (t) t.hits++;
    else this.tallies.set(key, { at, hits: 1 });
  }

  /** Levels in the fields from `from` on (the text after a stamp, a syslog message). */
  countAfter(line: string, from: number): void {
    let at = fieldStart(line, 0, from);
    for (let field = 0; field < LEVEL_FIELDS && at !== undefined; field++, at = fieldStart(line, 1, at)) if (levelToken(line, at)) this.count({ kind: 'after', field });
  }

  best(): LevelAt | undefined {
    let best: { at: LevelAt; hits: number } | undefined;
    for (const t of this.tallies.values()) if (!best || t.hits > best.hits) best = t;
    return best && best.hits * 2 >= this.lines ? best.at : undefined;
  }
}

/** The field that holds a level in at least half of the timed sample lines, if one does. */
function chooseLevel(lines: readonly string[], stamp: StampAt, dates: StampDefaults): LevelAt | undefined {
  const tally = new LevelTally();
  for (const line of lines) {
    const found = stampAt(line, stamp, dates);
    if (!found) continue;
    tally.line();
    if (stamp.skip && LEVEL_LETTERS.has(line[found.start])) tally.count({ kind: 'lead' });
    for (let field = 0; field < stamp.field; field++) if (levelToken(line, fieldStart(line, field))) tally.count({ kind: 'before', field });
    tally.countAfter(line, afterStamp(line, found.end));
  }
  return tally.best();
}

/** The layout in words, fields numbered as people count them (from 1). */
function describe(stamp: StampAt, spelled: string, level: LevelAt | undefined, example: string, dates: StampDefaults): string {
  const where = stamp.field === 0 ? 'at the start' : `in field ${stamp.field + 1}`;
  const year = !stamp.format.hasDate ? ' (no date: the latest day that is not in the future)' : stamp.format.hasYear ? '' : ` (no year: ${dates.year ?? 'the latest that is not in the future'})`;
  let levelText = 'no level';
  if (level?.kind === 'lead') levelText = 'level letter before it';
  else if (level?.kind === 'before') levelText = `level in field ${level.field + 1}`;
  else if (level?.kind === 'after') {
    const found = stampAt(example, stamp, dates);
    const levelStart = found && fieldStart(example, level.field, afterStamp(example, found.end));
    let n = 0;
    for (let at = fieldStart(example, 0); at !== undefined && levelStart !== undefined && at < levelStart; at = fieldStart(example, 1, at)) n++;
    levelText = `level in field ${n + 1}`;
  }
  return `${spelled} ${where}${year}, ${levelText}`;
}

/** How a line is read without a layout: line-reader.ts's plain reader (a leading stamp in a common form, a level word after it). */
export function readerWithoutLayout(dates: StampDefaults): (line: string) => LayoutRead {
  const plain = createLineReader('plain', { now: dates.now, ...(dates.year !== undefined ? { year: dates.year } : {}) });
  return (line) => {
    const read = plain.read(line);
    if (!read) return { message: line };
    return { message: read.message, ...(read.time !== undefined ? { time: read.time } : {}), ...(read.level ? { level: read.level } : {}) };
  };
}

function compileLayout(stamp: StampAt, level: LevelAt | undefined, example: string, dates: StampDefaults): LineLayout {
  const withoutLayout = readerWithoutLayout(dates);
  const spelled = stamp.format.spelledAt(example, fieldStart(example, stamp.field)! + stamp.skip) ?? stamp.format.pattern;
  return {
    description: describe(stamp, spelled, level, example, dates),
    read(line) {
      const found = stampAt(line, stamp, dates);
      if (!found) return withoutLayout(line);
      const body = afterStamp(line, found.end);
      let levelStart: number | undefined;
      if (level?.kind === 'lead') levelStart = LEVEL_LETTERS.has(line[found.start]) ? found.start : undefined;
      else if (level?.kind === 'before') levelStart = fieldStart(line, level.field);
      else if (level?.kind === 'after') levelStart = fieldStart(line, level.field, body);
      const levelWord = level?.kind === 'lead' ? (levelStart !== undefined ? line[levelStart] : undefined) : levelToken(line, levelStart);
      // The header is cut off only when it leads the line; a stamp further in stays in the message.
      let messageStart = stamp.field === 0 ? body : 0;
      if (stamp.field === 0 && levelWord && level?.kind === 'after' && level.field === 0) {
        let end = levelStart!;
        while (end < line.length && !isSpace(line.charCodeAt(end))) end++;
        messageStart = afterStamp(line, end);
      }
      const read: LayoutRead = { message: messageStart < line.length ? line.slice(messageStart) : line, time: found.time };
      if (levelWord) read.level = levelWord;
      return read;
    },
  };
}

/** The sample lines that may hold a header: not blank, not indented, not continuations. */
function headerLines(sample: readonly string[], continues?: (line: string) => boolean): string[] {
  const lines: string[] = [];
  for (const line of sample) {
    if (lines.length >= LAYOUT_SAMPLE_LINES) break;
    if (/^\s*$/.test(line) || isSpace(line.charCodeAt(0)) || continues?.(line)) continue;
    lines.push(line);
  }
  return lines;
}

/**
 * The layout of a file from its first lines, or undefined when no format reads a stamp at one
 * field in at least half of them (with `format`, in at least one).
 */
export function learnLineLayout(sample: readonly string[], opts: LearnOptions): LineLayout | undefined {
  const lines = headerLines(sample, opts.continues);
  // Every format at every field is tried on the first lines only; the whole sample then checks
  // the choice (and is searched in full when the first lines had no stamp, a banner say).
  const stamp = chooseStamp(tallyStamps(lines.slice(0, FIRST_LOOK_LINES), opts)) ?? chooseStamp(tallyStamps(lines.slice(FIRST_LOOK_LINES), opts));
  if (!stamp) return undefined;
  const timed = lines.filter((line) => stampAt(line, stamp, opts.dates));
  if (timed.length === 0 || (!opts.format && timed.length * 2 < lines.length)) return undefined;
  return compileLayout(stamp, chooseLevel(timed, stamp, opts.dates), timed[0], opts.dates);
}

/**
 * The format of timestamps given as whole texts (the `<Date> <Time>` of a `--log-format`), learned
 * from a sample of them as for a line's first field; undefined when none reads at least half.
 */
export function learnTimestamp(texts: readonly string[], opts: Omit<LearnOptions, 'continues'>): TimeFormat | undefined {
  const sample = headerLines(texts);
  const whole = (text: string, format: TimeFormat): boolean => format.readAt(text, 0, opts.dates)?.end === text.length;
  const ranked = [...tallyStamps(sample, opts, 1).values()].filter((t) => t.stamp.skip === 0).sort((x, y) => y.hits - x.hits || x.order - y.order);
  const format = ranked.map((t) => t.stamp.format).find((f) => sample.some((text) => whole(text, f)));
  if (!format) return undefined;
  const read = sample.filter((text) => whole(text, format)).length;
  return opts.format || read * 2 >= sample.length ? format : undefined;
}

/** The field (0-based) where most of a sample of texts (syslog messages) hold a level, and its reader; undefined when no field does. */
export function learnMessageLevel(messages: readonly string[]): { field: number; read: (message: string) => string | undefined } | undefined {
  const tally = new LevelTally();
  for (const message of messages.slice(0, LAYOUT_SAMPLE_LINES)) {
    tally.line();
    tally.countAfter(message, 0);
  }
  const at = tally.best();
  return at?.kind === 'after' ? { field: at.field, read: (message) => levelToken(message, fieldStart(message, at.field)) } : undefined;
}

/** A level word or letter (`INFO`, `[notice]`, `Warning:`, `D`) unwrapped, or undefined when `text` is none. */
export function levelWord(text: string): string | undefined {
  return levelToken(text, 0);
}
