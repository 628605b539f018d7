/**
 * The metric tools against the raw Prometheus and Alertmanager APIs, on the real servers of
 * scripts/test-env.sh, in one run:
 *
 *   1. "What is firing and why": alerts_active + prom_targets_rules against the raw
 *      /api/v2/alerts, /api/v2/silences, /api/v1/rules and /api/v1/targets an agent would read;
 *      1a with an incident of 44 kube-prometheus-style alerts and 3 silences posted into
 *      Alertmanager (beside the env's own alerts, rules and targets), 1b once three nodes went
 *      down too (123 alerts more);
 *   2. "Which pods use the most CPU over 6 h": promql_query
 *      `topk(10, sum by (namespace, pod) (rate(container_cpu_usage_seconds_total[5m])))` over 6 h
 *      against the raw query_range of the same sum without topk (what an agent needs to rank every
 *      pod itself), on cAdvisor-like counters of 200 pods in 10 namespaces planted first (a few
 *      pods burst or climb); 2b asks promql_query the sum without topk;
 *   3. "A 24 h range query over 500 series": promql_query over 500 planted gauges, 24 h at 60 s,
 *      against the raw query_range JSON of the same query.
 *
 * Bytes: the REST answers of a `telemcp serve` process (POST /mcp/execute, the whole body) against
 * the raw answers' bodies, each checked to give the same facts.
 * Latency: per question, CALLS rounds after WARMUP, in an order that rotates every round:
 * (a) the direct HTTP call(s) to Prometheus/Alertmanager with the query parameters telemcp sends
 * (undici, keep-alive, no compression: as telemcp's own client), (b) the same question through
 * the server (tools of one question in parallel, as the raw calls are), and, where a PromQL guard
 * runs, (c) the guard's series count sent directly (/api/v1/series with its parameters), and for
 * 2 (d) the raw query itself. The REST door's floor is a cheap tool (telemcp_status) the same way.
 * Where the time goes: the server's /metrics over the same rounds (each tool's mean, backend
 * time); for 1, each tool alone against the calls it makes itself; for 2 and 3, in this process
 * on the same answer, the steps the server adds (JSON.parse, seriesFindings and its summaries
 * with change detection, the analysis thread's round trip, a structured clone of the series).
 *
 *   npm run bench:metrics     (CALLS=30 WARMUP=3; PROMETHEUS_URL, ALERTMANAGER_URL as
 *                              `bash scripts/test-env.sh env` prints them)
 *
 * Needs dist/ (npx tsc -p tsconfig.build.json) and the servers (`bash scripts/test-env.sh up prom
 * am vm nodeexp`). Writes into them only what it plants: the series below (deterministic, so a
 * rerun adds nothing new inside the window already planted), the incident's alerts (resolved at
 * the end) and silences (expired at the end).
 */
import { existsSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Agent, request } from 'undici';
import { CLI, startServerProcess, type RunningServer } from '../../test/helpers/server.js';
import { createSilence, expireSilence, listAlerts, plantSeries, postAlerts, waitForAlert, type PlantedSeries } from '../../test/helpers/metrics-env.js';
import type { PromSeries } from '../../src/backends/metrics/prometheus.js';
import type * as PromqlAst from '../../src/backends/metrics/promql-ast.js';
import type * as PromqlGuard from '../../src/backends/metrics/promql-guard.js';
import type * as PromqlQuery from '../../src/tools/metrics/promql_query.js';
import type * as SeriesFindings from '../../src/tools/metrics/series-findings.js';
import type * as AnalysisThread from '../../src/tools/analysis-thread.js';
import type * as Changes from '../../src/analysis/metrics/changes.js';
import { CPU_METRIC, GAUGE_METRIC, cpuPods, cpuSeries, gaugePlanted, gaugeSeries, incidentAlerts, incidentSilences, INCIDENT_LABELS, nodeDownAlerts } from './data.js';

const PROM = (process.env.PROMETHEUS_URL ?? process.env.TEST_PROMETHEUS_URL ?? 'http://127.0.0.1:19090').replace(/\/+$/, '');
const AM = (process.env.ALERTMANAGER_URL ?? process.env.TEST_ALERTMANAGER_URL ?? 'http://127.0.0.1:19093').replace(/\/+$/, '');
const CALLS = Number(process.env.CALLS ?? 30);
const WARMUP = Number(process.env.WARMUP ?? 3);
const PROFILE_RUNS = Number(process.env.PROFILE_RUNS ?? 10);
const KEY = 'bench-key';
const HOUR = 3_600_000;
/** The guard's lookback for an instant selector (Prometheus' default lookback delta), as src/backends/metrics/promql-guard.ts. */
const LOOKBACK_DELTA_MS = 300_000;
/** The guard counts at most one past PROMETHEUS_MAX_SERIES (default 10,000). */
const SERIES_LIMIT = 10_001;
/** The `timeout` telemcp sends with a query: the backend deadline (BACKEND_TIMEOUT_MS, 30 s) less a second. */
const QUERY_TIMEOUT = '29s';

