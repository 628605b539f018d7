import { TelemcpError } from '../../core/errors.js';
import { sanitizeText } from '../../security/sanitize.js';
import { connectBackend, type BackendConnection, type BackendHttpClient, type HttpMethod } from '../http.js';
import { LABEL_NAME } from './logql.js';

const API = '/loki/api/v1';
const QUERY_PATHS = new Set([`${API}/query_range`, `${API}/query`, `${API}/series`]);
const READ_PATHS = new Set([`${API}/labels`, '/ready', `${API}/status/buildinfo`]);
const LABEL_VALUES = /^\/loki\/api\/v1\/label\/([a-zA-Z_][a-zA-Z0-9_]*)\/values$/;

/**
 * GET or POST (a form: Loki's documented way to send long queries) on query_range, query and
 * series; GET on labels, label values, /ready and buildinfo. Nothing else: not /push, the
 * delete API, /flush, rules, tail (a websocket), or the admin endpoints.
 */
export function lokiAllows(method: HttpMethod, path: string): boolean {
  if (QUERY_PATHS.has(path)) return method === 'GET' || method === 'POST';
  return method === 'GET' && (READ_PATHS.has(path) || LABEL_VALUES.test(path));
}

/** Loki's own bound on the lines of one log query (max_entries_limit_per_query's default). */
export const MAX_ENTRIES = 5000;

/** One stream of a log query's answer: its labels (structured metadata merged in) and its entries `[ns, line]`. */
export interface LokiStream {
  stream: Record<string, string>;
  values: ([string, string] | [string, string, LokiEntryMetadata])[];
}

/** The third element of an entry when the server categorises labels. */
export interface LokiEntryMetadata {
  structuredMetadata?: Record<string, string>;
  parsed?: Record<string, string>;
}

export interface LokiMatrixSeries {
  metric: Record<string, string>;
  values: [number, string][];
}

export interface LokiVectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** A log entry as telemcp reads it: the labels of its stream with its own metadata merged in. */
export interface LokiEntry {
  ns: string;
  line: string;
  labels: Record<string, string>;
}

export type LokiResult = { resultType: 'streams'; result: LokiStream[] } | { resultType: 'matrix'; result: LokiMatrixSeries[] } | { resultType: 'vector'; result: LokiVectorSample[] } | { resultType: 'scalar'; result: [number, string] };

/** Statuses Loki answers with a plain-text reason: read here, never retried. */
const ANSWER_STATUSES = [400, 422, 500];

/**
 * A read-only client for Loki's HTTP query API. Queries go as POST forms (a selector with a
 * thousand escaped values does not fit a URL), carrying the connection's configured headers
 * only (the tenant's `X-Scope-OrgID`): a caller never chooses the tenant. Log queries always
 * carry a limit within Loki's own. Errors are telemcp's: a query Loki cannot parse is
 * invalid_input naming the query telemcp sent (built from the caller's own arguments), never
 * Loki's text, which for other failures can quote stored values.
 */
export class LokiApi {
  readonly http: BackendHttpClient;

  constructor(conn: BackendConnection) {
    this.http = connectBackend('loki', conn, lokiAllows, {
      credentials: 'The credentials configured for Loki (LOKI_USERNAME/PASSWORD or LOKI_BEARER_TOKEN) or its tenant (X-Scope-OrgID in LOKI_HEADERS) are refused by it or the gateway in front of it; this is not fixable by changing the call.',
      unreachable: 'Loki is down or LOKI_URL is wrong; check /readyz.',
      tls: 'Give the server the CA certificate of Loki (LOKI_CA_CERT).',
    });
  }

  /** Entries of a log query in [start, end) (ns), newest first (`backward`) or oldest first, at most `limit`. */
  async logs(query: string, p: { start: string; end: string; limit: number; direction: 'backward' | 'forward' }, signal: AbortSignal): Promise<LokiEntry[]> {
    if (!Number.isInteger(p.limit) || p.limit < 1 || p.limit > MAX_ENTRIES) {
      throw new TelemcpError('invalid_input', `A Loki log query may return 1-${MAX_ENTRIES} lines, not ${p.limit}.`, { hint: 'Ask for fewer lines.' });
    }
    const data = await this.run('query_range', query, { start: p.start, end: p.end, limit: String(p.limit), direction: p.direction }, signal);
    if (data.resultType !== 'streams') throw notLoki();
    const entries: LokiEntry[] = [];
    for (const s of data.result) {
      if (!s || typeof s.stream !== 'object' || !Array.isArray(s.values)) throw notLoki();
      for (const v of s.values) {
        if (!Array.isArray(v) || typeof v[0] !== 'string' || !/^\d{1,20}$/.test(v[0]) || typeof v[1] !== 'string') throw notLoki();
        const meta = v[2];
        entries.push({ ns: v[0], line: v[1], labels: meta ? { ...s.stream, ...meta.structuredMetadata, ...meta.parsed } : s.stream });
      }
    }
    // Loki sorts within a stream; across streams the order is telemcp's to make.
    entries.sort((a, b) => compareNs(a.ns, b.ns) * (p.direction === 'backward' ? -1 : 1));
    return entries.slice(0, p.limit);
  }

  /** A metric query over a range: samples at start, start + step, … ≤ end (ns). */
  async matrix(query: string, p: { start: string; end: string; step: string }, signal: AbortSignal): Promise<LokiMatrixSeries[]> {
    const data = await this.run('query_range', query, p, signal);
    if (data.resultType !== 'matrix' || !Array.isArray(data.result)) throw notLoki();
    return data.result;
  }

