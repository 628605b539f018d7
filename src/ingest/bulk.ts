/**
 * `POST /_bulk` and `POST /<index>/_bulk`: the subset of Elasticsearch's bulk API that log
 * shippers' Elasticsearch outputs send, parsed into records plus the per-item answer they expect.
 *
 * The body is NDJSON: an action/metadata line (`{"index":{"_index":"logs","_id":"1"}}`, or
 * `create`), then the document on the next line; every line ends with `\n`, optionally preceded by
 * `\r`. The index in the path is the default `_index`. Unknown metadata (`_type` from ES 6-era
 * clients such as Fluent Bit with `Type`, `pipeline`, `routing`, `require_alias`, `if_seq_no`, …)
 * and query parameters (`?pipeline=`, `?refresh=`, `?filter_path=`, …, left to the HTTP layer)
 * are tolerated and ignored. The response is `{took, errors, items}` with one item per action, in
 * order, keyed by the action: `{"create":{"_index","_id","_version":1,"result":"created",
 * "_shards":{…},"status":201}}`, or `{…,"status":400,"error":{"type","reason"}}`.
 *
 * What is refused, per item with status 400 and the rest of the batch accepted (where
 * Elasticsearch would fail a whole request on a malformed line, a shipper would retry or drop the
 * whole batch, so here only that item is lost):
 *  - `update` and `delete` (telemcp's store is append-only), type `illegal_argument_exception`;
 *    `update` consumes its payload line, `delete` has none;
 *  - an action line that is not JSON (`x_content_parse_exception`) or not one action object
 *    (`illegal_argument_exception`); the next line is taken for its source and skipped unless it
 *    is itself an action line;
 *  - a missing `_index` with no index in the path, an invalid index name (Elasticsearch's rules:
 *    lowercase, none of `\ / * ? " < > | , #` or space, not starting with `_ - +`, not `.`/`..`,
 *    at most 255 bytes), `invalid_index_name_exception`;
 *  - a missing source (`action_request_validation_exception`), a source that is not a JSON
 *    object or whose `@timestamp` is not a time (`document_parsing_exception`).
 * Whole-request errors, in Elasticsearch's `{error:{root_cause,type,reason},status}` shape: a body
 * with no action (400) and one with more than 100,000 actions (413, which Filebeat answers by
 * splitting the batch).
 *
 * The record's dataset is `_index`; its fields come from the document (document.ts). A document
 * with no time gets the time it was received, marked `telemcp.time_inferred: ingest_time`. An
 * `_id` given is echoed; otherwise one is generated (20 URL-safe characters, as Elasticsearch's
 * auto ids). The id is not stored: the store is append-only and records have no identity.
 * Items are answered `201 created` by bulkResponse once the store has written them; records the
 * store rejects get the status and error the HTTP layer passes in (429
 * `es_rejected_execution_exception` makes Beats, Fluent Bit, Vector and Logstash retry them).
 *
 * Sources: https://www.elastic.co/guide/en/elasticsearch/reference/current/docs-bulk.html;
 * Filebeat https://www.elastic.co/guide/en/beats/filebeat/current/elasticsearch-output.html;
 * Fluent Bit https://docs.fluentbit.io/manual/pipeline/outputs/elasticsearch (`Logstash_Format`,
 * `Suppress_Type_Name`, `Write_Operation`); Vector https://vector.dev/docs/reference/configuration/sinks/elasticsearch
 * (`bulk.action`, `bulk.index`, `mode: data_stream`); Logstash
 * https://www.elastic.co/guide/en/logstash/current/plugins-outputs-elasticsearch.html (`action`).
 */
import { randomBytes } from 'node:crypto';
import type { StampDefaults } from '../analysis/templates/timestamp.js';
import { MAX_RECORDS_PER_REQUEST, decodeBody } from './bounds.js';
import { finishRecord, readDocument } from './document.js';
import type { IngestRecord } from './record.js';

export type BulkAction = 'index' | 'create' | 'update' | 'delete';

export interface BulkItemError {
  type: string;
  reason: string;
}

export interface BulkItemResult {
  _index: string;
  _id?: string;
  _version?: number;
  result?: 'created';
  _shards?: { total: number; successful: number; failed: number };
  status: number;
  error?: BulkItemError;
}

/** One item of the response: a single key, the action. */
export type BulkItem = Partial<Record<BulkAction, BulkItemResult>>;

export interface BulkResponse {
  took: number;
  errors: boolean;
  items: BulkItem[];
}

/** Elasticsearch's shape for a request that fails as a whole. */
export interface BulkErrorBody {
  error: { root_cause: BulkItemError[]; type: string; reason: string };
  status: number;
}