type Json = Record<string, unknown>;
type Params = Record<string, string | string[]>;

// ---------------------------------------------------------------------------
// HTTP: one keep-alive pool for the direct calls, one for telemcp's door
// ---------------------------------------------------------------------------

// The code the server runs: what this process times and the guard's parameters come from dist/ too, not from src/ (which may have moved on since the build).
if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build it first (npx tsc -p tsconfig.build.json).`);
const dist = async <T>(path: string): Promise<T> => (await import(pathToFileURL(resolve('dist', path)).href)) as T;
const { parsePromql } = await dist<typeof PromqlAst>('backends/metrics/promql-ast.js');
const { selectorText } = await dist<typeof PromqlGuard>('backends/metrics/promql-guard.js');
const { autoStepMs } = await dist<typeof PromqlQuery>('tools/metrics/promql_query.js');
const { seriesFindings, pointsOf } = await dist<typeof SeriesFindings>('tools/metrics/series-findings.js');
const { runAnalysis } = await dist<typeof AnalysisThread>('tools/analysis-thread.js');
const { summariseAll } = await dist<typeof Changes>('analysis/metrics/changes.js');

const directPool = new Agent({ keepAliveTimeout: 10_000, connections: 32 });
const telemcpPool = new Agent({ keepAliveTimeout: 10_000, connections: 32 });

interface Direct {
  label: string;
  url: string;
  params?: Params;
}

function urlOf(d: Direct): string {
  const u = new URL(d.url);
  for (const [k, v] of Object.entries(d.params ?? {})) for (const one of Array.isArray(v) ? v : [v]) u.searchParams.append(k, one);
  return u.toString();
}

/** One GET, read to the end as text (what a client parses). */
async function get(d: Direct): Promise<{ text: string; bytes: number }> {
  const res = await request(urlOf(d), { method: 'GET', headers: { accept: 'application/json' }, dispatcher: directPool });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`GET ${d.label}: HTTP ${res.statusCode} ${text.slice(0, 300)}`);
  return { text, bytes: Buffer.byteLength(text) };
}

interface Call {
  tool: string;
  input: Json;
}

async function execute(server: RunningServer, c: Call): Promise<{ text: string; bytes: number; data: Json }> {
  const res = await request(`${server.url}/mcp/execute`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': KEY },
    body: JSON.stringify({ tool_name: c.tool, input: c.input }),
    dispatcher: telemcpPool,
  });
  const text = await res.body.text();
  const body = JSON.parse(text) as { ok: boolean; data?: Json };
  if (res.statusCode !== 200 || !body.ok || !body.data) throw new Error(`${c.tool}: HTTP ${res.statusCode} ${text.slice(0, 400)}`);
  return { text, bytes: Buffer.byteLength(text), data: body.data };
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/** Nearest rank: the smallest value with at least p% of the samples at or below it. */
function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

// ---------------------------------------------------------------------------
// The servers and the machine
// ---------------------------------------------------------------------------

async function versions(): Promise<{ prometheus: string; alertmanager: string }> {
  const prom = JSON.parse((await get({ label: 'buildinfo', url: `${PROM}/api/v1/status/buildinfo` })).text) as { data: { version: string } };
  const am = JSON.parse((await get({ label: 'status', url: `${AM}/api/v2/status` })).text) as { versionInfo?: { version?: string } };
  return { prometheus: prom.data.version, alertmanager: am.versionInfo?.version ?? '?' };
}

async function reachable(): Promise<void> {
  for (const [name, url] of [['Prometheus', `${PROM}/-/ready`], ['Alertmanager', `${AM}/-/ready`]]) {
    try {
      const res = await request(url, { dispatcher: directPool });
      await res.body.text();
      if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`);
    } catch (err) {
      throw new Error(`${name} at ${url} does not answer (${(err as Error).message}): start the test env with \`bash scripts/test-env.sh up prom am vm nodeexp\`.`);
    }
  }
}

// ---------------------------------------------------------------------------
// Planting
// ---------------------------------------------------------------------------

async function plantInChunks(series: PlantedSeries[], perRequest: number): Promise<{ ms: number; samples: number }> {
  const started = performance.now();
  let samples = 0;
  for (let i = 0; i < series.length; i += perRequest) {
    const chunk = series.slice(i, i + perRequest);
    await plantSeries(PROM, undefined, chunk);
    samples += chunk.reduce((n, s) => n + s.points.length, 0);
  }
  return { ms: performance.now() - started, samples };
}

interface Incident {
  alerts: ReturnType<typeof incidentAlerts>;
  silenceIds: string[];
}

const mine = (a: { labels: Record<string, string> }) => a.labels.prometheus === INCIDENT_LABELS.prometheus && a.labels.cluster === INCIDENT_LABELS.cluster;

