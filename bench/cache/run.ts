/**
 * What the query cache saves on a repeated investigation, on the real VictoriaLogs of
 * scripts/test-env.sh. The seeded incident (`telemcp seed`'s generator) is written into a tenant
 * of this run, ending two hours ago: a post-mortem, whose closed window the cache keeps ten
 * minutes. An agent's investigation — incident_summary, logs_patterns, logs_bursts, logs_search,
 * vlogs_query over that window — is asked through the REST front door of a `telemcp serve`
 * process twice: the first pass computes every answer, the repeat is answered from the cache.
 *
 * Between the server and VictoriaLogs sits a counting forwarder: per call, the backend requests
 * and the bytes they moved (request bodies and responses), first pass against repeat. Latency is
 * end to end over HTTP: the first pass once (it is the only uncached one), the repeat the median
 * of REPEATS calls.
 *
 *   npm run bench:cache     (REPEATS=5; VICTORIALOGS_URL or TEST_VICTORIALOGS_URL, default 127.0.0.1:19428)
 *
 * Needs dist/ (the script builds it) and the server (`bash scripts/test-env.sh up vlogs`).
 * Writes into it only the seed, into the run's own tenant.
 */
import { randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { Agent, request } from 'undici';
import { CLI, startServerProcess, type RunningServer } from '../../test/helpers/server.js';
import { forceFlush } from '../../test/helpers/vlogs-env.js';
import { ecsDoc, ingestEcsLines } from '../../test/helpers/vlogs-seed.js';
import { generateSeed } from '../../src/seed/generate.js';
import type { SeedManifest } from '../../src/seed/manifest.js';
import { seedToIngest } from '../../src/seed/to-ingest.js';
import type { IngestRecord } from '../../src/ingest/record.js';

const VL = (process.env.VICTORIALOGS_URL ?? process.env.TEST_VICTORIALOGS_URL ?? 'http://127.0.0.1:19428').replace(/\/+$/, '');
const REPEATS = Number(process.env.REPEATS ?? 5);
const KEY = 'bench-key';
const TENANT = { accountId: randomInt(4_000_000, 5_000_000), projectId: 0 };
/** The incident ends this long before the run: a window closed over an hour ago is kept ten minutes. */
const ENDED_AGO_MS = 2 * 3_600_000;

type Json = Record<string, unknown>;

if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build it first (npx tsc -p tsconfig.build.json).`);

const pool = new Agent({ keepAliveTimeout: 10_000, connections: 8 });

/** Forwards to VictoriaLogs and counts what passes: requests, and bytes both ways. */
class CountingForwarder {
  requests = 0;
  bytes = 0;
  private server?: Server;
  url = '';

  async start(): Promise<void> {
    const target = new URL(VL);
    this.server = createServer((req, res) => {
      this.requests++;
      req.on('data', (c: Buffer) => (this.bytes += c.length));
      const up = httpRequest({ hostname: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.on('data', (c: Buffer) => (this.bytes += c.length));
        answer.pipe(res);
      });
      up.on('error', () => res.writeHead(502).end());
      req.pipe(up);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

async function loadSeed(): Promise<SeedManifest> {
  const records: IngestRecord[] = [];
  const gen = generateSeed({ now: new Date(Math.floor((Date.now() - ENDED_AGO_MS) / 60_000) * 60_000), namespace: `cachebench${TENANT.accountId}` });
  for (;;) {
    const step = gen.next();
    if (step.done) {
      await ingestEcsLines(VL, records.map((r) => ecsDoc(r)), TENANT);
      await forceFlush(VL);
      return step.value;
    }
    const r = seedToIngest(step.value);
    if (r) records.push(r);
  }
}

interface Call {
  tool: string;
  input: Json;
}

function investigation(m: SeedManifest): Call[] {
  const window = { start_time: m.window.start, end_time: m.window.end };
  const cause = m.incident.root_cause.service;
  return [
    { tool: 'incident_summary', input: window },
    { tool: 'logs_patterns', input: { ...window, log_level: 'error' } },
    { tool: 'logs_bursts', input: { ...window, log_level: 'error' } },
    { tool: 'logs_search', input: { ...window, service_name: cause, log_level: 'error', limit: 20 } },
    { tool: 'vlogs_query', input: { filter: { 'service.name': cause, 'log.level': 'error' }, start: m.window.start, end: m.window.end, limit: 200 } },
  ];
}

async function execute(server: RunningServer, c: Call): Promise<{ ms: number; cachedAt?: string }> {
  const started = performance.now();
  const res = await request(`${server.url}/mcp/execute`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': KEY },
    body: JSON.stringify({ tool_name: c.tool, input: c.input }),
    dispatcher: pool,
  });
  const text = await res.body.text();
  const ms = performance.now() - started;
  const body = JSON.parse(text) as { ok: boolean; data?: { cached_at?: string } };
  if (res.statusCode !== 200 || !body.ok) throw new Error(`${c.tool}: HTTP ${res.statusCode} ${text.slice(0, 400)}`);
  return { ms, cachedAt: body.data?.cached_at };
}

interface Measured {
  tool: string;
  first: { ms: number; requests: number; bytes: number };
  repeat: { ms: number; requests: number; bytes: number; cached: boolean };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function measure(server: RunningServer, forwarder: CountingForwarder, calls: Call[]): Promise<Measured[]> {
  const out: Measured[] = [];
  for (const c of calls) {
    const [r0, b0] = [forwarder.requests, forwarder.bytes];
    const first = await execute(server, c);
    out.push({ tool: c.tool, first: { ms: first.ms, requests: forwarder.requests - r0, bytes: forwarder.bytes - b0 }, repeat: { ms: 0, requests: 0, bytes: 0, cached: false } });
  }
  // The repeat pass: the same calls in the same order, as an agent re-running its investigation.
  const times = new Map<string, number[]>();
  for (let i = 0; i < REPEATS; i++) {
    for (const [n, c] of calls.entries()) {
      const [r0, b0] = [forwarder.requests, forwarder.bytes];
      const again = await execute(server, c);
      const row = out[n];
      row.repeat.requests += forwarder.requests - r0;
      row.repeat.bytes += forwarder.bytes - b0;
      row.repeat.cached = i === 0 ? again.cachedAt !== undefined : row.repeat.cached && again.cachedAt !== undefined;
      times.set(c.tool, [...(times.get(c.tool) ?? []), again.ms]);
    }
  }
  for (const row of out) {
    row.repeat.ms = median(times.get(row.tool)!);
    // Per repeat, so first and repeat compare one call with one call.
    row.repeat.requests /= REPEATS;
    row.repeat.bytes /= REPEATS;
  }
  return out;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const ratio = (a: number, b: number) => (b === 0 ? (a === 0 ? '—' : '∞') : `${(a / b).toFixed(1)}×`);

function report(rows: Measured[], m: SeedManifest): void {
  const lines = [
    `query cache on a repeated investigation — VictoriaLogs ${VL}, tenant ${TENANT.accountId}; seed window ${m.window.start} → ${m.window.end} (closed ${ENDED_AGO_MS / 3_600_000} h ago: kept 10 min)`,
    `node ${process.version}, ${cpus().length} CPUs, load ${loadavg()[0].toFixed(2)}; REST /mcp/execute of telemcp serve (dist/); repeat latency = median of ${REPEATS}`,
    '',
    `${'tool'.padEnd(18)} ${'latency first'.padStart(14)} ${'repeat'.padStart(9)} ${'ratio'.padStart(8)}   ${'backend req first'.padStart(17)} ${'repeat'.padStart(7)}   ${'backend bytes first'.padStart(19)} ${'repeat'.padStart(7)}   cached_at`,
  ];
  for (const r of rows) {
    lines.push(
      `${r.tool.padEnd(18)} ${`${ms(r.first.ms)} ms`.padStart(14)} ${`${ms(r.repeat.ms)} ms`.padStart(9)} ${ratio(r.first.ms, r.repeat.ms).padStart(8)}   ${fmt(r.first.requests).padStart(17)} ${fmt(r.repeat.requests).padStart(7)}   ${fmt(r.first.bytes).padStart(19)} ${fmt(r.repeat.bytes).padStart(7)}   ${r.repeat.cached ? 'yes' : 'NO'}`,
    );
  }
  const total = (pick: (r: Measured) => number) => rows.reduce((n, r) => n + pick(r), 0);
  const [f, rp] = [total((r) => r.first.ms), total((r) => r.repeat.ms)];
  lines.push(
    `${'total'.padEnd(18)} ${`${ms(f)} ms`.padStart(14)} ${`${ms(rp)} ms`.padStart(9)} ${ratio(f, rp).padStart(8)}   ${fmt(total((r) => r.first.requests)).padStart(17)} ${fmt(total((r) => r.repeat.requests)).padStart(7)}   ${fmt(total((r) => r.first.bytes)).padStart(19)} ${fmt(total((r) => r.repeat.bytes)).padStart(7)}`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}

const forwarder = new CountingForwarder();
await forwarder.start();
process.stderr.write(`loading the seed into VictoriaLogs tenant ${TENANT.accountId}…\n`);
let manifest: SeedManifest;
try {
  manifest = await loadSeed();
} catch (err) {
  throw new Error(`VictoriaLogs at ${VL} did not take the seed (${(err as Error).message}): start it with \`bash scripts/test-env.sh up vlogs\`.`);
}
let server: RunningServer | undefined;
let rows: Measured[];
try {
  server = await startServerProcess({
    LOG_LEVEL: 'warn',
    VICTORIALOGS_URL: forwarder.url,
    VICTORIALOGS_HEADERS: `AccountID=${TENANT.accountId},ProjectID=${TENANT.projectId}`,
    EMBEDDED_STORE: 'off',
    API_KEYS: `${KEY}:elk_viewer`,
    RATE_LIMIT_PER_MINUTE: '1000000',
  });
  process.stderr.write(`telemcp serve at ${server.url}; measuring…\n`);
  rows = await measure(server, forwarder, investigation(manifest));
} finally {
  await server?.stop();
  await forwarder.stop();
  await pool.close();
}
report(rows, manifest);
process.exit(0);
