/**
 * The embedded source as the server runs it: WorkerLogSource, EmbeddedLogSource in a reader
 * thread over its own read-only connection, beside the writer of a real SQLite store. It must
 * answer and fail exactly as the in-process source over the same store, keep the event loop
 * free while a heavy query runs, end a call at its deadline on a fresh thread, and leave no
 * thread behind on close. Worker is observed, not replaced: every thread started is a real one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker as NodeWorker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildBackends } from '../../src/backends/backends.js';
import { STORE_SERVICE } from '../../src/backends/embedded/service.js';
import type { LogQuery } from '../../src/backends/capabilities.js';
import { EmbeddedLogSource } from '../../src/backends/embedded/log-source.js';
import { WorkerLogSource } from '../../src/backends/embedded/worker-log-source.js';
import { TelemcpError } from '../../src/core/errors.js';
import type { IngestRecord } from '../../src/ingest/record.js';
import { openLogStore, type LogStore } from '../../src/store/log-store.js';
import { testConfig } from '../helpers/config.js';

const threads = vi.hoisted(() => ({ started: [] as { exited: Promise<number> }[] }));

vi.mock('node:worker_threads', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:worker_threads')>();
  class ObservedWorker extends actual.Worker {
    constructor(...args: ConstructorParameters<typeof actual.Worker>) {
      super(...args);
      threads.started.push({ exited: new Promise<number>((resolve) => this.once('exit', resolve)) });
    }
  }
  return { ...actual, Worker: ObservedWorker as unknown as typeof NodeWorker };
});

const FROM = Date.parse('2026-03-10T00:00:00.000Z');
/** Enough records that a text histogram by host takes a while (bench/embedded measures how long). */
const RECORDS = 100_000;
const STEP_MS = 10;
const TO = FROM + RECORDS * STEP_MS;
const LEVELS = ['info', 'warn', 'error'];

function records(from: number, to: number): IngestRecord[] {
  const out: IngestRecord[] = [];
  for (let k = from; k < to; k++) {
    out.push({
      ts: FROM + k * STEP_MS,
      dataset: k % 10 === 0 ? 'logs-edge' : 'logs-app',
      service: `svc-${k % 7}`,
      level: LEVELS[k % 3],
      host: `host-${k % 50}`,
      message: `request ${k} user${k % 1000} took ${k % 97} ms path /api/v${k % 5}/items`,
      traceId: `trace-${k}`,
    });
  }
  return out;
}

const window = (extra: Partial<LogQuery> = {}): LogQuery => ({ from: new Date(FROM), to: new Date(TO), ...extra });
const signal = () => AbortSignal.timeout(60_000);
/** Long enough to notice: a text histogram by host over every record. */
const heavy = (source: Pick<WorkerLogSource, 'histogram'>, s: AbortSignal) => source.histogram(window({ text: 'took' }), { bucketMs: 1000, by: 'host', top: 20 }, s);

async function failure(promise: Promise<unknown>): Promise<TelemcpError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (err instanceof TelemcpError) return err;
  throw new Error(`expected a TelemcpError, got ${String(err)}`);
}

const body = (err: TelemcpError) => ({ code: err.code, message: err.message, hint: err.hint, status: err.status });