async function postIncident(now: number): Promise<Incident> {
  const alerts = incidentAlerts(now);
  await postAlerts(AM, alerts);
  const silenceIds: string[] = [];
  for (const s of incidentSilences()) silenceIds.push(await createSilence(AM, s.matchers, { comment: s.comment, minutes: s.minutes, createdBy: s.createdBy }));
  // Alertmanager applies inhibitions and silences on its own schedule: wait until it shows them.
  await waitForAlert(AM, (a) => mine(a) && a.labels.alertname === 'NodeFilesystemSpaceFillingUp' && a.status.inhibitedBy.length > 0, { timeoutMs: 60_000 });
  await waitForAlert(AM, (a) => mine(a) && a.labels.alertname === 'KubeJobFailed' && a.status.silencedBy.length > 0, { timeoutMs: 60_000 });
  await waitForAlert(AM, (a) => mine(a) && a.labels.namespace === 'staging' && a.status.silencedBy.length > 0, { timeoutMs: 60_000 });
  return { alerts, silenceIds };
}

/** Three nodes go down in the middle of the incident. */
async function growIncident(incident: Incident, now: number): Promise<void> {
  const more = nodeDownAlerts(now);
  await postAlerts(AM, more);
  incident.alerts.push(...more);
  const last = more[more.length - 1].labels;
  await waitForAlert(AM, (a) => mine(a) && Object.entries(last).every(([k, v]) => a.labels[k] === v), { timeoutMs: 60_000 });
}

async function clearIncident(incident: Incident | undefined): Promise<void> {
  if (!incident) return;
  for (const id of incident.silenceIds) await expireSilence(AM, id).catch(() => undefined);
  const now = new Date().toISOString();
  await postAlerts(AM, incident.alerts.map((a) => ({ ...a, endsAt: now }))).catch(() => undefined);
}

// ---------------------------------------------------------------------------
// The questions
// ---------------------------------------------------------------------------

interface Question {
  name: string;
  /** The raw answers an agent reads for the same facts: their bytes are the "raw" figure. */
  raw: Direct[];
  /** The direct call(s) timed against telemcp: the same query parameters telemcp sends. */
  direct: Direct[];
  /** The PromQL guard's series count, sent directly (promql_query only). */
  guard?: Direct;
  /** The tools asked, in parallel. */
  telemcp: Call[];
  /** The same tools asked for everything at once (no page left out): its bytes are reported beside. */
  complete?: Call[];
  /** Facts both sides give, as one line; `same` compares them. */
  facts: (raw: string[], tools: Json[]) => { line: string; same: boolean };
}

/** A range query's parameters as promql_query sends them (unix seconds as text). */
function rangeParams(expr: string, start: number, end: number, stepMs: number): Params {
  return { query: expr, start: String(start / 1000), end: String(end / 1000), step: String(stepMs / 1000), timeout: QUERY_TIMEOUT };
}

/** The guard's series count for an expression with one selector, as src/backends/metrics/promql-guard.ts sends it. */
function guardCall(expr: string, start: number, end: number): Direct {
  const selectors = parsePromql(expr).selectors;
  if (selectors.length !== 1) throw new Error(`guardCall: ${expr} has ${selectors.length} selectors; one expected`);
  const s = selectors[0];
  const lookback = s.rangeMs === undefined ? s.lookbackMs + LOOKBACK_DELTA_MS : s.lookbackMs;
  return {
    label: '/api/v1/series (guard)',
    url: `${PROM}/api/v1/series`,
    params: { 'match[]': [selectorText(s)], start: String((start - s.offsetMs - lookback) / 1000), end: String((end - s.offsetMs) / 1000), limit: String(SERIES_LIMIT) },
  };
}

interface AmAlertRaw {
  labels: Record<string, string>;
  status: { state: string; silencedBy: string[]; inhibitedBy: string[] };
}

