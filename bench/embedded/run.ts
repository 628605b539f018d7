/**
 * The embedded store over a million log lines, and the same questions to Elasticsearch in the
 * same run:
 *   - ingest lines/s: LogStore.write in durable batches (each committed and synced before the
 *     next), the real `telemcp ingest` CLI over the seed's files, and POST /_bulk to a real
 *     `telemcp serve` (role ingest), every one into an empty DATA_DIR;
 *   - the embedded LogSource's calls in this process, p50/p95, with the plans of the store's
 *     main statements;
 *   - the log tools through REST (POST /mcp/execute, role elk_viewer) on the server that took the
 *     `_bulk` lines, p50/p95, with how long a /healthz sent meanwhile waited (the store answers
 *     on the event loop) and the server's RSS;
 *   - with BENCH_ES_URL: the same tool calls on a `telemcp serve` reading Elasticsearch, where
 *     bench/elk seeded the same lines under logs-*-benchelk1m, and the ratios embedded/ES.
 *
 *   npm run bench:embedded   (builds dist/ first: the servers it starts run dist/)
 *
 * PARTS (store,cli,http,es; es only runs with BENCH_ES_URL), RUNS (10 per LogSource call),
 * CALLS (10 per tool) after WARMUP (2), BULK_DOCS (5000 per request) and BULK_CONCURRENCY (2),
 * BATCHES (10000,5000 for LogStore.write), ROWS (the first ROWS lines only, store part),
 * BENCH_DATA_DIR (the generated lines, kept between runs; default $TMPDIR/telemcp-bench-embedded).
 */
import { spawn } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import type { LogQuery } from '../../src/backends/capabilities.js';
import { EmbeddedLogSource } from '../../src/backends/embedded/log-source.js';
import type { IngestRecord } from '../../src/ingest/record.js';
import { openLogStore, type LogStore } from '../../src/store/log-store.js';
import { startServerProcess, type RunningServer } from '../../test/helpers/server.js';
import { ensureData, SEED, type BenchData } from './data.js';
import { peakRss } from '../common/process.js';

const PARTS = new Set((process.env.PARTS ?? 'store,cli,http,es').split(','));
const ES = process.env.BENCH_ES_URL?.replace(/\/+$/, '');
const RUNS = Number(process.env.RUNS ?? 10);
const CALLS = Number(process.env.CALLS ?? 10);
const WARMUP = Number(process.env.WARMUP ?? 2);
const BULK_DOCS = Number(process.env.BULK_DOCS ?? 5000);
const BULK_CONCURRENCY = Number(process.env.BULK_CONCURRENCY ?? 2);
const BATCHES = (process.env.BATCHES ?? '10000,5000').split(',').map(Number);
const ROWS = Number(process.env.ROWS ?? Number.POSITIVE_INFINITY);
const DATA_DIR = process.env.BENCH_DATA_DIR ?? join(tmpdir(), 'telemcp-bench-embedded');
const INGEST_KEY = 'bench-ingest-key';
const VIEWER_KEY = 'bench-viewer-key';
const HOUR = 3_600_000;

type Json = Record<string, unknown>;

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const mib = (bytes: number) => `${(bytes / 1048576).toFixed(0)} MiB`;
/** Nearest rank: the smallest value with at least p% of the samples at or below it. */
const percentile = (sorted: number[], p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
const say = (line: string) => console.log(line);

interface Timing {
  p50: number;
  p95: number;
}

async function time(runs: number, warmup: number, run: () => Promise<unknown>): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await run();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await run();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p95: percentile(times, 95) };
}

async function readRecords(file: string, limit: number): Promise<IngestRecord[]> {
  const records: IngestRecord[] = [];
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of lines) {
    if (records.length >= limit) break;
    if (line) records.push(JSON.parse(line) as IngestRecord);
  }
  lines.close();
  return records;
}


async function rss(server: RunningServer): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const m = /^(?:telemcp_)?process_resident_memory_bytes (\d+)/m.exec(text);
  if (!m) throw new Error('process_resident_memory_bytes missing from /metrics');
  return Number(m[1]);
}

