/**
 * The embedded store at scale: ingest throughput (batches of 10,000, each committed durably),
 * then the embedded LogSource's calls over a day of ROWS records (default 1,000,000), whole-day
 * and one-hour windows, each with its median time and the query plan of its main statement.
 *
 *   node --import tsx bench/embedded/run.ts            (ROWS=200000 for a quicker run)
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { LogQuery } from '../../src/backends/capabilities.js';
import { EmbeddedLogSource } from '../../src/backends/embedded/log-source.js';
import type { IngestRecord } from '../../src/ingest/record.js';
import { MAX_BATCH, openLogStore } from '../../src/store/log-store.js';

const ROWS = Number(process.env.ROWS ?? 1_000_000);
const RUNS = Number(process.env.RUNS ?? 5);
const DAY = 86_400_000;
const START = Date.parse('2026-03-10T00:00:00Z');
const SERVICES = ['api', 'db', 'payment', 'batch', 'auth', 'web', 'cache', 'queue'];
const LEVELS = ['info', 'info', 'info', 'info', 'info', 'info', 'debug', 'debug', 'warn', 'error'];
const WORDS = ['timeout', 'connection', 'refused', 'GET', 'POST', 'orders', 'user', 'login', 'failed', 'ok', 'slow', 'query', 'cache', 'miss', 'hit'];

function record(i: number): IngestRecord {
  return {
    ts: START + Math.floor((i * DAY) / ROWS),
    dataset: i % 3 ? 'logs-app' : 'logs-web',
    service: SERVICES[i % 8],
    level: LEVELS[(i * 7) % 10],
    message: `${WORDS[i % 15]} ${WORDS[(i * 3) % 15]} request ${i} ${WORDS[(i * 11) % 15]} took ${i % 1000}ms`,
    traceId: `t-${i}`,
    host: `node-${i % 20}`,
  };
}

const dataDir = mkdtempSync(join(tmpdir(), 'telemcp-bench-store-'));
try {
  const store = openLogStore({ dataDir });
  const started = performance.now();
  for (let offset = 0; offset < ROWS; offset += MAX_BATCH) {
    store.write(Array.from({ length: Math.min(MAX_BATCH, ROWS - offset) }, (_, i) => record(offset + i)));
  }
  const ingestMs = performance.now() - started;
  const mb = statSync(store.file).size / 1e6;
  console.log(`ingest: ${ROWS.toLocaleString('en-US')} records in ${(ingestMs / 1000).toFixed(1)} s = ${Math.round(ROWS / (ingestMs / 1000)).toLocaleString('en-US')} records/s (durable batches of ${MAX_BATCH}); logs.db ${mb.toFixed(0)} MB`);

  const source = new EmbeddedLogSource(store);
  const day: LogQuery = { from: new Date(START), to: new Date(START + DAY - 1) };
  const hour: LogQuery = { from: new Date(START + 10 * 3_600_000), to: new Date(START + 11 * 3_600_000) };
  const signal = () => AbortSignal.timeout(120_000);
  const cases: [string, () => Promise<unknown>][] = [
    ['day: sample newest 100 (exact total)', () => source.sample(day, { limit: 100, strategy: 'newest' }, signal())],
    ['day: sample spread 5000', () => source.sample(day, { limit: 5000, strategy: 'spread' }, signal())],
    ['day: sample spread 1000, level error', () => source.sample({ ...day, levels: ['error'] }, { limit: 1000, strategy: 'spread' }, signal())],
    ['day: histogram 1000 buckets', () => source.histogram(day, { bucketMs: DAY / 1000 }, signal())],
    ['day: histogram 288 buckets by service', () => source.histogram(day, { bucketMs: 300_000, by: 'service' }, signal())],
    ['day: histogram 288 buckets, errors by service', () => source.histogram({ ...day, levels: ['error'] }, { bucketMs: 300_000, by: 'service' }, signal())],
    ['day: countBy host', () => source.countBy(day, { by: 'host' }, signal())],
    ['day: trace ids (2)', () => source.sample({ ...day, traceIds: ['t-5000', 't-77'] }, { limit: 10, strategy: 'newest' }, signal())],
    ['day: text "timeout" (1 in 5), newest 100', () => source.sample({ ...day, text: 'timeout' }, { limit: 100, strategy: 'newest' }, signal())],
    ['day: text "request 5000" (1 record)', () => source.sample({ ...day, text: '"request 5000"' }, { limit: 100, strategy: 'newest' }, signal())],
    ['day: scope logs-w* histogram by service', () => source.histogram({ ...day, scope: 'logs-w*' }, { bucketMs: 300_000, by: 'service' }, signal())],
    ['hour: sample spread 500', () => source.sample(hour, { limit: 500, strategy: 'spread' }, signal())],
    ['hour: histogram 60 buckets by host', () => source.histogram(hour, { bucketMs: 60_000, by: 'host' }, signal())],
    ['hour: text -timeout, newest 100', () => source.sample({ ...hour, text: '-timeout' }, { limit: 100, strategy: 'newest' }, signal())],
    ['day: searchPage 100 after a cursor, text', async () => store.searchPage({ from: START, to: START + DAY, text: 'timeout' }, { limit: 100, order: 'desc', after: { ts: START + 5 * 3_600_000, id: 5 } })],
  ];
  for (const [name, run] of cases) {
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      await run();
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    console.log(`${name.padEnd(48)} median ${times[Math.floor(times.length / 2)].toFixed(1).padStart(8)} ms   max ${times[times.length - 1].toFixed(1).padStart(8)} ms`);
  }
  store.close();

  // The plans behind the figures, for log-store.ts's statements as they run: each starts from an index, none scans the table.
  const db = new Database(join(dataDir, 'logs.db'), { readonly: true });
  const bucket = '(ts - CAST(? AS INTEGER)) / CAST(? AS INTEGER)';
  const plans: [string, string, unknown[]][] = [
    ['count', 'SELECT count(*) FROM logs WHERE ts BETWEEN ? AND ?', [0, 1]],
    ['buckets', `SELECT ${bucket} AS b, count(*) FROM logs WHERE ts BETWEEN ? AND ? GROUP BY b`, [0, 1, 0, 1]],
    ['buckets by label', `SELECT ${bucket} AS b, CASE WHEN service IN (SELECT value FROM json_each(?)) THEN service END AS v, count(*) FROM logs WHERE ts BETWEEN ? AND ? GROUP BY b, v`, [0, 1, '[]', 0, 1]],
    ['newest', 'SELECT * FROM logs WHERE ts BETWEEN ? AND ? ORDER BY ts DESC, id DESC LIMIT 10', [0, 1]],
    ['level filter', 'SELECT count(*) FROM logs WHERE ts BETWEEN ? AND ? AND level IN (SELECT value FROM json_each(?))', [0, 1, '[]']],
    ['scope filter', 'SELECT * FROM logs WHERE ts BETWEEN ? AND ? AND dataset IN (SELECT value FROM json_each(?)) ORDER BY ts DESC, id DESC LIMIT 10', [0, 1, '[]']],
    ['trace ids', 'SELECT * FROM logs WHERE ts BETWEEN ? AND ? AND trace_id IN (SELECT value FROM json_each(?)) ORDER BY ts DESC, id DESC LIMIT 10', [0, 1, '[]']],
    ['text', 'SELECT * FROM logs WHERE ts BETWEEN ? AND ? AND id IN (SELECT rowid FROM logs_fts WHERE logs_fts MATCH ?) ORDER BY ts DESC, id DESC LIMIT 10', [0, 1, '"x"']],
  ];
  for (const [name, sql, params] of plans) {
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail).join(' | ');
    console.log(`plan ${name.padEnd(17)} ${plan}`);
  }
  db.close();
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
