/**
 * Contract fake of Grafana Loki's HTTP API (Loki cannot be installed here: its licence rules it
 * out). It answers as Loki 3.x documents; every shape, default, limit and error text below comes
 * from these pages (and, where the docs say less than the server does, from Loki's source):
 *
 * - HTTP API: https://grafana.com/docs/loki/latest/reference/loki-http-api/ — push (JSON, or
 *   gzipped JSON; 204), query, query_range (GET, or POST form), labels, label/<name>/values,
 *   series (GET or POST form), ready, status/buildinfo. end defaults to now, start to `since`
 *   (default 1h) before end — for labels and series too: the docs say 6h there, but the server
 *   (pkg/loghttp: ParseLabelQuery and ParseSeriesQuery use the same bounds()) takes 1h, and the
 *   fake answers as the server does. Series takes `match[]` or `match`; none (or a lone `{}`)
 *   lists every stream, though the docs ask for at least one. limit 100; direction backward;
 *   start is inclusive and end exclusive for log lines; `interval` thins log lines; `step` is a
 *   duration or float seconds, default max(floor((end − start) / 250 s), 1 s) (params.go).
 * - Log line order: by timestamp (newest first backward); equal timestamps in different streams
 *   by the streams' label strings, ascending, in both directions (Loki's heap iterator in
 *   pkg/iter; Loki 3 merges by stream hash, so a client must not rely on this order); equal
 *   timestamps in one stream in push order, reversed backward. The limit cuts the ordered lines.
 * - Times: unix nanoseconds, unix seconds (≤ 10 digits), seconds with a fraction, or RFC3339Nano.
 * - Loki 3 ingest defaults: `service_name` stream label and `detected_level` structured metadata
 *   (loki-fake/ingest-discovery.ts), both switchable through the limits.
 * - LogQL: https://grafana.com/docs/loki/latest/query/log_queries/ and …/metric_queries/ (the
 *   subset in loki-fake/logql-parse.ts).
 * - Range window: at step t a range aggregation reads entries with t − range < ts ≤ t (minus the
 *   offset). The docs do not say which end is open (metric_queries: a range "selects the last
 *   N of log lines"; the HTTP API only says log lines are [start, end)). Loki's evaluator does:
 *   pkg/logql/range_vector.go, "the lower bound of the range is not inclusive" (left-open,
 *   right-closed, as Prometheus), and since v3.2.0 (grafana/loki#13448) the lines are selected
 *   up to and including the last step, so an entry exactly at `end` counts too. The fake does
 *   exactly that: count_over_time({…}[step]) at t counts the half-open bucket (t − step, t], so
 *   with range = step every entry in (start − step, end] lands in exactly one bucket.
 * - Errors and limits: https://grafana.com/docs/loki/latest/operations/troubleshooting/troubleshoot-query/
 *   and https://grafana.com/docs/loki/latest/configure/#limits_config (max_entries_limit_per_query
 *   5000, log queries only; max_query_length 721h, printed `query length: 722h0m0s, limit:
 *   30d1h`; max_query_series 500; max_query_lookback 0 = none, else a range before it answers
 *   empty and one reaching into it is cut; the 11,000-points check is a constant in params.go).
 *   Errors are plain text, 400, with the texts of Loki's source where the docs give none.
 * - Tenancy: https://grafana.com/docs/loki/latest/operations/multi-tenancy/ — X-Scope-OrgID; a
 *   request without it gets `no org id` (the troubleshooting page lists it as 400, the server's
 *   auth middleware answers 401; the fake answers 401 as the server does). With auth disabled
 *   the tenant is `fake`.
 * - Structured metadata: https://grafana.com/docs/loki/latest/get-started/labels/structured-metadata/
 *   — the third element of a pushed value; filterable like a label; returned in the stream
 *   labels when the request has no categorize-labels header (the only mode the fake has).
 *
 * Deliberate differences, named so a reader is not misled: reject_old_samples is off by default
 * (Loki's default rejects entries older than 168h; fixtures use fixed past dates) — turn it on
 * with `limits.rejectOldSamplesMaxAgeHours`; protobuf push is not accepted; `stats` carries
 * Loki's keys with counts of what the fake read, not timings; valid LogQL outside the subset is
 * answered 501 `not implemented by the Loki contract fake: …`; a single tenant per request (no
 * `a|b` multi-tenant queries); samples are exact, never sharded or approximated.
 */
