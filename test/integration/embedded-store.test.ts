/**
 * The embedded store on real SQLite files in temporary DATA_DIRs: schema and pragmas, batch
 * writes, keyset pages, retention, the one-writer lock (against real second processes), kill -9
 * in the middle of ingest, a full disk, readers beside an open write transaction, and a
 * corrupt file. Second processes run test/helpers/store-child.ts.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedLogSource } from '../../src/backends/embedded/log-source.js';
import { EmbeddedStore } from '../../src/backends/embedded/service.js';
import { seedDemoData } from '../../src/cli/demo-data.js';
import { createLogger } from '../../src/core/logger.js';
import { MAX_MESSAGE_BYTES } from '../../src/ingest/bounds.js';
import { loadConfig } from '../../src/settings.js';
import { TelemcpError } from '../../src/core/errors.js';
import type { IngestRecord } from '../../src/ingest/record.js';
import { LOCK_FILE } from '../../src/store/lock.js';
import { isDemoDataset, loadDemo } from '../../src/store/demo.js';
import { MAX_BATCH, STORE_FILE, openLogStore, type LogStore } from '../../src/store/log-store.js';
import { Metrics } from '../../src/telemetry/metrics.js';
import { thrownError } from '../helpers/errors.js';

const CHILD = resolve('test/helpers/store-child.ts');
const DAY = 86_400_000;
const EVER = { from: 0, to: 8.64e15 };

const dirs: string[] = [];
const stores: LogStore[] = [];

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'telemcp-store-'));
  dirs.push(dir);
  return dir;
}

function open(dir: string, opts: { maxBytes?: number; now?: () => number } = {}): LogStore {
  const store = openLogStore({ dataDir: dir, ...opts });
  stores.push(store);
  return store;
}

afterEach(() => {
  for (const store of stores.splice(0)) store.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A raw connection beside the store's, as another reader (or writer) of the same file would have. */
function raw(dir: string, readonly = true): Database.Database {
  return new Database(join(dir, STORE_FILE), { readonly });
}

function records(n: number, make: (i: number) => Partial<IngestRecord> = () => ({})): IngestRecord[] {
  return Array.from({ length: n }, (_, i) => ({ ts: Date.now(), dataset: 'app', service: 'api', level: 'info', message: `line ${i}`, ...make(i) }));
}

function total(store: LogStore): number {
  return store.count(store.filter(EVER));
}

/** A store called in place where the writer thread would take the batches (writer.ts). */
const inPlace = (store: LogStore) => ({ writeAll: async (batches: IngestRecord[][]) => store.writeAll(batches) });

/** Runs the child helper to its end and returns the JSON line it printed. */
async function child(mode: 'open' | 'read', dir: string): Promise<{ ok: boolean; code?: string; message?: string; hint?: string; records?: number }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, mode, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((r) => proc.once('exit', r));
  if (code !== 0) throw new Error(`store child exited with ${code}: ${err}`);
  return JSON.parse(out.trim().split('\n').pop()!);
}

async function waitFor(probe: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const proc = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((r) => proc.once('exit', r));
  return proc.pid!;
}

