/**
 * Shared set-up for the integration suites that run against the real metric servers started by
 * `scripts/test-env.sh up` (Prometheus 3, Alertmanager, VictoriaMetrics, node exporter; ports and
 * configuration in scripts/test-env.d/ and test/fixtures/metrics/):
 *
 * - which servers exist (`requireMetricsUrl`),
 * - a scrape target whose values the test sets (`ControlledTarget`, the `controlled` job),
 * - history planted into Prometheus and VictoriaMetrics (`plantSeries`),
 * - Alertmanager silences and alerts made by the test (`createSilence`, `expireSilence`,
 *   `postAlerts`, `waitForAlert`),
 * - bounded waits for what the servers do on their own schedule (`waitForScrape`, `waitForAlert`).
 *
 * Everything here that writes (OTLP and import writes, silences, alerts, textfile metrics) is the
 * test's own set-up, never telemcp's traffic: telemcp only reads these servers.
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The variables scripts/test.sh exports from `scripts/test-env.sh up`. */
export type MetricsUrlVar = 'TEST_PROMETHEUS_URL' | 'TEST_PROMETHEUS2_URL' | 'TEST_ALERTMANAGER_URL' | 'TEST_VICTORIAMETRICS_URL' | 'TEST_NODE_EXPORTER_URL';

/** Fixed by test/fixtures/metrics/prometheus.yml: the `controlled` job scrapes this port. */
export const CONTROLLED_TARGET_PORT = 19095;
/** Fixed by test/fixtures/metrics/prometheus.yml: the `telemcp` job scrapes a telemcp on this port. */
export const TELEMCP_SCRAPE_PORT = 19096;
/** Fixed by test/fixtures/metrics/prometheus.yml: the `unreachable` job's target, where nothing listens. */
export const UNREACHABLE_TARGET = '127.0.0.1:19099';

/**
 * The server's URL from the environment, without a trailing slash. A missing variable fails the
 * suite (in CI and locally alike, as `requireEngineUrl` does): it never skips it.
 */
export function requireMetricsUrl(name: MetricsUrlVar): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: this integration suite needs the real metric servers. Start them with ` +
        '`scripts/test-env.sh up am vm nodeexp prom` and export the TEST_* variables (`npm test` / scripts/test.sh does both).',
    );
  }
  return value.replace(/\/+$/, '');
}

/**
 * The node exporter's textfile-collector dir (TEST_NODE_EXPORTER_TEXTFILE_DIR); missing fails like
 * `requireMetricsUrl`.
 */
export function requireTextfileDir(): string {
  const value = process.env.TEST_NODE_EXPORTER_TEXTFILE_DIR;
  if (!value) {
    throw new Error('TEST_NODE_EXPORTER_TEXTFILE_DIR is not set: start the node exporter with `scripts/test-env.sh up nodeexp` (`npm test` does).');
  }
  return value;
}

/**
 * Writes `<name>.prom` (Prometheus text format) into the textfile-collector dir, atomically (a
 * scrape never sees half a file); the node exporter serves it from its next scrape on. Returns a
 * function that removes the file.
 */
export async function writeTextfile(dir: string, name: string, text: string): Promise<() => Promise<void>> {
  if (!/^[\w.-]+$/.test(name)) throw new Error(`textfile name ${JSON.stringify(name)}: letters, digits, _ . - only`);
  const path = join(dir, `${name}.prom`);
  const tmp = join(dir, `.${name}.${randomBytes(4).toString('hex')}.tmp`);
  await writeFile(tmp, text.endsWith('\n') ? text : `${text}\n`, { mode: 0o644 });
  await rename(tmp, path);
  return () => rm(path, { force: true });
}

export type Labels = Record<string, string>;

// ---------------------------------------------------------------------------
// Querying (Prometheus and VictoriaMetrics answer the same API)
// ---------------------------------------------------------------------------

export interface VectorSample {
  metric: Labels;
  value: [number, string];
}
export interface MatrixSeries {
  metric: Labels;
  values: [number, string][];
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  const text = await res.text();
  if (!res.ok) throw new Error(`GET ${url} → ${res.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}

async function query<T>(baseUrl: string, expr: string, time?: number): Promise<T> {
  const params = new URLSearchParams({ query: expr });
  if (time !== undefined) params.set('time', String(time / 1000));
  const body = await getJson<{ status: string; data: { resultType: string; result: T }; error?: string }>(`${baseUrl}/api/v1/query?${params}`);
  if (body.status !== 'success') throw new Error(`query ${expr} on ${baseUrl}: ${body.error ?? JSON.stringify(body)}`);
  return body.data.result;
}