import { gunzipSync } from 'node:zlib';
import { ContractFake, type FakeRequest } from './contract-fake.js';
import { LokiQueryError, parseLogQL, parsePromDurationNs, type Expr, type Matcher } from './loki-fake/logql-parse.js';
import { evalLogQuery, evalVector, isMetric, ordersItsAnswer, prepareRanges, selectorMatches, type LogLine, type Sample } from './loki-fake/logql-eval.js';
import { LOKI_DISCOVER_SERVICE_NAME, withDetectedLevel, withServiceName } from './loki-fake/ingest-discovery.js';
import { compareLabels, labelsString, LokiStore, type StoredEntry } from './loki-fake/store.js';

export interface LokiLimits {
  maxEntriesLimitPerQuery: number;
  /** Hours; 721 = Loki's 30d1h. */
  maxQueryLengthHours: number;
  maxQuerySeries: number;
  /** Loki's fixed 11,000 points per series; configurable here only to test the message cheaply. */
  maxPointsPerSeries: number;
  /** Hours; 0 = no lookback limit (Loki's default). */
  maxQueryLookbackHours: number;
  /** Hours; 0 = accept any age (the fake's default; Loki's is 168 with reject_old_samples on). */
  rejectOldSamplesMaxAgeHours: number;
  /** Loki 3's discover_service_name; [] turns it off. */
  discoverServiceName: readonly string[];
  /** Loki 3's discover_log_levels (structured metadata `detected_level`). */
  discoverLogLevels: boolean;
}

export const LOKI_DEFAULT_LIMITS: LokiLimits = {
  maxEntriesLimitPerQuery: 5000,
  maxQueryLengthHours: 721,
  maxQuerySeries: 500,
  maxPointsPerSeries: 11_000,
  maxQueryLookbackHours: 0,
  rejectOldSamplesMaxAgeHours: 0,
  discoverServiceName: LOKI_DISCOVER_SERVICE_NAME,
  discoverLogLevels: true,
};

export const LOKI_FAKE_VERSION = '3.5.0';
const NS_PER_MS = 1_000_000n;
const NS_PER_S = 1_000_000_000n;
const HOUR_NS = 3_600n * NS_PER_S;

type Answer = { status: number; body: unknown; headers?: Record<string, string> };

const bad = (message: string): Answer => ({ status: 400, body: message });

function nowNs(): bigint {
  return BigInt(Date.now()) * NS_PER_MS;
}

/**
 * Loki's time parameter: an integer of ≤ 10 digits is unix seconds, a longer one nanoseconds; a
 * number with a fraction is seconds (rounded to the millisecond); otherwise RFC3339(Nano). A value
 * that is none of these fails with the integer parse error, as Go's strconv reports it.
 */
export function parseLokiTime(value: string | null, fallback: bigint): bigint {
  if (value === null || value === '') return fallback;
  if (value.includes('.') && /^-?\d*\.\d*$/.test(value) && value !== '.') {
    const [s, frac = ''] = value.split('.');
    const ms = BigInt(Math.round(Number(`0.${frac || '0'}`) * 1000)) * NS_PER_MS;
    const whole = BigInt(s === '' || s === '-' ? '0' : s) * NS_PER_S;
    return s.startsWith('-') ? whole - ms : whole + ms;
  }
  if (/^[+-]?\d+$/.test(value)) return value.length <= 10 ? BigInt(value) * NS_PER_S : BigInt(value);
  const rfc = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(value);
  if (rfc) {
    const ms = Date.parse(`${rfc[1]}${rfc[3]}`);
    if (!Number.isNaN(ms)) return BigInt(ms) * NS_PER_MS + BigInt((rfc[2] ?? '').padEnd(9, '0') || '0');
  }
  throw new LokiQueryError(`strconv.ParseInt: parsing ${JSON.stringify(value)}: invalid syntax`);
}

/**
 * A request's start and end (Loki's determineBounds): end defaults to now; start to `since`
 * (default `defaultSince`) before end, or before now when end is in the future.
 */
