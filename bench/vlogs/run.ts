/**
 * telemcp's log tools and VictoriaLogs' native tools against VictoriaLogs' raw LogsQL API, on
 * the real VictoriaLogs of scripts/test-env.sh, in one run. The seeded incident (`telemcp seed`'s
 * generator: six hours of a shop's logs, a payment incident caused upstream by fraud-service's
 * connection pool) is written into a tenant of this run (AccountID random) as ECS-shaped JSON
 * lines, then four questions are asked both ways:
 *
 *   1. "What errors, how many, since when": incident_summary against the raw calls an agent
 *      would make: the error lines (/select/logsql/query, limit 1000) and their hits per minute
 *      (/select/logsql/hits);
 *   2. "The top error patterns": logs_patterns against the same raw error lines;
 *   3. "Lines of one filter": vlogs_query against /select/logsql/query with the same filter and
 *      limit;
 *   4. "Which fields are there": vlogs_discover fields against /select/logsql/field_names.
 *
 * Bytes: the REST answers of a `telemcp serve` process (POST /mcp/execute, the whole body)
 * against the raw answers' bodies, with the facts both give checked against the seed's manifest.
 * Latency: per question, CALLS rounds after WARMUP in an order rotated every round, of (a) the
 * raw call(s) sent directly (undici keep-alive, no compression, in parallel when several) and
 * (b) the same question through the server; end to end over HTTP. The query cache is off
 * (QUERY_CACHE_MAX_BYTES=0): every telemcp answer is computed.
 *
 *   npm run bench:vlogs     (CALLS=20 WARMUP=3; VICTORIALOGS_URL or TEST_VICTORIALOGS_URL,
 *                            default 127.0.0.1:19428)
 *
 * Needs dist/ (npx tsc -p tsconfig.build.json) and the server (`bash scripts/test-env.sh up
 * vlogs`). Writes into it only the seed, into the run's own tenant.
 */
import { randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { Agent, request } from 'undici';
import { CLI, startServerProcess, type RunningServer } from '../../test/helpers/server.js';
import { forceFlush } from '../../test/helpers/vlogs-env.js';
import { ecsDoc, ingestEcsLines } from '../../test/helpers/vlogs-seed.js';
import { generateSeed } from '../../src/seed/generate.js';
import type { SeedManifest } from '../../src/seed/manifest.js';
import { seedToIngest } from '../../src/seed/to-ingest.js';
import type { IngestRecord } from '../../src/ingest/record.js';

const VL = (process.env.VICTORIALOGS_URL ?? process.env.TEST_VICTORIALOGS_URL ?? 'http://127.0.0.1:19428').replace(/\/+$/, '');
const CALLS = Number(process.env.CALLS ?? 20);
const WARMUP = Number(process.env.WARMUP ?? 3);
const KEY = 'bench-key';
const TENANT = { accountId: randomInt(3_000_000, 4_000_000), projectId: 0 };
const TENANT_HEADERS = { AccountID: String(TENANT.accountId), ProjectID: String(TENANT.projectId) };

type Json = Record<string, unknown>;

if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build it first (npx tsc -p tsconfig.build.json).`);

const directPool = new Agent({ keepAliveTimeout: 10_000, connections: 32 });
const telemcpPool = new Agent({ keepAliveTimeout: 10_000, connections: 32 });

/** A raw select call: its endpoint and form, as an agent with curl would send it. */
interface Direct {
  label: string;
  endpoint: string;
  form: Record<string, string>;
}

async function select(d: Direct): Promise<{ text: string; bytes: number }> {
  const res = await request(`${VL}/select/logsql/${d.endpoint}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...TENANT_HEADERS },
    body: new URLSearchParams(d.form).toString(),
    dispatcher: directPool,
  });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`${d.label}: HTTP ${res.statusCode} ${text.slice(0, 300)}`);
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
const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

// ---------------------------------------------------------------------------
// The seed, in a tenant of this run
// ---------------------------------------------------------------------------

