import { canonicalLevel } from '../core/log-levels.js';
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
 * 2^20 plus a sequence number (keys.ts), which must fit SQLite's 63 bits. Times before 1970
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
  if (typeof dataset !== 'string') return 'dataset is empty';
  if (dataset !== lastDataset) {
    const problem = datasetProblem(dataset);
    if (problem) return problem;
    // A batch holds one dataset or a few, so most records skip the checks.
    lastDataset = dataset;
  }
  if (typeof message !== 'string' || message === '') return 'message is empty';
  const service = nameOf(record.service);
  if (service === undefined) return nameProblem('service');
  const level = nameOf(record.level);
  if (level === undefined) return nameProblem('level');
  const traceId = nameOf(record.traceId);
  if (traceId === undefined) return nameProblem('traceId');
  const host = nameOf(record.host);
  if (host === undefined) return nameProblem('host');
  let attrs: string | null = null;
  if (record.attrs !== undefined && record.attrs !== null) {
    if (typeof record.attrs !== 'object' || Array.isArray(record.attrs)) return 'attrs is not an object';
    attrs = JSON.stringify(record.attrs);
    if (attrs === '{}') attrs = null;
    // Fewer UTF-16 units than a third of the limit cannot exceed it (as in cutMessage).
    else if (attrs.length * 3 > MAX_ATTR_BYTES && Buffer.byteLength(attrs) > MAX_ATTR_BYTES) return `attrs exceed ${MAX_ATTR_BYTES} bytes as JSON`;
  }
  const { text, cut } = cutMessage(message);
  return {
    ts: Math.floor(ts),
    dataset,
    service,
    // Stored in one spelling, so a level filter is one index lookup and counts per level add up.
    level: level === null ? null : canonicalLevel(level) || null,
    message: text,
    trace_id: traceId,
    host,
    attrs,
    cut,
  };
}

/** The last dataset that passed datasetProblem: the checks run once per run of records of one dataset. */
let lastDataset: string | undefined;

function datasetProblem(dataset: string): string | undefined {
  if (dataset.trim() === '') return 'dataset is empty';
  // Scopes are comma-separated globs, so a dataset holding `,` or `*` could never be selected alone.
  if (dataset.length > MAX_DATASET_CHARS || CONTROL.test(dataset) || /[,*]/.test(dataset) || dataset !== dataset.trim()) {
    return `dataset must be at most ${MAX_DATASET_CHARS} characters without commas, asterisks, control characters or surrounding spaces`;
  }
  return undefined;
}

/** A label as stored (null when absent or empty), or undefined when it is not a bounded string. */
function nameOf(value: unknown): string | null | undefined {
  if (value === undefined || value === null || value === '') return null;
  return typeof value === 'string' && value.length <= MAX_NAME_CHARS ? value : undefined;
}

const nameProblem = (key: string) => `${key} is not a string of at most ${MAX_NAME_CHARS} characters`;

/** encodeInto never writes half a character, so the cut lands on a character boundary. */
function cutMessage(message: string): { text: string; cut: boolean } {
  // Fewer UTF-16 units than a third of the limit cannot exceed it: every unit is at most 3 bytes.
  if (message.length * 3 <= MAX_MESSAGE_BYTES) return { text: message, cut: false };
  const { read } = encoder.encodeInto(message, cutBuffer);
  return read < message.length ? { text: message.slice(0, read), cut: true } : { text: message, cut: false };
}