function bounds(params: URLSearchParams, defaultSince: bigint): { start: bigint; end: bigint } {
  const now = nowNs();
  let since = defaultSince;
  const rawSince = params.get('since');
  if (rawSince) {
    try {
      since = parsePromDurationNs(rawSince);
    } catch (err) {
      throw new LokiQueryError(`could not parse 'since' parameter: ${(err as Error).message}`);
    }
  }
  const end = wrapParse('end', () => parseLokiTime(params.get('end'), now));
  const endOrNow = end > now ? now : end;
  const start = wrapParse('start', () => parseLokiTime(params.get('start'), endOrNow - since));
  return { start, end };
}

function wrapParse(name: string, parse: () => bigint): bigint {
  try {
    return parse();
  } catch (err) {
    throw new LokiQueryError(`could not parse '${name}' parameter: ${(err as Error).message}`);
  }
}

/** Loki's step and interval: float seconds or a Prometheus duration. */
function parseStep(value: string): bigint {
  if (/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(value)) return BigInt(Math.round(Number(value) * 1e9));
  try {
    return parsePromDurationNs(value);
  } catch {
    throw new LokiQueryError(`cannot parse ${JSON.stringify(value)} to a valid duration`);
  }
}

/**
 * Prometheus model.Duration's text form, as Loki prints lengths and limits: years and weeks only
 * when they divide what is left exactly (`30d1h`, `4w`, `90d`), then d h m s ms.
 */
export function promDuration(ns: bigint): string {
  let ms = ns / NS_PER_MS;
  if (ms === 0n) return '0s';
  const units: [string, bigint, boolean][] = [
    ['y', 31_536_000_000n, true],
    ['w', 604_800_000n, true],
    ['d', 86_400_000n, false],
    ['h', 3_600_000n, false],
    ['m', 60_000n, false],
    ['s', 1_000n, false],
    ['ms', 1n, false],
  ];
  let out = '';
  for (const [unit, size, exact] of units) {
    if (exact && ms % size !== 0n) continue;
    if (ms >= size) {
      out += `${ms / size}${unit}`;
      ms %= size;
    }
  }
  return out;
}

/** Go's time.Duration text for a length of a second or more: `722h0m0s`, `1h0m0.5s`. */
export function goDuration(ns: bigint): string {
  const h = ns / HOUR_NS;
  const m = (ns % HOUR_NS) / (60n * NS_PER_S);
  const sec = ns % (60n * NS_PER_S);
  const frac = (sec % NS_PER_S).toString().padStart(9, '0').replace(/0+$/, '');
  const seconds = `${sec / NS_PER_S}${frac ? `.${frac}` : ''}s`;
  if (h > 0n) return `${h}h${m}m${seconds}`;
  if (m > 0n) return `${m}m${seconds}`;
  return seconds;
}

/** A label set with its names in order, as Go marshals a map (Loki's LabelSet). */
function sorted(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** A unix-seconds timestamp with millisecond precision, as Prometheus' JSON writes sample times. */
function sampleTime(ns: bigint): number {
  return Number(ns / NS_PER_MS) / 1000;
}

/**
 * Go's strconv.FormatFloat(v, 'f', -1, 64), how Prometheus' JSON writes a sample value: the
 * shortest digits that round-trip, never in exponent form (JS writes 1e-7, Go 0.0000001).
 */
export function sampleValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  const text = String(v);
  const e = text.indexOf('e');
  if (e < 0) return text;
  const negative = text.startsWith('-');
  const mantissa = text.slice(negative ? 1 : 0, e);
  const dot = mantissa.indexOf('.');
  const digits = mantissa.replace('.', '');
  const point = (dot < 0 ? mantissa.length : dot) + Number(text.slice(e + 1));
  let out: string;
  if (point <= 0) out = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return negative ? `-${out}` : out;
}