describe('embedded store: schema and writes', () => {
  it('creates logs.db with its schema, in WAL with synchronous FULL, and reopens it as it is', () => {
    const dir = dataDir();
    const store = open(dir);
    expect(store.info()).toEqual({ file: join(store.dataDir, STORE_FILE), schemaVersion: 3, journalMode: 'wal', synchronous: 'full' });
    const db = raw(dir);
    const names = (type: string) => (db.prepare('SELECT name FROM sqlite_master WHERE type = ? AND name NOT LIKE ? ORDER BY name').all(type, 'sqlite_%') as { name: string }[]).map((r) => r.name);
    expect(names('table')).toEqual(expect.arrayContaining(['datasets', 'logs', 'logs_fts', 'logs_rollup', 'store_meta']));
    // Time-ordered keys, the slot counts and the FTS index (messages and trace ids) replace every b-tree index and trigger;
    // the one index left is when records were stored, which retention deletes by.
    expect(names('index')).toEqual(['logs_stored_at']);
    expect(names('trigger')).toEqual([]);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();

    store.write(records(3));
    store.close();
    stores.pop();
    const again = open(dir);
    expect(again.info().schemaVersion).toBe(3);
    expect(total(again)).toBe(3);
  });

  it('upgrades a version 1 store: records keyed by time, FTS index, slot counts and summaries rebuilt', async () => {
    const dir = dataDir();
    // Version 1 as the store's first version created it.
    const v1 = new Database(join(dir, STORE_FILE));
    v1.pragma('journal_mode = WAL');
    v1.exec(`
      CREATE TABLE logs (id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, dataset TEXT NOT NULL, service TEXT, level TEXT, message TEXT NOT NULL, trace_id TEXT, host TEXT, attrs TEXT);
      CREATE INDEX logs_ts ON logs (ts, dataset, service, level, host);
      CREATE INDEX logs_trace_id ON logs (trace_id) WHERE trace_id IS NOT NULL;
      CREATE VIRTUAL TABLE logs_fts USING fts5 (message, content = 'logs', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2');
      CREATE TRIGGER logs_fts_insert AFTER INSERT ON logs BEGIN INSERT INTO logs_fts (rowid, message) VALUES (new.id, new.message); END;
      CREATE TRIGGER logs_fts_delete AFTER DELETE ON logs BEGIN INSERT INTO logs_fts (logs_fts, rowid, message) VALUES ('delete', old.id, old.message); END;
      CREATE TABLE datasets (name TEXT PRIMARY KEY, records INTEGER NOT NULL, first_ts INTEGER NOT NULL, last_ts INTEGER NOT NULL) WITHOUT ROWID;
    `);
    const insert = v1.prepare('INSERT INTO logs (ts, dataset, service, level, message, trace_id, host, attrs) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    const t = Date.parse('2026-03-10T10:00:00.000Z');
    insert.run(t + 5, 'web', 'nginx', 'error', 'upstream timed out', 'trace-1', 'h1', '{"status":504}');
    insert.run(t + 5, 'web', 'nginx', 'info', 'GET / 200', null, 'h1', null);
    insert.run(t, 'db', null, 'warn', 'slow query', null, null, null);
    insert.run(-5, 'db', null, null, 'before 1970', null, null, null);
    // A demo load that an interrupted start left half done: version 3 drops it, so the next start loads it whole.
    insert.run(t + 7, 'logs-frontend-demo', 'frontend', 'info', 'GET /cart 200', null, null, null);
    v1.exec("INSERT INTO datasets VALUES ('web', 2, " + (t + 5) + ', ' + (t + 5) + "), ('db', 2, -5, " + t + "), ('logs-frontend-demo', 1, " + (t + 7) + ', ' + (t + 7) + ')');
    v1.pragma('user_version = 1');
    v1.close();

    const upgradedAt = Date.parse('2026-12-01T00:00:00Z');
    const store = open(dir, { now: () => upgradedAt });
    expect(store.info().schemaVersion).toBe(3);
    // Version 2 keeps times from 1970 on: the record before it is not carried over.
    expect(store.datasets()).toEqual([
      { name: 'db', records: 1, firstTs: t, lastTs: t },
      { name: 'web', records: 2, firstTs: t + 5, lastTs: t + 5 },
    ]);
    const page = store.searchPage({ ...EVER }, { limit: 10, order: 'asc' });
    expect(page.records.map(({ id: _id, ...r }) => r)).toEqual([
      { ts: t, dataset: 'db', level: 'warn', message: 'slow query' },
      { ts: t + 5, dataset: 'web', service: 'nginx', level: 'error', message: 'upstream timed out', traceId: 'trace-1', host: 'h1', attrs: { status: 504 } },
      { ts: t + 5, dataset: 'web', service: 'nginx', level: 'info', message: 'GET / 200', host: 'h1' },
    ]);
    const source = new EmbeddedLogSource(store);
    const window = { from: new Date(t - 1000), to: new Date(t + 1000) };
    const signal = AbortSignal.timeout(10_000);
    expect((await source.sample({ ...window, text: 'timed' }, { limit: 5, strategy: 'newest' }, signal)).records.map((r) => r.message)).toEqual(['upstream timed out']);
    expect((await source.sample({ ...window, traceIds: ['trace-1'] }, { limit: 5, strategy: 'newest' }, signal)).total).toBe(1);
    expect((await source.countBy(window, { by: 'level' }, signal)).values).toEqual([
      { value: 'error', count: 1 },
      { value: 'info', count: 1 },
      { value: 'warn', count: 1 },
    ]);
    const db = raw(dir);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    // Records carried over count as stored at the upgrade: none becomes due for retention at once.
    expect(db.prepare('SELECT DISTINCT stored_at FROM logs').all()).toEqual([{ stored_at: upgradedAt }]);
    expect(db.prepare("SELECT count(*) AS n FROM logs_rollup WHERE dataset LIKE '%-demo'").get()).toEqual({ n: 0 });
    db.close();
    const check = raw(dir, false);
    expect(() => check.prepare("INSERT INTO logs_fts (logs_fts, rank) VALUES ('integrity-check', 1)").run()).not.toThrow();
    check.close();
  });

  it('gives a record a free key of its millisecond when its number is taken, and refuses it once all 2^20 are', () => {
    const dir = dataDir();
    const store = open(dir);
    const ts = Date.parse('2026-03-10T10:00:00.000Z');
    // Every key of that millisecond taken but one, as records of earlier writers would.
    const db = raw(dir, false);
    db.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 1048575)
       INSERT INTO logs (id, ts, dataset, message) SELECT (CAST(? AS INTEGER) << 20) + i, CAST(? AS INTEGER), 'crowd', 'x' FROM n WHERE i <> 777`,
    ).run(ts, ts);
    expect(store.write([{ ts, dataset: 'app', message: 'finds the gap' }])).toEqual({ stored: 1, truncated: 0, rejected: [] });
    expect(db.prepare('SELECT message FROM logs WHERE id = (CAST(? AS INTEGER) << 20) + 777').pluck().get(ts)).toBe('finds the gap');
    expect(store.write([{ ts, dataset: 'app', message: 'no room' }, { ts: ts + 1, dataset: 'app', message: 'next millisecond' }])).toEqual({
      stored: 1,
      truncated: 0,
      rejected: [{ index: 0, reason: 'more than 1048576 records in one millisecond' }],
    });
    db.close();
    expect(store.datasets().find((d) => d.name === 'app')?.records).toBe(2);
  });

  it('indexes every record once when a batch starts before the previous one ended, or lands on taken keys', () => {
    const dir = dataDir();
    const store = open(dir);
    const t0 = Date.parse('2026-03-10T10:00:00.000Z');
    const batch = (from: number, n: number, word: string): IngestRecord[] => Array.from({ length: n }, (_, i) => ({ ts: from + i, dataset: 'app', message: `${word} ${i}` }));
    // In order; overlapping the previous batch by ten milliseconds; on the same millisecond as the last key; a file read again.
    for (const records of [batch(t0, 100, 'alpha'), batch(t0 + 90, 100, 'beta'), batch(t0 + 189, 3, 'gamma'), batch(t0, 100, 'alpha')]) {
      expect(store.write(records).stored).toBe(records.length);
    }
    // All keys of one millisecond but one taken: the head record finds the gap, the tail after it goes in as it is.
    const crowded = t0 + 500;
    const db = raw(dir, false);
    db.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 1048575)
       INSERT INTO logs (id, ts, dataset, message) SELECT (CAST(? AS INTEGER) << 20) + i, CAST(? AS INTEGER), 'crowd', 'x' FROM n WHERE i <> 5`,
    ).run(crowded, crowded);
    db.prepare(`INSERT INTO logs_fts (rowid, message, trace_id) SELECT id, message, trace_id FROM logs WHERE dataset = 'crowd'`).run();
    expect(store.write([{ ts: crowded, dataset: 'app', message: 'delta gap' }, ...batch(crowded + 1, 5, 'delta')]).stored).toBe(6);
    // The external-content index checked against the table: a record indexed twice or not at all fails it.
    expect(() => db.prepare(`INSERT INTO logs_fts (logs_fts) VALUES ('integrity-check')`).run()).not.toThrow();
    // Each word once per record: an entry indexed twice shows as a second instance of the word.
    db.exec(`CREATE VIRTUAL TABLE temp.words USING fts5vocab(main, 'logs_fts', 'instance')`);
    const instances = (word: string) => db.prepare('SELECT count(*) FROM temp.words WHERE term = ?').pluck().get(word);
    expect([instances('alpha'), instances('beta'), instances('gamma'), instances('delta'), instances('gap')]).toEqual([200, 100, 3, 6, 1]);
    expect(db.prepare(`SELECT count(*) FROM logs WHERE dataset = 'app'`).pluck().get()).toBe(309);
    db.close();
  });

  it('refuses times before 1970 and after 2248, which a time key cannot hold', () => {
    const store = open(dataDir());
    const result = store.write([
      { ts: -1, dataset: 'app', message: 'before' },
      { ts: 0, dataset: 'app', message: 'epoch' },
      { ts: 2 ** 43 - 1, dataset: 'app', message: 'last' },
      { ts: 2 ** 43, dataset: 'app', message: 'after' },
    ]);
    expect(result.stored).toBe(2);
    expect(result.rejected).toEqual([
      { index: 0, reason: 'ts is not an epoch-millisecond time from 1970 to 2248' },
      { index: 3, reason: 'ts is not an epoch-millisecond time from 1970 to 2248' },
    ]);
    expect(store.searchPage({ ...EVER }, { limit: 10, order: 'desc' }).records.map((r) => r.message)).toEqual(['last', 'epoch']);
  });

  it('refuses a store written by a newer telemcp, and names the file and the recovery step when it is corrupt', () => {
    const newer = dataDir();
    open(newer).close();
    stores.pop();
    const db = raw(newer, false);
    db.pragma('user_version = 99');
    db.close();
    const err = thrownError(() => openLogStore({ dataDir: newer }));
    expect(err.code).toBe('backend_unavailable');
    expect(err.message).toContain('newer telemcp');
    expect(existsSync(join(newer, LOCK_FILE))).toBe(false);

    const corrupt = dataDir();
    const store = open(corrupt);
    store.write(records(10));
    const file = store.file;
    store.close();
    stores.pop();
    const bytes = readFileSync(file);
    bytes.fill(0x41, 0, 100);
    writeFileSync(file, bytes);
    const broken = thrownError(() => openLogStore({ dataDir: corrupt }));
    expect(broken.code).toBe('backend_unavailable');
    expect(broken.message).toContain(`${file} is corrupt`);
    expect(broken.hint).toContain('.recover');
    expect(existsSync(join(corrupt, LOCK_FILE))).toBe(false);
  });

  it('returns from a write once the batch is committed: another connection sees all of it at once', () => {
    const dir = dataDir();
    const store = open(dir);
    const reader = raw(dir);
    const count = reader.prepare('SELECT count(*) AS n FROM logs');
    for (let batch = 1; batch <= 3; batch++) {
      expect(store.write(records(1000))).toEqual({ stored: 1000, truncated: 0, rejected: [] });
      expect((count.get() as { n: number }).n).toBe(batch * 1000);
    }
    reader.close();
  });

  it('keeps every field, stores levels in their canonical spelling, and summarises datasets', () => {
    const store = open(dataDir());
    store.write([
      { ts: 1000, dataset: 'web', service: 'nginx', level: 'WARNING', message: 'upstream slow', traceId: 't-1', host: 'h1', attrs: { 'http.status': 504, cached: false, path: '/x' } },
      { ts: 2000.7, dataset: 'web', message: 'bare' },
      { ts: 500, dataset: 'db', level: 'Err', message: 'deadlock' },
    ]);
    const page = store.searchPage({ ...EVER }, { limit: 10, order: 'asc' });
    expect(page.records.map(({ id: _id, ...r }) => r)).toEqual([
      { ts: 500, dataset: 'db', level: 'error', message: 'deadlock' },
      { ts: 1000, dataset: 'web', service: 'nginx', level: 'warn', message: 'upstream slow', traceId: 't-1', host: 'h1', attrs: { 'http.status': 504, cached: false, path: '/x' } },
      { ts: 2000, dataset: 'web', message: 'bare' },
    ]);
    expect(page).toMatchObject({ scope: '*', notes: [] });
    expect(page.next).toBeUndefined();
    expect(store.datasets()).toEqual([
      { name: 'db', records: 1, firstTs: 500, lastTs: 500 },
      { name: 'web', records: 2, firstTs: 1000, lastTs: 2000 },
    ]);
  });

  it('reports refused records by their index and stores the others; cuts long messages on a character boundary', () => {
    const store = open(dataDir());
    // 😀 is four UTF-8 bytes: placed across the limit, it must go whole.
    const long = `${'a'.repeat(MAX_MESSAGE_BYTES - 2)}😀 and more`;
    const batch = [
      { ts: 1, dataset: 'ok', message: 'first' },
      { ts: Number.NaN, dataset: 'ok', message: 'no time' },
      { ts: 2, dataset: ' ', message: 'no dataset' },
      { ts: 3, dataset: 'ok', message: '' },
      { ts: 4, dataset: 'a,b', message: 'comma' },
      { ts: 5, dataset: 'ok', service: 42, message: 'numeric service' },
      { ts: 6, dataset: 'ok', message: 'big attrs', attrs: { blob: 'x'.repeat(9000) } },
      { ts: 7, dataset: 'ok', message: long },
      { ts: 8, dataset: 'ok', level: 'INFORMATION', message: 'last' },
      null,
      { ts: 9, dataset: 'ok', message: 'x', host: 'h'.repeat(257) },
    ] as unknown as IngestRecord[];
    const result = store.write(batch);
    expect(result.stored).toBe(3);
    expect(result.truncated).toBe(1);
    expect(result.rejected.map((r) => r.index)).toEqual([1, 2, 3, 4, 5, 6, 9, 10]);
    expect(result.rejected.find((r) => r.index === 6)?.reason).toContain('8192 bytes');
    const stored = store.searchPage({ ...EVER }, { limit: 10, order: 'asc' }).records;
    expect(stored.map((r) => r.message.slice(0, 5))).toEqual(['first', 'aaaaa', 'last']);
    expect(stored[1].message).toBe('a'.repeat(MAX_MESSAGE_BYTES - 2));
    expect(stored[2].level).toBe('info');

    const tooMany = thrownError(() => store.write(records(MAX_BATCH + 1)));
    expect(tooMany.code).toBe('invalid_input');
    expect(tooMany.hint).toContain(String(MAX_BATCH));
    expect(total(store)).toBe(3);
  });

  it('pages through matches by (ts, id) both ways, stable while records keep arriving', () => {
    const store = open(dataDir());
    // 25 records on 10 distinct milliseconds, so pages split ties.
    store.write(records(25, (i) => ({ ts: 1000 + Math.floor(i / 3), message: `record ${i}` })));
    const read = (order: 'asc' | 'desc') => {
      const seen: { ts: number; id: number }[] = [];
      let after: { ts: number; id: number } | undefined;
      for (let pages = 0; pages < 10; pages++) {
        const page = store.searchPage({ ...EVER, text: 'record' }, { limit: 4, order, after });
        seen.push(...page.records.map((r) => ({ ts: r.ts, id: r.id })));
        // Newer records arriving meanwhile never shift a page.
        store.write(records(1, () => ({ ts: order === 'desc' ? 5000 : 500, message: 'noise' })));
        if (!page.next) return seen;
        after = page.next;
      }
      throw new Error('paging did not end');
    };
    const desc = read('desc');
    expect(desc).toHaveLength(25);
    expect(desc).toEqual([...desc].sort((a, b) => b.ts - a.ts || b.id - a.id));
    const asc = read('asc');
    expect(asc).toEqual([...desc].reverse());
    for (const limit of [0, 1001]) expect(thrownError(() => store.searchPage({ ...EVER }, { limit, order: 'asc' })).code).toBe('invalid_input');
    expect(thrownError(() => store.searchPage({ ...EVER }, { limit: 5, order: 'asc', after: { ts: 1.5, id: 1 } })).code).toBe('invalid_input');
  });

  it('refuses writes on a closed store with a clear error', () => {
    const store = openLogStore({ dataDir: dataDir() });
    store.close();
    expect(thrownError(() => store.write(records(1))).message).toContain('closed');
  });
});

