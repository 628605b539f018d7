/**
 * One JSON log document (a line of an NDJSON/ECS file, the source of a `_bulk` action) mapped to a
 * record. Message, time, level and service are picked as `telemcp patterns` picks them
 * (analysis/templates/line-reader.ts: ECS `message`/`@timestamp`/`log.level`/`service.name` and the
 * flat `msg`/`timestamp`/`level`/`service`…, dotted names flat or nested, a JSON document wrapped
 * in Docker's `log` read as the line). On top of that:
 *  - host from `host.name` (ECS, Filebeat), `host.hostname`, `hostname`, `host` (a string: Vector,
 *    Logstash before ECS), `agent.hostname`;
 *  - trace id from `trace.id` (ECS), `trace_id` (OpenTelemetry's advice for JSON logs), `traceId`,
 *    `traceID`, `otelTraceID` (OpenTelemetry's logback/log4j MDC), `dd.trace_id`;
 *  - service, when no service field is set, from Kubernetes metadata as Filebeat and Fluent Bit
 *    add it (`kubernetes.labels.app`, `…app_kubernetes_io/name`, the container name), then the
 *    caller's default;
 *  - a stack trace kept beside the message (ECS `error.stack_trace`, logstash-logback-encoder's
 *    `stack_trace`, python-json-logger's `exc_info`, pino's `err.stack`) is appended to it, so a
 *    Java error reads the same whether it came as text lines or as an ECS document;
 *  - level, when no level field is set, from the message text (level.ts);
 *  - every other field becomes an attribute (bounds.ts); the keys mapped above are not repeated.
 * A document without a message field (or with an empty one) keeps its JSON text as the message,
 * as `telemcp patterns` mines such a line whole: a record's message is never empty.
 * `event.dataset` stays an attribute: the record's dataset is the caller's (the `_bulk` index,
 * the file's `--dataset`).
 * ECS field reference: https://www.elastic.co/guide/en/ecs/current/ecs-field-reference.html;
 * trace fields in JSON logs: https://opentelemetry.io/docs/specs/otel/compatibility/logging_trace_context
 */
import { documentField, readJsonDocument, type Doc } from '../analysis/templates/line-reader.js';
import type { StampDefaults } from '../analysis/templates/timestamp.js';
import { AttrCollector, TIME_INFERRED_ATTR, capName, capText } from './bounds.js';
import { levelFromText, normalizeLevel } from './level.js';
import type { IngestRecord } from './record.js';

const HOST_KEYS = ['host.name', 'host.hostname', 'hostname', 'host', 'agent.hostname'];
const TRACE_KEYS = ['trace.id', 'trace_id', 'traceId', 'traceID', 'otelTraceID', 'dd.trace_id'];
const FALLBACK_SERVICE_KEYS = [
  'service_name',
  'kubernetes.labels.app',
  'kubernetes.labels.app_kubernetes_io/name',
  'kubernetes.container.name',
  'kubernetes.container_name',
];
const STACK_KEYS = ['error.stack_trace', 'stack_trace', 'exc_info', 'err.stack', 'error.stack'];

/**
 * A record on its way: `ts` is absent while no readable time is known, attributes are still being
 * collected. Every parser builds one and finishRecord turns it into the IngestRecord.
 */
export type DocumentRecord = Omit<IngestRecord, 'ts' | 'attrs'> & { ts?: number; attrs: AttrCollector };

/** How a record's time was chosen when it carried none (the `telemcp.time_inferred` attribute). */
export type TimeInferred = 'previous_record' | 'ingest_time';

/**
 * The IngestRecord a draft becomes once its time is settled (and, for joined lines, its message
 * complete): fields set one by one, not spread, since this runs for every record of every request.
 */
export function finishRecord(draft: DocumentRecord, ts: number, message: string = draft.message, inferred?: TimeInferred): IngestRecord {
  const record: IngestRecord = { ts, dataset: draft.dataset, message: capText(message) };
  if (draft.service) record.service = draft.service;
  if (draft.level) record.level = draft.level;
  if (draft.traceId) record.traceId = draft.traceId;
  if (draft.host) record.host = draft.host;
  const attrs = draft.attrs.result(inferred ? { [TIME_INFERRED_ATTR]: inferred } : undefined);
  if (attrs) record.attrs = attrs;
  return record;
}

export type DocumentResult = { ok: true; record: DocumentRecord } | { ok: false; reason: string };

export interface DocumentOptions {
  dataset: string;
  /** For timestamps without a year. */
  dates: StampDefaults;
  /** The service of documents that name none. */
  service?: string;
}

function pickString(get: (key: string) => unknown, keys: readonly string[]): { key: string; value: string } | undefined {
  for (const key of keys) {
    const value = get(key);
    if (typeof value === 'string' && value.trim() !== '') return { key, value };
    if (typeof value === 'number' && Number.isFinite(value)) return { key, value: String(value) };
  }
  return undefined;
}

function describe(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(JSON.stringify(value));
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

/** A JSON log document as a record, or why it cannot be one (an `@timestamp` that is not a time). */
export function readDocument(outer: Doc, opts: DocumentOptions): DocumentResult {
  const fields = readJsonDocument(outer, opts.dates);
  const { doc, header } = fields;
  const get = doc === outer ? (key: string): unknown => documentField(doc, key) : (key: string): unknown => documentField(doc, key) ?? documentField(outer, key);
  if (!header.time) {
    // `@timestamp` is a date wherever it appears (ECS, Elasticsearch's data streams): one that
    // cannot be read is a broken document, not a missing time.
    const stamp = get('@timestamp');
    if (stamp !== undefined && stamp !== null) return { ok: false, reason: `unreadable @timestamp ${describe(stamp)}` };
  }
  const host = pickString(get, HOST_KEYS);
  const trace = pickString(get, TRACE_KEYS);
  const fallbackService = header.service ? undefined : pickString(get, FALLBACK_SERVICE_KEYS);
  const stack = pickString(get, STACK_KEYS);

  const used = new Set<string>();
  const use = (key: string | undefined): void => {
    if (key !== undefined) used.add(key);
  };
  use(fields.carrier);
  use(fields.message?.key);
  use(header.time?.key);
  use(header.level?.key);
  use(header.service?.key);
  use(host?.key);
  use(trace?.key);
  use(fallbackService?.key);
  use(stack?.key);
  const attrs = new AttrCollector(used);
  attrs.addAll(doc);
  if (doc !== outer) attrs.addAll(outer);

  // An empty message field is no message: the store keeps no empty messages, and the document says more.
  const text = fields.message?.value.trimEnd();
  const stackText = stack?.value.trimEnd();
  const message = text && stackText ? `${text}\n${stackText}` : text || stackText || JSON.stringify(outer);
  const record: DocumentRecord = { dataset: opts.dataset, message, attrs };
  // Assigned one by one rather than spread: this runs once per document of every bulk request.
  if (header.time) record.ts = header.time.value;
  const service = capName(header.service?.value ?? fallbackService?.value ?? opts.service);
  if (service) record.service = service;
  const level = normalizeLevel(header.level?.value) ?? levelFromText(message);
  if (level) record.level = level;
  const traceId = capName(trace?.value);
  if (traceId) record.traceId = traceId;
  const hostName = capName(host?.value);
  if (hostName) record.host = hostName;
  return { ok: true, record };
}
