import { TelemcpError } from '../../core/errors.js';
import { levelVariants } from '../../core/log-levels.js';
import type { LogQuery } from '../capabilities.js';
import { checkMessageQuery } from '../log-query.js';
import { quoteLogsqlString } from './json-filter.js';
import { SEARCHABLE, parseMessageQuery } from '../../core/message-query.js';

/**
 * LogsQL for the VictoriaLogs log source: a LogQuery's filters as one LogsQL filter, and the
 * time arguments of the select API. Every value a caller gives (a service, a level, a trace id,
 * a word of `text`) and every field name appears only inside a double-quoted LogsQL string
 * (quoteLogsqlString), so `|`, `"`, newlines, `*`, `_stream:{…}` or `or` stay text to match,
 * never LogsQL syntax; the operators come from this module alone. Pure: no I/O, no clock.
 */

/** Which field of the records plays which role. `_msg` and `_time` are VictoriaLogs' own. */
export interface VlFieldNames {
  service: string;
  level: string;
  traceId: string;
  host: string;
}

/**
 * What a JSON-lines writer of ECS-shaped documents produces (`{"service":{"name":…}}` flattens
 * to `service.name`): the names telemcp seed and the Elasticsearch mapping use.
 */
export const DEFAULT_VL_FIELDS: VlFieldNames = { service: 'service.name', level: 'log.level', traceId: 'trace.id', host: 'host.name' };

export const MSG = '_msg';
export const TIME = '_time';

/** A field name or value as a LogsQL string literal. */
export function q(value: string): string {
  return quoteLogsqlString(value);
}

/** `"field":in("a", "b")`: an exact match of any value. */
export function inFilter(field: string, values: readonly string[]): string {
  return `${q(field)}:in(${values.map(q).join(', ')})`;
}

/** The filter of a query (its window goes as the API's start/end): `*` when it filters nothing, undefined when nothing can match. */
export function logsqlFilter(query: LogQuery, fields: VlFieldNames): string | undefined {
  const parts: string[] = [];
  if (query.services) parts.push(inFilter(fields.service, query.services));
  if (query.levels) parts.push(inFilter(fields.level, levelVariants(query.levels)));
  if (query.traceIds) parts.push(inFilter(fields.traceId, query.traceIds));
  if (query.text !== undefined) {
    const text = textFilter(checkMessageQuery(query.text));
    if (text === null) return undefined;
    if (text !== undefined) parts.push(text);
  }
  return parts.length ? parts.join(' ') : '*';
}

/**
 * The message-query syntax every log source accepts (`"phrase"`, `-not`, `a|b`, `prefix*`,
 * all words required), case-insensitive as on the other sources: each word or phrase is a
 * `"_msg":i("…")` phrase filter (word-aligned), a prefix `"_msg":i("…"*)`. Undefined when the
 * query holds no word; null when it holds words but none can match anything (only punctuation).
 */
export function textFilter(text: string): string | undefined | null {
  const include: string[] = [];
  const exclude: string[] = [];
  let words = 0;
  for (const group of parseMessageQuery(text)) {
    words += 1;
    const parts = group.words.filter((w) => SEARCHABLE.test(w.text)).map((w) => `${q(MSG)}:i(${q(w.text)}${w.prefix ? '*' : ''})`);
    if (parts.length === 0) continue;
    (group.negated ? exclude : include).push(parts.length === 1 ? parts[0] : `(${parts.join(' OR ')})`);
  }
  if (words === 0) return undefined;
  if (include.length === 0 && exclude.length === 0) return null;
  return [...include, ...exclude.map((e) => `NOT ${e}`)].join(' ');
}


/** A `_time` bucket of `stats by (…)` whose buckets start at `start` + i·stepMs. */
export function timeBucket(stepMs: number, start: number): string {
  // VictoriaLogs puts a bucket at floor((t + offset) / step) · step − offset: its grid is −offset modulo step.
  const offset = (((stepMs - (start % stepMs)) % stepMs) + stepMs) % stepMs;
  return `${TIME}:${stepMs}ms${offset ? ` offset ${offset}ms` : ''}`;
}

/** The API's `start` (inclusive) and `end` (exclusive) for a window whose both ends are inclusive milliseconds. */
export function windowParams(from: Date | number, to: Date | number): { start: string; end: string } {
  return { start: new Date(from).toISOString(), end: new Date(new Date(to).getTime() + 1).toISOString() };
}

const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/;

/** A `_time` as VictoriaLogs writes it (RFC3339 UTC, up to nanoseconds), as unix nanoseconds. */
export function timeNanos(time: string): bigint {
  const m = RFC3339.exec(time);
  const seconds = m ? Date.parse(`${m[1]}Z`) : NaN;
  if (!m || !Number.isFinite(seconds)) throw new TelemcpError('backend_error', 'VictoriaLogs returned a record time telemcp cannot read.', { hint: 'Check that the URL points at VictoriaLogs.' });
  return BigInt(seconds) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

/** Epoch milliseconds of a `_time`, or NaN. */
export function timeMs(time: string | undefined): number {
  return time === undefined ? NaN : Date.parse(time);
}
