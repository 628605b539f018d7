import { TelemcpError } from '../../core/errors.js';
import { levelVariants } from '../../core/log-levels.js';
import { SEARCHABLE, parseMessageQuery, type MessageWord } from '../../core/message-query.js';
import type { LogQuery } from '../capabilities.js';
import { checkMessageQuery } from '../log-query.js';

/**
 * LogQL for the Loki log source: a LogQuery as one log query (stream selector, label filters,
 * line filters), the range aggregations that count it, and the nanosecond times of the HTTP API.
 * Every value a caller gives (a service, a level, a trace id, a word of `text`) appears only
 * inside a double-quoted LogQL string, regex-escaped where the operator is a regex, and every
 * label name is checked against Loki's label grammar; the operators come from this module alone.
 * Pure: no I/O, no clock.
 */

/** Which label plays which role. `levelFallback` is read when `level` is empty (Loki 3's `detected_level`). */
export interface LokiFieldNames {
  service: string;
  level: string;
  levelFallback?: string;
  traceId: string;
  host: string;
}

/**
 * What Loki 3 itself writes: `service_name` on every stream (discover_service_name),
 * `detected_level` beside a shipper's `level`, trace ids as structured metadata.
 */
export const DEFAULT_LOKI_FIELDS: LokiFieldNames = { service: 'service_name', level: 'level', levelFallback: 'detected_level', traceId: 'trace_id', host: 'host' };

/** Loki's label names (Prometheus' grammar); `__`-prefixed ones are Loki's own. */
export const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A value as a LogQL string literal: LogQL reads Go's escapes, which JSON's are a subset of. */
export function q(value: string): string {
  return JSON.stringify(value);
}

/** A label name, checked: never interpolated unless it is one. */
export function label(name: string): string {
  if (!LABEL_NAME.test(name)) throw new TelemcpError('invalid_input', `${JSON.stringify(name.slice(0, 60))} is not a Loki label name.`, { hint: 'Label names are letters, digits and _, not starting with a digit.' });
  return name;
}

