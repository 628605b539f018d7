import { TelemcpError } from '../../core/errors.js';
import { sanitizeText } from '../../security/sanitize.js';
import { connectBackend, type BackendConnection, type BackendHttpClient, type HttpMethod } from '../http.js';

/** A sample as the Prometheus HTTP API writes it: [unix seconds, value as a string]. */
export type PromSample = [number, string];

/** One series of a vector or matrix result (native histograms are not summarised and are dropped by the caller). */
export interface PromSeries {
  metric: Record<string, string>;
  value?: PromSample;
  values?: PromSample[];
}

export type PromQueryData =
  | { resultType: 'vector'; result: PromSeries[] }
  | { resultType: 'matrix'; result: PromSeries[] }
  | { resultType: 'scalar'; result: PromSample }
  | { resultType: 'string'; result: PromSample };

/** The documented envelope of every /api/v1 answer. */
export interface Envelope<T> {
  status: 'success' | 'error';
  data: T;
  errorType?: string;
  error?: string;
  warnings?: string[];
  infos?: string[];
}

export interface PromAnswer<T> {
  data: T;
  /** Warnings and infos the server attached (R-13: surfaced, never dropped). */
  warnings: string[];
}

export interface TargetHealth {
  discoveredLabels?: Record<string, string>;
  labels: Record<string, string>;
  scrapePool: string;
  scrapeUrl: string;
  globalUrl?: string;
  lastError: string;
  lastScrape: string;
  lastScrapeDuration: number;
  health: 'up' | 'down' | 'unknown';
  scrapeInterval?: string;
  scrapeTimeout?: string;
}

export interface RuleAlert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  state: 'pending' | 'firing' | 'inactive';
  activeAt?: string;
  value?: string;
}

export interface PromRule {
  type: 'alerting' | 'recording';
  name: string;
  query: string;
  duration?: number;
  keepFiringFor?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  alerts?: RuleAlert[];
  state?: 'pending' | 'firing' | 'inactive';
  health: 'ok' | 'err' | 'unknown';
  lastError?: string;
  evaluationTime?: number;
  lastEvaluation?: string;
}

export interface RuleGroup {
  name: string;
  file: string;
  interval?: number;
  rules: PromRule[];
  evaluationTime?: number;
  lastEvaluation?: string;
}

export interface MetricMetadata {
  type: 'counter' | 'gauge' | 'histogram' | 'gaugehistogram' | 'summary' | 'info' | 'stateset' | 'unknown';
  help: string;
  unit: string;
}

/** The read paths of the Prometheus HTTP API (and of VictoriaMetrics, Thanos, Mimir and Cortex, which serve the same API). */
const READ_PATHS = /^\/api\/v1\/(?:query|query_range|series|labels|label\/[^/]+\/values|metadata|targets|rules|alerts|status\/buildinfo|query_exemplars)$/;
/** Prometheus documents POST with a form body for these (queries too long for a URL); they read all the same. */
const FORM_PATHS = /^\/api\/v1\/(?:query|query_range|series|labels|query_exemplars)$/;

export function prometheusAllows(method: HttpMethod, path: string): boolean {
  if (method === 'GET') return READ_PATHS.test(path);
  return method === 'POST' && FORM_PATHS.test(path);
}

/** Statuses the API documents for a failed query, each with the error envelope: read, never retried. */
const ERROR_STATUSES = [400, 422, 503];
/** A parse error names a position in the caller's own expression: safe to echo, and what the caller needs to fix it. */
const PARSE_ERROR = /^(?:invalid parameter "query": )?(?:\d+:\d+: )?parse error: /;

/**
 * The documented error envelope as a telemcp error. Its text can quote label values of the data
 * (a many-to-many match names the series), so only a parse error of the caller's own expression
 * is shown; the others are named by their type with what to do.
 */
