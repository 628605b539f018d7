/**
 * elk_detect_errors and elk_search_logs over a million seeded log documents in a real
 * Elasticsearch, against a ~100k dataset of the same shape, all in one run:
 *   - seeding time and docs/s (`telemcp seed`; skipped when the indices already hold the
 *     documents of the manifest an earlier run left in BENCH_DATA_DIR),
 *   - latency p50/p95 of the REST door (POST /mcp/execute) of a separate `telemcp serve`
 *     process per dataset, LOG_INDEX_PATTERN set to that dataset's namespace,
 *   - the server's RSS (/metrics process_resident_memory_bytes) before and after the calls,
 *     and its peak (VmHWM),
 *   - the bytes the model receives for seed 000's example prompt ("payment-service errors,
 *     last hour": elk_detect_errors + elk_search_logs) against two raw `_search` answers that
 *     carry the same facts, each checked to give the same facts,
 *   - how exact elk_detect_errors's top pattern counts are over the whole window: each against
 *     its true count (a `_count` of the messages the template matches, a regexp on
 *     message.keyword) and against what the 1,000-bucket terms aggregation it used before
 *     counts (the same request, folded the same way, timed in the same run).
 *
 *   npm run bench:elk     (BENCH_ES_URL, default http://127.0.0.1:19290; CALLS=20 WARMUP=3;
 *                          BENCH_DATA_DIR keeps the seed manifests between runs)
 *
 * Needs dist/ (npx tsc -p tsconfig.build.json). Writes only the two seed namespaces below.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { foldCounts, type CountedMessage } from '../../src/analysis/templates/fold-counts.js';
import { ERROR_LEVELS, levelVariants } from '../../src/core/log-levels.js';
import type { SeedRunManifest } from '../../src/cli/seed.js';
import { startServerProcess, type RunningServer } from '../../test/helpers/server.js';
import { peakRss } from '../common/process.js';

const ES = (process.env.BENCH_ES_URL ?? 'http://127.0.0.1:19290').replace(/\/+$/, '');
const CALLS = Number(process.env.CALLS ?? 20);
const WARMUP = Number(process.env.WARMUP ?? 3);
const DATA_DIR = process.env.BENCH_DATA_DIR ?? join(tmpdir(), 'telemcp-bench-elk');
const KEY = 'bench-key';

/** A fixed window, so a rerun finds the same documents (the seed's ids depend on every option). */
const SEED = { seed: 42, now: '2026-11-21T12:00:00.000Z', hours: 4 };
/** Same window and shape, ten times the rate: ~10.7k log lines per hour per unit of scale. */
const SIZES = [
  { label: '100k', namespace: 'benchelk100k', scale: 2.35 },
  { label: '1M', namespace: 'benchelk1m', scale: 23.5 },
] as const;
const SERVICE = 'payment-service';
const HOUR_START = new Date(Date.parse(SEED.now) - 3_600_000).toISOString();

type Json = Record<string, unknown>;