  /** A metric query at one instant (ns). */
  async vector(query: string, time: string, signal: AbortSignal): Promise<LokiVectorSample[]> {
    const data = await this.run('query', query, { time }, signal);
    if (data.resultType === 'scalar') return [{ metric: {}, value: data.result }];
    if (data.resultType !== 'vector' || !Array.isArray(data.result)) throw notLoki();
    return data.result;
  }

  /** Label names seen in [start, end). */
  async labels(p: { start: string; end: string }, signal: AbortSignal): Promise<string[]> {
    return this.stringList(await this.get(`${API}/labels`, p, signal));
  }

  /** Values of one label in [start, end), optionally within a selector. */
  async labelValues(name: string, p: { start: string; end: string; query?: string }, signal: AbortSignal): Promise<string[]> {
    if (!LABEL_NAME.test(name)) throw new TelemcpError('invalid_input', 'Not a Loki label name.', { hint: 'Label names are letters, digits and _.' });
    return this.stringList(await this.get(`${API}/label/${name}/values`, p, signal));
  }

  /** Label sets of the streams matching the selectors in [start, end). */
  async series(match: readonly string[], p: { start: string; end: string }, signal: AbortSignal): Promise<Record<string, string>[]> {
    const { status, body } = await this.http.send({ method: 'POST', path: `${API}/series`, form: { 'match[]': match, ...p }, signal, answerStatuses: ANSWER_STATUSES });
    if (status < 200 || status >= 300) throw queryError(status, body, match.join(', '));
    const data = parse<{ status?: string; data?: unknown }>(body).data;
    if (!Array.isArray(data) || data.some((s) => s === null || typeof s !== 'object')) throw notLoki();
    return data as Record<string, string>[];
  }

  /** /ready answers 200 once Loki serves queries. */
  async ping(signal: AbortSignal): Promise<void> {
    await this.http.send({ method: 'GET', path: '/ready', signal });
  }

  async close(): Promise<void> {
    await this.http.close();
  }

  private async run(endpoint: 'query' | 'query_range', query: string, params: Record<string, string>, signal: AbortSignal): Promise<LokiResult> {
    const { status, body } = await this.http.send({ method: 'POST', path: `${API}/${endpoint}`, form: { query, ...params }, signal, answerStatuses: ANSWER_STATUSES });
    if (status < 200 || status >= 300) throw queryError(status, body, query);
    const parsed = parse<{ status?: string; data?: LokiResult }>(body);
    if (parsed.status !== 'success' || !parsed.data || typeof parsed.data.resultType !== 'string') throw notLoki();
    return parsed.data;
  }

  private async get(path: string, query: Record<string, string | undefined>, signal: AbortSignal): Promise<unknown> {
    const { status, body } = await this.http.send({ method: 'GET', path, query, signal, answerStatuses: ANSWER_STATUSES });
    if (status < 200 || status >= 300) throw queryError(status, body, query.query ?? '');
    return parse<{ data?: unknown }>(body).data;
  }

  private stringList(data: unknown): string[] {
    // Loki answers `data` absent or null when nothing matched.
    if (data === undefined || data === null) return [];
    if (!Array.isArray(data) || data.some((v) => typeof v !== 'string')) throw notLoki();
    return data as string[];
  }
}

export function compareNs(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

function parse<T>(body: string): T {
  try {
    return JSON.parse(body) as T;
  } catch {
    throw notLoki();
  }
}

/** How Loki words a query it cannot parse (`parse error at line 1, col 5: …`, `syntax error: …`). */
const PARSE_ERROR = /^(?:parse error|syntax error|invalid|queries require at least one regexp or equality matcher)/i;
/** Loki's limits, in its own words: safe to name (they hold no stored values), and fixable by narrowing. */
const LIMITS: [RegExp, string][] = [
  [/max entries limit/i, 'the most lines one query may return (max_entries_limit_per_query)'],
  [/query time range exceeds the limit|query length/i, 'the longest window one query may cover (max_query_length)'],
  [/maximum number of series|max_query_series/i, 'the most series one metric query may return (max_query_series)'],
  [/maximum resolution of 11,?000|exceeded maximum resolution/i, 'the most points one range query may return (11,000)'],
];

/**
 * A refused query as a telemcp error. Loki's text quotes the query and, for failures while it
 * ran, can quote stored values: only the query telemcp sent (the caller's own filters) is shown,
 * capped, and for Loki's limits only which limit.
 */
export function queryError(status: number, body: string, query: string): TelemcpError {
  const details = { backend_status: status };
  const text = body.trimStart();
  if (status === 400 || status === 422) {
    if (PARSE_ERROR.test(text)) {
      return new TelemcpError('invalid_input', `Loki could not parse the query ${JSON.stringify(sanitizeText(query, 300).text)}.`, {
        hint: 'Check the LogQL syntax, or the filter values (services, levels, trace ids, message words): telemcp quotes every value it builds into a query, so report this if they are plain text.',
        details,
      });
    }
    const limit = LIMITS.find(([re]) => re.test(text));
    if (limit) return new TelemcpError('invalid_input', `Loki refused the query: it exceeds ${limit[1]}.`, { hint: 'Narrow the window, the selector or the limit.', details });
    return new TelemcpError('backend_error', `Loki refused the query (${status}).`, { hint: 'A parameter is not valid for this server (its version may not support a function); check the server version.', details });
  }
  return new TelemcpError('backend_error', `Loki failed while running the query (${status}).`, { hint: 'Loki is failing (out of memory, a query over too much data); narrow the window or retry later.', details });
}

function notLoki(): TelemcpError {
  return new TelemcpError('backend_error', 'Loki returned a response telemcp cannot read.', { hint: 'Check that LOKI_URL points at Loki itself (or its query frontend), not at a proxy or login page.' });
}