function dbBytes(dir: string): number {
  return ['logs.db', 'logs.db-wal'].reduce((a, f) => {
    try {
      return a + statSync(join(dir, f)).size;
    } catch {
      return a;
    }
  }, 0);
}

// ---------------------------------------------------------------- store: LogStore.write and the LogSource

async function storePart(data: BenchData): Promise<void> {
  const records = await readRecords(data.records, ROWS);
  say(`\nLogStore.write, ${fmt(records.length)} lines into an empty DATA_DIR, each batch durable before the next (synchronous=FULL, WAL)`);
  let kept: { store: LogStore; dir: string } | undefined;
  for (const batch of BATCHES) {
    const dir = mkdtempSync(join(tmpdir(), 'telemcp-bench-store-'));
    const store = openLogStore({ dataDir: dir });
    const started = performance.now();
    for (let offset = 0; offset < records.length; offset += batch) store.write(records.slice(offset, offset + batch));
    const took = performance.now() - started;
    say(`  batches of ${fmt(batch).padStart(6)}: ${(took / 1000).toFixed(1)} s = ${fmt(records.length / (took / 1000))} lines/s; logs.db ${mib(dbBytes(dir))}`);
    if (!kept) kept = { store, dir };
    else {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  if (!kept) return;
  try {
    await logSourceCalls(kept.store, data);
    plans(kept.dir);
  } finally {
    kept.store.close();
    rmSync(kept.dir, { recursive: true, force: true });
  }
}

async function logSourceCalls(store: LogStore, data: BenchData): Promise<void> {
  const source = new EmbeddedLogSource(store);
  const whole: LogQuery = { from: new Date(data.window.start), to: new Date(data.window.end) };
  const hour: LogQuery = { from: new Date(Date.parse(data.window.end) - HOUR), to: new Date(data.window.end) };
  const signal = () => AbortSignal.timeout(120_000);
  const errors = { levels: ['error'] };
  const payment = { services: ['payment-service'] };
  const trace = (await source.sample({ ...hour, ...payment, ...errors }, { limit: 1, strategy: 'newest' }, signal())).records[0]?.traceId ?? 'none';
  const cases: [string, () => Promise<unknown>][] = [
    ['4h: sample newest 100 (exact total)', () => source.sample(whole, { limit: 100, strategy: 'newest' }, signal())],
    ['4h: sample spread 2000 (logs_patterns)', () => source.sample(whole, { limit: 2000, strategy: 'spread' }, signal())],
    ['4h: sample spread 2000, errors', () => source.sample({ ...whole, ...errors }, { limit: 2000, strategy: 'spread' }, signal())],
    ['4h: sample spread 3000, errors+warnings', () => source.sample({ ...whole, levels: ['error', 'warn'] }, { limit: 3000, strategy: 'spread' }, signal())],
    ['4h: histogram 1000 buckets', () => source.histogram(whole, { bucketMs: 14_400 }, signal())],
    ['4h: histogram 5 min by service', () => source.histogram(whole, { bucketMs: 300_000, by: 'service' }, signal())],
    ['4h: histogram 5 min, errors by service', () => source.histogram({ ...whole, ...errors }, { bucketMs: 300_000, by: 'service' }, signal())],
    ['4h: countBy host', () => source.countBy(whole, { by: 'host' }, signal())],
    ['4h: countBy service, errors', () => source.countBy({ ...whole, ...errors }, { by: 'service' }, signal())],
    ['1h: histogram 1 min by level', () => source.histogram(hour, { bucketMs: 60_000, by: 'level' }, signal())],
    ['1h: payment-service errors, newest 20', () => source.sample({ ...hour, ...payment, ...errors }, { limit: 20, strategy: 'newest' }, signal())],
    ['1h: payment-service errors, spread 2000', () => source.sample({ ...hour, ...payment, ...errors }, { limit: 2000, strategy: 'spread' }, signal())],
    ['4h: trace id, newest 10', () => source.sample({ ...whole, traceIds: [trace] }, { limit: 10, strategy: 'newest' }, signal())],
    ['4h: text "order" (45%), newest 20', () => source.sample({ ...whole, text: 'order' }, { limit: 20, strategy: 'newest' }, signal())],
    ['4h: text "timeout" (1.7%), newest 20', () => source.sample({ ...whole, text: 'timeout' }, { limit: 20, strategy: 'newest' }, signal())],
    ['4h: text "fraud check unavailable"', () => source.sample({ ...whole, text: '"fraud check unavailable"' }, { limit: 20, strategy: 'newest' }, signal())],
    ['4h: text "order" payment-service -EUR', () => source.sample({ ...whole, ...payment, text: 'order -EUR' }, { limit: 20, strategy: 'newest' }, signal())],
    ['4h: text "timeout", spread 2000', () => source.sample({ ...whole, text: 'timeout' }, { limit: 2000, strategy: 'spread' }, signal())],
    ['1h: text -cache, newest 20', () => source.sample({ ...hour, text: '-cache' }, { limit: 20, strategy: 'newest' }, signal())],
  ];
  const search = (source as Partial<Pick<EmbeddedLogSource, 'search'>>).search?.bind(source);
  if (search) {
    cases.push(
      ['4h: search "timeout", 20 + total', () => search({ ...whole, text: 'timeout' }, { limit: 20 }, signal())],
      ['4h: search "order", 20 + total', () => search({ ...whole, text: 'order' }, { limit: 20 }, signal())],
      ['1h: search payment-service errors, 20', () => search({ ...hour, ...payment, ...errors }, { limit: 20 }, signal())],
    );
  }
  say(`\nembedded LogSource in this process over ${fmt(store.datasets().reduce((a, d) => a + d.records, 0))} lines, ${RUNS} runs after 1 warm-up (ms; a call holds the event loop this long)`);
  say(`${'call'.padEnd(44)} ${'p50'.padStart(8)} ${'p95'.padStart(8)}`);
  for (const [name, run] of cases) {
    const t = await time(RUNS, 1, run);
    say(`${name.padEnd(44)} ${ms(t.p50).padStart(8)} ${ms(t.p95).padStart(8)}`);
  }
}

/** The plans of the store's main statements, as src/store/queries.ts words them: none scans a table or sorts records. */
function plans(dir: string): void {
  const db = new Database(join(dir, 'logs.db'), { readonly: true });
  const keys = (key: string) => `${key} BETWEEN (CAST(? AS INTEGER) << 20) + 0 AND (CAST(? AS INTEGER) << 20) + 1048575`;
  const list: [string, string, unknown[]][] = [
    ['slot counts', `SELECT slot, CASE WHEN service IN (?, ?) THEN service END AS value, sum(n) FROM logs_rollup WHERE slot BETWEEN ? AND ? AND level IN (?) GROUP BY slot, value`, ['a', 'b', 0, 1, 'error']],
    ['cut slot counts', `SELECT level AS value, count(*) FROM logs WHERE ${keys('id')} GROUP BY value`, [0, 1]],
    ['newest', `SELECT * FROM logs WHERE ${keys('logs.id')} AND level IN (?) ORDER BY logs.id DESC LIMIT 10`, [0, 1, 'error']],
    ['words, newest', `SELECT logs.* FROM logs_fts JOIN logs ON logs.id = logs_fts.rowid WHERE logs_fts MATCH ? AND ${keys('logs_fts.rowid')} ORDER BY logs_fts.rowid DESC LIMIT 10`, ['message : ("x")', 0, 1]],
    ['words, count', `SELECT count(*) FROM logs_fts WHERE logs_fts MATCH ? AND ${keys('logs_fts.rowid')}`, ['message : ("x")', 0, 1]],
    ['trace ids', `SELECT logs.* FROM logs_fts JOIN logs ON logs.id = logs_fts.rowid WHERE logs_fts MATCH ? AND ${keys('logs_fts.rowid')} AND logs.trace_id IN (?) ORDER BY logs_fts.rowid DESC LIMIT 10`, ['trace_id : ("t")', 0, 1, 't']],
  ];
  say('');
  for (const [name, sql, params] of list) {
    try {
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail).join(' | ');
      say(`plan ${name.padEnd(17)} ${plan}`);
    } catch (err) {
      say(`plan ${name.padEnd(17)} (not this schema: ${(err as Error).message})`);
    }
  }
  db.close();
}

// ---------------------------------------------------------------- telemcp ingest (CLI)

async function cliPart(data: BenchData): Promise<void> {
  await cliRun(data, data.files, [], `${data.files.length} ECS NDJSON files, ${mib(data.bytes)}`);
  await cliRun(data, [data.plain], ['--format', 'plain', '--dataset', 'plain-app'], `the same lines as one plain-text file, ${mib(statSync(data.plain).size)}`);
}

/** `telemcp ingest` over files into an empty DATA_DIR, timed from process start to exit. */
async function cliRun(data: BenchData, files: string[], args: string[], what: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'telemcp-bench-cli-'));
  try {
    const started = performance.now();
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['dist/cli/main.js', 'ingest', '--json', ...args, ...files], { env: { PATH: process.env.PATH, DATA_DIR: dir, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'inherit'] });
      let text = '';
      child.stdout.on('data', (d: Buffer) => (text += d.toString()));
      child.once('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`telemcp ingest exited ${code}`))));
    });
    const took = performance.now() - started;
    const report = JSON.parse(out) as { total: { records: number; rejected: number } };
    const stored = report.total.records - report.total.rejected;
    say(`\ntelemcp ingest (dist/cli/main.js), ${what}, into an empty DATA_DIR: ${fmt(stored)} records in ${(took / 1000).toFixed(1)} s = ${fmt(stored / (took / 1000))} lines/s (process start to exit); logs.db ${mib(dbBytes(dir))}`);
    if (stored !== data.lines) say(`  (${fmt(data.lines - stored)} of ${fmt(data.lines)} lines not stored)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- telemcp serve: POST /_bulk, then the tools

interface ToolCall {
  name: string;
  tool: string;
  input: Json;
}

function toolCalls(data: BenchData, tools: Set<string>): ToolCall[] {
  const whole = { start_time: data.window.start, end_time: data.window.end };
  const hour = { start_time: new Date(Date.parse(data.window.end) - HOUR).toISOString(), end_time: data.window.end };
  const calls: ToolCall[] = [
    { name: 'logs_patterns, 4h', tool: 'logs_patterns', input: whole },
    { name: 'logs_patterns errors, 4h (detect errors)', tool: 'logs_patterns', input: { ...whole, log_level: 'error' } },
    { name: 'logs_bursts, 4h', tool: 'logs_bursts', input: whole },
    { name: 'incident_summary, 4h', tool: 'incident_summary', input: whole },
    { name: 'logs_patterns payment-service errors, 1h', tool: 'logs_patterns', input: { ...hour, service_name: 'payment-service', log_level: 'error', top_n: 10 } },
    { name: 'logs_search "timeout", 4h', tool: 'logs_search', input: { ...whole, query: 'timeout' } },
    { name: 'logs_search "order", 4h', tool: 'logs_search', input: { ...whole, query: 'order' } },
    { name: 'logs_search payment-service errors, 1h', tool: 'logs_search', input: { ...hour, service_name: 'payment-service', log_level: 'error' } },
    { name: 'elk_detect_errors, 4h', tool: 'elk_detect_errors', input: whole },
    { name: 'elk_detect_errors payment-service, 1h', tool: 'elk_detect_errors', input: { ...hour, service_name: 'payment-service', top_n: 10 } },
  ];
  return calls.filter((c) => tools.has(c.tool));
}

async function execute(server: RunningServer, call: ToolCall): Promise<Json> {
  const res = await fetch(`${server.url}/mcp/execute`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': VIEWER_KEY },
    body: JSON.stringify({ tool_name: call.tool, input: call.input }),
  });
  const text = await res.text();
  const body = JSON.parse(text) as { ok: boolean; data?: Json };
  if (!body.ok || !body.data) throw new Error(`${call.tool}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return body.data;
}