function questionAlerts(name: string): Question {
  const raw: Direct[] = [
    { label: 'GET /api/v2/alerts', url: `${AM}/api/v2/alerts` },
    { label: 'GET /api/v2/silences', url: `${AM}/api/v2/silences` },
    { label: 'GET /api/v1/rules', url: `${PROM}/api/v1/rules` },
    { label: 'GET /api/v1/targets?state=active', url: `${PROM}/api/v1/targets`, params: { state: 'active' } },
  ];
  return {
    name,
    raw,
    direct: raw,
    telemcp: [
      { tool: 'alerts_active', input: {} },
      { tool: 'prom_targets_rules', input: {} },
    ],
    // alerts_active lists 20 groups a page by default: every group at once is at most 100.
    complete: [
      { tool: 'alerts_active', input: { limit: 100 } },
      { tool: 'prom_targets_rules', input: {} },
    ],
    facts: ([alertsText, , rulesText, targetsText], [active, targets]) => {
      const alerts = JSON.parse(alertsText) as AmAlertRaw[];
      const rules = (JSON.parse(rulesText) as { data: { groups: { rules: { type: string; state?: string; health: string; lastError?: string }[] }[] } }).data.groups.flatMap((g) => g.rules);
      const tgs = (JSON.parse(targetsText) as { data: { activeTargets: { health: string }[] } }).data.activeTargets;
      const rawFacts = {
        alerts: alerts.length,
        active: alerts.filter((a) => a.status.state === 'active').length,
        silenced: alerts.filter((a) => a.status.silencedBy.length > 0).length,
        inhibited: alerts.filter((a) => a.status.inhibitedBy.length > 0).length,
        firing_rules: rules.filter((r) => r.type === 'alerting' && r.state === 'firing').length,
        failing_rules: rules.filter((r) => r.health === 'err' || (r.lastError ?? '') !== '').length,
        targets_down: tgs.filter((t) => t.health === 'down').length,
      };
      const c = active.counts as { firing: number; active: number; silenced: number; inhibited: number };
      const r = targets.rules as { firing: number; failing: number };
      const t = targets.targets as { down: number };
      const toolFacts = { alerts: c.firing, active: c.active, silenced: c.silenced, inhibited: c.inhibited, firing_rules: r.firing, failing_rules: r.failing, targets_down: t.down };
      const line = Object.entries(toolFacts).map(([k, v]) => `${k} ${v}`).join(', ');
      return { line, same: JSON.stringify(rawFacts) === JSON.stringify(toolFacts) };
    },
  };
}

interface MatrixAnswer {
  data: { result: { metric: Record<string, string>; values: [number, string][] }[] };
}

/**
 * The top `k` series by their maximum, as the agent ranks the raw answer, against promql_query's
 * top series (ranked by max, its default): the same maxima, each on the same series.
 */
function topByMax(rawText: string, tool: Json, k: number, key: (m: Record<string, string>) => string, label: string): { line: string; same: boolean } {
  const raw = (JSON.parse(rawText) as MatrixAnswer).data.result.map((s) => ({ key: key(s.metric), max: Math.max(...s.values.map(([, v]) => Number(v))) }));
  const rawMax = new Map(raw.map((r) => [r.key, r.max]));
  const rawTop = raw.sort((a, b) => b.max - a.max).slice(0, k);
  const listed = (tool.series as { labels: string; max: number }[]).slice(0, k);
  const podOf = (labels: string) => new RegExp(`${label}="([^"]+)"`).exec(labels)?.[1] ?? labels;
  const close = (a: number, b: number) => Math.abs(a - b) <= 1e-5 * Math.max(Math.abs(a), Math.abs(b), 1e-12);
  const same = listed.length === rawTop.length && listed.every((s, i) => close(s.max, rawTop[i].max) && close(s.max, rawMax.get(podOf(s.labels)) ?? NaN));
  const top3 = listed.slice(0, 3).map((s) => `${podOf(s.labels)} ${Number(s.max.toPrecision(3))}`);
  const changed = /(\d+) of \d+ changed/.exec(String(tool.summary))?.[1] ?? '0';
  return { line: `${raw.length} series in raw; top by max ${top3.join(', ')}, …; telemcp: ${String(tool.series_count)} series in its result, ${changed} changed (summary)`, same };
}

function questionCpu(start: number, end: number): Question {
  const expr = `topk(10, sum by (namespace, pod) (rate(${CPU_METRIC}[5m])))`;
  const rawExpr = `sum by (namespace, pod) (rate(${CPU_METRIC}[5m]))`;
  const stepMs = autoStepMs(end - start);
  return {
    name: '2. top pods by CPU, 6h',
    raw: [{ label: `query_range ${rawExpr}`, url: `${PROM}/api/v1/query_range`, params: rangeParams(rawExpr, start, end, stepMs) }],
    direct: [{ label: `query_range ${expr}`, url: `${PROM}/api/v1/query_range`, params: rangeParams(expr, start, end, stepMs) }],
    guard: guardCall(expr, start, end),
    // No step: telemcp picks it (about 250 points), the raw query above uses the same.
    telemcp: [{ tool: 'promql_query', input: { expr, start: new Date(start).toISOString(), end: new Date(end).toISOString() } }],
    facts: ([rawText], [tool]) => {
      const step = (tool.query as { step?: string }).step;
      const checked = topByMax(rawText, tool, 10, (m) => m.pod, 'pod');
      return { line: `step ${step}; ${checked.line}`, same: checked.same && step === `${stepMs / 1000}s` };
    },
  };
}

/** Question 2 asked without topk: promql_query ranks (and looks for changes in) every pod itself. */
function questionCpuAll(start: number, end: number): Question {
  const expr = `sum by (namespace, pod) (rate(${CPU_METRIC}[5m]))`;
  const stepMs = autoStepMs(end - start);
  const direct: Direct = { label: `query_range ${expr}`, url: `${PROM}/api/v1/query_range`, params: rangeParams(expr, start, end, stepMs) };
  return {
    name: '2b. the same, without topk',
    raw: [direct],
    direct: [direct],
    guard: guardCall(expr, start, end),
    telemcp: [{ tool: 'promql_query', input: { expr, start: new Date(start).toISOString(), end: new Date(end).toISOString() } }],
    facts: ([rawText], [tool]) => topByMax(rawText, tool, 10, (m) => m.pod, 'pod'),
  };
}