/** An instant query (Prometheus or VictoriaMetrics) that must return a vector; `time` in unix ms. */
export async function instantVector(baseUrl: string, expr: string, time?: number): Promise<VectorSample[]> {
  return query<VectorSample[]>(baseUrl, expr, time);
}

/**
 * The raw samples of the series a selector matches over the last `windowMs` (a range-vector
 * instant query: no step, no interpolation), as [unix ms, value] pairs per series.
 */
export async function rawPoints(baseUrl: string, selector: string, windowMs: number): Promise<{ metric: Labels; points: [number, number][] }[]> {
  const seconds = Math.ceil(windowMs / 1000);
  const series = await query<MatrixSeries[]>(baseUrl, `${selector}[${seconds}s]`);
  return series.map((s) => ({ metric: s.metric, points: s.values.map(([t, v]) => [Math.round(t * 1000), Number(v)] as [number, number]) }));
}

export interface WaitOptions {
  /** Upper bound of the wait (default 30 s); the wait ends as soon as the condition holds. */
  timeoutMs?: number;
  /** Pause between polls (default 500 ms). */
  intervalMs?: number;
}

async function poll<T>(what: string, opts: WaitOptions, attempt: () => Promise<T | undefined>, lastSeen: () => string): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const got = await attempt();
      if (got !== undefined) return got;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const cause = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
      throw new Error(`${what}: not seen within ${timeoutMs} ms; last answer: ${lastSeen()}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, opts.intervalMs ?? 500));
  }
}

/**
 * Polls an instant PromQL query until it returns a non-empty vector (e.g. after a ControlledTarget
 * change, until Prometheus has scraped it: `waitForScrape(prom, 'controlled_queue_depth == 7')`).
 * Returns that vector; fails with the last answer when the bound passes.
 */
export async function waitForScrape(promUrl: string, expr: string, opts: WaitOptions = {}): Promise<VectorSample[]> {
  let last = '(no answer)';
  return poll(
    `query ${expr} on ${promUrl} returning a non-empty vector`,
    opts,
    async () => {
      const result = await instantVector(promUrl, expr);
      last = JSON.stringify(result).slice(0, 500);
      return result.length > 0 ? result : undefined;
    },
    () => last,
  );
}

// ---------------------------------------------------------------------------
// A scrape target the test controls
// ---------------------------------------------------------------------------

type MetricType = 'counter' | 'gauge';

/**
 * An HTTP server on 127.0.0.1:19095 (the `controlled` job of the test Prometheus) serving
 * `/metrics` in the Prometheus text format with the values the test sets. Only one can run at a
 * time (the port is fixed); the suites of the engine tier run one file at a time.
 *
 *   const target = new ControlledTarget();
 *   await target.start();
 *   target.set('controlled_queue_depth', { queue: 'orders' }, 7);
 *   target.inc('controlled_errors_total', { route: '/pay' }, 100);
 *   await waitForScrape(promUrl, 'controlled_queue_depth{queue="orders"} == 7');
 *   await target.stop();
 */
export class ControlledTarget {
  private server?: http.Server;
  private readonly sockets = new Set<Socket>();
  private readonly metrics = new Map<string, { type: MetricType; help: string; series: Map<string, { labels: Labels; value: number }> }>();
  /** How many times /metrics was fetched (by Prometheus, or by the test). */
  scrapes = 0;

  constructor(readonly port = CONTROLLED_TARGET_PORT) {}

  /** The address Prometheus scrapes, as its `instance` label shows it. */
  get instance(): string {
    return `127.0.0.1:${this.port}`;
  }

  get url(): string {
    return `http://${this.instance}`;
  }

  /** Sets a gauge (created on first use; a name set once stays a gauge). */
  set(name: string, labels: Labels, value: number): void {
    this.series(name, 'gauge').set(labelKey(labels), { labels: { ...labels }, value });
  }

  /** Adds `by` (default 1, never negative) to a counter, created at 0 on first use. */
  inc(name: string, labels: Labels = {}, by = 1): void {
    if (!(by >= 0)) throw new Error(`counter ${name}: cannot add ${by}`);
    const series = this.series(name, 'counter');
    const key = labelKey(labels);
    const cur = series.get(key);
    series.set(key, { labels: { ...labels }, value: (cur?.value ?? 0) + by });
  }

  /** Removes one series (`labels` given) or the whole metric; the next scrape no longer has it. */
  remove(name: string, labels?: Labels): void {
    if (labels === undefined) this.metrics.delete(name);
    else this.metrics.get(name)?.series.delete(labelKey(labels));
  }

  /** The exposition the next scrape gets. */
  render(): string {
    const lines: string[] = [];
    for (const [name, m] of this.metrics) {
      lines.push(`# HELP ${name} ${m.help}`, `# TYPE ${name} ${m.type}`);
      for (const { labels, value } of m.series.values()) {
        const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
        lines.push(`${name}${pairs.length ? `{${pairs.join(',')}}` : ''} ${formatValue(value)}`);
      }
    }
    return lines.length ? `${lines.join('\n')}\n` : '';
  }

  /** Listens on 127.0.0.1:<port>; fails if the port is taken (another target still running). */
  async start(): Promise<void> {
    if (this.server) return;
    const server = http.createServer((req, res) => {
      if (req.method === 'GET' && (req.url === '/metrics' || req.url?.startsWith('/metrics?'))) {
        this.scrapes++;
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
        res.end(this.render());
        return;
      }
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
    });
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(new Error(`ControlledTarget cannot listen on ${this.instance}: ${err.message}`)));
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  /** Closes the listener and every open connection: from the next scrape on the target is down. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private series(name: string, type: MetricType): Map<string, { labels: Labels; value: number }> {
    checkName(name, 'metric');
    let m = this.metrics.get(name);
    if (!m) {
      m = { type, help: `Set by a test through ControlledTarget (${type}).`, series: new Map() };
      this.metrics.set(name, m);
    } else if (m.type !== type) {
      throw new Error(`${name} is a ${m.type}; it cannot be used as a ${type}`);
    }
    return m.series;
  }
}

function labelKey(labels: Labels): string {
  for (const name of Object.keys(labels)) checkName(name, 'label');
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function checkName(name: string, what: 'metric' | 'label'): void {
  const re = what === 'metric' ? /^[a-zA-Z_:][a-zA-Z0-9_:]*$/ : /^[a-zA-Z_][a-zA-Z0-9_]*$/;
  if (!re.test(name) || (what === 'label' && name.startsWith('__'))) throw new Error(`${JSON.stringify(name)} is not a valid ${what} name`);
}

function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

// ---------------------------------------------------------------------------
// Planting history
// ---------------------------------------------------------------------------

export interface PlantedSeries {
  /**
   * The metric name, kept as written by both servers: letters and digits in `_`-separated words
   * (Prometheus's OTLP receiver collapses `__`, turns `.` and `:` into `_` and moves `total`
   * words of counters to the end). A counter's name ends in `_total` and has no other `total` word.
   */
  name: string;
  /** Label names: a letter, then letters, digits, `_`. `job` and `instance` are allowed. */
  labels: Labels;
  /** [unix ms, value], in any order; at most 3 days old (Prometheus's out-of-order window). */
  points: [number, number][];
  /** Stored as an OTLP gauge (default) or a monotonic cumulative sum (Prometheus type counter). */
  kind?: 'gauge' | 'counter';
}