/** Nearest rank: the smallest value with at least p% of the samples at or below it. */
function percentile(sorted: number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;
const hhmmss = (ms: number | undefined) => (ms === undefined ? '-' : new Date(ms).toISOString().slice(11, 19));

/** Elasticsearch over fetch; `bytes` is the decoded body (what a reader of the JSON gets). */
async function es<T = Json>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T; bytes: number }> {
  const res = await fetch(`${ES}${path}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (res.status >= 400) throw new Error(`${method} ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return { status: res.status, json: JSON.parse(text) as T, bytes: Buffer.byteLength(text) };
}

async function clusterInfo(): Promise<{ version: string; heap: number }> {
  const { json } = await es<{ nodes: Record<string, { version: string; jvm: { mem: { heap_max_in_bytes: number } } }> }>(
    'GET',
    '/_nodes/_local?filter_path=nodes.*.version,nodes.*.jvm.mem.heap_max_in_bytes',
  );
  const node = Object.values(json.nodes)[0];
  return { version: node.version, heap: node.jvm.mem.heap_max_in_bytes };
}

/** Waits (at most 3 minutes) until no merge runs, so a fresh bulk load does not skew the latencies. */
async function quiet(): Promise<void> {
  for (let i = 0; i < 180; i++) {
    const { json } = await es<{ nodes: Record<string, { indices: { merges: { current: number } } }> }>('GET', '/_nodes/stats/indices/merge');
    if (Object.values(json.nodes).every((n) => n.indices.merges.current === 0)) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

interface Dataset {
  label: string;
  namespace: string;
  manifest: SeedRunManifest;
  /** Wall time of `telemcp seed` in this run; undefined when an earlier run seeded it. */
  wallMs?: number;
}

/** Seeds one namespace with `telemcp seed`, unless the manifest of an earlier run matches what the indices hold. */
async function ensureSeeded(size: (typeof SIZES)[number]): Promise<Dataset> {
  const dir = join(DATA_DIR, size.namespace);
  const manifestPath = join(dir, 'seed-manifest.json');
  if (existsSync(manifestPath)) {
    const m = JSON.parse(readFileSync(manifestPath, 'utf8')) as SeedRunManifest;
    const same = m.options.seed === SEED.seed && Date.parse(m.options.now) === Date.parse(SEED.now) && m.options.hours === SEED.hours && m.options.scale === size.scale;
    if (same) {
      const count = await es<{ count: number }>('POST', `/${Object.keys(m.docs_per_index).join(',')}/_count?ignore_unavailable=true`).catch(() => undefined);
      if (count?.json.count === m.docs_total) return { label: size.label, namespace: size.namespace, manifest: m };
    }
  }
  mkdirSync(dir, { recursive: true });
  const args = ['dist/cli/main.js', 'seed', '--es-url', ES, '--namespace', size.namespace, '--now', SEED.now, '--hours', String(SEED.hours), '--scale', String(size.scale), '--seed', String(SEED.seed), '--json'];
  const started = performance.now();
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH, DATA_DIR: dir, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`telemcp seed ${size.namespace} exited ${code}`))));
  });
  return { label: size.label, namespace: size.namespace, manifest: JSON.parse(stdout) as SeedRunManifest, wallMs: performance.now() - started };
}

type Server = RunningServer;

function startServer(namespace: string): Promise<Server> {
  return startServerProcess({ LOG_LEVEL: 'warn', ES_URL: ES, LOG_INDEX_PATTERN: `logs-*-${namespace}`, API_KEYS: `${KEY}:elk_viewer`, RATE_LIMIT_PER_MINUTE: '1000000' });
}

async function rss(server: Server): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const m = /^(?:telemcp_)?process_resident_memory_bytes (\d+)/m.exec(text);
  if (!m) throw new Error('(telemcp_)process_resident_memory_bytes missing from /metrics');
  return Number(m[1]);
}