function questionWide(start: number, end: number): Question {
  const expr = GAUGE_METRIC;
  const stepMs = 60_000;
  const direct: Direct = { label: `query_range ${expr}`, url: `${PROM}/api/v1/query_range`, params: rangeParams(expr, start, end, stepMs) };
  return {
    name: '3. 24h range, 500 series',
    raw: [direct],
    direct: [direct],
    guard: guardCall(expr, start, end),
    telemcp: [{ tool: 'promql_query', input: { expr, start: new Date(start).toISOString(), end: new Date(end).toISOString(), step: '60s' } }],
    facts: ([rawText], [tool]) => topByMax(rawText, tool, 10, (m) => m.instance, 'instance'),
  };
}

// ---------------------------------------------------------------------------
// Measuring
// ---------------------------------------------------------------------------

interface Measured {
  q: Question;
  rawBytes: number[];
  toolBytes: number[];
  facts: { line: string; same: boolean };
  direct: number[];
  telemcp: number[];
  guard: number[];
  /** The raw calls, when they are not the direct ones (the agent's own query). */
  rawTimes: number[];
  /** telemcp − direct, round by round. */
  paired: number[];
  guardBytes?: number;
  /** Per tool: groups listed and whether more are left (alerts_active), else undefined. */
  pages: (string | undefined)[];
  complete?: { bytes: number; pages: string | undefined }[];
  server: ServerSpent;
  rawTexts: string[];
}

/** What the server's /metrics add up to over the timed rounds: each tool's mean duration, and the backend requests of a round. */
interface ServerSpent {
  tools: { tool: string; ms: number }[];
  /** Summed over the round's requests (in parallel ones overlap), ms. */
  backendMs: number;
  backendRequests: number;
}

type Histograms = Map<string, { sum: number; count: number }>;

async function histograms(server: RunningServer): Promise<Histograms> {
  const res = await request(`${server.url}/metrics`, { dispatcher: telemcpPool });
  const text = await res.body.text();
  const out: Histograms = new Map();
  for (const m of text.matchAll(/^(telemcp_(?:tool|backend_request)_duration_seconds)_(sum|count)\{([^}]*)\} (\S+)$/gm)) {
    const tool = /tool="([^"]+)"/.exec(m[3])?.[1];
    const backend = /backend="([^"]+)"/.exec(m[3])?.[1];
    const key = m[1].startsWith('telemcp_tool') ? `tool:${tool}` : `backend:${backend}`;
    const e = out.get(key) ?? { sum: 0, count: 0 };
    if (m[2] === 'sum') e.sum += Number(m[4]);
    else e.count += Number(m[4]);
    out.set(key, e);
  }
  return out;
}

function spent(before: Histograms, after: Histograms, q: Question): ServerSpent {
  const delta = (key: string) => {
    const a = after.get(key) ?? { sum: 0, count: 0 };
    const b = before.get(key) ?? { sum: 0, count: 0 };
    return { sum: a.sum - b.sum, count: a.count - b.count };
  };
  const backends = ['prometheus', 'alertmanager'].map((b) => delta(`backend:${b}`));
  return {
    tools: [...new Set(q.telemcp.map((c) => c.tool))].map((tool) => {
      const d = delta(`tool:${tool}`);
      return { tool, ms: (d.sum * 1000) / Math.max(1, d.count) };
    }),
    backendMs: (backends.reduce((n, b) => n + b.sum, 0) * 1000) / CALLS,
    backendRequests: backends.reduce((n, b) => n + b.count, 0) / CALLS,
  };
}

/** "20 groups, more left" for a paged answer; undefined for one without groups. */
function pagesOf(data: Json): string | undefined {
  if (!Array.isArray(data.groups)) return undefined;
  return `${data.groups.length} groups${data.truncated ? ', more left' : ', all'}`;
}