export function apiError(kind: string, env: { errorType?: string; error?: string }): TelemcpError {
  const type = env.errorType ?? 'error';
  const text = env.error ?? '';
  if (type === 'timeout' || type === 'canceled') return new TelemcpError('backend_timeout', `${kind} stopped the query (${type}).`, { hint: 'Narrow the query: a shorter range, a coarser step, fewer series.' });
  if (type === 'bad_data' && PARSE_ERROR.test(text)) return new TelemcpError('invalid_input', `${kind} could not parse the expression: ${sanitizeText(text, 200).text}`, { hint: 'Fix the expression; prom_discover what: "lint" checks one before it runs.' });
  const hints: Record<string, string> = {
    bad_data: 'A parameter or the expression is not valid for this server (its version may not support a function or syntax); check it with prom_discover what: "lint".',
    execution: 'The expression failed while it ran (for example many-to-many matching, or more samples than the server allows): aggregate first, or match on more labels with on(…)/group_left.',
    unavailable: 'The server cannot answer now (starting up, or overloaded); retry later.',
  };
  return new TelemcpError('backend_error', `${kind} refused the query (${type.slice(0, 40)}).`, { hint: hints[type] ?? 'Check the query and the server.' });
}

/** Above this many characters of parameters a query goes as a POST form, as Prometheus documents, so no proxy cuts the URL. */
const LONG_QUERY = 4_000;

type Params = Record<string, string | readonly string[] | undefined>;

function paramsSize(params: Params): number {
  return Object.values(params).reduce((n, v) => n + (v === undefined ? 0 : Array.isArray(v) ? v.join('').length : (v as string).length), 0);
}

/**
 * A read-only client for the Prometheus HTTP API. Only the documented read paths above are
 * reachable: no admin (delete_series, snapshot, clean_tombstones), lifecycle (reload, quit) or
 * write (remote write, OTLP) endpoint, whatever a caller asks.
 */
export class PrometheusApi {
  readonly http: BackendHttpClient;

  constructor(conn: BackendConnection, readonly kind = 'prometheus') {
    this.http = connectBackend(kind, conn, prometheusAllows, {
      credentials: 'The read-only credentials configured for Prometheus (PROMETHEUS_USERNAME/PASSWORD or PROMETHEUS_BEARER_TOKEN) are refused; this is not fixable by changing the call.',
      unreachable: 'Prometheus is down or PROMETHEUS_URL is wrong; check /readyz.',
      tls: 'Give the server the CA certificate of Prometheus (PROMETHEUS_CA_CERT).',
    });
  }

  /** GET, or the documented POST form when the parameters are long (a large `match[]` list, a long expression). */
  async get<T>(path: string, params: Params, signal: AbortSignal): Promise<PromAnswer<T>> {
    const form = paramsSize(params) > LONG_QUERY && FORM_PATHS.test(path);
    const request = { path, signal, answerStatuses: ERROR_STATUSES };
    const env = await this.http.json<Envelope<T>>(form ? { ...request, method: 'POST', form: params } : { ...request, method: 'GET', query: params });
    if (env.status === 'error') throw apiError(this.kind, env);
    return { data: env.data, warnings: [...(env.warnings ?? []), ...(env.infos ?? [])].slice(0, 10) };
  }

  /**
   * A query's answer as the text the server sent, for the analysis thread to parse (queryBody):
   * a matrix of megabytes is then neither parsed nor copied on the event loop. Errors, which are
   * small, are read here.
   */
  async queryText(path: '/api/v1/query' | '/api/v1/query_range', params: Params, signal: AbortSignal): Promise<string> {
    const request = { path, signal, answerStatuses: ERROR_STATUSES };
    const { status, body } = await this.http.send(paramsSize(params) > LONG_QUERY ? { ...request, method: 'POST', form: params } : { ...request, method: 'GET', query: params });
    if (status >= 200 && status < 300) return body;
    let env: { errorType?: string; error?: string } = {};
    try {
      env = JSON.parse(body) as typeof env;
    } catch {
      // not the documented envelope: named by its status only
    }
    throw apiError(this.kind, env);
  }

  /** A literal answers from any PromQL server without touching a series: the cheapest readiness check there is. */
  async ping(signal: AbortSignal): Promise<void> {
    await this.get('/api/v1/query', { query: '1' }, signal);
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}