describe('embedded store: the demo dataset loads all or nothing', () => {
  it('a load that fails part way (the disk fills) leaves no demo record; the next start loads it whole', async () => {
    const dir = dataDir();
    const now = new Date();
    const small = open(dir, { maxBytes: 2 * 1024 * 1024 });
    const failure = await loadDemo(inPlace(small), seedDemoData, now).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(TelemcpError);
    expect(small.datasets()).toEqual([]);
    expect(total(small)).toBe(0);
    small.close();
    stores.pop();

    const store = open(dir);
    const demo = await loadDemo(inPlace(store), seedDemoData, now);
    expect(demo.records).toBeGreaterThan(20_000);
    expect(total(store)).toBe(demo.records);
    expect(store.datasets().every((d) => isDemoDataset(d.name))).toBe(true);
  });

  it('writeAll keeps every batch or none', () => {
    const store = open(dataDir());
    const poisoned = records(3) as IngestRecord[];
    // A getter that throws while the second batch is written: the first batch's rows go too.
    Object.defineProperty(poisoned[1], 'message', { get: () => { throw new Error('interrupted'); } });
    expect(() => store.writeAll([records(5), poisoned])).toThrow('interrupted');
    expect(total(store)).toBe(0);
    expect(store.writeAll([records(5), records(3)]).map((r) => r.stored)).toEqual([5, 3]);
    expect(total(store)).toBe(8);
  });
});