async function version(): Promise<string> {
  try {
    const res = await request(`${VL}/metrics`, { dispatcher: directPool });
    const text = await res.body.text();
    return /vm_app_version\{[^}]*version="([^"]+)"/.exec(text)?.[1] ?? '?';
  } catch (err) {
    throw new Error(`VictoriaLogs at ${VL} does not answer (${(err as Error).message}): start it with \`bash scripts/test-env.sh up vlogs\`.`);
  }
}

async function loadSeed(): Promise<{ manifest: SeedManifest; records: number; ms: number }> {
  const started = performance.now();
  const records: IngestRecord[] = [];
  const gen = generateSeed({ now: new Date(Math.floor(Date.now() / 60_000) * 60_000), namespace: `vlbench${TENANT.accountId}` });
  let manifest: SeedManifest;
  for (;;) {
    const step = gen.next();
    if (step.done) {
      manifest = step.value;
      break;
    }
    const r = seedToIngest(step.value);
    if (r) records.push(r);
  }
  await ingestEcsLines(VL, records.map((r) => ecsDoc(r)), TENANT);
  await forceFlush(VL);
  return { manifest, records: records.length, ms: performance.now() - started };
}

// ---------------------------------------------------------------------------
// The questions
// ---------------------------------------------------------------------------

interface Question {
  name: string;
  /** The raw calls an agent makes for the same facts, in parallel: their bytes are the "raw" figure, their time the "direct" one. */
  raw: Direct[];
  /** The tools asked, in parallel. */
  telemcp: Call[];
  /** Facts both sides give, as one line; `same` compares them. */
  facts: (raw: string[], tools: Json[]) => { line: string; same: boolean };
}

const rows = (text: string): Record<string, string>[] =>
  text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, string>);

/** A message with its numbers, ids and hex runs masked: the crude template an agent would group raw lines by. */
const crudeTemplate = (message: string) => message.replace(/[0-9a-f]{8,}|\d+(?:\.\d+)?/gi, '<*>');

function topCrude(lines: Record<string, string>[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const l of lines) counts.set(crudeTemplate(l._msg ?? ''), (counts.get(crudeTemplate(l._msg ?? '')) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1]);
}