describe('embedded log source in a reader thread', () => {
  let dataDir: string;
  let store: LogStore;
  let local: EmbeddedLogSource;
  let reader: WorkerLogSource;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'telemcp-reader-worker-'));
    store = openLogStore({ dataDir });
    for (let k = 0; k < RECORDS; k += 10_000) store.write(records(k, k + 10_000));
    local = new EmbeddedLogSource(store, { cursorSecret: 'reader-secret' });
    reader = new WorkerLogSource({ dataDir, cursorSecret: 'reader-secret' });
  });

  afterAll(async () => {
    await reader?.close();
    store?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is the embedded source: same name, kind, scope and capabilities', () => {
    for (const key of ['name', 'kind', 'defaultScope', 'capabilities'] as const) expect(reader[key]).toEqual(local[key]);
    expect(new WorkerLogSource({ dataDir, name: 'local' }).name).toBe('local');
  });

  it('answers every call as the in-process source does over the same store', async () => {
    const queries = [window(), window({ scope: 'logs-edge', levels: ['ERROR'] }), window({ text: 'user12*', services: ['svc-3'] }), window({ from: new Date(FROM + 123_456), to: new Date(FROM + 654_321) })];
    for (const q of queries) {
      for (const strategy of ['newest', 'spread'] as const) expect(await reader.sample(q, { limit: 300, strategy }, signal())).toEqual(await local.sample(q, { limit: 300, strategy }, signal()));
      expect(await reader.histogram(q, { bucketMs: 10_000 }, signal())).toEqual(await local.histogram(q, { bucketMs: 10_000 }, signal()));
      expect(await reader.histogram(q, { bucketMs: 10_000, by: 'host', top: 5 }, signal())).toEqual(await local.histogram(q, { bucketMs: 10_000, by: 'host', top: 5 }, signal()));
      expect(await reader.countBy(q, { by: 'service', limit: 3 }, signal())).toEqual(await local.countBy(q, { by: 'service', limit: 3 }, signal()));
    }
  });

  it('pages a search like the in-process source, and the two continue each other’s cursors (same CURSOR_SECRET)', async () => {
    const q = window({ text: 'request', services: ['svc-1'] });
    const withoutCursor = ({ next: _next, ...page }: { next?: string }) => page;
    const first = await reader.search(q, { limit: 50, order: 'asc' }, signal());
    expect(first.window.from).toBeInstanceOf(Date);
    expect(withoutCursor(first)).toEqual(withoutCursor(await local.search(q, { limit: 50, order: 'asc' }, signal())));
    const second = await local.search(q, { limit: 50, order: 'asc', cursor: first.next }, signal());
    expect(second.offset).toBe(50);
    const third = await reader.search(q, { limit: 50, order: 'asc', cursor: second.next }, signal());
    expect(withoutCursor(third)).toEqual(withoutCursor(await local.search(q, { limit: 50, order: 'asc', cursor: second.next }, signal())));
  });

  it('fails with the in-process source’s errors: same code, message and hint', async () => {
    const calls: [string, (s: EmbeddedLogSource | WorkerLogSource) => Promise<unknown>][] = [
      ['limit', (s) => s.sample(window(), { limit: 5001, strategy: 'newest' }, signal())],
      ['buckets', (s) => s.histogram(window(), { bucketMs: 100 }, signal())],
      ['label', (s) => s.countBy(window(), { by: 'trace' as never }, signal())],
      ['text', (s) => s.sample(window({ text: '*quest' }), { limit: 1, strategy: 'newest' }, signal())],
      ['scope', (s) => s.countBy(window({ scope: 'logs-*,,x' }), { by: 'level' }, signal())],
      ['cursor', (s) => s.search(window(), { limit: 5, cursor: 'v1.forged.cursor' }, signal())],
    ];
    for (const [what, call] of calls) {
      const [mine, theirs] = [await failure(call(reader)), await failure(call(local))];
      expect(body(mine), what).toEqual(body(theirs));
      expect(mine.hint ?? mine.message, what).toBeTruthy();
    }
    const cursor = (await reader.search(window(), { limit: 5 }, signal())).next;
    const other = new WorkerLogSource({ dataDir, cursorSecret: 'another-secret' });
    try {
      const refused = await failure(other.search(window(), { limit: 5, cursor }, signal()));
      expect(body(refused)).toEqual(body(await failure(new EmbeddedLogSource(store, { cursorSecret: 'another-secret' }).search(window(), { limit: 5, cursor }, signal()))));
    } finally {
      await other.close();
    }
  });

  it('says there is no store yet when DATA_DIR holds none, as a read-only open does', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'telemcp-reader-empty-'));
    const none = new WorkerLogSource({ dataDir: empty });
    try {
      const err = await failure(none.countBy(window(), { by: 'level' }, signal()));
      expect(err.code).toBe('backend_unavailable');
      expect(err.message).toContain('There is no embedded store');
    } finally {
      await none.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('keeps the event loop turning while a heavy query runs', async () => {
    await reader.countBy(window(), { by: 'level' }, signal());
    let turns = 0;
    let turning = true;
    const turn = () => {
      turns++;
      if (turning) setImmediate(turn);
    };
    const events: string[] = [];
    const answer = heavy(reader, signal()).then((h) => {
      events.push(`answered after ${turns > 1 ? 'several turns' : 'no turn'}`);
      return h;
    });
    setImmediate(turn);
    setTimeout(() => events.push('timer'), 0);
    const h = await answer;
    turning = false;
    expect(events).toEqual(['timer', 'answered after several turns']);
    expect(h).toEqual(await heavy(local, signal()));
  });

  it('ends a call at its deadline: the signal’s reason, the thread terminated, the next call on a fresh one', async () => {
    const source = new WorkerLogSource({ dataDir });
    try {
      await source.countBy(window(), { by: 'level' }, signal());
      const before = threads.started.length;
      const running = threads.started[before - 1];

      const deadline = new AbortController();
      const call = heavy(source, deadline.signal);
      setImmediate(() => deadline.abort());
      const timeout = await failure(call);
      expect(body(timeout)).toEqual({ code: 'backend_timeout', message: 'The embedded store did not answer before the deadline.', hint: 'Narrow the request (shorter time range, fewer datasets) and retry.', status: 504 });
      expect(await running.exited).toBe(1);

      const q = window({ levels: ['warn'] });
      expect(await source.countBy(q, { by: 'host', limit: 5 }, signal())).toEqual(await local.countBy(q, { by: 'host', limit: 5 }, signal()));
      expect(threads.started.length).toBe(before + 1);

      // A call still waiting its turn fails with the signal's own reason, and the thread carries on with the next.
      const reason = new TelemcpError('backend_timeout', 'logs_search did not finish within 31000 ms.', { hint: 'Narrow the call.' });
      const cancelled = new AbortController();
      const first = source.countBy(window(), { by: 'host' }, signal());
      const queued = failure(source.countBy(window(), { by: 'level' }, cancelled.signal));
      const behind = source.countBy(window(), { by: 'service' }, signal());
      cancelled.abort(reason);
      expect(await queued).toBe(reason);
      expect([(await first).by, (await behind).by]).toEqual(['host', 'service']);
      expect(threads.started.length).toBe(before + 1);
    } finally {
      await source.close();
    }
  });

  it('continues a cursor issued before the thread restarted, with or without CURSOR_SECRET', async () => {
    const unsigned = new WorkerLogSource({ dataDir });
    try {
      for (const source of [reader, unsigned]) {
        const q = window({ services: ['svc-2'] });
        const first = await source.search(q, { limit: 20 }, signal());
        const deadline = new AbortController();
        const call = heavy(source, deadline.signal);
        setImmediate(() => deadline.abort());
        expect((await failure(call)).code).toBe('backend_timeout');
        const next = await source.search(q, { limit: 20, cursor: first.next }, signal());
        expect(next.offset).toBe(20);
        expect(next.records[0].ts).toBeLessThanOrEqual(first.records[19].ts);
      }
    } finally {
      await unsigned.close();
    }
  });

  it('closes its thread on close, fails what is waiting, and refuses calls after', async () => {
    const source = new WorkerLogSource({ dataDir });
    const from = threads.started.length;
    await source.countBy(window(), { by: 'level' }, signal());
    const running = failure(heavy(source, signal()));
    const waiting = failure(source.countBy(window(), { by: 'level' }, signal()));
    await source.close();
    for (const err of [await running, await waiting, await failure(source.countBy(window(), { by: 'level' }, signal()))]) {
      expect(body(err)).toMatchObject({ code: 'backend_unavailable', message: 'The embedded store is closed.' });
    }
    const mine = threads.started.slice(from);
    expect(mine.length).toBeGreaterThan(0);
    await Promise.all(mine.map((t) => t.exited));

    const idle = new WorkerLogSource({ dataDir });
    await idle.countBy(window(), { by: 'level' }, signal());
    const thread = threads.started[threads.started.length - 1];
    await idle.close();
    expect(await thread.exited).toBe(0);
  });

  it('is the server’s embedded source, and the backends’ close ends its thread', async () => {
    const backends = buildBackends(testConfig({ DATA_DIR: join(dataDir, 'server'), EMBEDDED_STORE: 'on' }));
    const source = backends.logSources.get('embedded');
    expect(source).toBeInstanceOf(WorkerLogSource);
    await backends.first(STORE_SERVICE)!.ingest(records(0, 10));
    expect((await source!.countBy(window(), { by: 'level' }, signal())).total).toBe(10);
    const thread = threads.started[threads.started.length - 1];
    await backends.close();
    expect(await thread.exited).toBe(0);
  });
});