async function execute(server: Server, tool: string, input: Json): Promise<{ ms: number; bytes: number; data: Json }> {
  const t = performance.now();
  const res = await fetch(`${server.url}/mcp/execute`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': KEY },
    body: JSON.stringify({ tool_name: tool, input }),
  });
  const text = await res.text();
  const ms = performance.now() - t;
  const body = JSON.parse(text) as { ok: boolean; data?: Json; error?: unknown };
  if (!body.ok || !body.data) throw new Error(`${tool}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return { ms, bytes: Buffer.byteLength(text), data: body.data };
}

/** The calls, timed: the seed's example prompt twice over, and the whole window once. */
function calls(m: SeedRunManifest): { name: string; tool: string; input: Json }[] {
  return [
    { name: 'detect_errors, whole 4h window', tool: 'elk_detect_errors', input: { start_time: m.window.start, end_time: m.window.end } },
    { name: `detect_errors, ${SERVICE} 1h`, tool: 'elk_detect_errors', input: { start_time: HOUR_START, end_time: SEED.now, service_name: SERVICE, top_n: 10 } },
    { name: `search_logs, ${SERVICE} errors 1h`, tool: 'elk_search_logs', input: { start_time: HOUR_START, end_time: SEED.now, service_name: SERVICE, log_level: 'error', limit: 20 } },
  ];
}

/** The facts the example prompt asks for, as the tools or a raw response give them. */
interface Facts {
  total: number;
  pattern: string;
  count: number;
  first?: number;
  last?: number;
  traceId?: string;
}
const sameFacts = (a: Facts, b: Facts) => a.total === b.total && a.pattern === b.pattern && a.count === b.count && a.first === b.first && a.last === b.last && Boolean(a.traceId) && Boolean(b.traceId);

const rawFilter = {
  bool: {
    filter: [{ term: { 'service.name': SERVICE } }, { term: { 'log.level': 'error' } }, { range: { '@timestamp': { gte: HOUR_START, lte: SEED.now } } }],
  },
};
interface RawHit {
  _source: { '@timestamp': string; message: string; trace?: { id?: string } };
  sort?: unknown[];
}

/**
 * Raw answer A: one `_search` as a person would write it for the same facts: the 20 newest
 * errors with their whole documents (what search_logs lists), the exact total, every distinct
 * message with count and first/last seen (terms on message.keyword, as many buckets as
 * detect_errors asks for, so the numbers inside messages can be folded into patterns), and
 * errors per minute. The trace id comes from the 20 hits.
 */
async function rawAggs(namespace: string): Promise<{ bytes: number; facts: Facts }> {
  const { json, bytes } = await es<{
    hits: { total: { value: number }; hits: RawHit[] };
    aggregations: { messages: { buckets: { key: string; doc_count: number; first: { value: number }; last: { value: number } }[] } };
  }>('POST', `/logs-*-${namespace}/_search`, {
    size: 20,
    sort: [{ '@timestamp': 'desc' }],
    track_total_hits: true,
    query: rawFilter,
    aggs: {
      messages: { terms: { field: 'message.keyword', size: 1000 }, aggs: { first: { min: { field: '@timestamp' } }, last: { max: { field: '@timestamp' } } } },
      per_minute: { date_histogram: { field: '@timestamp', fixed_interval: '1m' } },
    },
  });
  const top = foldCounts(json.aggregations.messages.buckets.map((b) => ({ message: b.key, count: b.doc_count, firstMs: b.first.value, lastMs: b.last.value })), { top: 1 }).templates[0];
  const traced = json.hits.hits.find((h) => h._source.trace?.id && top?.messages.includes(h._source.message));
  return { bytes, facts: { total: json.hits.total.value, pattern: top?.pattern ?? '', count: top?.count ?? 0, first: top?.firstSeen, last: top?.lastSeen, traceId: traced?._source.trace?.id } };
}

/**
 * Raw answer B: every matching document, newest first, in pages of 10,000 inside a point in
 * time: what it takes to count the patterns from hits. Bytes are the sum of the pages.
 */
async function rawHits(namespace: string): Promise<{ bytes: number; pages: number; facts: Facts }> {
  const pit = await es<{ id: string }>('POST', `/logs-*-${namespace}/_pit?keep_alive=1m`);
  let bytes = 0;
  let pages = 0;
  let total = 0;
  let after: unknown[] | undefined;
  const groups = new Map<string, CountedMessage<{ time: number; traceId?: string }>>();
  try {
    for (;;) {
      const page = await es<{ hits: { total: { value: number }; hits: RawHit[] } }>('POST', '/_search', {
        size: 10_000,
        pit: { id: pit.json.id, keep_alive: '1m' },
        sort: [{ '@timestamp': 'desc' }, { _shard_doc: 'desc' }],
        track_total_hits: pages === 0,
        query: rawFilter,
        ...(after ? { search_after: after } : {}),
      });
      bytes += page.bytes;
      if (pages++ === 0) total = page.json.hits.total.value;
      for (const h of page.json.hits.hits) {
        const time = Date.parse(h._source['@timestamp']);
        const g = groups.get(h._source.message) ?? { message: h._source.message, count: 0 };
        g.count += 1;
        g.firstMs = Math.min(g.firstMs ?? time, time);
        g.lastMs = Math.max(g.lastMs ?? time, time);
        if (!g.sample && h._source.trace?.id) g.sample = { time, traceId: h._source.trace.id };
        groups.set(h._source.message, g);
      }
      const hits = page.json.hits.hits;
      if (hits.length < 10_000) break;
      after = hits[hits.length - 1].sort;
    }
  } finally {
    await es('DELETE', '/_pit', { id: pit.json.id }).catch(() => undefined);
  }
  const top = foldCounts([...groups.values()], { top: 1 }).templates[0];
  return { bytes, pages, facts: { total, pattern: top?.pattern ?? '', count: top?.count ?? 0, first: top?.firstSeen, last: top?.lastSeen, traceId: top?.sample?.traceId } };
}

/** Patterns whose counts are checked, the most frequent of the whole window. */
const EXACT_TOP = 5;

interface Exactness {
  rows: { pattern: string; reported: number; truth: number; terms1000: number }[];
  counts: string;
  /** Latency of the 1,000-bucket terms request elk_detect_errors sent before, ms. */
  termsMs: number;
  /** Latency of the composite paging it sends now (the same requests, sent directly), its pages, and the errors its groups hold. */
  composite: { ms: number; pages: number; groups: number; counted: number };
}

/** A template as a Lucene regexp over the whole message: its fixed text literal, `<*>` any text. */
function templateRegexp(template: string): string {
  return template
    .split('<*>')
    .map((part) => part.replace(/[.?+*|{}[\]()"\\#@&<>~]/g, (c) => `\\${c}`))
    .join('.*');
}

/** The same template as a JavaScript test over a whole message. */
function templateTest(template: string): RegExp {
  return new RegExp(`^${template.split('<*>').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 's');
}

