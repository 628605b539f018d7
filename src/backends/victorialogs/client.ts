import { TelemcpError } from '../../core/errors.js';
import { sanitizeText } from '../../security/sanitize.js';
import { connectBackend, type BackendConnection, type BackendHttpClient, type HttpMethod } from '../http.js';

/** The select endpoints of the LogsQL HTTP API telemcp reads: nothing that ingests, deletes or changes the server. */
export type VlEndpoint = 'query' | 'hits' | 'field_names' | 'field_values' | 'streams' | 'stream_field_names' | 'stream_field_values' | 'stats_query' | 'stats_query_range';

const SELECT_PATHS = /^\/select\/logsql\/(?:query|hits|field_names|field_values|streams|stream_field_names|stream_field_values|stats_query|stats_query_range)$/;
const HEALTH_PATH = '/health';

/**
 * GET or POST (a form) on the select paths, GET on /health; nothing else: not /insert/*,
 * /delete/*, /internal/* (force_flush, force_merge), /metrics or the web UI.
 */
export function victoriaLogsAllows(method: HttpMethod, path: string): boolean {
  if (path === HEALTH_PATH) return method === 'GET';
  return (method === 'GET' || method === 'POST') && SELECT_PATHS.test(path);
}

/** The most records one `query` call may ask for: the largest answer a log source method needs (messageCounts' groups). */
export const MAX_QUERY_LIMIT = 200_001;

/** A record as /select/logsql/query writes it: every value a string. */
export type VlRow = Record<string, string>;

/** The parameters of one select call besides the query; start inclusive, end exclusive (RFC3339 or unix nanoseconds). */
export interface VlParams {
  start?: string;
  end?: string;
  /** Others the endpoint takes (`step`, `field`, …). */
  [name: string]: string | undefined;
}

/** A value with the records holding it, as field_names, field_values, streams and stream_field_names answer. */
export interface VlValueHits {
  value: string;
  hits: number;
}

/** One series of /select/logsql/hits: records per bucket of a group of `field` values (`fields` is {} for the rest, or for all without `field`). */
export interface VlHitsSeries {
  fields: Record<string, string>;
  timestamps: string[];
  values: number[];
  total: number;
}

/** Statuses VictoriaLogs answers with a plain-text reason: read here, never retried. */
const ANSWER_STATUSES = [400, 422, 500];

/**
 * A read-only client for VictoriaLogs' LogsQL API. Every select goes as a POST form (a query
 * with a thousand quoted values does not fit a URL), with the tenant headers (`AccountID`,
 * `ProjectID`) of the configured connection and no other: a caller never chooses the tenant.
 * `query` always carries a limit, and every answer is bounded by the connection's
 * maxResponseBytes (http.ts). Errors are telemcp's: a query the server cannot parse is
 * invalid_input naming the query telemcp sent (built from the caller's own arguments), never
 * the server's text, which for other failures can quote stored values.
 */
export class VictoriaLogsApi {
  readonly http: BackendHttpClient;

  constructor(conn: BackendConnection, readonly kind = 'victorialogs') {
    this.http = connectBackend(kind, conn, victoriaLogsAllows, {
      credentials: 'The credentials configured for VictoriaLogs (VICTORIALOGS_USERNAME/PASSWORD or VICTORIALOGS_BEARER_TOKEN) are refused by it or the proxy in front of it; this is not fixable by changing the call.',
      unreachable: 'VictoriaLogs is down or VICTORIALOGS_URL is wrong; check /readyz.',
      tls: 'Give the server the CA certificate of VictoriaLogs (VICTORIALOGS_CA_CERT).',
    });
  }