/** How far back Prometheus accepts planted samples: prometheus.yml's out_of_order_time_window (3d), less a margin. */
export const PLANT_MAX_AGE_MS = 3 * 24 * 3600_000 - 3600_000;

/**
 * Writes historic samples (exact values at exact millisecond timestamps) into Prometheus and,
 * when `vmUrl` is given, VictoriaMetrics:
 *
 * - Prometheus: OTLP over HTTP, JSON encoding, `POST /api/v1/otlp/v1/metrics` (the receiver is on
 *   through --web.enable-otlp-receiver). Samples older than the newest one of a series land through
 *   the TSDB's out-of-order window (3d). The series carries exactly `labels` (no resource
 *   attributes are sent, so no job/instance/target_info are added).
 * - VictoriaMetrics: JSON lines, `POST /api/v1/import`, then `GET /internal/force_flush` (so that
 *   queries see the samples now) and `GET /internal/resetRollupResultCache` (cached results of
 *   earlier queries over the same window would hide them).
 *
 * Both answer the points back from the next query on. A sample the server refuses fails the
 * call with the server's own message (e.g. "too old sample").
 */
export async function plantSeries(promUrl: string, vmUrl: string | undefined, series: PlantedSeries | PlantedSeries[]): Promise<void> {
  const all = Array.isArray(series) ? series : [series];
  for (const s of all) checkPlanted(s);
  if (!all.length) return;

  const metrics = all.map((s) => {
    const dataPoints = s.points.map(([t, v]) => ({
      attributes: Object.entries(s.labels).map(([key, value]) => ({ key, value: { stringValue: value } })),
      timeUnixNano: (BigInt(t) * 1_000_000n).toString(),
      asDouble: v,
    }));
    return s.kind === 'counter'
      ? { name: s.name, sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints } }
      : { name: s.name, gauge: { dataPoints } };
  });
  const otlp = { resourceMetrics: [{ resource: { attributes: [] }, scopeMetrics: [{ scope: {}, metrics }] }] };
  const res = await fetch(`${promUrl}/api/v1/otlp/v1/metrics`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(otlp),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`planting into Prometheus (OTLP) → ${res.status}: ${text.slice(0, 500)}`);
  const rejected = otlpRejected(text);
  if (rejected) throw new Error(`planting into Prometheus (OTLP): ${rejected}`);

  if (vmUrl === undefined) return;
  const lines = all.map((s) => {
    const sorted = [...s.points].sort(([a], [b]) => a - b);
    return JSON.stringify({ metric: { __name__: s.name, ...s.labels }, values: sorted.map(([, v]) => v), timestamps: sorted.map(([t]) => t) });
  });
  const imp = await fetch(`${vmUrl}/api/v1/import`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: `${lines.join('\n')}\n` });
  if (!imp.ok) throw new Error(`planting into VictoriaMetrics (/api/v1/import) → ${imp.status}: ${(await imp.text()).slice(0, 500)}`);
  for (const path of ['/internal/force_flush', '/internal/resetRollupResultCache']) {
    const r = await fetch(vmUrl + path);
    if (!r.ok) throw new Error(`VictoriaMetrics ${path} → ${r.status}: ${(await r.text()).slice(0, 300)}`);
  }
}