async function measure(server: RunningServer, q: Question): Promise<Measured> {
  // The bytes and the facts, back to back (Alertmanager's state can move between two reads).
  const raws = await Promise.all(q.raw.map(get));
  const tools = await Promise.all(q.telemcp.map((c) => execute(server, c)));
  const facts = q.facts(raws.map((r) => r.text), tools.map((t) => t.data));
  const guardBytes = q.guard ? (await get(q.guard)).bytes : undefined;
  const complete = q.complete ? await Promise.all(q.complete.map((c) => execute(server, c))) : undefined;

  type Member = { name: 'direct' | 'telemcp' | 'guard' | 'raw'; run: () => Promise<unknown> };
  const members: Member[] = [
    { name: 'direct', run: () => Promise.all(q.direct.map(get)) },
    { name: 'telemcp', run: () => Promise.all(q.telemcp.map((c) => execute(server, c))) },
    ...(q.guard ? [{ name: 'guard' as const, run: () => get(q.guard!) }] : []),
    ...(q.raw !== q.direct ? [{ name: 'raw' as const, run: () => Promise.all(q.raw.map(get)) }] : []),
  ];
  const times: Record<Member['name'], number[]> = { direct: [], telemcp: [], guard: [], raw: [] };
  const paired: number[] = [];
  let before: Histograms | undefined;
  for (let round = 0; round < WARMUP + CALLS; round++) {
    if (round === WARMUP) before = await histograms(server);
    const order = members.map((_, i) => members[(i + round) % members.length]);
    const got: Partial<Record<Member['name'], number>> = {};
    for (const m of order) got[m.name] = await timed(m.run);
    if (round < WARMUP) continue;
    for (const m of members) times[m.name].push(got[m.name]!);
    paired.push(got.telemcp! - got.direct!);
  }
  const after = await histograms(server);
  return {
    q,
    rawBytes: raws.map((r) => r.bytes),
    toolBytes: tools.map((t) => t.bytes),
    facts,
    direct: times.direct,
    telemcp: times.telemcp,
    guard: times.guard,
    rawTimes: times.raw,
    paired,
    guardBytes,
    pages: tools.map((t) => pagesOf(t.data)),
    complete: complete?.map((t) => ({ bytes: t.bytes, pages: pagesOf(t.data) })),
    server: spent(before!, after, q),
    rawTexts: raws.map((r) => r.text),
  };
}

/** The REST door's floor: a cheap tool (telemcp_status), the same way. */
async function doorFloor(server: RunningServer): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < WARMUP + CALLS; i++) {
    const t = await timed(() => execute(server, { tool: 'telemcp_status', input: {} }));
    if (i >= WARMUP) out.push(t);
  }
  return out;
}

/**
 * Question 1 tool by tool: each tool alone through the server against the direct calls it makes
 * itself (alerts_active: /api/v2/status, /api/v2/silences, /api/v2/alerts; prom_targets_rules:
 * /api/v1/targets?state=active, /api/v1/rules), each group in parallel, rotated rounds.
 */
async function alone(server: RunningServer): Promise<{ name: string; p50: number; p90: number }[]> {
  const am = ['/api/v2/status', '/api/v2/silences', '/api/v2/alerts'].map((path): Direct => ({ label: path, url: `${AM}${path}` }));
  const prom: Direct[] = [
    { label: 'targets', url: `${PROM}/api/v1/targets`, params: { state: 'active' } },
    { label: 'rules', url: `${PROM}/api/v1/rules` },
  ];
  const members: { name: string; run: () => Promise<unknown> }[] = [
    { name: 'alerts_active alone', run: () => execute(server, { tool: 'alerts_active', input: {} }) },
    { name: 'its 3 Alertmanager calls direct', run: () => Promise.all(am.map(get)) },
    { name: 'prom_targets_rules alone', run: () => execute(server, { tool: 'prom_targets_rules', input: {} }) },
    { name: 'its 2 Prometheus calls direct', run: () => Promise.all(prom.map(get)) },
  ];
  const times = members.map(() => [] as number[]);
  for (let round = 0; round < WARMUP + CALLS; round++) {
    for (let i = 0; i < members.length; i++) {
      const j = (i + round) % members.length;
      const t = await timed(members[j].run);
      if (round >= WARMUP) times[j].push(t);
    }
  }
  return members.map((m, i) => ({ name: m.name, p50: percentile(times[i], 50), p90: percentile(times[i], 90) }));
}

/**
 * In this process, on the raw answer of a promql_query question: what the server does with it
 * besides waiting for Prometheus. JSON.parse of the body; seriesFindings run here; the same
 * through the analysis thread (structured clone of the series there, the findings back); the
 * structured clone alone. Medians of PROFILE_RUNS after one warm-up.
 */
async function profileFindings(m: Measured, topK: number): Promise<{ parse: number; findings: number; changes: number; toPoints: number; thread: number; clone: number; series: number; points: number }> {
  const params = m.q.telemcp[0].input;
  const start = Date.parse(params.start as string);
  const end = Date.parse(params.end as string);
  const stepMs = params.step ? 60_000 : autoStepMs(end - start);
  // promql_query runs the query the tool was given: its answer, not the raw (agent's) one, is what the thread gets.
  const body = (await get(m.q.direct[0])).text;
  const options = { kind: 'range' as const, stepMs, fromMs: start, toMs: end, topK, rankBy: 'max' as const, includePoints: 0 };
  const median = async (fn: () => unknown) => {
    await fn();
    const xs: number[] = [];
    for (let i = 0; i < PROFILE_RUNS; i++) xs.push(await timed(async () => fn()));
    return percentile(xs, 50);
  };
  const result = (JSON.parse(body) as { data: { result: PromSeries[] } }).data.result;
  const signal = new AbortController().signal;
  const data = result.map((s) => ({ labels: s.metric, points: pointsOf(s) }));
  return {
    parse: await median(() => JSON.parse(body)),
    findings: await median(() => seriesFindings(result, options)),
    changes: await median(() => summariseAll(data, { stepMs, fromMs: start, toMs: end })),
    toPoints: await median(() => result.map((s) => ({ labels: s.metric, points: pointsOf(s) }))),
    thread: await median(() => runAnalysis('findingsFromBody', { body, options }, signal)),
    clone: await median(() => structuredClone(result)),
    series: result.length,
    points: result.reduce((n, s) => n + (s.values?.length ?? 0), 0),
  };
}

