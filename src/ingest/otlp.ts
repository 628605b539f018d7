/**
 * `POST /v1/logs`, OTLP/HTTP with the JSON encoding: an `ExportLogsServiceRequest`,
 * `{"resourceLogs":[{"resource":{"attributes":[KeyValue]},"scopeLogs":[{"scope":{"name","version"},
 * "logRecords":[LogRecord]}]}]}`. As the OTLP specification's JSON mapping says: keys are
 * lowerCamelCase, unknown fields are ignored, 64-bit integers (`timeUnixNano`,
 * `observedTimeUnixNano`, `intValue`) come as decimal strings or numbers, enums
 * (`severityNumber`) as integers, `traceId`/`spanId` as hex (base64, which some protobuf-JSON
 * encoders send instead, is read too). AnyValue is one of `stringValue`, `boolValue`, `intValue`,
 * `doubleValue`, `bytesValue`, `arrayValue.values`, `kvlistValue.values`.
 * The answer is an `ExportLogsServiceResponse`: `{}` when all was taken, else
 * `{"partialSuccess":{"rejectedLogRecords":"<n>","errorMessage":"…"}}` (HTTP 200 either way; the
 * count is an int64, so a decimal string); a body that cannot be read is a 400 with a
 * `google.rpc.Status` (`{"code":3,"message":…}`). Protobuf bodies (`application/x-protobuf`, the
 * Collector's `otlphttp` default; JSON needs `encoding: json`) get 415 from
 * otlpContentTypeProblem. Sources: https://opentelemetry.io/docs/specs/otlp/ (OTLP/HTTP, JSON
 * Protobuf Encoding, Full/Partial Success, Failures), the log data model
 * https://opentelemetry.io/docs/specs/otel/logs/data-model/ (severity number ranges), and
 * https://github.com/open-telemetry/opentelemetry-proto/blob/main/opentelemetry/proto/logs/v1/logs.proto.
 *
 * A record per LogRecord:
 *  - time: `timeUnixNano`, else `observedTimeUnixNano` (the data model's advice when the event
 *    time is unknown), else the time a plain-text body states where the layout learned from the
 *    resource's string bodies puts it (plain-text.ts), else the time of receipt (marked
 *    `telemcp.time_inferred: ingest_time`);
 *  - dataset: the resource attribute `telemcp.dataset` when the sender sets one, else
 *    `otel-<service.name>` (lowercased, characters outside `[a-z0-9._-]` as `-`), else `otel`
 *    (a given name made scope-safe: `,` `*` and control characters as `-`);
 *    so one index pattern (`otel-*`) covers all OTLP data and each service is its own scope;
 *  - service: resource `service.name`; host: resource (else record) `host.name`;
 *  - level: `severityText` in its canonical spelling, else the range of `severityNumber` (1–4
 *    trace, 5–8 debug, 9–12 info, 13–16 warn, 17–20 error, 21–24 fatal), else read from the body
 *    (where that layout puts it, or as level.ts reads it);
 *  - message: the body: a string as is, a map or array as bounded JSON text; with no body (an
 *    event), the `eventName`, else the attributes as JSON: a record's message is never empty;
 *  - trace id: lowercase hex, an all-zero id is none; the span id, `eventName`, the record's
 *    attributes, then the resource's, then the scope's name and version become attributes.
 * A LogRecord that is not an object or whose time fields are not integers is rejected and
 * counted; the others in the request are kept.
 */
import { LAYOUT_SAMPLE_LINES } from '../analysis/templates/line-layout.js';
import { AttrCollector, MAX_DEPTH, MAX_RECORDS_PER_REQUEST, capName, datasetName, parseJsonBody } from './bounds.js';
import { finishRecord, type DocumentRecord } from './document.js';
import { nanosToMs } from './epoch-nanos.js';
import { levelFromText, normalizeLevel } from './level.js';
import { learnSourceLayout, type PlainReader } from './plain-text.js';
import type { IngestRecord } from './record.js';