export interface ParsedBulk {
  ok: true;
  records: IngestRecord[];
  /** One per action, in order; accepted ones read `201 created` until bulkResponse says otherwise. */
  items: BulkItem[];
  /** records[i] answers items[recordItems[i]]. */
  recordItems: number[];
}

export type BulkParseResult = ParsedBulk | { ok: false; status: 400 | 413; body: BulkErrorBody };

export interface BulkOptions {
  /** The `{index}` of `/<index>/_bulk`. */
  defaultIndex?: string;
  /** Epoch ms, the time of documents without one. Default: now. */
  receivedAt?: number;
  maxActions?: number;
  /** Ids for actions without `_id`. Default: random, 20 URL-safe characters. */
  newId?: () => string;
  /** For timestamps without a year. Default: the latest year that does not put them after receivedAt. */
  year?: number;
}

/** Why the store did not take a record, as the HTTP layer tells bulkResponse. */
export interface BulkFailure {
  status: number;
  type: string;
  reason: string;
}

const ACTIONS: readonly BulkAction[] = ['index', 'create', 'update', 'delete'];
const INVALID_INDEX_CHARS = ['\\', '/', '*', '?', '"', '<', '>', '|', ' ', ',', '#'];
const SHARDS = { total: 1, successful: 1, failed: 0 };

/**
 * Auto ids for one request: a random 12-character prefix drawn once, then a counter, 20 URL-safe
 * characters in all like Elasticsearch's; one random draw per document was the parse's largest cost.
 */
function idGenerator(): () => string {
  const prefix = randomBytes(9).toString('base64url');
  let n = 0;
  return () => prefix + (n++).toString(36).padStart(8, '0');
}

function requestError(status: 400 | 413, type: string, reason: string): { ok: false; status: 400 | 413; body: BulkErrorBody } {
  return { ok: false, status, body: { error: { root_cause: [{ type, reason }], type, reason }, status } };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Why Elasticsearch would refuse an index name, or undefined when it is valid. */
export function invalidIndexName(name: string): string | undefined {
  if (name === '') return 'Invalid index name [], must not be empty';
  if (name !== name.toLowerCase()) return `Invalid index name [${name}], must be lowercase`;
  if (INVALID_INDEX_CHARS.some((c) => name.includes(c)) || name.includes(':')) {
    return `Invalid index name [${name}], must not contain the following characters [${[...INVALID_INDEX_CHARS, ':'].join(', ')}]`;
  }
  if (/^[_\-+]/.test(name)) return `Invalid index name [${name}], must not start with '_', '-', or '+'`;
  if (name === '.' || name === '..') return `Invalid index name [${name}], must not be '.' or '..'`;
  const bytes = name.length * 3 <= 255 ? name.length : Buffer.byteLength(name, 'utf8');
  if (bytes > 255) return `Invalid index name [${name.slice(0, 64)}…], index name is too long, (${bytes} > 255)`;
  return undefined;
}

type Action = { ok: true; action: BulkAction; meta: Record<string, unknown> } | { ok: false; type: string; reason: string };

function parseAction(line: string, lineNumber: number): Action {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    return { ok: false, type: 'x_content_parse_exception', reason: `[${lineNumber}:1] Malformed action/metadata line [${lineNumber}]: ${err instanceof Error ? err.message.slice(0, 160) : 'not JSON'}` };
  }
  if (!isObject(value)) return { ok: false, type: 'illegal_argument_exception', reason: `Malformed action/metadata line [${lineNumber}], expected START_OBJECT but found [${Array.isArray(value) ? 'START_ARRAY' : 'VALUE'}]` };
  const keys = Object.keys(value);
  if (keys.length !== 1 || !ACTIONS.includes(keys[0] as BulkAction)) {
    return { ok: false, type: 'illegal_argument_exception', reason: `Malformed action/metadata line [${lineNumber}], expected one of [create, delete, index, update] but found [${keys.join(', ').slice(0, 100)}]` };
  }
  const meta = value[keys[0]];
  if (!isObject(meta)) return { ok: false, type: 'illegal_argument_exception', reason: `Malformed action/metadata line [${lineNumber}], expected START_OBJECT after [${keys[0]}]` };
  return { ok: true, action: keys[0] as BulkAction, meta };
}

function isActionLine(line: string | undefined): boolean {
  return line !== undefined && parseAction(line, 0).ok;
}

/** The body's lines without their `\r\n`/`\n`; a last line without its newline is read too. */
function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

function stringMeta(meta: Record<string, unknown>, key: string): string | undefined {
  const value = meta[key];
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
}