/** The requests of elk_detect_errors's message counting (src/backends/elasticsearch/message-counts.ts), sent directly and timed. */
async function compositePaging(namespace: string, query: Json): Promise<Exactness['composite']> {
  const started = performance.now();
  let after: Json | undefined;
  let pages = 0;
  let groups = 0;
  let counted = 0;
  const size = 20_000;
  for (;;) {
    const { json } = await es<{ aggregations: { groups: { after_key?: Json; buckets: { doc_count: number }[] } } }>('POST', `/logs-*-${namespace}/_search`, {
      size: 0,
      query,
      aggs: {
        groups: {
          composite: {
            size,
            sources: [{ message: { terms: { field: 'message.keyword' } } }, { service: { terms: { field: 'service.name', missing_bucket: true } } }, { level: { terms: { field: 'log.level', missing_bucket: true } } }],
            ...(after ? { after } : {}),
          },
          aggs: { first: { min: { field: '@timestamp' } }, last: { max: { field: '@timestamp' } } },
        },
      },
    });
    pages++;
    const buckets = json.aggregations.groups.buckets;
    groups += buckets.length;
    for (const b of buckets) counted += b.doc_count;
    after = json.aggregations.groups.after_key;
    if (buckets.length < size || !after) break;
  }
  return { ms: performance.now() - started, pages, groups, counted };
}

/**
 * The whole window's top patterns as elk_detect_errors states them, each against a direct count of
 * the error documents whose message its template matches, and against the count the terms
 * aggregation of 1,000 distinct messages gives (what the tool read before it paged every message).
 */
async function exactness(namespace: string, detect: Json, window: { start: string; end: string }): Promise<Exactness> {
  const filter = [{ range: { '@timestamp': { gte: window.start, lte: window.end } } }, { terms: { 'log.level': levelVariants(ERROR_LEVELS) } }];
  type Top = { message: string; count: number };
  const top = (detect.top_error_messages as Top[]).slice(0, EXACT_TOP);
  const started = performance.now();
  const { json } = await es<{ aggregations: { messages: { buckets: { key: string; doc_count: number }[] } } }>('POST', `/logs-*-${namespace}/_search`, {
    size: 0,
    query: { bool: { filter } },
    aggs: { messages: { terms: { field: 'message.keyword', size: 1000 } } },
  });
  const termsMs = performance.now() - started;
  const buckets = json.aggregations.messages.buckets;
  const rows = [];
  for (const p of top) {
    const truth = await es<{ count: number }>('POST', `/logs-*-${namespace}/_count`, { query: { bool: { filter: [...filter, { regexp: { 'message.keyword': { value: templateRegexp(p.message), flags: 'NONE' } } }] } } });
    // What the 1,000 buckets held of this template's messages: at most what the old answer could count for it.
    const test = templateTest(p.message);
    const terms1000 = buckets.reduce((n, b) => n + (test.test(b.key) ? b.doc_count : 0), 0);
    rows.push({ pattern: p.message, reported: p.count, truth: truth.json.count, terms1000 });
  }
  return { rows, counts: String(detect.counts), termsMs, composite: await compositePaging(namespace, { bool: { filter } }) };
}