export interface OtlpLogsOptions {
  /** Epoch ms, the time of records without one. Default: now. */
  receivedAt?: number;
  maxRecords?: number;
}

export type OtlpLogsResult =
  | { ok: true; records: IngestRecord[]; rejected: number; errors: string[] }
  | { ok: false; status: 400 | 413; message: string };

export interface ExportLogsServiceResponse {
  partialSuccess?: { rejectedLogRecords: string; errorMessage: string };
}

/** google.rpc.Status, the body of every OTLP/HTTP 4xx/5xx. */
export interface RpcStatus {
  code: number;
  message: string;
}

/** google.rpc.Code INVALID_ARGUMENT. */
const INVALID_ARGUMENT = 3;
const DATASET_ATTR = 'telemcp.dataset';
const DEFAULT_DATASET = 'otel';
/** Attributes that become record fields (or the dataset), not repeated as attributes. */
const MAPPED_ATTRS: ReadonlySet<string> = new Set(['service.name', 'host.name', DATASET_ATTR]);
const MAX_REPORTED_ERRORS = 10;
const SEVERITY_RANGES: [number, string][] = [
  [4, 'trace'],
  [8, 'debug'],
  [12, 'info'],
  [16, 'warn'],
  [20, 'error'],
  [24, 'fatal'],
];
const JSON_HINT = 'send OTLP/HTTP with the JSON encoding (Content-Type: application/json; the Collector\'s otlphttp exporter: encoding: json); protobuf is not supported';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function array(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** An AnyValue as a plain JSON value (maps as objects, arrays as arrays), depth-bounded. */
export function anyValue(value: unknown, depth = 0): unknown {
  if (!isObject(value)) return undefined;
  if (typeof value.stringValue === 'string') return value.stringValue;
  if (typeof value.boolValue === 'boolean') return value.boolValue;
  if (value.intValue !== undefined) {
    const n = Number(value.intValue);
    return Number.isSafeInteger(n) ? n : String(value.intValue);
  }
  if (value.doubleValue !== undefined) return Number(value.doubleValue);
  if (typeof value.bytesValue === 'string') return value.bytesValue;
  if (depth >= MAX_DEPTH) return '[nested too deep]';
  if (isObject(value.arrayValue)) return array(value.arrayValue.values).map((v) => anyValue(v, depth + 1) ?? null);
  if (isObject(value.kvlistValue)) return keyValues(value.kvlistValue.values, depth + 1);
  return undefined;
}

/** KeyValue[] as an object (the first of a repeated key wins). */
function keyValues(list: unknown, depth = 0): Json {
  const out: Json = {};
  for (const kv of array(list)) {
    if (!isObject(kv) || typeof kv.key !== 'string' || Object.hasOwn(out, kv.key)) continue;
    const v = anyValue(kv.value, depth);
    if (v !== undefined) Object.defineProperty(out, kv.key, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** A 64-bit nanosecond time (string or number) as epoch ms; 0 or absent is "unknown"; invalid is an error. */
function nanosField(value: unknown): { ms?: number; invalid?: boolean } {
  if (value === undefined || value === null || value === 0 || value === '0') return {};
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? { ms: Math.floor(value / 1e6) } : { invalid: true };
  if (typeof value === 'string') {
    const ms = nanosToMs(value);
    return ms === undefined ? { invalid: true } : { ms };
  }
  return { invalid: true };
}

/** A trace or span id as lowercase hex: hex as OTLP/JSON writes it, or base64 as protobuf-JSON does. */
export function otlpId(value: unknown, bytes: number): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  let hex: string | undefined;
  if (value.length === bytes * 2 && /^[0-9a-fA-F]+$/.test(value)) hex = value.toLowerCase();
  else {
    const decoded = Buffer.from(value, 'base64');
    if (decoded.length === bytes && /^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) hex = decoded.toString('hex');
  }
  return hex && !/^0+$/.test(hex) ? hex : undefined;
}

function severityLevel(text: unknown, number: unknown): string | undefined {
  const fromText = typeof text === 'string' ? normalizeLevel(text) : undefined;
  if (fromText) return fromText;
  const n = Number(number);
  if (!Number.isInteger(n) || n < 1) return undefined;
  return SEVERITY_RANGES.find(([max]) => n <= max)?.[1];
}

function datasetFor(resource: Json): string {
  const explicit = resource[DATASET_ATTR];
  const named = typeof explicit === 'string' ? datasetName(explicit) : undefined;
  if (named) return named;
  const service = resource['service.name'];
  if (typeof service !== 'string' || service.trim() === '') return DEFAULT_DATASET;
  return datasetName(`otel-${service.trim().toLowerCase().replace(/[^a-z0-9._-]/g, '-')}`)!;
}

/** The text of a record: its body, else (an event) its name, else its attributes; never empty. */
function messageOf(body: unknown, eventName: unknown, attributes: Json): string {
  const text = body === undefined ? '' : typeof body === 'string' ? body : typeof body === 'object' ? JSON.stringify(body) : String(body);
  if (text.trim() !== '') return text;
  if (typeof eventName === 'string' && eventName.trim() !== '') return eventName;
  return Object.keys(attributes).length ? JSON.stringify(attributes) : '(empty log record)';
}

/** An OTLP/HTTP JSON logs export (text, bytes, or already parsed) as records and the rejected count. */
export function parseOtlpLogs(body: unknown, opts: OtlpLogsOptions = {}): OtlpLogsResult {
  const receivedAt = opts.receivedAt ?? Date.now();
  const maxRecords = opts.maxRecords ?? MAX_RECORDS_PER_REQUEST;
  const parsed = parseJsonBody(body, 'the request body', JSON_HINT);
  if (!parsed.ok) return { ok: false, status: 400, message: parsed.message };
  const request = parsed.value;
  if (!isObject(request)) return { ok: false, status: 400, message: 'the request body must be an ExportLogsServiceRequest object' };
  if (request.resourceLogs !== undefined && !Array.isArray(request.resourceLogs)) return { ok: false, status: 400, message: '"resourceLogs" must be an array' };
  const resourceLogs = array(request.resourceLogs);
  let total = 0;
  for (const rl of resourceLogs) for (const sl of array(isObject(rl) ? rl.scopeLogs : undefined)) total += array(isObject(sl) ? sl.logRecords : undefined).length;
  if (total > maxRecords) return { ok: false, status: 413, message: `the request holds ${total} log records, more than ${maxRecords}; send smaller batches` };

  const records: IngestRecord[] = [];
  const errors: string[] = [];
  let rejected = 0;
  resourceLogs.forEach((rl, r) => {
    if (!isObject(rl)) return;
    const resource = keyValues(isObject(rl.resource) ? rl.resource.attributes : undefined);
    const dataset = datasetFor(resource);
    const service = typeof resource['service.name'] === 'string' ? capName(resource['service.name']) : undefined;
    // Learned once, when the first record needs a time or level from its body.
    let layout: PlainReader | undefined | null = null;
    const bodyLayout = (): PlainReader | undefined => {
      if (layout === null) {
        const bodies: string[] = [];
        for (const each of array(rl.scopeLogs)) {
          for (const lr of array(isObject(each) ? each.logRecords : undefined)) {
            if (bodies.length < LAYOUT_SAMPLE_LINES && isObject(lr) && isObject(lr.body) && typeof lr.body.stringValue === 'string') bodies.push(lr.body.stringValue);
          }
        }
        layout = learnSourceLayout(bodies, { now: receivedAt });
      }
      return layout;
    };
    array(rl.scopeLogs).forEach((sl, s) => {
      if (!isObject(sl)) return;
      const scope = isObject(sl.scope) ? sl.scope : {};
      array(sl.logRecords).forEach((lr, l) => {
        const at = `resourceLogs[${r}].scopeLogs[${s}].logRecords[${l}]`;
        if (!isObject(lr)) {
          rejected++;
          errors.push(`${at}: not a LogRecord object`);
          return;
        }
        const time = nanosField(lr.timeUnixNano);
        const observed = nanosField(lr.observedTimeUnixNano);
        if (time.invalid || observed.invalid) {
          rejected++;
          errors.push(`${at}: ${time.invalid ? 'timeUnixNano' : 'observedTimeUnixNano'} must be a decimal count of nanoseconds since the epoch`);
          return;
        }
        const attributes = keyValues(lr.attributes);
        const body = anyValue(lr.body);
        const message = messageOf(body, lr.eventName, attributes);
        const severity = severityLevel(lr.severityText, lr.severityNumber);
        const ts = time.ms ?? observed.ms;
        const fromBody = typeof body === 'string' && (ts === undefined || !severity) ? bodyLayout()?.read(body) : undefined;
        const level = severity ?? (fromBody ? normalizeLevel(fromBody.level) : body !== undefined ? levelFromText(message) : undefined);
        const traceId = otlpId(lr.traceId, 16);
        const spanId = otlpId(lr.spanId, 8);
        const hostValue = resource['host.name'] ?? attributes['host.name'];
        const host = typeof hostValue === 'string' ? capName(hostValue) : undefined;
        const attrs = new AttrCollector(MAPPED_ATTRS);
        for (const [key, value] of Object.entries(attributes)) attrs.add(key, value);
        if (spanId) attrs.add('span.id', spanId);
        if (typeof lr.eventName === 'string' && lr.eventName) attrs.add('event.name', lr.eventName);
        for (const [key, value] of Object.entries(resource)) attrs.add(key, value);
        if (typeof scope.name === 'string' && scope.name) attrs.add('otel.scope.name', scope.name);
        if (typeof scope.version === 'string' && scope.version) attrs.add('otel.scope.version', scope.version);
        const draft: DocumentRecord = { dataset, message, attrs };
        if (service) draft.service = service;
        if (level) draft.level = level;
        if (traceId) draft.traceId = traceId;
        if (host) draft.host = host;
        const own = ts ?? fromBody?.time;
        records.push(own === undefined ? finishRecord(draft, receivedAt, undefined, 'ingest_time') : finishRecord(draft, own));
      });
    });
  });
  return { ok: true, records, rejected, errors };
}

/**
 * The ExportLogsServiceResponse: `{}` when nothing was rejected, else the partial success with
 * the count and the first reasons (parse rejections plus whatever the store refused).
 */
export function otlpLogsResponse(rejected: number, reasons: readonly string[] = []): ExportLogsServiceResponse {
  if (rejected === 0) return {};
  const shown = reasons.slice(0, MAX_REPORTED_ERRORS);
  const more = reasons.length - shown.length;
  const errorMessage = shown.length ? [...shown, ...(more > 0 ? [`… and ${more} more`] : [])].join('; ') : `${rejected} log records were rejected`;
  return { partialSuccess: { rejectedLogRecords: String(rejected), errorMessage } };
}

/** The google.rpc.Status body of a 4xx answer. */
export function otlpErrorStatus(message: string): RpcStatus {
  return { code: INVALID_ARGUMENT, message };
}

/** A 415 answer for a body the JSON reader cannot take (protobuf), or undefined when the content type is JSON or not given. */
export function otlpContentTypeProblem(contentType: string | undefined): { status: 415; body: RpcStatus } | undefined {
  if (contentType === undefined || contentType.trim() === '') return undefined;
  const type = contentType.split(';')[0].trim().toLowerCase();
  if (type === 'application/json') return undefined;
  return { status: 415, body: otlpErrorStatus(`unsupported Content-Type ${type}: ${JSON_HINT}`) };
}