function checkPlanted(s: PlantedSeries): void {
  if (!/^[a-zA-Z][a-zA-Z0-9]*(_[a-zA-Z0-9]+)*$/.test(s.name)) {
    throw new Error(`plantSeries: ${JSON.stringify(s.name)} would not survive OTLP name translation; use letters and digits in _-separated words`);
  }
  const words = s.name.split('_');
  if (s.kind === 'counter' && (words[words.length - 1] !== 'total' || words.indexOf('total') !== words.length - 1)) {
    throw new Error(`plantSeries: counter ${s.name} must end in _total and have no other "total" word (OTLP moves it to the end)`);
  }
  for (const name of Object.keys(s.labels)) {
    if (!/^[a-zA-Z][a-zA-Z0-9_]*$/.test(name)) throw new Error(`plantSeries: label ${JSON.stringify(name)} of ${s.name}: a letter, then letters, digits, _`);
  }
  if (!s.points.length) throw new Error(`plantSeries: ${s.name} has no points`);
  const oldest = Date.now() - PLANT_MAX_AGE_MS;
  for (const [t, v] of s.points) {
    if (!Number.isSafeInteger(t)) throw new Error(`plantSeries: ${s.name}: timestamp ${t} is not whole unix milliseconds`);
    if (t < oldest) throw new Error(`plantSeries: ${s.name}: ${new Date(t).toISOString()} is older than Prometheus's out-of-order window allows`);
    if (typeof v !== 'number') throw new Error(`plantSeries: ${s.name}: value ${String(v)} is not a number`);
  }
}