interface Measured {
  dataset: Dataset;
  logDocs: number;
  latency: { name: string; sorted: number[] }[];
  rssBefore: number;
  rssAfter: number;
  rssPeak?: number;
  telemcpBytes: { detect: number; search: number };
  telemcpFacts: Facts;
  aggs: { bytes: number; facts: Facts };
  hits: { bytes: number; pages: number; facts: Facts };
  exact: Exactness;
}

async function measure(dataset: Dataset): Promise<Measured> {
  const { manifest, namespace } = dataset;
  const logDocs = (await es<{ count: number }>('POST', `/logs-*-${namespace}/_count`)).json.count;
  await quiet();
  const server = await startServer(namespace);
  try {
    const rssBefore = await rss(server);
    const latency: Measured['latency'] = [];
    for (const c of calls(manifest)) {
      for (let i = 0; i < WARMUP; i++) await execute(server, c.tool, c.input);
      const out: number[] = [];
      for (let i = 0; i < CALLS; i++) out.push((await execute(server, c.tool, c.input)).ms);
      latency.push({ name: c.name, sorted: out.sort((a, b) => a - b) });
    }
    const [wholeCall, detectCall, searchCall] = calls(manifest);
    const whole = await execute(server, wholeCall.tool, wholeCall.input);
    const detect = await execute(server, detectCall.tool, detectCall.input);
    const search = await execute(server, searchCall.tool, searchCall.input);
    const rssAfter = await rss(server);
    const rssPeak = peakRss(server.child.pid!);
    type Top = { message: string; count: number; first_seen?: string; last_seen?: string; trace_id?: string };
    const top = (detect.data.top_error_messages as Top[])[0];
    const telemcpFacts: Facts = {
      total: detect.data.total_errors as number,
      pattern: top?.message ?? '',
      count: top?.count ?? 0,
      first: top?.first_seen ? Date.parse(top.first_seen) : undefined,
      last: top?.last_seen ? Date.parse(top.last_seen) : undefined,
      traceId: top?.trace_id,
    };
    return {
      dataset,
      logDocs,
      latency,
      rssBefore,
      rssAfter,
      rssPeak,
      telemcpBytes: { detect: detect.bytes, search: search.bytes },
      telemcpFacts,
      aggs: await rawAggs(namespace),
      hits: await rawHits(namespace),
      exact: await exactness(namespace, whole.data, manifest.window),
    };
  } finally {
    await server.stop();
  }
}

const cluster = await clusterInfo();
const loadBefore = loadavg()[0];
const datasets: Dataset[] = [];
for (const size of SIZES) datasets.push(await ensureSeeded(size));
const results: Measured[] = [];
for (const d of datasets) results.push(await measure(d));