/** A literal inside an RE2 regex (Go's regexp.QuoteMeta). */
export function regexLiteral(value: string): string {
  return value.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

/** `name=~"a|b"` (Loki anchors the regex): any of the values exactly. */
export function anyOf(name: string, values: readonly string[]): string {
  return values.length === 1 ? `${label(name)}=${q(values[0])}` : `${label(name)}=~${q(values.map(regexLiteral).join('|'))}`;
}

/** The stream selector: the services, or every stream carrying the service label (Loki refuses a selector that can match empty). */
export function streamSelector(services: readonly string[] | undefined, fields: LokiFieldNames): string {
  return services ? `{${anyOf(fields.service, services)}}` : `{${label(fields.service)}=~".+"}`;
}

/** Level filter over the level label, or its fallback when the level label is empty. */
export function levelFilter(levels: readonly string[], fields: LokiFieldNames): string {
  const spellings = levelVariants([...levels]);
  const direct = anyOf(fields.level, spellings);
  if (!fields.levelFallback) return `| ${direct}`;
  return `| ${direct} or (${label(fields.level)}="" and ${anyOf(fields.levelFallback, spellings)})`;
}

/** Characters that separate words, as the embedded store's tokenizer (unicode61) and VictoriaLogs split them. */
const NOT_WORD = String.raw`[^\p{L}\p{N}]`;

/** A letter without its diacritics (`é` → `e`), as the full-text index of the other sources folds it. */
function baseLetter(c: string): string {
  return c.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/** Per base letter, the precomposed Latin letters that fold to it (`e` → `éèêë…`), lowercase: `(?i)` matches the capitals. */
const FOLDED = (() => {
  const out = new Map<string, string>();
  for (const [from, to] of [[0xc0, 0x24f], [0x1e00, 0x1eff]]) {
    for (let cp = from; cp <= to; cp++) {
      const c = String.fromCodePoint(cp).toLowerCase();
      const base = baseLetter(c);
      if (base.length === 1 && base !== c && !(out.get(base) ?? '').includes(c)) out.set(base, (out.get(base) ?? '') + c);
    }
  }
  return out;
})();

/** One letter or digit of a token as a regex matching it with any diacritics, as text or decomposed (a combining mark after it). */
function foldedChar(c: string): string {
  const base = baseLetter(c) || c;
  const variants = [...base].length === 1 ? FOLDED.get(base) : undefined;
  return `${variants ? `[${base}${variants}]` : c}\\p{M}*`;
}

/**
 * One word or phrase of the message-query syntax as an RE2 regex with the same matches as a
 * full-text phrase on the other sources: its letter-and-digit tokens in order, separated by
 * anything else, starting and (unless a prefix) ending on a word boundary, diacritics folded
 * (`cafe` finds `Café`). Tokens hold letters and digits only, so no regex syntax is ever built
 * from them.
 */
export function wordRegex(word: MessageWord): string | undefined {
  const tokens = word.text.split(/[^\p{L}\p{N}\p{M}]+/u).map((t) => t.replace(/\p{M}/gu, '')).filter(Boolean);
  if (tokens.length === 0) return undefined;
  const folded = tokens.map((t) => [...t].map(foldedChar).join(''));
  return `(?:^|${NOT_WORD})${folded.join(`${NOT_WORD}+`)}${word.prefix ? '' : `(?:${NOT_WORD}|$)`}`;
}

/**
 * The message-query syntax every log source accepts as LogQL line filters: `|~` per required
 * group, `!~` per excluded one, case-insensitive (`(?i)`), word-aligned. Undefined when the query
 * holds no word; null when it holds words but none can match (only punctuation).
 */
export function lineFilters(text: string): string | undefined | null {
  const parts: string[] = [];
  let words = 0;
  for (const group of parseMessageQuery(text)) {
    words += 1;
    const res = group.words.filter((w) => SEARCHABLE.test(w.text)).flatMap((w) => wordRegex(w) ?? []);
    if (res.length === 0) continue;
    parts.push(`${group.negated ? '!~' : '|~'} ${q(`(?i)${res.length === 1 ? res[0] : res.map((r) => `(?:${r})`).join('|')}`)}`);
  }
  if (words === 0) return undefined;
  if (parts.length === 0) return null;
  return parts.join(' ');
}

/** The log query of a LogQuery (its window goes as the API's start/end); undefined when nothing can match. */
export function logqlQuery(query: LogQuery, fields: LokiFieldNames): string | undefined {
  const parts = [streamSelector(query.services, fields)];
  if (query.levels) parts.push(levelFilter(query.levels, fields));
  if (query.traceIds) parts.push(`| ${anyOf(fields.traceId, query.traceIds)}`);
  if (query.text !== undefined) {
    const text = lineFilters(checkMessageQuery(query.text));
    if (text === null) return undefined;
    if (text !== undefined) parts.push(text);
  }
  return parts.join(' ');
}

/** A LogQL duration of whole milliseconds. */
export function duration(ms: number): string {
  return `${ms}ms`;
}

/** `sum [by (…)] (count_over_time(<log> [range]))`. */
export function countOverTime(log: string, rangeMs: number, by: readonly string[] = []): string {
  return `sum${by.length ? ` by (${by.map(label).join(', ')})` : ''} (count_over_time(${log} [${duration(rangeMs)}]))`;
}

export const NS_PER_MS = 1_000_000n;

/** Unix nanoseconds of a millisecond instant, as the API's text. */
export function ns(ms: number): string {
  return (BigInt(ms) * NS_PER_MS).toString();
}

/**
 * The API's start (inclusive) and end (exclusive) of a window whose both ends are inclusive
 * milliseconds: records anywhere in the last millisecond, to its last nanosecond, are in.
 */
export function windowParams(from: Date | number, to: Date | number): { start: string; end: string } {
  return { start: ns(new Date(from).getTime()), end: ns(new Date(to).getTime() + 1) };
}

/**
 * Evaluation times that make `count_over_time(… [bucketMs])` count half-open buckets
 * [start + i·bucketMs, start + (i+1)·bucketMs): Loki's range window at t is (t − range, t], so
 * each bucket is evaluated at its end minus one nanosecond.
 */
export function bucketEvaluation(startMs: number, bucketMs: number, buckets: number): { start: string; end: string; step: string } {
  const first = BigInt(startMs + bucketMs) * NS_PER_MS - 1n;
  const last = BigInt(startMs + buckets * bucketMs) * NS_PER_MS - 1n;
  return { start: first.toString(), end: last.toString(), step: duration(bucketMs) };
}

/**
 * The bucket a matrix sample belongs to. Loki writes sample times as milliseconds, truncated
 * from the nanosecond evaluation time (so end − 1 ms), in float seconds.
 */
export function bucketIndex(sampleSeconds: number, startMs: number, bucketMs: number): number {
  const ms = Math.round(sampleSeconds * 1000);
  return Math.round((ms + 1 - startMs) / bucketMs) - 1;
}

/** A Loki entry time (unix ns text) as epoch milliseconds. */
export function entryMs(nsText: string): number {
  return Number(BigInt(nsText) / NS_PER_MS);
}