/** The OTLP partial-success message, if the answer reports rejected points. */
function otlpRejected(text: string): string | undefined {
  if (!text.trim().startsWith('{')) return undefined;
  try {
    const body = JSON.parse(text) as { partialSuccess?: { rejectedDataPoints?: number | string; errorMessage?: string } };
    const n = Number(body.partialSuccess?.rejectedDataPoints ?? 0);
    return n > 0 ? `${n} data points rejected: ${body.partialSuccess?.errorMessage ?? ''}` : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------
// Alertmanager
// ---------------------------------------------------------------------------

export interface SilenceMatcher {
  name: string;
  value: string;
  /** Default false. */
  isRegex?: boolean;
  /** Default true (false: `!=` / `!~`). */
  isEqual?: boolean;
}

/** An alert as GET /api/v2/alerts answers it. */
export interface AmAlert {
  labels: Labels;
  annotations: Labels;
  startsAt: string;
  endsAt: string;
  updatedAt: string;
  fingerprint: string;
  generatorURL?: string;
  receivers: { name: string }[];
  status: { state: 'active' | 'suppressed' | 'unprocessed'; silencedBy: string[]; inhibitedBy: string[]; mutedBy?: string[] };
}

/** An alert as POST /api/v2/alerts takes it (times as ISO strings; omitted startsAt = now). */
export interface PostableAlert {
  labels: Labels;
  annotations?: Labels;
  startsAt?: string;
  endsAt?: string;
  generatorURL?: string;
}

async function amSend(amUrl: string, method: string, path: string, body?: unknown): Promise<string> {
  const res = await fetch(amUrl + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`Alertmanager ${method} ${path} → ${res.status}: ${text.slice(0, 500)}`);
  return text;
}

/**
 * Creates a silence from now for `minutes` (default 60) and returns its id. `matchers` is either
 * a list, or an object of label → value for plain equality matchers.
 */
export async function createSilence(
  amUrl: string,
  matchers: SilenceMatcher[] | Labels,
  opts: { comment: string; minutes?: number; createdBy?: string },
): Promise<string> {
  const list: SilenceMatcher[] = Array.isArray(matchers) ? matchers : Object.entries(matchers).map(([name, value]) => ({ name, value }));
  if (!list.length) throw new Error('createSilence: at least one matcher');
  const now = Date.now();
  const text = await amSend(amUrl, 'POST', '/api/v2/silences', {
    matchers: list.map((m) => ({ name: m.name, value: m.value, isRegex: m.isRegex ?? false, isEqual: m.isEqual ?? true })),
    startsAt: new Date(now).toISOString(),
    endsAt: new Date(now + (opts.minutes ?? 60) * 60_000).toISOString(),
    createdBy: opts.createdBy ?? 'telemcp-tests',
    comment: opts.comment,
  });
  const id = (JSON.parse(text) as { silenceID?: string }).silenceID;
  if (!id) throw new Error(`createSilence: no silenceID in ${text.slice(0, 300)}`);
  return id;
}

/** Expires a silence now (DELETE /api/v2/silence/{id}); its alerts are no longer silenced. */
export async function expireSilence(amUrl: string, id: string): Promise<void> {
  await amSend(amUrl, 'DELETE', `/api/v2/silence/${encodeURIComponent(id)}`);
}

/**
 * Posts alerts to Alertmanager as Prometheus would (POST /api/v2/alerts), for tests that need
 * labels the static rules do not make. An alert without endsAt stays active for Alertmanager's
 * resolve_timeout (5m in alertmanager.yml); post it again with endsAt = now to resolve it.
 */
export async function postAlerts(amUrl: string, alerts: PostableAlert[]): Promise<void> {
  await amSend(
    amUrl,
    'POST',
    '/api/v2/alerts',
    alerts.map((a) => ({ annotations: {}, ...a, startsAt: a.startsAt ?? new Date().toISOString() })),
  );
}

/** Every alert Alertmanager holds (active, silenced, inhibited and unprocessed alike). */
export async function listAlerts(amUrl: string): Promise<AmAlert[]> {
  return getJson<AmAlert[]>(`${amUrl}/api/v2/alerts?active=true&silenced=true&inhibited=true&unprocessed=true`);
}

/**
 * Polls Alertmanager's alerts until one matches `predicate` (e.g. `(a) => a.labels.alertname ===
 * 'TargetDown' && a.status.state === 'active'`) and returns it; fails with what it last saw when
 * the bound passes.
 */
export async function waitForAlert(amUrl: string, predicate: (alert: AmAlert) => boolean, opts: WaitOptions = {}): Promise<AmAlert> {
  let last = '(no answer)';
  return poll(
    `an Alertmanager alert matching ${predicate.toString().slice(0, 200)}`,
    opts,
    async () => {
      const alerts = await listAlerts(amUrl);
      last = JSON.stringify(alerts.map((a) => ({ labels: a.labels, status: a.status }))).slice(0, 1000);
      return alerts.find(predicate);
    },
    () => last,
  );
}