function questions(m: SeedManifest): Question[] {
  const window = { start: m.window.start, end: new Date(Date.parse(m.window.end) + 1).toISOString() };
  const tools = { start_time: m.window.start, end_time: m.window.end };
  const errors = '"log.level":="error"';
  const errorLines: Direct = { label: `query ${errors} limit 1000`, endpoint: 'query', form: { query: errors, limit: '1000', ...window } };
  const errorHits: Direct = { label: 'hits step 1m', endpoint: 'hits', form: { query: errors, step: '1m', ...window } };
  const errorsTotal = m.logs.per_level.error;
  const top = m.incident.top_error_pattern;
  const filterService = m.incident.root_cause.service;
  const vlFilter = { 'service.name': filterService, 'log.level': 'error' };
  const vlLogsql = `"service.name":="${filterService}" "log.level":="error"`;
  return [
    {
      name: '1. what errors, since when',
      raw: [errorLines, errorHits],
      telemcp: [{ tool: 'incident_summary', input: tools }],
      facts: ([lines, hits], [summary]) => {
        const series = (JSON.parse(hits) as { hits: { timestamps: string[]; values: number[]; total: number }[] }).hits;
        const rawTotal = sum(series.map((s) => s.total));
        const firstRaw = series.flatMap((s) => s.timestamps.filter((_, i) => s.values[i] > 0)).sort()[0];
        const s = summary as { what: string; since: string | null; status: string; count: number; count_exact: boolean; likely_cause: { service: string } | null };
        const sinceStart = sum(Object.values(m.incident.error_logs_since_start));
        return {
          line: `manifest: ${fmt(errorsTotal)} errors in the window, ${fmt(sinceStart)} since the incident start ${m.incident.start}, cause ${m.incident.root_cause.service}; raw: ${fmt(rows(lines).length)} lines read, ${fmt(rawTotal)} errors (hits), first error minute ${firstRaw}; telemcp: "${s.what.slice(0, 80)}" ${s.status} since ${s.since}, ${fmt(s.count)} (${s.count_exact ? 'exact' : 'estimate'}), likely cause ${s.likely_cause?.service ?? 'none'}`,
          same: rawTotal === errorsTotal && s.likely_cause?.service === m.incident.root_cause.service && s.status === 'ongoing',
        };
      },
    },
    {
      name: '2. top error patterns',
      raw: [errorLines],
      telemcp: [{ tool: 'logs_patterns', input: { ...tools, log_level: 'error', top_n: 10 } }],
      facts: ([lines], [patterns]) => {
        const crude = topCrude(rows(lines));
        const p = patterns as { total?: number; patterns?: { template: string; count: number }[] };
        const first = p.patterns?.[0];
        return {
          line: `manifest top: "${top.pattern.slice(0, 70)}" ×${fmt(top.count)}; raw (1000 newest lines, masked numbers): ${crude.length} groups, top ×${crude[0]?.[1] ?? 0} of the lines read; telemcp: ${p.patterns?.length ?? 0} patterns of ${fmt(p.total ?? 0)} errors, top "${first?.template.slice(0, 70)}" ×${fmt(first?.count ?? 0)}`,
          same: first?.count === top.count,
        };
      },
    },
    {
      name: '3. lines of one filter',
      raw: [{ label: `query ${vlLogsql} limit 200`, endpoint: 'query', form: { query: vlLogsql, limit: '200', ...window } }],
      telemcp: [{ tool: 'vlogs_query', input: { filter: vlFilter, start: m.window.start, end: m.window.end, limit: 200 } }],
      facts: ([lines], [answer]) => {
        const a = answer as { total: number; lines_read: number; patterns: unknown[]; state: string };
        const expected = m.logs.per_service[filterService as keyof SeedManifest['logs']['per_service']]?.levels.error ?? -1;
        return {
          line: `${filterService} errors ${fmt(expected)} (manifest); raw: ${fmt(rows(lines).length)} lines, no total; telemcp: total ${fmt(a.total)} (exact), ${a.lines_read} lines read into ${a.patterns.length} patterns, state ${a.state}`,
          same: a.total === expected && a.lines_read === rows(lines).length,
        };
      },
    },
    {
      name: '4. which fields',
      raw: [{ label: 'field_names *', endpoint: 'field_names', form: { query: '*', ...window } }],
      telemcp: [{ tool: 'vlogs_discover', input: { what: 'fields', start: m.window.start, end: m.window.end } }],
      facts: ([names], [answer]) => {
        const raw = (JSON.parse(names) as { values: { value: string; hits: number }[] }).values;
        const a = answer as { distinct: number; items: { value: string; hits: number }[] };
        const same = a.distinct === raw.length && a.items.every((i) => raw.some((r) => r.value === i.value && r.hits === i.hits));
        return { line: `raw: ${raw.length} fields; telemcp: ${a.distinct} fields, ${a.items.length} listed (stream fields marked), hits equal: ${same ? 'yes' : 'no'}`, same };
      },
    },
  ];
}

interface Measured {
  q: Question;
  rawBytes: number[];
  toolBytes: number[];
  facts: { line: string; same: boolean };
  direct: number[];
  telemcp: number[];
  paired: number[];
}

async function measure(server: RunningServer, q: Question): Promise<Measured> {
  const raws = await Promise.all(q.raw.map(select));
  const tools = await Promise.all(q.telemcp.map((c) => execute(server, c)));
  const facts = q.facts(raws.map((r) => r.text), tools.map((t) => t.data));
  const members = [
    { name: 'direct' as const, run: () => Promise.all(q.raw.map(select)) },
    { name: 'telemcp' as const, run: () => Promise.all(q.telemcp.map((c) => execute(server, c))) },
  ];
  const times = { direct: [] as number[], telemcp: [] as number[] };
  const paired: number[] = [];
  for (let round = 0; round < WARMUP + CALLS; round++) {
    const order = round % 2 ? [...members].reverse() : members;
    const got: Partial<Record<'direct' | 'telemcp', number>> = {};
    for (const member of order) got[member.name] = await timed(member.run);
    if (round < WARMUP) continue;
    times.direct.push(got.direct!);
    times.telemcp.push(got.telemcp!);
    paired.push(got.telemcp! - got.direct!);
  }
  return { q, rawBytes: raws.map((r) => r.bytes), toolBytes: tools.map((t) => t.bytes), facts, direct: times.direct, telemcp: times.telemcp, paired };
}

