/**
 * A record's level when the sender gave none: read from the line itself with the `telemcp
 * patterns` line readers (a JSON line's `level`/`log.level`, a logfmt `level=`, a plain line's
 * level word after its timestamp), else the first upper-case level word near the start
 * (`[main] ERROR c.f.Bar - …`). Upper case only: `error while reading` is prose, `ERROR` is a
 * level. Every level is reported in its canonical spelling (backends/log-levels.ts).
 */
import { createLineReader, detectFormat, type DetectedFormat, type LineReader } from '../analysis/templates/line-reader.js';
import { canonicalLevel } from '../backends/log-levels.js';
import { capName } from './bounds.js';

/** How far into a line a level word is looked for: a level sits in the header, not in the text. */
const LEVEL_WORD_WINDOW = 200;
const LEVEL_WORD = /(?<![A-Za-z0-9_])(TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|CRITICAL|FATAL|SEVERE|PANIC)(?![A-Za-z0-9_])/;

const readers: Record<DetectedFormat, LineReader> = {
  json: createLineReader('json'),
  logfmt: createLineReader('logfmt'),
  plain: createLineReader('plain'),
};

/** A level as a sender wrote it (`WARNING`, `Information`, `E`), canonical and bounded. */
export function normalizeLevel(level: string | undefined): string | undefined {
  const name = capName(level);
  return name === undefined ? undefined : canonicalLevel(name);
}

/** The level a log line states about itself, if any. */
export function levelFromText(line: string): string | undefined {
  const read = readers[detectFormat([line])].read(line);
  if (read?.level) return normalizeLevel(read.level);
  const word = LEVEL_WORD.exec(line.length > LEVEL_WORD_WINDOW ? line.slice(0, LEVEL_WORD_WINDOW) : line);
  return word ? normalizeLevel(word[1]) : undefined;
}
