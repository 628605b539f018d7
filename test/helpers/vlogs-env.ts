/**
 * Shared set-up for the integration suites that run against the real VictoriaLogs started by
 * `scripts/test-env.sh up vlogs` (scripts/test-env.d/50-vlogs.sh, 127.0.0.1:19428):
 *
 * - where it is (`requireVlogsUrl`),
 * - records written by the test through its ingestion APIs (`ingestJsonLines`, `pushLoki`),
 *   made visible to queries at once (`forceFlush`),
 * - reading them back (`logsql`, `selectJson`).
 *
 * The writes are the test's own set-up, never telemcp's traffic: telemcp only reads VictoriaLogs.
 * The server keeps its data while it stays up (a reused server has earlier runs' records), so a
 * test tags its records with a run id of its own and filters on it (`run:=<id>`, an exact match).
 */

/** The variable scripts/test.sh exports from `scripts/test-env.sh up`. */
export const VLOGS_URL_VAR = 'TEST_VICTORIALOGS_URL';

/**
 * The server's URL from the environment, without a trailing slash. A missing variable fails the
 * suite (in CI and locally alike, as `requireMetricsUrl` does): it never skips it.
 */
export function requireVlogsUrl(): string {
  const value = process.env[VLOGS_URL_VAR];
  if (!value) {
    throw new Error(
      `${VLOGS_URL_VAR} is not set: this integration suite needs the real VictoriaLogs. Start it with ` +
        '`scripts/test-env.sh up vlogs` and export the TEST_* variables (`npm test` / scripts/test.sh does both).',
    );
  }
  return value.replace(/\/+$/, '');
}

/** A time for the select APIs: unix milliseconds, a Date, or a string VictoriaLogs parses (RFC3339). */
export type VlTime = number | Date | string;

function vlTime(t: VlTime): string {
  // As RFC3339 with milliseconds: a bare number would be read as seconds or milliseconds
  // depending on its size.
  if (typeof t === 'string') return t;
  return (typeof t === 'number' ? new Date(t) : t).toISOString();
}

async function ok(res: Response, what: string): Promise<string> {
  const text = await res.text();
  if (!res.ok) throw new Error(`${what} → ${res.status}: ${text.slice(0, 500)}`);
  return text;
}

// ---------------------------------------------------------------------------
// Ingestion
// ---------------------------------------------------------------------------

/** One log record as a JSON object; nested objects are flattened by VictoriaLogs into `a.b` fields. */
export type JsonRecord = Record<string, unknown>;

export interface JsonLinesOptions {
  /** The field holding the timestamp (RFC3339 or unix seconds/ms/µs/ns); default `_time`. */
  timeField?: string;
  /** The field (or the first present of several) that becomes `_msg`; default `_msg`. */
  msgField?: string | string[];
  /** The fields that make the log stream (`_stream`); none by default (one stream `{}`). */
  streamFields?: string[];
}

/**
 * POSTs the records to /insert/jsonline, one JSON object a line.
 *
 * The Content-Type matters: with application/x-www-form-urlencoded (curl's default for -d) the
 * server parses the body as a form and ingests nothing, answering 200 all the same. A line that
 * does not parse is skipped with a warning in the server's log (the request fails only when no
 * line parses), so a test should count what it reads back.
 */
export async function ingestJsonLines(url: string, records: JsonRecord[], opts: JsonLinesOptions = {}): Promise<void> {
  const params = new URLSearchParams();
  if (opts.timeField) params.set('_time_field', opts.timeField);
  if (opts.msgField) params.set('_msg_field', [opts.msgField].flat().join(','));
  if (opts.streamFields?.length) params.set('_stream_fields', opts.streamFields.join(','));
  const body = records.map((r) => `${JSON.stringify(r)}\n`).join('');
  const res = await fetch(`${url}/insert/jsonline?${params}`, { method: 'POST', headers: { 'content-type': 'application/stream+json' }, body });
  await ok(res, `POST ${url}/insert/jsonline`);
}

