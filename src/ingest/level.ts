/**
 * A record's level when the sender gave none: read from the line itself with the `telemcp
 * patterns` line readers (a JSON line's `level`/`log.level`, a logfmt `level=`, a plain line's
 * level word after its timestamp), else the first upper-case level word near the start
 * (`[main] ERROR c.f.Bar - …`). Upper case only: `error while reading` is prose, `ERROR` is a
 * level. Every level is reported in its canonical spelling (core/log-levels.ts).
 */
import { createLineReader, detectFormat, type DetectedFormat, type LineReader } from '../analysis/templates/line-reader.js';
import { canonicalLevel } from '../core/log-levels.js';
import { capName } from './bounds.js';

/** How far into a line a level word is looked for: a level sits in the header, not in the text. */
const LEVEL_WORD_WINDOW = 200;
const LEVEL_WORD = /(?<![A-Za-z0-9_])(TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|CRITICAL|FATAL|SEVERE|PANIC)(?![A-Za-z0-9_])/;

const readers: Record<DetectedFormat, LineReader> = {
  json: createLineReader('json'),
  logfmt: createLineReader('logfmt'),
  plain: createLineReader('plain'),
};

/**
 * Spellings mapped onto the canonical scale beyond the aliases of log-levels.ts: the one-letter
 * levels of Android's logcat and glog/klog (`V D I W E F`, `A` for assert), java.util.logging's
 * `SEVERE`/`FINE…`, and `VERBOSE`/`PANIC`.
 */
const SCALE: Record<string, string> = {
  v: 'trace', verbose: 'trace', finest: 'trace', finer: 'trace',
  d: 'debug', fine: 'debug',
  i: 'info',
  w: 'warn',
  e: 'error', severe: 'error',
  f: 'fatal', a: 'fatal', panic: 'fatal',
};

/** Spellings already mapped: a source writes a handful, once per line; bounded against a sender writing a new one each time. */
const MAPPED = new Map<string, string | undefined>();
const MAX_MAPPED = 256;

/** A level as a sender wrote it (`WARNING`, `Information`, `E`), canonical and bounded. */
export function normalizeLevel(level: string | undefined): string | undefined {
  if (level === undefined) return undefined;
  if (MAPPED.has(level)) return MAPPED.get(level);
  const name = capName(level);
  const canonical = name === undefined ? undefined : (SCALE[name.trim().toLowerCase()] ?? canonicalLevel(name));
  if (MAPPED.size < MAX_MAPPED) MAPPED.set(level, canonical);
  return canonical;
}

/** The level a log line states about itself, if any. */
export function levelFromText(line: string): string | undefined {
  const read = readers[detectFormat([line])].read(line);
  if (read?.level) return normalizeLevel(read.level);
  const word = LEVEL_WORD.exec(line.length > LEVEL_WORD_WINDOW ? line.slice(0, LEVEL_WORD_WINDOW) : line);
  return word ? normalizeLevel(word[1]) : undefined;
}