function statsFor(lines: number, bytes: number, returned: number) {
  const store = { totalChunksRef: 0, totalChunksDownloaded: 0, chunksDownloadTime: 0, queryReferencedStructuredMetadata: false, chunk: { headChunkBytes: 0, headChunkLines: 0, decompressedBytes: bytes, decompressedLines: lines, compressedBytes: 0, totalDuplicates: 0, postFilterLines: returned, headChunkStructuredMetadataBytes: 0, decompressedStructuredMetadataBytes: 0 }, chunkRefsFetchTime: 0, congestionControlLatency: 0, pipelineWrapperFilteredLines: 0 };
  return {
    summary: { bytesProcessedPerSecond: 0, linesProcessedPerSecond: 0, totalBytesProcessed: bytes, totalLinesProcessed: lines, execTime: 0, queueTime: 0, subqueries: 0, totalEntriesReturned: returned, splits: 0, shards: 0, totalPostFilterLines: returned, totalStructuredMetadataBytesProcessed: 0 },
    querier: { store },
    ingester: { totalReached: 1, totalChunksMatched: 0, totalBatches: 0, totalLinesSent: 0, store },
    cache: Object.fromEntries(['chunk', 'index', 'result', 'statsResult', 'volumeResult', 'seriesResult', 'labelResult', 'instantMetricResult'].map((c) => [c, { entriesFound: 0, entriesRequested: 0, entriesStored: 0, bytesReceived: 0, bytesSent: 0, requests: 0, downloadTime: 0, queryLengthServed: 0 }])),
  };
}

export class LokiFake extends ContractFake {
  readonly limits: LokiLimits;
  readonly store = new LokiStore();
  /** true: requests must name their tenant in X-Scope-OrgID (Loki's auth_enabled, default true). */
  authEnabled: boolean;

  constructor(opts: { limits?: Partial<LokiLimits>; authEnabled?: boolean } = {}) {
    super();
    this.limits = { ...LOKI_DEFAULT_LIMITS, ...opts.limits };
    this.authEnabled = opts.authEnabled ?? true;
  }

  protected answer(path: string, query: URLSearchParams, _authenticated: boolean, request: FakeRequest): Answer {
    if (path === '/ready') return { status: 200, body: 'ready\n' };
    if (path === '/loki/api/v1/status/buildinfo') {
      return { status: 200, body: { version: LOKI_FAKE_VERSION, revision: 'ba4aaf6d9', branch: 'HEAD', buildUser: 'root@7ad5f1e0c2d1', buildDate: '2025-04-18T14:52:51Z', goVersion: 'go1.24.1' } };
    }
    if (!path.startsWith('/loki/api/v1/')) return { status: 404, body: '404 page not found\n' };
    const tenant = this.tenantOf(request);
    if (tenant === undefined) return { status: 401, body: 'no org id\n' };
    if (tenant.includes('|')) return { status: 501, body: 'not implemented by the Loki contract fake: multi-tenant queries (X-Scope-OrgID a|b)' };
    const params = this.params(query, request);
    try {
      if (path === '/loki/api/v1/push') return request.method === 'POST' ? this.push(tenant, request) : { status: 405, body: '' };
      if (request.method !== 'GET' && request.method !== 'POST') return { status: 405, body: '' };
      if (path === '/loki/api/v1/query_range') return this.queryRange(tenant, params);
      if (path === '/loki/api/v1/query') return this.queryInstant(tenant, params);
      if (path === '/loki/api/v1/labels') return this.labels(tenant, params);
      const values = /^\/loki\/api\/v1\/label\/([^/]+)\/values$/.exec(path);
      if (values) return this.labelValues(tenant, decodeURIComponent(values[1]), params);
      if (path === '/loki/api/v1/series') return this.series(tenant, params);
      return { status: 404, body: '404 page not found\n' };
    } catch (err) {
      if (err instanceof LokiQueryError) return { status: err.status, body: err.message };
      throw err;
    }
  }

  /**
   * Loki authenticates nobody itself (its docs: put a proxy in front); with
   * `expectedAuthorization` set the fake plays that proxy, which refuses wrong credentials so.
   */
  protected unauthorized(): Answer {
    return { status: 401, body: 'Unauthorized\n', headers: { 'www-authenticate': 'Basic realm="loki"' } };
  }

  protected serverError(): Answer {
    return { status: 500, body: 'rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial tcp 10.0.3.7:9095: connect: connection refused"' };
  }

  private tenantOf(request: FakeRequest): string | undefined {
    if (!this.authEnabled) return 'fake';
    const header = request.headers['x-scope-orgid'];
    const value = Array.isArray(header) ? header[0] : header;
    return value ? value : undefined;
  }

