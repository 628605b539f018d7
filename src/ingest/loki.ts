/**
 * `POST /loki/api/v1/push` with a JSON body, as Loki documents it:
 * `{"streams":[{"stream":{"<label>":"<value>",…},"values":[["<unix epoch ns>","<line>",{<structured metadata>}?],…]}]}`.
 * The timestamp must be a string of nanoseconds (Loki answers 400 to a number); structured
 * metadata is an object of string values. Loki answers 204 on success and a plain-text 400 on
 * invalid input; entries that are valid are kept even when others in the push are not.
 * Protobuf pushes (`Content-Type: application/x-protobuf`, snappy-compressed: Promtail's and
 * Alloy's `loki.write` default) are read by loki-protobuf.ts into the same streams, mapped here by
 * the same rules. A push without a Content-Type is read as JSON (Loki reads it as protobuf; curl
 * users send JSON without one, shippers always name protobuf); any other type is a 415.
 * Sources: https://grafana.com/docs/loki/latest/reference/loki-http-api/#ingest-logs,
 * https://grafana.com/docs/loki/latest/get-started/labels/structured-metadata/.
 *
 * A record per entry: the line is the message, as Loki keeps it (an empty line is refused). From
 * the stream's labels (the dataset made scope-safe: `,` `*` and control characters as `-`):
 *  - dataset: `dataset`, else `job`, else `service_name`, else `app`, else `loki`;
 *  - service: `service_name`, `app`, `service`, `application`, `app_kubernetes_io_name`,
 *    `container`, then `job` (the labels Loki itself derives `service_name` from);
 *  - host: `host`, `hostname`, `instance`;
 *  - level: the `level`, `detected_level`, `severity` or `lvl` label, else the same key in the
 *    entry's structured metadata, else read from the line: where the layout learned from the
 *    stream's lines puts it when they are plain text (plain-text.ts), else as level.ts reads it;
 *    the time stays the entry's, as Loki keeps it;
 * trace id from structured metadata `trace_id`, `traceID` or `traceId`. The other labels and
 * metadata become attributes (metadata first: it is the more specific).
 */
import { LAYOUT_SAMPLE_LINES } from '../analysis/templates/line-layout.js';
import { AttrCollector, MAX_RECORDS_PER_REQUEST, capName, datasetName, parseJsonBody } from './bounds.js';
import { finishRecord, type DocumentRecord } from './document.js';
import { nanosToMs } from './epoch-nanos.js';
import { levelFromText, normalizeLevel } from './level.js';
import { learnSourceLayout, type PlainReader } from './plain-text.js';
import type { IngestRecord } from './record.js';

export interface LokiPushOptions {
  maxRecords?: number;
  /** Epoch ms the push arrived at, for stamps in the lines without a year. Default: now. */
  receivedAt?: number;
}

export interface LokiEntryError {
  stream: number;
  /** Index in the stream's `values`; absent for an error of the stream itself. */
  value?: number;
  reason: string;
}

export type LokiPushResult =
  | { ok: true; records: IngestRecord[]; errors: LokiEntryError[] }
  | { ok: false; status: 400 | 413; message: string };

const DATASET_LABELS = ['dataset', 'job', 'service_name', 'app'];
const SERVICE_LABELS = ['service_name', 'app', 'service', 'application', 'app_kubernetes_io_name', 'container', 'job'];
const HOST_LABELS = ['host', 'hostname', 'instance'];
const LEVEL_KEYS = ['level', 'detected_level', 'severity', 'lvl'];
const TRACE_KEYS = ['trace_id', 'traceID', 'traceId'];
const DEFAULT_DATASET = 'loki';
/** Error lines in a 400 answer; the rest are counted. */
const MAX_REPORTED_ERRORS = 10;
const PUSH_HINT = 'send JSON with Content-Type: application/json (or none), or snappy-compressed protobuf with Content-Type: application/x-protobuf';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function pickLabel(labels: Record<string, string>, keys: readonly string[]): { key: string; value: string } | undefined {
  for (const key of keys) {
    const value = labels[key];
    if (value !== undefined && value.trim() !== '') return { key, value };
  }
  return undefined;
}