describe('embedded store: retention counts from when records were stored', () => {
  it('prunes records stored before the cutoff in chunks, yielding between them, whatever their own time; the index, counts and summaries follow', async () => {
    const dir = dataDir();
    let clock = Date.now() - 10 * DAY;
    const store = open(dir, { now: () => clock });
    // Stored ten days ago, about events of today.
    for (let offset = 0; offset < 12_000; offset += 6000) store.write(records(6000, (i) => ({ ts: Date.now() - 3_600_000 + offset + i, dataset: 'old', message: `ancient line ${offset + i}` })));
    clock = Date.now();
    // Stored now, about events of 2005: a log a user just loaded.
    const y2005 = Date.parse('2005-12-04T04:47:44Z');
    store.write(records(10, (i) => ({ ts: y2005 + i, dataset: 'apache-2005', message: 'recent line' })));

    const pruning = store.prune(clock - 7 * DAY, 5000);
    // The first chunk ran before the first yield: queries see it gone while the rest waits.
    expect(total(store)).toBe(12_010 - 5000);
    expect(await pruning).toEqual({ deleted: 12_000, chunks: 3, datasets: [{ name: 'old', deleted: 12_000 }] });
    expect(total(store)).toBe(10);
    expect(store.datasets().map((d) => [d.name, d.records, d.firstTs, d.lastTs])).toEqual([['apache-2005', 10, y2005, y2005 + 9]]);
    expect(store.retention()).toEqual({ deletedTotal: 12_000, lastPass: { at: clock, deleted: 12_000, datasets: [{ name: 'old', deleted: 12_000 }] } });

    const source = new EmbeddedLogSource(store);
    const window = { from: new Date(y2005 - 1), to: new Date(Date.now()) };
    expect((await source.sample({ ...window, text: 'ancient' }, { limit: 5, strategy: 'newest' }, AbortSignal.timeout(10_000))).total).toBe(0);
    expect((await source.sample({ ...window, text: 'recent' }, { limit: 5, strategy: 'newest' }, AbortSignal.timeout(10_000))).total).toBe(10);

    const db = raw(dir, false);
    expect(db.prepare("SELECT count(*) AS n FROM logs_fts WHERE logs_fts MATCH 'ancient'").get()).toEqual({ n: 0 });
    expect(db.prepare('SELECT count(*) AS n FROM logs_rollup WHERE n <= 0').get()).toEqual({ n: 0 });
    expect(() => db.prepare("INSERT INTO logs_fts (logs_fts, rank) VALUES ('integrity-check', 1)").run()).not.toThrow();
    db.close();
  });

  it('keeps its report across restarts, adding every pass that deleted something', async () => {
    const dir = dataDir();
    let clock = Date.now() - 30 * DAY;
    let store = open(dir, { now: () => clock });
    store.write(records(4, () => ({ dataset: 'a' })));
    clock += 20 * DAY;
    store.write(records(3, () => ({ dataset: 'b' })));
    clock = Date.now();
    await store.prune(clock - 15 * DAY);
    store.close();
    store = open(dir, { now: () => clock });
    expect(store.retention()).toMatchObject({ deletedTotal: 4, lastPass: { deleted: 4, datasets: [{ name: 'a', deleted: 4 }] } });
    expect((await store.prune(clock - 15 * DAY)).deleted).toBe(0);
    expect(store.retention().deletedTotal).toBe(4);
    await store.prune(clock);
    expect(store.retention()).toMatchObject({ deletedTotal: 7, lastPass: { deleted: 3, datasets: [{ name: 'b', deleted: 3 }] } });
    const reader = openLogStore({ dataDir: dir, readonly: true });
    expect(reader.retention().deletedTotal).toBe(7);
    reader.close();
  });

  it('runs in the background with RETENTION_DAYS, default 7, 0 keeping everything; the first pass is done when the writer has started', async () => {
    expect(loadConfig({ env: {} }).RETENTION_DAYS).toBe(7);
    expect(loadConfig({ env: { RETENTION_DAYS: '0' } }).RETENTION_DAYS).toBe(0);
    expect(() => loadConfig({ env: { RETENTION_DAYS: '-1' } })).toThrow(/RETENTION_DAYS/);

    const dir = dataDir();
    let clock = Date.now() - 2 * DAY;
    const store = open(dir, { now: () => clock });
    store.write(records(3, () => ({ message: 'stored two days ago' })));
    clock = Date.now();
    store.write(records(2, (i) => ({ ts: Date.parse('2015-07-29T17:41:44Z') + i, message: 'a 2015 log stored now' })));
    // The store service runs retention from its writer thread, which holds the lock: this thread lets go first.
    store.close();
    stores.pop();
    const metrics = new Metrics();
    const startWith = async (days: number) => {
      const service = new EmbeddedStore({ dataDir: dir, role: 'writer', demoData: false, retentionDays: days, retentionIntervalMs: 3_600_000, metrics });
      try {
        return (await service.startWriter({ demo: seedDemoData, log: createLogger('silent') })).summary;
      } finally {
        await service.close();
      }
    };
    const held = (summary: { datasets: { records: number }[] }) => summary.datasets.reduce((n, d) => n + d.records, 0);
    expect(held(await startWith(0))).toBe(5);
    const after = await startWith(1);
    expect(held(after)).toBe(2);
    // One pass, deleting the three records stored two days ago.
    expect(after.retention).toMatchObject({ deletedTotal: 3, lastPass: { deleted: 3 } });
    expect((await metrics.retentionDeleted.get()).values[0].value).toBe(3);
    expect(after.datasets).toMatchObject([{ name: 'app', records: 2 }]);
    expect(total(open(dir))).toBe(2);
  });
});