/** A Loki push entry: [unix nanoseconds as a string, line] or with structured metadata (become plain fields). */
export type LokiEntry = [string, string] | [string, string, Record<string, string>];
/** A Loki push stream: its labels become VictoriaLogs stream fields (and plain fields). */
export interface LokiStream {
  stream: Record<string, string>;
  values: LokiEntry[];
}

/** A Loki timestamp (unix nanoseconds, as a decimal string) from unix milliseconds. */
export function lokiTimestamp(ms: number): string {
  if (!Number.isInteger(ms)) throw new Error(`lokiTimestamp: ${ms} is not a whole number of milliseconds`);
  return `${BigInt(ms) * 1_000_000n}`;
}

/**
 * POSTs Loki push JSON to /insert/loki/api/v1/push (answers 204). The Content-Type must be
 * application/json: anything else is read as Loki's snappy-compressed protobuf.
 */
export async function pushLoki(url: string, streams: LokiStream[]): Promise<void> {
  const res = await fetch(`${url}/insert/loki/api/v1/push`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ streams }),
  });
  await ok(res, `POST ${url}/insert/loki/api/v1/push`);
}

/** Makes everything ingested so far visible to queries (otherwise up to a few seconds later). */
export async function forceFlush(url: string): Promise<void> {
  await ok(await fetch(`${url}/internal/force_flush`), `GET ${url}/internal/force_flush`);
}

// ---------------------------------------------------------------------------
// Querying
// ---------------------------------------------------------------------------

/**
 * A time as VictoriaLogs prints it in `_time` and in hits' timestamps: RFC3339 in UTC with the
 * fraction's trailing zeros dropped (2025-03-14T09:04:01.25Z, 2025-03-14T09:04:00Z).
 */
export function vlTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.?0+Z$/, 'Z');
}

/** A record as /select/logsql/query returns it: every value is a string (`_time` RFC3339, trimmed fraction). */
export type VlRecord = Record<string, string>;

// A type, not an interface: only type literals are assignable to Record<string, unknown>.
export type SelectOptions = {
  /** Inclusive. */
  start?: VlTime;
  /** Exclusive: a record stamped exactly `end` is not returned. */
  end?: VlTime;
};

/** Form fields for a select endpoint: `query`, `start`/`end` (converted), and any others as given. */
function selectForm(query: string, opts: SelectOptions & Record<string, unknown>): URLSearchParams {
  const form = new URLSearchParams({ query });
  for (const [key, value] of Object.entries(opts)) {
    if (value === undefined) continue;
    form.set(key, key === 'start' || key === 'end' ? vlTime(value as VlTime) : String(value));
  }
  return form;
}

/**
 * Runs a LogsQL query on /select/logsql/query and returns its records. The endpoint answers
 * newline-delimited JSON, one record a line, in no particular order unless the query sorts
 * (`| sort by (_time)`); with `limit` it keeps the newest `limit` records.
 */
export async function logsql(url: string, query: string, opts: SelectOptions & { limit?: number } = {}): Promise<VlRecord[]> {
  const res = await fetch(`${url}/select/logsql/query`, { method: 'POST', body: selectForm(query, opts) });
  const text = await ok(res, `LogsQL ${JSON.stringify(query)} on ${url}`);
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as VlRecord);
}

/**
 * POSTs to another select endpoint answering one JSON document (`hits`, `field_names`,
 * `field_values`, `streams`, `stats_query`, ...) and returns it parsed. `params` are the endpoint's
 * own form fields (`step`, `field`, `limit`, ...).
 */
export async function selectJson<T>(url: string, endpoint: string, query: string, params: SelectOptions & Record<string, unknown> = {}): Promise<T> {
  const res = await fetch(`${url}/select/logsql/${endpoint}`, { method: 'POST', body: selectForm(query, params) });
  return JSON.parse(await ok(res, `${endpoint} ${JSON.stringify(query)} on ${url}`)) as T;
}

/** /select/logsql/hits: one series per group of `field` values (`fields` is {} without `field`). */
export interface HitsResponse {
  hits: { fields: Record<string, string>; timestamps: string[]; values: number[]; total: number }[];
}

/** /select/logsql/field_names, field_values, streams, stream_field_names, ...: values with their hit counts. */
export interface ValuesResponse {
  values: { value: string; hits: number }[];
}