function stringMap(value: unknown): Record<string, string> | undefined {
  if (!isObject(value)) return undefined;
  for (const v of Object.values(value)) if (typeof v !== 'string') return undefined;
  return value as Record<string, string>;
}

/** An entry as read from either encoding, or why it was refused (the reason names it in that encoding's terms). */
export type LokiEntryRead = { ts: number; line: string; meta: Record<string, string> } | { reason: string };
/** A stream as read from either encoding: its labels and entries, or why it was refused as a whole. */
export type LokiStreamRead = { labels: Record<string, string>; entries: LokiEntryRead[] } | { reason: string };

/** A JSON stream's `values` as entries; every refusal names the entry's place in the JSON. */
function readJsonEntries(values: unknown[], s: number): LokiEntryRead[] {
  return values.map((entry, v) => {
    const at = `streams[${s}].values[${v}]`;
    if (!Array.isArray(entry) || entry.length < 2 || entry.length > 3) return { reason: `${at} must be [timestamp, line] or [timestamp, line, structured metadata]` };
    const [tsValue, line, metaValue] = entry as unknown[];
    if (typeof tsValue !== 'string') return { reason: `${at}[0]: the timestamp must be a string of Unix epoch nanoseconds, got ${typeof tsValue}` };
    const ts = nanosToMs(tsValue);
    if (ts === undefined) return { reason: `${at}[0]: "${tsValue.slice(0, 40)}" is not a Unix epoch in nanoseconds` };
    if (typeof line !== 'string') return { reason: `${at}[1]: the log line must be a string, got ${line === null ? 'null' : typeof line}` };
    if (line.trim() === '') return { reason: `${at}[1]: the log line is empty` };
    const meta = metaValue === undefined ? {} : stringMap(metaValue);
    if (!meta) return { reason: `${at}[2]: structured metadata must be an object of string values` };
    return { ts, line, meta };
  });
}

function readJsonStream(stream: unknown, s: number): LokiStreamRead {
  if (!isObject(stream)) return { reason: `streams[${s}] must be an object with "stream" and "values"` };
  const labels = stringMap(stream.stream);
  if (!labels) return { reason: `streams[${s}].stream must be an object of string label values` };
  if (Object.keys(labels).length === 0) return { reason: `streams[${s}].stream has no labels; at least one label pair is required per stream` };
  if (!Array.isArray(stream.values)) return { reason: `streams[${s}].values must be an array of [timestamp, line] entries` };
  return { labels, entries: readJsonEntries(stream.values, s) };
}

/** A Loki push body in JSON (text, bytes, or already parsed) as records and the entries that were refused. */
export function parseLokiPush(body: unknown, opts: LokiPushOptions = {}): LokiPushResult {
  const maxRecords = opts.maxRecords ?? MAX_RECORDS_PER_REQUEST;
  const parsed = parseJsonBody(body, 'the push body', PUSH_HINT);
  if (!parsed.ok) return { ok: false, status: 400, message: parsed.message };
  const push = parsed.value;
  if (!isObject(push) || !Array.isArray(push.streams)) return { ok: false, status: 400, message: 'the push body must be an object with a "streams" array' };
  const streams: unknown[] = push.streams;
  const total = streams.reduce<number>((n, s) => n + (isObject(s) && Array.isArray(s.values) ? s.values.length : 0), 0);
  if (total > maxRecords) return tooManyEntries(total, maxRecords);
  return { ok: true, ...lokiRecords(streams.map(readJsonStream), opts.receivedAt) };
}

/** The 413 for a push with more entries than a request may hold. */
export function tooManyEntries(total: number, maxRecords: number): LokiPushResult {
  return { ok: false, status: 413, message: `the push holds ${total} entries, more than ${maxRecords}; send smaller batches` };
}