  /** Records of a LogsQL query, one object a line in the answer; `limit` is required and bounded. */
  async query(query: string, limit: number, params: VlParams, signal: AbortSignal): Promise<VlRow[]> {
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_QUERY_LIMIT) {
      throw new TelemcpError('invalid_input', `A VictoriaLogs query may return 1-${MAX_QUERY_LIMIT} records, not ${limit}.`, { hint: 'Ask for fewer records.' });
    }
    const body = await this.select('query', query, { ...params, limit: String(limit) }, signal);
    const rows: VlRow[] = [];
    for (const line of body.split('\n')) {
      if (line.trim() === '') continue;
      let row: unknown;
      try {
        row = JSON.parse(line);
      } catch {
        throw notVictoriaLogs();
      }
      if (row === null || typeof row !== 'object' || Array.isArray(row)) throw notVictoriaLogs();
      rows.push(row as VlRow);
    }
    return rows;
  }

  /** A select endpoint answering one JSON document (hits, field_names, streams, stats_query, …). */
  async json<T>(endpoint: Exclude<VlEndpoint, 'query'>, query: string, params: VlParams, signal: AbortSignal): Promise<T> {
    return parseJson(await this.select(endpoint, query, params, signal)) as T;
  }

  /** Field names of the records a filter matches, each with its records; the server lists them all. */
  fieldNames(query: string, params: VlParams, signal: AbortSignal): Promise<VlValueHits[]> {
    return this.values('field_names', query, params, signal);
  }

  /** Names of the fields that make the streams (`_stream`) of the records a filter matches. */
  streamFieldNames(query: string, params: VlParams, signal: AbortSignal): Promise<VlValueHits[]> {
    return this.values('stream_field_names', query, params, signal);
  }

  /**
   * Values of one field in the records a filter matches. Past `limit` distinct values the server
   * returns an arbitrary `limit` of them with zero hits: a caller reads fewer than `limit` as the
   * complete, exactly counted list.
   */
  fieldValues(query: string, field: string, limit: number, params: VlParams, signal: AbortSignal): Promise<VlValueHits[]> {
    return this.values('field_values', query, { ...params, field, limit: String(limit) }, signal);
  }

  /** Streams (`{a="x",b="y"}`) of the records a filter matches; `limit` as for fieldValues. */
  streams(query: string, limit: number, params: VlParams, signal: AbortSignal): Promise<VlValueHits[]> {
    return this.values('streams', query, { ...params, limit: String(limit) }, signal);
  }

  /**
   * Records per `step` bucket (buckets on the server's grid, whole multiples of step since the
   * epoch unless `offset` moves it), grouped by the values of `fields` when given: the
   * `fieldsLimit` groups with the most records, and the rest as one series with `fields` {}.
   */
  async hits(query: string, opts: { step: string; fields?: readonly string[]; fieldsLimit?: number }, params: VlParams, signal: AbortSignal): Promise<VlHitsSeries[]> {
    const body = await this.select('hits', query, { ...params, step: opts.step, ...(opts.fields?.length ? { field: opts.fields } : {}), ...(opts.fieldsLimit !== undefined ? { fields_limit: String(opts.fieldsLimit) } : {}) }, signal);
    const doc = parseJson(body) as { hits?: unknown };
    if (!Array.isArray(doc?.hits)) throw notVictoriaLogs();
    for (const h of doc.hits as VlHitsSeries[]) {
      const ok = h && typeof h === 'object' && typeof h.fields === 'object' && h.fields !== null && Array.isArray(h.timestamps) && Array.isArray(h.values) && h.timestamps.length === h.values.length && typeof h.total === 'number';
      if (!ok) throw notVictoriaLogs();
    }
    return doc.hits as VlHitsSeries[];
  }

  private async values(endpoint: 'field_names' | 'field_values' | 'streams' | 'stream_field_names', query: string, params: VlParams | Record<string, string>, signal: AbortSignal): Promise<VlValueHits[]> {
    const doc = parseJson(await this.select(endpoint, query, params, signal)) as { values?: unknown };
    if (!Array.isArray(doc?.values)) throw notVictoriaLogs();
    for (const v of doc.values as VlValueHits[]) if (!v || typeof v.value !== 'string' || typeof v.hits !== 'number') throw notVictoriaLogs();
    return doc.values as VlValueHits[];
  }

  /** /health answers `OK` once the server serves. */
  async ping(signal: AbortSignal): Promise<void> {
    await this.http.send({ method: 'GET', path: HEALTH_PATH, signal });
  }

  async close(): Promise<void> {
    await this.http.close();
  }

  private async select(endpoint: VlEndpoint, query: string, params: Record<string, string | readonly string[] | undefined>, signal: AbortSignal): Promise<string> {
    const form: Record<string, string | readonly string[]> = { query };
    for (const [k, v] of Object.entries(params)) if (v !== undefined) form[k] = v;
    const { status, body } = await this.http.send({ method: 'POST', path: `/select/logsql/${endpoint}`, form, signal, answerStatuses: ANSWER_STATUSES });
    if (status >= 200 && status < 300) return body;
    throw selectError(this.kind, status, body, query);
  }
}

/** How VictoriaLogs words a query it cannot parse (`cannot parse \`query\` arg [...]: ...`). */
const PARSE_ERROR = /^cannot parse `query` arg|^cannot parse query/;

/**
 * A refused select as a telemcp error. The server's text quotes the query and, for failures
 * while it ran, can quote stored values: only the query telemcp sent (the caller's own filters)
 * is shown, capped.
 */
export function selectError(kind: string, status: number, body: string, query: string): TelemcpError {
  const details = { backend_status: status };
  if (status === 400 && PARSE_ERROR.test(body.trimStart())) {
    return new TelemcpError('invalid_input', `${kind} could not parse the query ${JSON.stringify(sanitizeText(query, 300).text)}.`, {
      hint: 'Check the filter values (services, levels, trace ids, message words); telemcp quotes every value, so report this if the values are plain text.',
      details,
    });
  }
  if (status < 500) {
    return new TelemcpError('backend_error', `${kind} refused the query (${status}).`, { hint: 'A parameter is not valid for this server (its version may not support a pipe); check the server version.', details });
  }
  return new TelemcpError('backend_error', `${kind} failed while running the query (${status}).`, { hint: 'The backend is failing (out of memory, a query over too much data); narrow the window or retry later.', details });
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    throw notVictoriaLogs();
  }
}

function notVictoriaLogs(): TelemcpError {
  return new TelemcpError('backend_error', 'VictoriaLogs returned a response telemcp cannot read.', { hint: 'Check that VICTORIALOGS_URL points at VictoriaLogs itself, not at a proxy or login page.' });
}