const [small, big] = results;
const loadAfter = loadavg()[0];
const col = (s: string, w = 22) => s.padEnd(w);
const row = (label: string, a: string, b: string, ratio: string) => `${col(label, 44)}${col(a)}${col(b)}${ratio}`;
const tBytes = (r: Measured) => r.telemcpBytes.detect + r.telemcpBytes.search;
const pages = (n: number) => `${n} page${n === 1 ? '' : 's'}`;
const m0 = big.dataset.manifest;
const lines = [
  `bench/elk: elasticsearch ${cluster.version} (heap ${mib(cluster.heap)}) at ${ES}, node ${process.version}, ${CALLS} calls after ${WARMUP} warm-up, REST /mcp/execute, load avg ${loadBefore.toFixed(1)} -> ${loadAfter.toFixed(1)}`,
  `seed ${SEED.seed}, window ${m0.window.start} .. ${m0.window.end} (${SEED.hours}h), incident from ${m0.incident.start}; LOG_INDEX_PATTERN logs-*-<namespace>`,
  ...results.map(({ dataset: d, logDocs }) => {
    const w = d.manifest.write;
    const how = d.wallMs === undefined ? 'seeded by an earlier run' : `this run, wall ${(d.wallMs / 1000).toFixed(1)} s`;
    return `seed ${col(d.label, 5)} scale ${String(d.manifest.options.scale).padEnd(5)} ${fmt(logDocs).padStart(9)} docs in logs-*-${d.namespace} (${fmt(d.manifest.docs_total)} with filebeat+APM): indexed in ${(w.duration_ms / 1000).toFixed(1)} s, ${fmt((w.indexed + w.already_present) / (w.duration_ms / 1000))} docs/s (${how})`;
  }),
  '',
  row('latency ms (p50 / p95)', small.dataset.label, big.dataset.label, `${big.dataset.label}/${small.dataset.label} p50`),
  ...small.latency.map((l, i) => {
    const b = big.latency[i];
    const cell = (s: number[]) => `${percentile(s, 50).toFixed(1)} / ${percentile(s, 95).toFixed(1)}`;
    return row(l.name, cell(l.sorted), cell(b.sorted), (percentile(b.sorted, 50) / percentile(l.sorted, 50)).toFixed(2));
  }),
  '',
  row('server RSS', small.dataset.label, big.dataset.label, `${big.dataset.label}/${small.dataset.label}`),
  row('before the calls (/metrics)', mib(small.rssBefore), mib(big.rssBefore), (big.rssBefore / small.rssBefore).toFixed(2)),
  row('after the calls (/metrics)', mib(small.rssAfter), mib(big.rssAfter), (big.rssAfter / small.rssAfter).toFixed(2)),
  ...(small.rssPeak && big.rssPeak ? [row('peak (VmHWM)', mib(small.rssPeak), mib(big.rssPeak), (big.rssPeak / small.rssPeak).toFixed(2))] : []),
  '',
  row(`bytes, "${SERVICE} errors, last hour"`, small.dataset.label, big.dataset.label, 'raw/telemcp'),
  row('telemcp: detect_errors + search_logs', `${fmt(tBytes(small))} (${fmt(small.telemcpBytes.detect)}+${fmt(small.telemcpBytes.search)})`, `${fmt(tBytes(big))} (${fmt(big.telemcpBytes.detect)}+${fmt(big.telemcpBytes.search)})`, ''),
  row('raw A: size 20 + aggs, one _search', fmt(small.aggs.bytes), fmt(big.aggs.bytes), `${(small.aggs.bytes / tBytes(small)).toFixed(1)}x / ${(big.aggs.bytes / tBytes(big)).toFixed(1)}x`),
  row('raw B: every matching hit', `${fmt(small.hits.bytes)} (${pages(small.hits.pages)})`, `${fmt(big.hits.bytes)} (${pages(big.hits.pages)})`, `${(small.hits.bytes / tBytes(small)).toFixed(0)}x / ${(big.hits.bytes / tBytes(big)).toFixed(0)}x`),
  ...results.map(({ dataset: d, telemcpFacts: f, aggs, hits }) => {
    const top = d.manifest.incident.top_error_pattern;
    return (
      `facts ${col(d.label, 5)} ${fmt(f.total)} errors; top "${f.pattern}" x${fmt(f.count)} (manifest x${fmt(top.count)}), first ${hhmmss(f.first)}, last ${hhmmss(f.last)}, trace ${f.traceId ?? '-'}; ` +
      `same facts from raw A: ${sameFacts(f, aggs.facts) ? 'yes' : 'NO'}, raw B: ${sameFacts(f, hits.facts) ? 'yes' : 'NO'}`
    );
  }),
  '',
  `exactness: elk_detect_errors, whole ${SEED.hours}h window, top ${EXACT_TOP} patterns; truth = _count of the error documents the template matches (regexp on message.keyword)`,
  ...results.flatMap(({ dataset: d, exact: e, latency }) => [
    `${col(d.label, 5)} counts "${e.counts}"; detect_errors p50 ${percentile(latency[0].sorted, 50).toFixed(1)} ms (whole call); its messages part: before, terms size 1000 ${e.termsMs.toFixed(1)} ms (one request); now, composite paging ${e.composite.ms.toFixed(1)} ms (${pages(e.composite.pages)}, ${fmt(e.composite.groups)} groups holding ${fmt(e.composite.counted)} errors)`,
    ...e.rows.map((r) => `  ${col(`"${r.pattern.slice(0, 70)}"`, 74)} reported ${fmt(r.reported).padStart(7)}  truth ${fmt(r.truth).padStart(7)}  ${r.reported === r.truth ? 'exact' : 'DIFFERS'}; before (terms-1000) ${fmt(r.terms1000)}`),
  ]),
];
process.stdout.write(`${lines.join('\n')}\n`);