// ---------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------

await reachable();
const v = await versions();
const loadBefore = loadavg()[0];
// One grid for everything: the CPU counters' 30 s, the gauges' 60 s, promql_query's 120 s step over 6 h.
const NOW = Math.floor(Date.now() / 120_000) * 120_000;
const cpuStart = NOW - 6 * HOUR;
const wideStart = NOW - 24 * HOUR;
process.stderr.write('planting series into Prometheus…\n');
const cpu = await plantInChunks(cpuSeries(cpuPods(), cpuStart - 10 * 60_000, NOW), 10);
const wide = await plantInChunks(gaugePlanted(gaugeSeries(), wideStart - 10 * 60_000, NOW), 25);
process.stderr.write(`planted ${fmt(cpu.samples)} + ${fmt(wide.samples)} samples; posting the incident…\n`);

/** Alertmanager's state when a question 1 was measured. */
interface AmState {
  alerts: number;
  mine: number;
  silences: number;
}
async function amState(): Promise<AmState> {
  const all = await listAlerts(AM);
  const silences = JSON.parse((await get({ label: 'silences', url: `${AM}/api/v2/silences` })).text) as unknown[];
  return { alerts: all.length, mine: all.filter(mine).length, silences: silences.length };
}

let incident: Incident | undefined;
let server: RunningServer | undefined;
const results: { m: Measured; am?: AmState }[] = [];
const tools1: { name: string; rows: Awaited<ReturnType<typeof alone>> }[] = [];
let floor: number[] = [];
const profiles = new Map<Measured, Awaited<ReturnType<typeof profileFindings>>>();
try {
  incident = await postIncident(Date.now());
  server = await startServerProcess({
    LOG_LEVEL: 'warn',
    PROMETHEUS_URL: PROM,
    ALERTMANAGER_URL: AM,
    API_KEYS: `${KEY}:elk_viewer`,
    RATE_LIMIT_PER_MINUTE: '1000000',
    MAX_CONCURRENT_PER_KEY: '1000',
  });
  const srv = server;
  process.stderr.write(`telemcp serve at ${srv.url}; measuring…\n`);
  floor = await doorFloor(srv);
  const ask = async (q: Question, am?: AmState) => {
    process.stderr.write(`  ${q.name}\n`);
    const m = await measure(srv, q);
    results.push({ m, am });
    return m;
  };
  await ask(questionAlerts('1a. firing and why, incident'), await amState());
  tools1.push({ name: '1a', rows: await alone(srv) });
  await growIncident(incident, Date.now());
  await ask(questionAlerts('1b. same, 3 nodes down too'), await amState());
  tools1.push({ name: '1b', rows: await alone(srv) });
  for (const q of [questionCpu(cpuStart, NOW), questionCpuAll(cpuStart, NOW), questionWide(wideStart, NOW)]) {
    const m = await ask(q);
    profiles.set(m, await profileFindings(m, 10));
  }
} finally {
  await server?.stop();
  await clearIncident(incident);
  await directPool.close();
  await telemcpPool.close();
}

