import { existsSync, mkdirSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { LogLabel } from '../backends/capabilities.js';
import { TelemcpError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { IngestRecord } from '../ingest/record.js';
import { storeError } from './errors.js';
import { buildFilter, type Filter, type StoreQuery } from './filter.js';
import { acquireStoreLock, type StoreLock } from './lock.js';
import { toRow, type Row } from './rows.js';
import { checkReadable, configure, migrate } from './schema.js';

export type { Filter, StoreQuery } from './filter.js';

/**
 * The embedded log store: DATA_DIR/logs.db, SQLite through better-sqlite3, used when no log
 * backend is configured. One process writes (store.lock); within it every opener shares one
 * connection. Calls are synchronous: a batch is committed and synced when write() returns,
 * which is what makes acknowledging it safe; reads are bounded statements on the indexes.
 */

export const STORE_FILE = 'logs.db';
/** The most records one write commits: a larger batch would hold the writer (and the event loop) too long. */
export const MAX_BATCH = 10_000;
/** The most records one searchPage returns. */
export const MAX_PAGE = 1000;
/** Retention deletes this many rows per transaction, then lets queries and writes run. */
const PRUNE_CHUNK = 5000;
const DAY_MS = 86_400_000;
const DEFAULT_RETENTION_INTERVAL_MS = 3_600_000;

export interface OpenLogStoreOptions {
  dataDir: string;
  /**
   * Read without taking the DATA_DIR lock, next to a writing process (WAL lets both run):
   * nothing is created, migrated, written or pruned. The store must exist already.
   */
  readonly?: boolean;
  /** The largest logs.db may grow to (PRAGMA max_page_count); beyond it writes fail as a full disk does. */
  maxBytes?: number;
}

/** A stored record, as searchPage returns it: unsanitised, the caller bounds what it shows. */
export interface StoredLog {
  id: number;
  ts: number;
  dataset: string;
  service?: string;
  level?: string;
  message: string;
  traceId?: string;
  host?: string;
  attrs?: Record<string, string | number | boolean>;
}

export interface DatasetSummary {
  name: string;
  records: number;
  firstTs: number;
  lastTs: number;
}

export interface WriteResult {
  /** Records committed (durable). */
  stored: number;
  /** Stored records whose message was cut to 32 KiB. */
  truncated: number;
  /** Records refused, by their index in the batch; the others are stored. */
  rejected: { index: number; reason: string }[];
}

/** Keyset position: the (ts, id) of the last record of the previous page. */
export interface PageKey {
  ts: number;
  id: number;
}

export interface SearchPageOptions {
  limit: number;
  order: 'desc' | 'asc';
  after?: PageKey;
}

export interface LogPage {
  records: StoredLog[];
  /** Present when more records follow: pass it as `after` for the next page. */
  next?: PageKey;
  scope: string;
  notes: string[];
}

/** Counts of one bucket (and one label value, or null for records outside the values asked for). */
export interface BucketCount {
  bucket: number;
  value: string | null;
  count: number;
}

export interface RetentionOptions {
  /** Records older than this many days are deleted; 0 keeps them forever. */
  days: number;
  intervalMs?: number;
  log?: Pick<Logger, 'info' | 'error'>;
}

export interface StoreInfo {
  file: string;
  schemaVersion: number;
  /** `wal` for a store this telemcp wrote. */
  journalMode: string;
  /** This connection's: `full` when it writes, so a committed batch survives a crash. */
  synchronous: 'off' | 'normal' | 'full' | 'extra';
}

export interface LogStoreReader {
  readonly dataDir: string;
  readonly file: string;
  readonly readonly: boolean;
  info(): StoreInfo;
  datasets(): DatasetSummary[];
  /** The query as SQL conditions; invalid_input for a malformed scope. */
  filter(query: StoreQuery): Filter;
  /** Matching records. */
  count(f: Filter): number;
  /**
   * Matching records per bucket floor((ts − start) / bucketMs); with `by`, also per value of
   * that label among `values` (other values and records without the label as value null).
   */
  bucketCounts(f: Filter, start: number, bucketMs: number, by?: { label: LogLabel; values: string[] }): BucketCount[];
  /** The label's most frequent values, most frequent first, ties by value. */
  topValues(f: Filter, label: LogLabel, limit: number): { value: string; count: number }[];
  /** The newest matching records within [from, to] (default: the filter's window), newest first. */
  newest(f: Filter, limit: number, window?: { from: number; to: number }): StoredLog[];
  /** One page of matches in (ts, id) order, resumable with `next` while records keep arriving. */
  searchPage(query: StoreQuery, opts: SearchPageOptions): LogPage;
  /** Every open is matched by one close; the last one closes the file and releases the lock. */
  close(): void;
}

export interface LogStore extends LogStoreReader {
  /** Commits the batch in one transaction and returns once it is durable; bad records are reported, not fatal. */
  write(records: readonly IngestRecord[]): WriteResult;
  /** Deletes records older than `olderThan` (epoch ms), `chunkRows` per transaction, yielding between chunks. */
  prune(olderThan: number, chunkRows?: number): Promise<{ deleted: number; chunks: number }>;
  /** Prunes now and every intervalMs (default hourly) until close; 0 days keeps everything. */
  startRetention(opts: RetentionOptions): void;
}

const SYNCHRONOUS = ['off', 'normal', 'full', 'extra'] as const;
const COLUMNS: Record<LogLabel, string> = { service: 'service', level: 'level', host: 'host' };
const RECORD_COLUMNS = 'id, ts, dataset, service, level, message, trace_id, host, attrs';

interface RecordRow {
  id: number;
  ts: number;
  dataset: string;
  service: string | null;
  level: string | null;
  message: string;
  trace_id: string | null;
  host: string | null;
  attrs: string | null;
}

const open = new Map<string, SqliteLogStore>();

export function openLogStore(opts: OpenLogStoreOptions & { readonly: true }): LogStoreReader;
export function openLogStore(opts: OpenLogStoreOptions): LogStore;
export function openLogStore(opts: OpenLogStoreOptions): LogStoreReader {
  const readonly = opts.readonly === true;
  if (!readonly) mkdirSync(opts.dataDir, { recursive: true });
  const dataDir = existsSync(opts.dataDir) ? realpathSync(opts.dataDir) : resolve(opts.dataDir);
  const shared = open.get(dataDir);
  if (shared && (readonly || !shared.readonly)) {
    shared.refs++;
    return shared;
  }
  const store = new SqliteLogStore(dataDir, readonly, opts.maxBytes);
  open.set(dataDir, store);
  return store;
}

class SqliteLogStore implements LogStore {
  readonly file: string;
  refs = 1;
  private readonly db: Database.Database;
  private readonly lock?: StoreLock;
  /** The SQL texts are built from a fixed set of clauses, so this map stays small. */
  private readonly statements = new Map<string, Database.Statement>();
  private retention?: NodeJS.Timeout;
  private pruning?: Promise<{ deleted: number; chunks: number }>;
  private closed = false;

  constructor(
    readonly dataDir: string,
    readonly readonly: boolean,
    maxBytes: number | undefined,
  ) {
    this.file = join(dataDir, STORE_FILE);
    if (readonly && !existsSync(this.file)) {
      throw new TelemcpError('backend_unavailable', `There is no embedded store in ${dataDir} yet.`, { hint: 'Ingest logs into this DATA_DIR first, or point DATA_DIR at the directory that holds logs.db.' });
    }
    if (!readonly) this.lock = acquireStoreLock(dataDir);
    let db: Database.Database | undefined;
    try {
      db = new Database(this.file, { readonly, fileMustExist: readonly });
      configure(db, readonly);
      if (readonly) checkReadable(db, this.file);
      else migrate(db, this.file);
      if (maxBytes !== undefined) {
        const pageSize = db.pragma('page_size', { simple: true }) as number;
        db.pragma(`max_page_count = ${Math.max(1, Math.floor(maxBytes / pageSize))}`);
      }
    } catch (err) {
      db?.close();
      this.lock?.release();
      throw storeError(err, this.file);
    }
    this.db = db;
  }

  write(records: readonly IngestRecord[]): WriteResult {
    this.checkWritable();
    if (records.length > MAX_BATCH) {
      throw new TelemcpError('invalid_input', `A batch of ${records.length} records is more than the ${MAX_BATCH} one write may hold.`, { hint: `Write at most ${MAX_BATCH} records at a time.` });
    }
    const rows: Row[] = [];
    const rejected: WriteResult['rejected'] = [];
    records.forEach((record, index) => {
      const row = toRow(record);
      if (typeof row === 'string') rejected.push({ index, reason: row });
      else rows.push(row);
    });
    if (rows.length) this.guard(() => this.insert(rows));
    return { stored: rows.length, truncated: rows.filter((r) => r.cut).length, rejected };
  }

  private insert(rows: Row[]): void {
    const insert = this.statement('INSERT INTO logs (ts, dataset, service, level, message, trace_id, host, attrs) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    const summarise = this.statement(
      `INSERT INTO datasets (name, records, first_ts, last_ts) VALUES (?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET records = records + excluded.records, first_ts = min(first_ts, excluded.first_ts), last_ts = max(last_ts, excluded.last_ts)`,
    );
    const perDataset = new Map<string, { records: number; first: number; last: number }>();
    for (const r of rows) {
      const s = perDataset.get(r.dataset);
      if (s) {
        s.records++;
        s.first = Math.min(s.first, r.ts);
        s.last = Math.max(s.last, r.ts);
      } else perDataset.set(r.dataset, { records: 1, first: r.ts, last: r.ts });
    }
    // IMMEDIATE takes the write lock up front, so the batch never fails half-way on a lock upgrade.
    this.db
      .transaction(() => {
        for (const r of rows) insert.run(r.ts, r.dataset, r.service, r.level, r.message, r.trace_id, r.host, r.attrs);
        for (const [name, s] of perDataset) summarise.run(name, s.records, s.first, s.last);
      })
      .immediate();
  }

  async prune(olderThan: number, chunkRows = PRUNE_CHUNK): Promise<{ deleted: number; chunks: number }> {
    this.checkWritable();
    // One pass at a time: a second caller waits for the running one instead of deleting alongside it.
    if (this.pruning) return this.pruning;
    const run = async () => {
      let deleted = 0;
      let chunks = 0;
      for (;;) {
        const n = this.guard(() => this.pruneChunk(olderThan, chunkRows));
        deleted += n;
        if (n > 0) chunks++;
        if (n < chunkRows) break;
        await new Promise((r) => setImmediate(r));
        if (this.closed) break;
      }
      return { deleted, chunks };
    };
    this.pruning = run();
    try {
      return await this.pruning;
    } finally {
      this.pruning = undefined;
    }
  }

  /** Oldest first through the time index; the delete trigger removes the FTS rows in the same transaction. */
  private pruneChunk(olderThan: number, chunkRows: number): number {
    const remove = this.statement('DELETE FROM logs WHERE id IN (SELECT id FROM logs WHERE ts < ? ORDER BY ts LIMIT ?) RETURNING dataset');
    const shrink = this.statement('UPDATE datasets SET records = records - ?, first_ts = coalesce((SELECT min(ts) FROM logs WHERE dataset = ?), first_ts) WHERE name = ?');
    const drop = this.statement('DELETE FROM datasets WHERE records <= 0');
    return this.db
      .transaction(() => {
        const removed = remove.all(olderThan, chunkRows) as { dataset: string }[];
        const perDataset = new Map<string, number>();
        for (const { dataset } of removed) perDataset.set(dataset, (perDataset.get(dataset) ?? 0) + 1);
        for (const [name, n] of perDataset) shrink.run(n, name, name);
        if (perDataset.size) drop.run();
        return removed.length;
      })
      .immediate();
  }

  startRetention(opts: RetentionOptions): void {
    this.checkWritable();
    if (this.retention) clearInterval(this.retention);
    this.retention = undefined;
    if (opts.days <= 0) return;
    const pass = () => {
      if (this.closed) return;
      this.prune(Date.now() - opts.days * DAY_MS).then(
        ({ deleted }) => {
          if (deleted) opts.log?.info({ deleted, days: opts.days }, 'retention deleted old log records');
        },
        (err: unknown) => opts.log?.error({ err }, 'retention failed; it runs again at the next interval'),
      );
    };
    this.retention = setInterval(pass, opts.intervalMs ?? DEFAULT_RETENTION_INTERVAL_MS).unref();
    setImmediate(pass);
  }

  info(): StoreInfo {
    return this.guard(() => ({
      file: this.file,
      schemaVersion: this.db.pragma('user_version', { simple: true }) as number,
      journalMode: this.db.pragma('journal_mode', { simple: true }) as string,
      synchronous: SYNCHRONOUS[this.db.pragma('synchronous', { simple: true }) as number],
    }));
  }

  datasets(): DatasetSummary[] {
    const rows = this.guard(() => this.statement('SELECT name, records, first_ts, last_ts FROM datasets ORDER BY name').all()) as { name: string; records: number; first_ts: number; last_ts: number }[];
    return rows.map((r) => ({ name: r.name, records: r.records, firstTs: r.first_ts, lastTs: r.last_ts }));
  }

  filter(query: StoreQuery): Filter {
    return buildFilter(query, () => this.datasets().map((d) => d.name));
  }

  count(f: Filter): number {
    if (f.none) return 0;
    const row = this.guard(() => this.statement(`SELECT count(*) AS n FROM logs WHERE ts BETWEEN ? AND ?${f.conditions}`).get(f.from, f.to, ...f.params)) as { n: number };
    return row.n;
  }

  bucketCounts(f: Filter, start: number, bucketMs: number, by?: { label: LogLabel; values: string[] }): BucketCount[] {
    if (f.none) return [];
    // Numbers are bound as REAL: cast, or the division is not an integer one. ts ≥ start, so it is a floor.
    const bucket = '(ts - CAST(? AS INTEGER)) / CAST(? AS INTEGER)';
    if (!by) {
      const sql = `SELECT ${bucket} AS bucket, NULL AS value, count(*) AS count FROM logs WHERE ts BETWEEN ? AND ?${f.conditions} GROUP BY bucket`;
      return this.guard(() => this.statement(sql).all(start, bucketMs, f.from, f.to, ...f.params)) as BucketCount[];
    }
    const column = COLUMNS[by.label];
    const value = `CASE WHEN ${column} IN (SELECT value FROM json_each(?)) THEN ${column} END`;
    const sql = `SELECT ${bucket} AS bucket, ${value} AS value, count(*) AS count FROM logs WHERE ts BETWEEN ? AND ?${f.conditions} GROUP BY bucket, value`;
    return this.guard(() => this.statement(sql).all(start, bucketMs, JSON.stringify(by.values), f.from, f.to, ...f.params)) as BucketCount[];
  }

  topValues(f: Filter, label: LogLabel, limit: number): { value: string; count: number }[] {
    if (f.none) return [];
    const column = COLUMNS[label];
    const sql = `SELECT ${column} AS value, count(*) AS count FROM logs WHERE ts BETWEEN ? AND ?${f.conditions} AND ${column} IS NOT NULL GROUP BY ${column} ORDER BY count DESC, value LIMIT ?`;
    return this.guard(() => this.statement(sql).all(f.from, f.to, ...f.params, limit)) as { value: string; count: number }[];
  }

  newest(f: Filter, limit: number, window = { from: f.from, to: f.to }): StoredLog[] {
    if (f.none) return [];
    const sql = `SELECT ${RECORD_COLUMNS} FROM logs WHERE ts BETWEEN ? AND ?${f.conditions} ORDER BY ts DESC, id DESC LIMIT ?`;
    return (this.guard(() => this.statement(sql).all(window.from, window.to, ...f.params, limit)) as RecordRow[]).map(toStoredLog);
  }

  searchPage(query: StoreQuery, opts: SearchPageOptions): LogPage {
    if (!Number.isInteger(opts.limit) || opts.limit < 1 || opts.limit > MAX_PAGE) {
      throw new TelemcpError('invalid_input', `limit ${opts.limit} is outside 1-${MAX_PAGE}.`, { hint: `Ask for at most ${MAX_PAGE} records per page and follow next.` });
    }
    if (opts.after && !(Number.isSafeInteger(opts.after.ts) && Number.isSafeInteger(opts.after.id))) {
      throw new TelemcpError('invalid_input', 'The page position is not a (ts, id) pair of integers.', { hint: 'Pass back the next value of the previous page unchanged.' });
    }
    const f = this.filter(query);
    const meta = { scope: f.scope, notes: f.notes };
    if (f.none) return { records: [], ...meta };
    const desc = opts.order === 'desc';
    let { from, to } = f;
    let after = '';
    const afterParams: number[] = [];
    if (opts.after) {
      // The window is cut at the position's ts, so the index range does the work; the id breaks ties within that one millisecond.
      if (desc) to = Math.min(to, opts.after.ts);
      else from = Math.max(from, opts.after.ts);
      after = desc ? ' AND (ts < ? OR id < ?)' : ' AND (ts > ? OR id > ?)';
      afterParams.push(opts.after.ts, opts.after.id);
    }
    const dir = desc ? 'DESC' : 'ASC';
    const sql = `SELECT ${RECORD_COLUMNS} FROM logs WHERE ts BETWEEN ? AND ?${f.conditions}${after} ORDER BY ts ${dir}, id ${dir} LIMIT ?`;
    // One more than the page tells whether another page follows.
    const rows = this.guard(() => this.statement(sql).all(from, to, ...f.params, ...afterParams, opts.limit + 1)) as RecordRow[];
    const records = rows.slice(0, opts.limit).map(toStoredLog);
    const last = records[records.length - 1];
    return rows.length > opts.limit ? { records, next: { ts: last.ts, id: last.id }, ...meta } : { records, ...meta };
  }

  close(): void {
    if (this.closed || --this.refs > 0) return;
    this.closed = true;
    if (this.retention) clearInterval(this.retention);
    if (open.get(this.dataDir) === this) open.delete(this.dataDir);
    try {
      this.db.close();
    } finally {
      this.lock?.release();
    }
  }

  private checkWritable(): void {
    if (this.readonly) throw new TelemcpError('internal_error', 'The embedded store was opened read-only.');
  }

  private statement(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) this.statements.set(sql, (s = this.db.prepare(sql)));
    return s;
  }

  private guard<T>(work: () => T): T {
    if (this.closed) throw new TelemcpError('backend_unavailable', `The embedded store ${this.file} is closed.`, { hint: 'The server is shutting down; retry against a running one.' });
    try {
      return work();
    } catch (err) {
      throw storeError(err, this.file);
    }
  }
}

function toStoredLog(r: RecordRow): StoredLog {
  const log: StoredLog = { id: r.id, ts: r.ts, dataset: r.dataset, message: r.message };
  if (r.service !== null) log.service = r.service;
  if (r.level !== null) log.level = r.level;
  if (r.trace_id !== null) log.traceId = r.trace_id;
  if (r.host !== null) log.host = r.host;
  if (r.attrs !== null) log.attrs = JSON.parse(r.attrs) as StoredLog['attrs'];
  return log;
}