describe('embedded store: one writing process per DATA_DIR', () => {
  it('refuses a second process on the same DATA_DIR, naming the directory and this pid; a reader may open beside it', async () => {
    const dir = dataDir();
    const store = open(dir);
    store.write(records(7));
    const second = await child('open', dir);
    expect(second.ok).toBe(false);
    expect(second.code).toBe('backend_unavailable');
    expect(second.message).toContain(`DATA_DIR ${store.dataDir} is in use by another telemcp process (pid ${process.pid}`);
    expect(second.hint).toContain(join(store.dataDir, LOCK_FILE));
    expect(await child('read', dir)).toEqual({ ok: true, records: 7 });
    store.close();
    stores.pop();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    expect(await child('open', dir)).toEqual({ ok: true });
  });

  it('shares one store per DATA_DIR within a process, released by the last close', () => {
    const dir = dataDir();
    const a = openLogStore({ dataDir: dir });
    const b = openLogStore({ dataDir: dir });
    const reader = openLogStore({ dataDir: dir, readonly: true });
    expect(b).toBe(a);
    expect(reader).toBe(a);
    a.write(records(2));
    a.close();
    b.close();
    expect(total(a)).toBe(2);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true);
    reader.close();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it('takes over a lock whose process is gone, and an unreadable one once it is old', async () => {
    const dir = dataDir();
    const lock = join(dir, LOCK_FILE);
    const pid = await deadPid();
    writeFileSync(lock, JSON.stringify({ pid, startedAt: new Date().toISOString(), host: hostname(), token: 'stale' }));
    const store = open(dir);
    expect(JSON.parse(readFileSync(lock, 'utf8'))).toMatchObject({ pid: process.pid, host: hostname() });
    store.close();
    stores.pop();

    writeFileSync(lock, 'half-writ');
    expect(thrownError(() => openLogStore({ dataDir: dir })).message).toContain('starting right now');
    const minuteAgo = new Date(Date.now() - 60_000);
    utimesSync(lock, minuteAgo, minuteAgo);
    open(dir);
    expect(JSON.parse(readFileSync(lock, 'utf8')).pid).toBe(process.pid);
  });

  it('counts a lock held on another host as live, since its process cannot be checked', () => {
    const dir = dataDir();
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: 4242, startedAt: '2026-01-01T00:00:00.000Z', host: 'other-host', token: 'x' }));
    const err = thrownError(() => openLogStore({ dataDir: dir }));
    expect(err.message).toContain('pid 4242 on other-host');
  });

  it('opens read-only only a store that exists', () => {
    const err = thrownError(() => openLogStore({ dataDir: dataDir(), readonly: true }));
    expect(err.code).toBe('backend_unavailable');
    expect(err.message).toContain('no embedded store');
  });
});