const loadAfter = loadavg()[0];
const col = (s: string, w: number) => s.padEnd(w);
const rcol = (s: string, w: number) => s.padStart(w);
const p5090 = (xs: number[]) => `${ms(percentile(xs, 50))} / ${ms(percentile(xs, 90))}`;
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const cpuModel = cpus()[0]?.model.replace(/\s+/g, ' ').trim() ?? '?';
const lines = [
  `bench/metrics: Prometheus ${v.prometheus} (${PROM}), Alertmanager ${v.alertmanager} (${AM}); telemcp serve (dist/), REST POST /mcp/execute; node ${process.version}`,
  `machine: ${cpus().length} cores (${cpuModel}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB; load avg ${loadBefore.toFixed(1)} -> ${loadAfter.toFixed(1)}; ${CALLS} rounds after ${WARMUP} warm-up, order rotated every round`,
  `planted: 200 cAdvisor CPU counters (200 pods, 10 namespaces, 6h10m at 30s) ${fmt(cpu.samples)} samples in ${(cpu.ms / 1000).toFixed(1)} s; 500 gauges (24h10m at 60s) ${fmt(wide.samples)} samples in ${(wide.ms / 1000).toFixed(1)} s (OTLP; a rerun re-sends the same samples)`,
  ...results.filter((r) => r.am).map((r) => `${r.m.q.name}: Alertmanager held ${r.am!.alerts} alerts (${r.am!.mine} of the planted incident, 3 silences of it) and ${r.am!.silences} silences (expired ones included); Prometheus: the env's rules and targets`),
  '',
  `${col('question', 32)}${rcol('raw bytes', 12)}${rcol('telemcp', 10)}${rcol('ratio', 9)}   ${col('direct p50/p90 ms', 19)}${col('telemcp p50/p90 ms', 20)}${rcol('added p50', 10)}${rcol('telemcp/direct', 16)}`,
  ...results.map(({ m: r }) => {
    const raw = sum(r.rawBytes);
    const tool = sum(r.toolBytes);
    const d50 = percentile(r.direct, 50);
    const t50 = percentile(r.telemcp, 50);
    return `${col(r.q.name, 32)}${rcol(fmt(raw), 12)}${rcol(fmt(tool), 10)}${rcol(`${(raw / tool).toFixed(1)}x`, 9)}   ${col(p5090(r.direct), 19)}${col(p5090(r.telemcp), 20)}${rcol(ms(t50 - d50), 10)}${rcol(`${(t50 / d50).toFixed(2)}x`, 16)}`;
  }),
  '',
  'what each side is',
  ...results.flatMap(({ m: r }) => [
    `${r.q.name}`,
    `  raw:     ${r.q.raw.map((d, i) => `${d.label} ${fmt(r.rawBytes[i])}`).join(' + ')}`,
    `  telemcp: ${r.q.telemcp.map((c, i) => `${c.tool} ${fmt(r.toolBytes[i])}${r.pages[i] ? ` (${r.pages[i]})` : ''}`).join(' + ')}${r.q.telemcp.length > 1 ? ' (in parallel)' : ''}`,
    ...(r.complete && r.q.complete
      ? [
          `  every group at once: ${r.q.complete.map((c, i) => `${c.tool} ${JSON.stringify(c.input)} ${fmt(r.complete![i].bytes)}${r.complete![i].pages ? ` (${r.complete![i].pages})` : ''}`).join(' + ')}; raw/telemcp ${(sum(r.rawBytes) / sum(r.complete.map((c) => c.bytes))).toFixed(1)}x`,
        ]
      : []),
    `  direct:  ${r.q.direct === r.q.raw ? (r.q.raw.length > 1 ? 'the raw calls above, in parallel' : 'the raw call above (the query telemcp sends)') : `${r.q.direct.map((d) => d.label).join(' + ')} (the query telemcp sends, same start/end/step); the raw query itself p50 ${ms(percentile(r.rawTimes, 50))}, p90 ${ms(percentile(r.rawTimes, 90))}`}`,
    `  facts:   ${r.facts.line}; same from raw: ${r.facts.same ? 'yes' : 'NO'}`,
  ]),
  '',
  "where telemcp's time goes, ms (added: p50 of telemcp − direct round by round; server: means from its /metrics over the same rounds)",
  `REST door floor (telemcp_status, same client, sequential): p50 ${ms(percentile(floor, 50))}, p90 ${ms(percentile(floor, 90))}`,
  ...results.flatMap(({ m: r }) => {
    const s = r.server;
    const p = profiles.get(r);
    const t1 = tools1.find((t) => r.q.name.startsWith(t.name));
    return [
      `${r.q.name}: added p50 ${ms(percentile(r.paired, 50))}; client mean ${ms(mean(r.telemcp))}; server: ${s.tools.map((t) => `${t.tool} ${ms(t.ms)}`).join(', ')} (mean), backend requests ${s.backendRequests.toFixed(0)} a round taking ${ms(s.backendMs)} summed`,
      ...(t1 ? [`  tool by tool, p50 / p90: ${t1.rows.map((x) => `${x.name} ${ms(x.p50)} / ${ms(x.p90)}`).join('; ')}`] : []),
      ...(r.q.guard ? [`  guard series count sent directly: p50 ${ms(percentile(r.guard, 50))}, p90 ${ms(percentile(r.guard, 90))} (${fmt(r.guardBytes ?? 0)} bytes of label sets read to count the series)`] : []),
      ...(p
        ? [
            `  in this process, on the answer of the query telemcp sends (${fmt(p.series)} series, ${fmt(p.points)} points), medians of ${PROFILE_RUNS}: JSON.parse ${ms(p.parse)}; seriesFindings ${ms(p.findings)} (its summaries and change detection of every series, summariseAll, ${ms(p.changes)}; samples to points ${ms(p.toPoints)}); through the analysis thread ${ms(p.thread)} (structured clone of the series alone ${ms(p.clone)})`,
          ]
        : []),
    ];
  }),
];
process.stdout.write(`${lines.join('\n')}\n`);
process.exit(0);
