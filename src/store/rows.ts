import { canonicalLevel } from '../backends/log-levels.js';
import { MAX_ATTR_BYTES, MAX_DATASET_CHARS, MAX_MESSAGE_BYTES, MAX_NAME_CHARS } from '../ingest/bounds.js';
import type { IngestRecord } from '../ingest/record.js';

/**
 * What the store accepts of an IngestRecord: the parsers' own bounds (ingest/bounds.ts), checked
 * again because the store is the last line before disk and not every caller is a parser. One
 * bad record costs that record, not the batch; a message over the bound (which a parser would
 * have cut with a marker) is cut and kept.
 */
/**
 * The latest time the store keeps (2248-09-26): a record's key is its time in milliseconds times
 * 2^20 plus a sequence number (log-store.ts), which must fit SQLite's 63 bits. Times before 1970
 * are refused too: no log line is that old, and keys stay non-negative.
 */
export const MAX_TS = 2 ** 43 - 1;

export interface Row {
  ts: number;
  dataset: string;
  service: string | null;
  level: string | null;
  message: string;
  trace_id: string | null;
  host: string | null;
  attrs: string | null;
  /** The message was cut to MAX_MESSAGE_BYTES. */
  cut: boolean;
}

const CONTROL = /[\u0000-\u001f\u007f]/;
const encoder = new TextEncoder();
const cutBuffer = new Uint8Array(MAX_MESSAGE_BYTES);

/** The row for a record, or why it is refused. */
export function toRow(record: IngestRecord): Row | string {
  if (record === null || typeof record !== 'object') return 'not an object';
  const { ts, dataset, message } = record;
  if (typeof ts !== 'number' || !Number.isFinite(ts) || ts < 0 || ts > MAX_TS) return 'ts is not an epoch-millisecond time from 1970 to 2248';
  if (typeof dataset !== 'string' || dataset.trim() === '') return 'dataset is empty';
  // Scopes are comma-separated globs, so a dataset holding `,` or `*` could never be selected alone.
  if (dataset.length > MAX_DATASET_CHARS || CONTROL.test(dataset) || /[,*]/.test(dataset) || dataset !== dataset.trim()) {
    return `dataset must be at most ${MAX_DATASET_CHARS} characters without commas, asterisks, control characters or surrounding spaces`;
  }
  if (typeof message !== 'string' || message === '') return 'message is empty';
  const values: Record<'service' | 'level' | 'traceId' | 'host', string | null> = { service: null, level: null, traceId: null, host: null };
  for (const key of ['service', 'level', 'traceId', 'host'] as const) {
    const value = record[key];
    if (value === undefined || value === null || value === '') continue;
    if (typeof value !== 'string' || value.length > MAX_NAME_CHARS) return `${key} is not a string of at most ${MAX_NAME_CHARS} characters`;
    values[key] = value;
  }
  let attrs: string | null = null;
  if (record.attrs !== undefined && record.attrs !== null) {
    if (typeof record.attrs !== 'object' || Array.isArray(record.attrs)) return 'attrs is not an object';
    if (Object.keys(record.attrs).length > 0) {
      attrs = JSON.stringify(record.attrs);
      if (Buffer.byteLength(attrs) > MAX_ATTR_BYTES) return `attrs exceed ${MAX_ATTR_BYTES} bytes as JSON`;
    }
  }
  const { text, cut } = cutMessage(message);
  return {
    ts: Math.floor(ts),
    dataset,
    service: values.service,
    // Stored in one spelling, so a level filter is one index lookup and counts per level add up.
    level: values.level === null ? null : canonicalLevel(values.level) || null,
    message: text,
    trace_id: values.traceId,
    host: values.host,
    attrs,
    cut,
  };
}

/** encodeInto never writes half a character, so the cut lands on a character boundary. */
function cutMessage(message: string): { text: string; cut: boolean } {
  // Fewer UTF-16 units than a third of the limit cannot exceed it: every unit is at most 3 bytes.
  if (message.length * 3 <= MAX_MESSAGE_BYTES) return { text: message, cut: false };
  const { read } = encoder.encodeInto(message, cutBuffer);
  return read < message.length ? { text: message.slice(0, read), cut: true } : { text: message, cut: false };
}