/** Streams read from either encoding as records (the mapping in this file's header), and the refusals in the order met. */
export function lokiRecords(streams: readonly LokiStreamRead[], receivedAt = Date.now()): { records: IngestRecord[]; errors: LokiEntryError[] } {
  const dates = { now: receivedAt };
  const records: IngestRecord[] = [];
  const errors: LokiEntryError[] = [];
  streams.forEach((stream, s) => {
    if ('reason' in stream) return errors.push({ stream: s, reason: stream.reason });
    const { labels, entries } = stream;
    const dataset = datasetName(pickLabel(labels, DATASET_LABELS)?.value) ?? DEFAULT_DATASET;
    const service = pickLabel(labels, SERVICE_LABELS);
    const host = pickLabel(labels, HOST_LABELS);
    const labelLevel = pickLabel(labels, LEVEL_KEYS);
    const serviceName = capName(service?.value);
    const hostName = capName(host?.value);
    const usedLabels = new Set([service?.key, host?.key, labelLevel?.key, labels.dataset !== undefined ? 'dataset' : undefined].filter((k): k is string => k !== undefined));
    // Learned once, when the first entry needs a level from its line.
    let layout: PlainReader | undefined | null = null;
    const lineLevel = (line: string): string | undefined => {
      if (layout === null) layout = learnSourceLayout(entries.slice(0, LAYOUT_SAMPLE_LINES).map((e) => ('line' in e ? e.line : '')), dates);
      return layout ? normalizeLevel(layout.read(line)?.level) : levelFromText(line);
    };

    entries.forEach((entry, v) => {
      if ('reason' in entry) return errors.push({ stream: s, value: v, reason: entry.reason });
      const { ts, line, meta } = entry;
      const metaLevel = labelLevel ? undefined : pickLabel(meta, LEVEL_KEYS);
      const trace = pickLabel(meta, TRACE_KEYS);
      const attrs = new AttrCollector(new Set([metaLevel?.key, trace?.key].filter((k): k is string => k !== undefined)));
      for (const [key, value] of Object.entries(meta)) attrs.add(key, value);
      for (const [key, value] of Object.entries(labels)) if (!usedLabels.has(key)) attrs.add(key, value);
      const draft: DocumentRecord = { dataset, message: line, attrs };
      if (serviceName) draft.service = serviceName;
      const level = normalizeLevel((labelLevel ?? metaLevel)?.value) ?? lineLevel(line);
      if (level) draft.level = level;
      const traceId = capName(trace?.value);
      if (traceId) draft.traceId = traceId;
      if (hostName) draft.host = hostName;
      records.push(finishRecord(draft, ts));
    });
  });
  return { records, errors };
}

/** Loki's answer to a push: 204 when every entry was taken, else 400 with the reasons as text. */
export function lokiPushResponse(result: LokiPushResult): { status: 204 } | { status: 400 | 413; body: string } {
  if (!result.ok) return { status: result.status, body: result.message };
  if (result.errors.length === 0) return { status: 204 };
  const shown = result.errors.slice(0, MAX_REPORTED_ERRORS).map((e) => e.reason);
  const more = result.errors.length - shown.length;
  const kept = `${result.records.length} entries were accepted`;
  return { status: 400, body: [...shown, ...(more > 0 ? [`… and ${more} more`] : []), kept].join('\n') };
}

export type LokiPushEncoding = 'json' | 'protobuf';

/** The encoding a push's Content-Type names, or undefined for one Loki clients never send. */
export function lokiPushEncoding(contentType: string | undefined): LokiPushEncoding | undefined {
  if (contentType === undefined || contentType.trim() === '') return 'json';
  const type = contentType.split(';')[0].trim().toLowerCase();
  if (type === 'application/json' || type.endsWith('+json')) return 'json';
  return type === 'application/x-protobuf' ? 'protobuf' : undefined;
}

/** A 415 answer for a push in neither encoding, or undefined when it is JSON, protobuf, or not given. */
export function lokiContentTypeProblem(contentType: string | undefined): { status: 415; body: string } | undefined {
  if (lokiPushEncoding(contentType)) return undefined;
  const type = contentType!.split(';')[0].trim().toLowerCase();
  return { status: 415, body: `unsupported Content-Type ${type.slice(0, 80)}: ${PUSH_HINT}` };
}