  /** Query string and, for a form POST, the body's fields, as Go's r.Form merges them. */
  private params(query: URLSearchParams, request: FakeRequest): URLSearchParams {
    const merged = new URLSearchParams(query);
    const type = String(request.headers['content-type'] ?? '');
    if (request.method === 'POST' && type.startsWith('application/x-www-form-urlencoded')) {
      for (const [k, v] of new URLSearchParams(request.body.toString('utf8'))) merged.append(k, v);
    }
    return merged;
  }

  // -------------------------------------------------------------------------
  // Push
  // -------------------------------------------------------------------------

  private push(tenant: string, request: FakeRequest): Answer {
    const type = String(request.headers['content-type'] ?? '');
    // Loki reads any other Content-Type (or none) as snappy-compressed protobuf.
    if (!type.startsWith('application/json')) return { status: 501, body: `not implemented by the Loki contract fake: protobuf push (Content-Type ${JSON.stringify(type)})` };
    const encoding = String(request.headers['content-encoding'] ?? '');
    if (encoding !== '' && encoding !== 'gzip') return bad(`Content-Encoding ${JSON.stringify(encoding)} not supported`);
    let body: unknown;
    try {
      const raw = encoding === 'gzip' ? gunzipSync(request.body) : request.body;
      body = JSON.parse(raw.toString('utf8'));
    } catch (err) {
      return bad(`couldn't parse push request: ${(err as Error).message}`);
    }
    const streams = (body as { streams?: unknown })?.streams;
    if (!Array.isArray(streams)) return bad('couldn\'t parse push request: "streams" must be an array');
    const parsed: { labels: Record<string, string>; entries: StoredEntry[] }[] = [];
    const oldest = this.limits.rejectOldSamplesMaxAgeHours > 0 ? nowNs() - BigInt(this.limits.rejectOldSamplesMaxAgeHours) * HOUR_NS : undefined;
    for (const s of streams as { stream?: unknown; values?: unknown }[]) {
      const labels = s?.stream;
      if (labels === null || typeof labels !== 'object' || Object.values(labels).some((v) => typeof v !== 'string')) return bad('couldn\'t parse push request: "stream" must be an object of string label values');
      const names = Object.keys(labels);
      if (names.length === 0) return bad('error at least one label pair is required per stream');
      const invalid = names.find((n) => !/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(n));
      if (invalid !== undefined) return bad(`error parsing labels '${labelsString(labels as Record<string, string>)}' with error: 1:2: parse error: invalid label name "${invalid}"`);
      if (!Array.isArray(s.values)) return bad('couldn\'t parse push request: "values" must be an array');
      const entries: StoredEntry[] = [];
      for (const v of s.values as unknown[]) {
        if (!Array.isArray(v) || v.length < 2 || v.length > 3 || typeof v[0] !== 'string' || typeof v[1] !== 'string') return bad('couldn\'t parse push request: Value is not a string');
        if (!/^\d+$/.test(v[0])) return bad(`couldn't parse push request: Value is not a number`);
        const metadata = v[2] ?? {};
        if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata) || Object.values(metadata).some((m) => typeof m !== 'string')) return bad('couldn\'t parse push request: Malformed value');
        const ts = BigInt(v[0]);
        if (oldest !== undefined && ts < oldest) {
          return bad(`entry for stream '${labelsString(labels as Record<string, string>)}' has timestamp too old: ${new Date(Number(ts / NS_PER_MS)).toISOString()}, oldest acceptable timestamp is: ${new Date(Number(oldest / NS_PER_MS)).toISOString()}`);
        }
        const sm = metadata as Record<string, string>;
        entries.push({ ts, line: v[1], metadata: this.limits.discoverLogLevels ? withDetectedLevel(labels as Record<string, string>, sm, v[1]) : { ...sm } });
      }
      parsed.push({ labels: withServiceName(labels as Record<string, string>, this.limits.discoverServiceName), entries });
    }
    for (const p of parsed) this.store.append(tenant, p.labels, p.entries);
    return { status: 204, body: '' };
  }

  // -------------------------------------------------------------------------
  // Queries
  // -------------------------------------------------------------------------

  private parseQuery(params: URLSearchParams): Expr {
    return parseLogQL(params.get('query') ?? '');
  }

  private limitParam(params: URLSearchParams): number {
    const raw = params.get('limit');
    if (raw === null || raw === '') return 100;
    if (!/^[+-]?\d+$/.test(raw)) throw new LokiQueryError(`strconv.Atoi: parsing ${JSON.stringify(raw)}: invalid syntax`);
    const limit = Number(raw);
    if (limit <= 0) throw new LokiQueryError('limit must be a positive value');
    return limit;
  }

  private directionParam(params: URLSearchParams): 'forward' | 'backward' {
    const raw = (params.get('direction') ?? 'backward').toLowerCase();
    if (raw === '' || raw === 'backward') return 'backward';
    if (raw === 'forward') return 'forward';
    throw new LokiQueryError(`invalid direction '${params.get('direction')}'`);
  }

  /**
   * The query frontend's range limits, in its order: max_query_lookback moves the start up to
   * now − lookback (a range wholly before it is answered empty: undefined here), then a range
   * longer than max_query_length is refused. The length prints as a Go duration, the limit as a
   * Prometheus one (pkg/querier/queryrange/limits.go).
   */
  private limitRange(start: bigint, end: bigint): bigint | undefined {
    const lookback = BigInt(this.limits.maxQueryLookbackHours) * HOUR_NS;
    let from = start;
    if (lookback > 0n) {
      const earliest = nowNs() - lookback;
      if (end < earliest) return undefined;
      if (from < earliest) from = earliest;
    }
    const maxLen = BigInt(this.limits.maxQueryLengthHours) * HOUR_NS;
    const length = ((end - from) / NS_PER_MS) * NS_PER_MS;
    if (maxLen > 0n && length > maxLen) {
      throw new LokiQueryError(`the query time range exceeds the limit (query length: ${goDuration(length)}, limit: ${promDuration(maxLen)})`);
    }
    return from;
  }

  private queryRange(tenant: string, params: URLSearchParams): Answer {
    const { start, end } = bounds(params, HOUR_NS);
    if (end < start) return bad('end timestamp must not be before or equal to start time');
    const limit = this.limitParam(params);
    const direction = this.directionParam(params);
    const rawStep = params.get('step');
    const defaultStepS = (end - start) / NS_PER_S / 250n;
    const step = rawStep === null || rawStep === '' ? (defaultStepS > 1n ? defaultStepS : 1n) * NS_PER_S : parseStep(rawStep);
    if (step <= 0n) return bad('zero or negative query resolution step widths are not accepted. Try a positive integer');
    if ((end - start) / step > BigInt(this.limits.maxPointsPerSeries)) {
      return bad(`exceeded maximum resolution of ${this.limits.maxPointsPerSeries.toLocaleString('en-US')} points per time series. Try increasing the value of the step parameter`);
    }
    const rawInterval = params.get('interval');
    const interval = rawInterval ? parseStep(rawInterval) : 0n;
    if (interval < 0n) return bad('interval must be >= 0');
    const expr = this.parseQuery(params);
    if (!isMetric(expr) && limit > this.limits.maxEntriesLimitPerQuery) {
      return bad(`max entries limit per query exceeded, limit > max_entries_limit_per_query (${limit} > ${this.limits.maxEntriesLimitPerQuery})`);
    }
    const from = this.limitRange(start, end);
    const streams = from === undefined ? [] : this.store.streams(tenant);
    if (!isMetric(expr)) return this.streamsAnswer(evalLogQuery(streams, expr, { start: from ?? start, end, limit, direction, interval }));

    const series = new Map<string, { metric: Record<string, string>; values: [number, string][] }>();
    const ranges = prepareRanges(streams, expr, from ?? start, end);
    for (let t = from ?? start; t <= end; t += step) {
      for (const s of evalVector(ranges, expr, t)) {
        const key = labelsString(s.labels);
        const entry = series.get(key) ?? { metric: sorted(s.labels), values: [] };
        entry.values.push([sampleTime(t), sampleValue(s.value)]);
        series.set(key, entry);
        if (series.size > this.limits.maxQuerySeries) return bad(this.seriesLimitMessage());
      }
    }
    const result = [...series.values()].sort((a, b) => compareLabels(a.metric, b.metric));
    return { status: 200, body: { status: 'success', data: { resultType: 'matrix', result, stats: statsFor(0, 0, 0) } } };
  }

  private seriesLimitMessage(): string {
    return `maximum number of series (${this.limits.maxQuerySeries}) reached for a single query; consider reducing query cardinality by adding more specific stream selectors, reducing the time range, or aggregating results with functions like sum(), count() or topk()`;
  }

  private streamsAnswer(lines: LogLine[]): Answer {
    const grouped = new Map<string, { stream: Record<string, string>; values: [string, string][] }>();
    let bytes = 0;
    for (const l of lines) {
      const key = labelsString(l.labels);
      const g = grouped.get(key) ?? { stream: sorted(l.labels), values: [] };
      g.values.push([l.ts.toString(), l.line]);
      grouped.set(key, g);
      bytes += Buffer.byteLength(l.line);
    }
    const result = [...grouped.values()].sort((a, b) => compareLabels(a.stream, b.stream));
    return { status: 200, body: { status: 'success', data: { resultType: 'streams', result, stats: statsFor(lines.length, bytes, lines.length) } } };
  }

  private queryInstant(tenant: string, params: URLSearchParams): Answer {
    const t = wrapParse('time', () => parseLokiTime(params.get('time'), nowNs()));
    this.limitParam(params);
    this.directionParam(params);
    const expr = this.parseQuery(params);
    if (!isMetric(expr)) return bad('log queries are not supported as an instant query type, please change your query to a range query type');
    const samples: Sample[] = evalVector(prepareRanges(this.store.streams(tenant), expr, t, t), expr, t);
    if (samples.length > this.limits.maxQuerySeries) return bad(this.seriesLimitMessage());
    const ordered = ordersItsAnswer(expr) ? samples : [...samples].sort((a, b) => compareLabels(a.labels, b.labels));
    const result = ordered.map((s) => ({ metric: sorted(s.labels), value: [sampleTime(t), sampleValue(s.value)] }));
    return { status: 200, body: { status: 'success', data: { resultType: 'vector', result, stats: statsFor(0, 0, 0) } } };
  }

  // -------------------------------------------------------------------------
  // Discovery
  // -------------------------------------------------------------------------

  /** Streams with an entry in [start, end] matching any of the selectors (all streams when there are none). */
  private streamsIn(tenant: string, params: URLSearchParams, matcherSets: Matcher[][] | undefined) {
    const { start, end } = bounds(params, HOUR_NS);
    if (end < start) throw new LokiQueryError('end timestamp must not be before or equal to start time');
    return this.store.streams(tenant).filter((s) => {
      if (matcherSets && !matcherSets.some((ms) => selectorMatches(ms, s.labels))) return false;
      return s.entries.some((e) => e.ts >= start && e.ts <= end);
    });
  }

  /** A selector-only expression (series `match[]`, labels `query`): Loki refuses pipelines there. */
  private selectorOf(text: string): Matcher[] {
    const expr = parseLogQL(text);
    if (expr.kind !== 'log' || expr.stages.length > 0) throw new LokiQueryError('only label matchers are supported');
    return expr.matchers;
  }

  private labels(tenant: string, params: URLSearchParams): Answer {
    const q = params.get('query');
    const streams = this.streamsIn(tenant, params, q ? [this.selectorOf(q)] : undefined);
    const names = new Set<string>();
    for (const s of streams) for (const n of Object.keys(s.labels)) names.add(n);
    return { status: 200, body: { status: 'success', data: [...names].sort() } };
  }

  private labelValues(tenant: string, name: string, params: URLSearchParams): Answer {
    const q = params.get('query');
    const streams = this.streamsIn(tenant, params, q ? [this.selectorOf(q)] : undefined);
    const values = new Set<string>();
    for (const s of streams) if (s.labels[name] !== undefined) values.add(s.labels[name]);
    return { status: 200, body: { status: 'success', data: [...values].sort() } };
  }

  private series(tenant: string, params: URLSearchParams): Answer {
    const selectors = [...new Set([...params.getAll('match[]'), ...params.getAll('match')])];
    const all = selectors.length === 0 || (selectors.length === 1 && selectors[0].replace(/\s/g, '') === '{}');
    const streams = this.streamsIn(tenant, params, all ? undefined : selectors.map((s) => this.selectorOf(s)));
    const data = streams.sort((a, b) => compareLabels(a.labels, b.labels)).map((s) => sorted(s.labels));
    return { status: 200, body: { status: 'success', data } };
  }
}
