/**
 * How long one big HTTP ingest push holds the server's event loop: 10 MB bodies in each format
 * (Loki JSON, Loki protobuf + snappy, `_bulk`, OTLP/HTTP JSON) pushed to the built server (its
 * parse thread, src/server/ingest/parse-thread.ts) while `/healthz` is polled every 10 ms, beside
 * the same bodies parsed the way the server parsed them before (in its own thread, here in this
 * process) while a 10 ms timer notes how late it fires: what `/healthz` waited then.
 *
 *   npx tsc -p tsconfig.build.json && node --import tsx bench/ingest/event-loop.ts
 *
 * MB (default 10) per body, PUSHES (default 3) per format after one warm-up. The server runs with
 * EMBEDDED_STORE=on in a temporary DATA_DIR, with an ingest key of its own; push throughput counts
 * the whole request (upload, parse, the store's durable write, answer).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseIngestBody, type ParseJob } from '../../src/server/ingest/parse-jobs.js';
import { bodyOf, FORMATS, type Body, type Format } from './bodies.js';

const MB = Number(process.env.MB ?? 10);
const PUSHES = Number(process.env.PUSHES ?? 3);
const POLL_MS = 10;
const KEY = `ing_${randomBytes(18).toString('hex')}`;
const MAX_BYTES = 32 * 1024 * 1024;

interface Held {
  /** Worst and 99th-percentile wait of a `/healthz` poll (or of the timer), ms. */
  worst: number;
  p99: number;
  /** Megabytes of body, and records, a second of pushing. */
  mbPerS: number;
  recordsPerS: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

function jobOf(format: Format, body: Body): ParseJob {
  const receivedAt = Date.now();
  if (format === 'loki_protobuf') return { kind: 'loki_protobuf', body: body.body, receivedAt, maxBytes: MAX_BYTES };
  return { kind: format, body: body.body, receivedAt };
}

/** Before: the parser in this thread, as the route called it, while a 10 ms timer notes its lateness. */
async function inline(format: Format, body: Body): Promise<Held> {
  parseIngestBody(jobOf(format, body));
  const waits: number[] = [];
  let expected = performance.now() + POLL_MS;
  const timer = setInterval(() => {
    const now = performance.now();
    waits.push(Math.max(0, now - expected));
    expected = now + POLL_MS;
  }, POLL_MS);
  const started = performance.now();
  for (let i = 0; i < PUSHES; i++) {
    parseIngestBody(jobOf(format, body));
    await sleep(POLL_MS);
  }
  const seconds = (performance.now() - started) / 1000;
  clearInterval(timer);
  return { worst: Math.max(...waits), p99: percentile(waits, 99), mbPerS: (PUSHES * body.body.length) / 1e6 / seconds, recordsPerS: (PUSHES * body.records) / seconds };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function startServer(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const env = { PATH: process.env.PATH, DATA_DIR: dataDir, EMBEDDED_STORE: 'on', DEMO_DATA: 'false', API_KEYS: `${KEY}:ingest`, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn' };
  const child = spawn(process.execPath, ['dist/cli/main.js', 'serve'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`the server exited with code ${child.exitCode}`);
    const up = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
    if (up) return { child, url };
    await sleep(100);
  }
  child.kill();
  throw new Error('the server did not answer /healthz within 30 s');
}

async function push(url: string, body: Body): Promise<void> {
  const res = await fetch(`${url}${body.path}`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': body.contentType }, body: body.body });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`push answered ${res.status}: ${text.slice(0, 200)}`);
}

/** After: pushes to the server while `/healthz` is polled every 10 ms; each poll's wait is kept. */
async function threaded(url: string, body: Body): Promise<Held> {
  await push(url, body);
  const waits: number[] = [];
  let pushing = true;
  const poller = (async () => {
    while (pushing) {
      const sent = performance.now();
      const res = await fetch(`${url}/healthz`);
      await res.text();
      waits.push(performance.now() - sent);
      await sleep(Math.max(0, POLL_MS - (performance.now() - sent)));
    }
  })();
  const started = performance.now();
  for (let i = 0; i < PUSHES; i++) await push(url, body);
  const seconds = (performance.now() - started) / 1000;
  pushing = false;
  await poller;
  return { worst: Math.max(...waits), p99: percentile(waits, 99), mbPerS: (PUSHES * body.body.length) / 1e6 / seconds, recordsPerS: (PUSHES * body.records) / seconds };
}

async function main(): Promise<void> {
  if (!existsSync('dist/cli/main.js')) throw new Error('dist/cli/main.js is missing: run `npx tsc -p tsconfig.build.json` first.');
  const dataDir = mkdtempSync(join(tmpdir(), 'telemcp-bench-ingest-'));
  const { child, url } = await startServer(dataDir);
  try {
    console.log(`HTTP ingest and the event loop: node ${process.version}, ${MB} MB bodies, ${PUSHES} pushes per format after 1 warm-up, /healthz polled every ${POLL_MS} ms\n`);
    console.log(`${'format'.padEnd(15)} ${'body'.padStart(9)} ${'records'.padStart(8)}   ${'before: parsed in the server thread'.padStart(38)}   ${'after: parse thread (built server)'.padStart(38)}`);
    console.log(`${''.padEnd(15)} ${''.padStart(9)} ${''.padStart(8)}   ${'wait worst / p99 ms, parse MB/s'.padStart(38)}   ${'healthz worst / p99 ms, push MB/s'.padStart(38)}`);
    for (const format of FORMATS) {
      const body = bodyOf(format, MB * 1024 * 1024);
      const before = await inline(format, body);
      const after = await threaded(url, body);
      const cell = (h: Held) => `${h.worst.toFixed(0)} / ${h.p99.toFixed(0)}, ${h.mbPerS.toFixed(1)} (${Math.round(h.recordsPerS)} rec/s)`.padStart(38);
      console.log(`${format.padEnd(15)} ${`${(body.body.length / 1e6).toFixed(1)} MB`.padStart(9)} ${String(body.records).padStart(8)}   ${cell(before)}   ${cell(after)}`);
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