describe('embedded store: reliability', () => {
  it('loses nothing acknowledged when the writer is killed with SIGKILL mid-ingest, and stays usable', async () => {
    const dir = dataDir();
    const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, 'write', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise((r) => proc.once('exit', r));
    await waitFor(() => (out.match(/^ack /gm)?.length ?? 0) >= 30 || proc.exitCode !== null, 'the writer to acknowledge 30 batches');
    expect(err).toBe('');
    proc.kill('SIGKILL');
    await exited;

    // Only whole lines count: a line cut by the kill was not acknowledged.
    const acked = new Map<number, number>();
    for (const line of out.split('\n').slice(0, -1)) {
      const [, batch, stored] = line.split(' ');
      acked.set(Number(batch), Number(stored));
    }
    expect(acked.size).toBeGreaterThanOrEqual(30);

    // The dead writer's lock is stale: this open takes it over.
    const store = open(dir);
    const db = raw(dir, false);
    const perBatch = new Map(
      (db.prepare("SELECT json_extract(attrs, '$.batch') AS batch, count(*) AS n FROM logs GROUP BY batch").all() as { batch: number; n: number }[]).map((r) => [r.batch, r.n]),
    );
    for (const [batch, stored] of acked) expect(perBatch.get(batch), `batch ${batch}`).toBe(stored);
    // Batches are atomic: any batch present is whole, and at most the one in flight got in unacknowledged.
    for (const n of perBatch.values()) expect(n).toBe(200);
    expect(Math.max(...perBatch.keys())).toBeLessThanOrEqual(Math.max(...acked.keys()) + 1);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(() => db.prepare("INSERT INTO logs_fts (logs_fts, rank) VALUES ('integrity-check', 1)").run()).not.toThrow();
    db.close();
    expect(store.datasets()).toMatchObject([{ name: 'crash', records: [...perBatch.values()].reduce((a, b) => a + b, 0) }]);
    expect(store.write(records(5)).stored).toBe(5);
  });

  it('refuses a batch on a full disk with a clear error, keeping what was stored and a sound file', async () => {
    const dir = dataDir();
    const store = open(dir, { maxBytes: 512 * 1024 });
    let stored = 0;
    let full: TelemcpError | undefined;
    for (let batch = 0; batch < 100 && !full; batch++) {
      try {
        stored += store.write(records(100, (i) => ({ message: `batch ${batch} line ${i} ${'payload '.repeat(100)}` }))).stored;
      } catch (err) {
        if (!(err instanceof TelemcpError)) throw err;
        full = err;
      }
    }
    expect(full?.code).toBe('backend_unavailable');
    expect(full?.message).toContain("The embedded store's disk is full");
    expect(full?.message).toContain(store.file);
    expect(full?.hint).toContain('RETENTION_DAYS');
    expect(stored).toBeGreaterThan(0);
    expect(total(store)).toBe(stored);
    expect(store.datasets()).toMatchObject([{ name: 'app', records: stored }]);
    const sample = await new EmbeddedLogSource(store).sample({ from: new Date(0), to: new Date(Date.now() + DAY), text: 'payload' }, { limit: 3, strategy: 'newest' }, AbortSignal.timeout(10_000));
    expect(sample.total).toBe(stored);
    const db = raw(dir);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();

    // With room again (here: no cap), the same file takes writes.
    store.close();
    stores.pop();
    const roomy = open(dir);
    expect(roomy.write(records(100)).stored).toBe(100);
    expect(total(roomy)).toBe(stored + 100);
  });

  it('lets readers run beside an open write transaction (WAL): they see the last commit, not blocked', async () => {
    const dir = dataDir();
    const store = open(dir);
    store.write(records(100));
    const writer = raw(dir, false);
    writer.prepare('BEGIN IMMEDIATE').run();
    // A copy of every record under another key of its millisecond, with the counts the store keeps beside them.
    writer.prepare('INSERT INTO logs (id, ts, dataset, service, level, message) SELECT id + 524288, ts, dataset, service, level, message FROM logs').run();
    writer.prepare('UPDATE logs_rollup SET n = n * 2').run();
    writer.prepare("UPDATE datasets SET records = records * 2 WHERE name = 'app'").run();

    expect(total(store)).toBe(100);
    const source = new EmbeddedLogSource(store);
    const window = { from: new Date(Date.now() - DAY), to: new Date(Date.now() + DAY) };
    expect((await source.sample(window, { limit: 10, strategy: 'spread' }, AbortSignal.timeout(10_000))).total).toBe(100);
    expect(await child('read', dir)).toEqual({ ok: true, records: 100 });

    writer.prepare('COMMIT').run();
    writer.close();
    expect(total(store)).toBe(200);
    expect(await child('read', dir)).toEqual({ ok: true, records: 200 });
  });
});