/** A bulk request body as records and the per-item answers. */
export function parseBulk(body: string | Uint8Array, opts: BulkOptions = {}): BulkParseResult {
  const lines = splitLines(decodeBody(body));
  const maxActions = opts.maxActions ?? MAX_RECORDS_PER_REQUEST;
  const receivedAt = opts.receivedAt ?? Date.now();
  const newId = opts.newId ?? idGenerator();
  const dates: StampDefaults = opts.year === undefined ? { now: receivedAt } : { now: receivedAt, year: opts.year };
  const records: IngestRecord[] = [];
  const items: BulkItem[] = [];
  const recordItems: number[] = [];
  // A request names a few indices over and over: each name is checked once.
  const indexProblems = new Map<string, string | undefined>();
  const indexProblem = (name: string): string | undefined => {
    if (indexProblems.has(name)) return indexProblems.get(name);
    const problem = invalidIndexName(name);
    indexProblems.set(name, problem);
    return problem;
  };
  const fail = (action: BulkAction, index: string, id: string | undefined, type: string, reason: string): void => {
    items.push({ [action]: { _index: index, ...(id !== undefined ? { _id: id } : {}), status: 400, error: { type, reason } } });
  };

  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    const lineNumber = i + 1;
    if (line.trim() === '') {
      i++;
      continue;
    }
    if (items.length >= maxActions) {
      return requestError(413, 'illegal_argument_exception', `bulk request holds more than ${maxActions} actions; send smaller batches`);
    }
    const parsed = parseAction(line, lineNumber);
    if (!parsed.ok) {
      fail('index', opts.defaultIndex ?? '', undefined, parsed.type, parsed.reason);
      i += isActionLine(lines[i + 1]) ? 1 : 2;
      continue;
    }
    const { action, meta } = parsed;
    const index = stringMeta(meta, '_index') ?? opts.defaultIndex;
    const givenId = stringMeta(meta, '_id');
    if (action === 'update' || action === 'delete') {
      fail(action, index ?? '', givenId, 'illegal_argument_exception', `telemcp's store is append-only: [${action}] actions are not supported; send [index] or [create]`);
      i += action === 'update' ? 2 : 1;
      continue;
    }
    const source = lines[i + 1];
    i += 2;
    const id = givenId ?? newId();
    if (index === undefined) {
      fail(action, '', id, 'action_request_validation_exception', 'Validation Failed: 1: index is missing;');
      continue;
    }
    const badName = indexProblem(index);
    if (badName) {
      fail(action, index, id, 'invalid_index_name_exception', badName);
      continue;
    }
    if (source === undefined || source.trim() === '') {
      fail(action, index, id, 'action_request_validation_exception', 'Validation Failed: 1: source is missing;');
      continue;
    }
    let doc: unknown;
    try {
      doc = JSON.parse(source);
    } catch (err) {
      fail(action, index, id, 'document_parsing_exception', `[${lineNumber + 1}:1] failed to parse: ${err instanceof Error ? err.message.slice(0, 160) : 'not JSON'}`);
      continue;
    }
    if (!isObject(doc)) {
      fail(action, index, id, 'document_parsing_exception', `[${lineNumber + 1}:1] failed to parse: the source must be a JSON object`);
      continue;
    }
    const read = readDocument(doc, { dataset: index, dates });
    if (!read.ok) {
      fail(action, index, id, 'document_parsing_exception', `[${lineNumber + 1}:1] failed to parse field [@timestamp] of type [date] in document with id '${id}': ${read.reason}`);
      continue;
    }
    const { ts } = read.record;
    recordItems.push(items.length);
    records.push(ts === undefined ? finishRecord(read.record, receivedAt, undefined, 'ingest_time') : finishRecord(read.record, ts));
    items.push({ [action]: { _index: index, _id: id, _version: 1, result: 'created', _shards: SHARDS, status: 201 } });
  }
  if (items.length === 0) return requestError(400, 'action_request_validation_exception', 'Validation Failed: 1: no requests added;');
  return { ok: true, records, items, recordItems };
}

/**
 * The bulk response once the store has answered: every accepted item `201 created` except the
 * records in `failures` (keyed by record index), which get that status and error.
 */
export function bulkResponse(parsed: ParsedBulk, took: number, failures: ReadonlyMap<number, BulkFailure> = new Map()): BulkResponse {
  const items = parsed.items.slice();
  // Items without a record failed in the parse; the others fail only when the store refused their record.
  let errors = items.length > parsed.records.length;
  for (const [recordIndex, failure] of failures) {
    const at = parsed.recordItems[recordIndex];
    if (at === undefined) continue;
    errors = true;
    const [action, result] = Object.entries(items[at])[0] as [BulkAction, BulkItemResult];
    items[at] = { [action]: { _index: result._index, ...(result._id !== undefined ? { _id: result._id } : {}), status: failure.status, error: { type: failure.type, reason: failure.reason } } };
  }
  return { took, errors, items };
}