// ---------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------

const v = await version();
const loadBefore = loadavg()[0];
process.stderr.write(`loading the seed into VictoriaLogs tenant ${TENANT.accountId}:${TENANT.projectId}…\n`);
const seed = await loadSeed();
let server: RunningServer | undefined;
const results: Measured[] = [];
try {
  server = await startServerProcess({
    LOG_LEVEL: 'warn',
    VICTORIALOGS_URL: VL,
    VICTORIALOGS_HEADERS: `AccountID=${TENANT.accountId},ProjectID=${TENANT.projectId}`,
    EMBEDDED_STORE: 'off',
    API_KEYS: `${KEY}:elk_viewer`,
    RATE_LIMIT_PER_MINUTE: '1000000',
    MAX_CONCURRENT_PER_KEY: '1000',
    QUERY_CACHE_MAX_BYTES: '0',
  });
  process.stderr.write(`telemcp serve at ${server.url}; measuring…\n`);
  for (const q of questions(seed.manifest)) {
    process.stderr.write(`  ${q.name}\n`);
    results.push(await measure(server, q));
  }
} finally {
  await server?.stop();
  await directPool.close();
  await telemcpPool.close();
}

const loadAfter = loadavg()[0];
const col = (s: string, w: number) => s.padEnd(w);
const rcol = (s: string, w: number) => s.padStart(w);
const p5090 = (xs: number[]) => `${ms(percentile(xs, 50))} / ${ms(percentile(xs, 90))}`;
const cpuModel = cpus()[0]?.model.replace(/\s+/g, ' ').trim() ?? '?';
const lines = [
  `bench/vlogs: VictoriaLogs ${v} (${VL}), tenant ${TENANT.accountId}:${TENANT.projectId}; telemcp serve (dist/), REST POST /mcp/execute, query cache off; node ${process.version}`,
  `machine: ${cpus().length} cores (${cpuModel}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB; load avg ${loadBefore.toFixed(1)} -> ${loadAfter.toFixed(1)}; ${CALLS} rounds after ${WARMUP} warm-up, order alternated every round`,
  `seed: ${fmt(seed.records)} log records (${seed.manifest.window.start} .. ${seed.manifest.window.end}, ${fmt(seed.manifest.logs.per_level.error)} errors) loaded through /insert/jsonline in ${(seed.ms / 1000).toFixed(1)} s`,
  '',
  `${col('question', 30)}${rcol('raw bytes', 12)}${rcol('telemcp', 10)}${rcol('ratio', 9)}   ${col('direct p50/p90 ms', 19)}${col('telemcp p50/p90 ms', 20)}${rcol('added p50', 10)}${rcol('telemcp/direct', 16)}`,
  ...results.map((r) => {
    const raw = sum(r.rawBytes);
    const tool = sum(r.toolBytes);
    const d50 = percentile(r.direct, 50);
    const t50 = percentile(r.telemcp, 50);
    return `${col(r.q.name, 30)}${rcol(fmt(raw), 12)}${rcol(fmt(tool), 10)}${rcol(`${(raw / tool).toFixed(1)}x`, 9)}   ${col(p5090(r.direct), 19)}${col(p5090(r.telemcp), 20)}${rcol(ms(t50 - d50), 10)}${rcol(`${(t50 / d50).toFixed(2)}x`, 16)}`;
  }),
  '',
  'what each side is',
  ...results.flatMap((r) => [
    r.q.name,
    `  raw:     ${r.q.raw.map((d, i) => `${d.label} ${fmt(r.rawBytes[i])}`).join(' + ')}${r.q.raw.length > 1 ? ' (in parallel)' : ''}`,
    `  telemcp: ${r.q.telemcp.map((c, i) => `${c.tool} ${fmt(r.toolBytes[i])}`).join(' + ')}`,
    `  added p50 round by round: ${ms(percentile(r.paired, 50))}`,
    `  facts:   ${r.facts.line}; same facts: ${r.facts.same ? 'yes' : 'NO'}`,
  ]),
];
process.stdout.write(`${lines.join('\n')}\n`);
process.exit(0);