async function listTools(server: RunningServer): Promise<Set<string>> {
  const res = await fetch(`${server.url}/mcp/tools`, { headers: { 'x-api-key': VIEWER_KEY } });
  const body = (await res.json()) as { tools?: { name: string }[] } | { name: string }[];
  const tools = Array.isArray(body) ? body : (body.tools ?? []);
  return new Set(tools.map((t) => t.name));
}

interface ToolTiming extends Timing {
  /** The longest a /healthz sent during the timed calls waited for its answer. */
  stall: number;
  /** The answer's total, `≥n` when the source stopped counting at n. */
  total?: string;
}

/** Times the calls, one after the other, while a /healthz probe runs beside them. */
async function timeTools(server: RunningServer, calls: ToolCall[]): Promise<Map<string, ToolTiming>> {
  const out = new Map<string, ToolTiming>();
  for (const call of calls) {
    let probing = true;
    let stall = 0;
    const probe = (async () => {
      while (probing) {
        const t = performance.now();
        await fetch(`${server.url}/healthz`).then((r) => r.arrayBuffer());
        stall = Math.max(stall, performance.now() - t);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    let total: string | undefined;
    const t = await time(CALLS, WARMUP, async () => {
      const data = await execute(server, call);
      const n = typeof data.total === 'number' ? data.total : typeof data.count === 'number' ? data.count : undefined;
      if (n !== undefined) total = `${data.total_relation === 'gte' ? '≥' : ''}${fmt(n)}`;
    });
    probing = false;
    await probe;
    out.set(call.name, { ...t, stall, total });
  }
  return out;
}

async function bulkIngest(server: RunningServer, data: BenchData): Promise<{ docs: number; took: number }> {
  const lines = createInterface({ input: createReadStream(data.bulk), crlfDelay: Infinity });
  const inFlight = new Set<Promise<void>>();
  let docs = 0;
  let body: string[] = [];
  const send = async (payload: string, n: number) => {
    const res = await fetch(`${server.url}/_bulk`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson', 'x-api-key': INGEST_KEY }, body: payload });
    const text = await res.text();
    if (res.status !== 200 || !text.startsWith('{"took"') || !text.includes('"errors":false')) throw new Error(`_bulk: HTTP ${res.status} ${text.slice(0, 300)}`);
    docs += n;
  };
  const started = performance.now();
  for await (const line of lines) {
    body.push(line);
    if (body.length < BULK_DOCS * 2) continue;
    const p = send(`${body.join('\n')}\n`, BULK_DOCS).finally(() => inFlight.delete(p));
    inFlight.add(p);
    body = [];
    if (inFlight.size >= BULK_CONCURRENCY) await Promise.race(inFlight);
  }
  if (body.length) await send(`${body.join('\n')}\n`, body.length / 2);
  await Promise.all(inFlight);
  return { docs, took: performance.now() - started };
}

async function httpPart(data: BenchData): Promise<Map<string, ToolTiming> | undefined> {
  const server = await startServerProcess({
    LOG_LEVEL: 'warn',
    EMBEDDED_STORE: 'on',
    DEMO_DATA: 'false',
    RETENTION_DAYS: '0',
    API_KEYS: `${INGEST_KEY}:ingest,${VIEWER_KEY}:elk_viewer`,
    RATE_LIMIT_PER_MINUTE: '1000000',
  });
  try {
    const before = await rss(server);
    const { docs, took } = await bulkIngest(server, data);
    const afterIngest = await rss(server);
    say(
      `\nPOST /_bulk to telemcp serve (dist/), ${fmt(BULK_DOCS)} documents per request, ${BULK_CONCURRENCY} in flight, each acknowledged once durable: ${fmt(docs)} lines in ${(took / 1000).toFixed(1)} s = ${fmt(docs / (took / 1000))} lines/s; logs.db ${mib(dbBytes(server.dataDir))}`,
    );
    const tools = await listTools(server);
    const calls = toolCalls(data, tools);
    const timings = await timeTools(server, calls);
    const after = await rss(server);
    const peak = peakRss(server.child.pid!);
    say(`\nlog tools over REST on that server (embedded store, ${fmt(docs)} lines), ${CALLS} calls after ${WARMUP} warm-up, sequential; ms`);
    say(`${'call'.padEnd(44)} ${'p50'.padStart(8)} ${'p95'.padStart(8)} ${'healthz max wait'.padStart(17)} ${'total'.padStart(10)}`);
    for (const call of calls) {
      const t = timings.get(call.name)!;
      say(`${call.name.padEnd(44)} ${ms(t.p50).padStart(8)} ${ms(t.p95).padStart(8)} ${ms(t.stall).padStart(17)} ${(t.total ?? '').padStart(10)}`);
    }
    const missing = ['logs_search', 'elk_detect_errors'].filter((t) => !tools.has(t));
    if (missing.length) say(`  (not offered on the embedded store: ${missing.join(', ')})`);
    say(`server RSS: ${mib(before)} at start, ${mib(afterIngest)} after ingest, ${mib(after)} after the calls, peak ${peak ? mib(peak) : '?'} (VmHWM)`);
    return timings;
  } finally {
    await server.stop();
  }
}

// ---------------------------------------------------------------- Elasticsearch, same calls

async function esPart(data: BenchData, embedded: Map<string, ToolTiming> | undefined): Promise<void> {
  if (!ES) return;
  const indices = data.files.map((f) => basename(f, '.ndjson')).join(',');
  const count = (await (await fetch(`${ES}/${indices}/_count?ignore_unavailable=true`)).json()) as { count?: number };
  const nodes = (await (await fetch(`${ES}/_nodes/_local?filter_path=nodes.*.version,nodes.*.jvm.mem.heap_max_in_bytes`)).json()) as { nodes?: Record<string, { version: string; jvm: { mem: { heap_max_in_bytes: number } } }> };
  const node = Object.values(nodes.nodes ?? {})[0];
  say(`\nElasticsearch ${node?.version ?? '?'} (heap ${node ? mib(node.jvm.mem.heap_max_in_bytes) : '?'}) at ${ES}: ${fmt(count.count ?? 0)} documents in the six logs-<service>-${SEED.namespace} indices (seeded by bench/elk with the same options)`);
  if (!count.count) {
    say('  nothing to compare with: run npm run bench:elk first, which seeds and keeps that namespace');
    return;
  }
  // The six application log indices: logs-*-<namespace> also matches the seed's APM errors, which the embedded store does not hold.
  const server = await startServerProcess({ LOG_LEVEL: 'warn', ES_URL: ES, LOG_INDEX_PATTERN: indices, API_KEYS: `${VIEWER_KEY}:elk_viewer`, RATE_LIMIT_PER_MINUTE: '1000000' });
  try {
    const tools = await listTools(server);
    const calls = toolCalls(data, tools);
    const timings = await timeTools(server, calls);
    const after = await rss(server);
    say(`log tools over REST on a telemcp serve reading Elasticsearch, same calls; ms (ratio: embedded p50 / Elasticsearch p50)`);
    say(`${'call'.padEnd(44)} ${'p50'.padStart(8)} ${'p95'.padStart(8)} ${'total'.padStart(10)} ${'embedded/ES'.padStart(12)}`);
    for (const call of calls) {
      const t = timings.get(call.name)!;
      const e = embedded?.get(call.name);
      say(`${call.name.padEnd(44)} ${ms(t.p50).padStart(8)} ${ms(t.p95).padStart(8)} ${(t.total ?? '').padStart(10)} ${(e ? `${(e.p50 / t.p50).toFixed(2)}` : '-').padStart(12)}`);
    }
    say(`server RSS (reading Elasticsearch): ${mib(after)} after the calls, peak ${mib(peakRss(server.child.pid!) ?? 0)}`);
  } finally {
    await server.stop();
  }
}

// ----------------------------------------------------------------

const data = await ensureData(DATA_DIR, say);
say(
  `bench/embedded: node ${process.version}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, load avg ${loadavg()[0].toFixed(1)}; ${fmt(data.lines)} log lines (seed ${SEED.seed}, ${SEED.hours} h to ${SEED.now}, scale ${SEED.scale}, ${mib(data.bytes)} of ECS JSON)`,
);
if (PARTS.has('store')) await storePart(data);
if (PARTS.has('cli')) await cliPart(data);
const embedded = PARTS.has('http') ? await httpPart(data) : undefined;
if (PARTS.has('es')) await esPart(data, embedded);
say(`\nload avg at the end ${loadavg()[0].toFixed(1)}`);
