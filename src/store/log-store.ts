import { randomInt } from 'node:crypto';
import { existsSync, mkdirSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { LogLabel } from '../backends/capabilities.js';
import { TelemcpError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { IngestRecord } from '../ingest/record.js';
import { errorCode, storeError } from './errors.js';
import { buildFilter, inList, type Filter, type StoreQuery } from './filter.js';
import { acquireStoreLock, type StoreLock } from './lock.js';
import { messageGroups, type StoreMessageGroup } from './message-counts.js';
import { MAX_TS, toRow, type Row } from './rows.js';
import { SEQ_BITS, SLOT_MS, checkReadable, configure, migrate } from './schema.js';
import { preparePruning, pruneStoredChunk, readRetentionReport, recordRetentionPass, type RetentionPass, type RetentionReport } from './retention.js';

export type { Filter, StoreQuery } from './filter.js';

/**
 * The embedded log store: DATA_DIR/logs.db, SQLite through better-sqlite3, used when no log
 * backend is configured. One process writes (store.lock); within it every opener shares one
 * connection. Calls are synchronous: a batch is committed and synced when write() returns,
 * which is what makes acknowledging it safe; reads are bounded statements on the time-ordered
 * keys, the per-slot counts and the FTS index (schema.ts says how they fit together).
 *
 * Measured and left out (bench/embedded; per record, on the bench's 2-core machine, a write is
 * ~5 µs of row, ~4-5 µs of FTS and ~3 µs of commit): synchronous=NORMAL (durable against a
 * crash of the process, not of the machine: an acknowledged batch must survive both); FTS
 * detail=column/none (<10% of the FTS part, and phrases would need a second check); FTS
 * automerge/crisismerge, page_size 8/16 KiB, wal_autocheckpoint 10,000, a 128 MiB cache,
 * multi-row INSERTs (none beyond the run-to-run noise of ±15%); a (level, service) index (the
 * planner took it over the key range for windowed counts: spread samples 20-60x slower);
 * reading only the slots that hold a match for a sample (no gain); indexing messages in a later
 * step (the acknowledgement would skip the FTS part, the total work would not shrink, and the
 * first text search after a burst would pay for it); label names stored as integer codes
 * (-2 µs a record, at the price of a code table every reader goes through: the next step if
 * ingest has to go further).
 */

export const STORE_FILE = 'logs.db';
/** The most records one write commits: a larger batch would hold the writer (and the event loop) too long. */
export const MAX_BATCH = 10_000;
/** The most records one searchPage returns. */
const MAX_PAGE = 1000;
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
  /** The clock records are stamped `stored_at` with and retention counts by (tests set it). */
  now?: () => number;
}

/** A stored record, as searchPage returns it: unsanitised, the caller bounds what it shows. */
export interface StoredLog extends IngestRecord {
  /** Its place among the records of its millisecond: (ts, id) is unique and orders the store. */
  id: number;
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
  /** Records stored more than this many days ago are deleted; 0 keeps them forever. */
  days: number;
  intervalMs?: number;
  log?: Pick<Logger, 'info' | 'error'>;
  /** Told of every pass that deleted records (metrics). */
  onPass?: (pass: RetentionPass) => void;
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
  /** The filter's distinct (message, service, level) with counts, most frequent first, to `keep` until it returns false (message-counts.ts). */
  messageGroups(f: Filter, limit: number, keep: (g: StoreMessageGroup) => boolean): void;
  /** One page of matches in (ts, id) order, resumable with `next` while records keep arriving. */
  searchPage(query: StoreQuery, opts: SearchPageOptions): LogPage;
  /** What retention has deleted: the total and the last pass that deleted anything. */
  retention(): RetentionReport;
  /** Every open is matched by one close; the last one closes the file and releases the lock. */
  close(): void;
}

export interface PruneResult {
  deleted: number;
  chunks: number;
  /** Records deleted per dataset, most first. */
  datasets: { name: string; deleted: number }[];
}

export interface LogStore extends LogStoreReader {
  /** Commits the batch in one transaction and returns once it is durable; bad records are reported, not fatal. */
  write(records: readonly IngestRecord[]): WriteResult;
  /** Every batch in one transaction: all of them are stored, or (on any failure) none. */
  writeAll(batches: ReadonlyArray<readonly IngestRecord[]>): WriteResult[];
  /** Deletes records stored before `storedBefore` (epoch ms), `chunkRows` per transaction, yielding between chunks. */
  prune(storedBefore: number, chunkRows?: number): Promise<PruneResult>;
  /** Prunes now and every intervalMs (default hourly) until close; 0 days keeps everything. Resolves when the first pass is done. */
  startRetention(opts: RetentionOptions): Promise<void>;
}

const SYNCHRONOUS = ['off', 'normal', 'full', 'extra'] as const;
const COLUMNS: Record<LogLabel, string> = { service: 'service', level: 'level', host: 'host' };
const SEQ_MASK = 2 ** SEQ_BITS - 1;
/** Qualified, so they read the same from logs alone and from logs joined to its FTS index. */
const RECORD_COLUMNS = `logs.id & ${SEQ_MASK} AS id, logs.ts AS ts, logs.dataset AS dataset, logs.service AS service, logs.level AS level, logs.message AS message, logs.trace_id AS trace_id, logs.host AS host, logs.attrs AS attrs`;
/**
 * `key` within [fromTs·2^20 + fromSeq, toTs·2^20 + toSeq], four parameters. better-sqlite3 binds
 * numbers as REAL, which cannot hold a key exactly: every one is cast before the arithmetic.
 */
const keyRange = (key: string) => `${key} BETWEEN (CAST(? AS INTEGER) << ${SEQ_BITS}) + CAST(? AS INTEGER) AND (CAST(? AS INTEGER) << ${SEQ_BITS}) + CAST(? AS INTEGER)`;
/** More bucket edges than this (tiny buckets over a long window) and the records are counted directly. */
const MAX_CUTS = 100_000;

/** A record as the store's statements read it: the written row's columns, with its id. */
type RecordRow = Omit<Row, 'cut'> & { id: number };

/** One logs_rollup row's worth of a batch: its records in one slot with one set of labels ('' for none). */
interface SlotCount {
  slot: number;
  dataset: string;
  service: string;
  level: string;
  host: string;
  n: number;
}

/** Whole milliseconds, inclusive, within what the store can hold. */
interface Span {
  from: number;
  to: number;
}

function clamp(from: number, to: number): Span | undefined {
  const span = { from: Math.max(0, Math.ceil(from)), to: Math.min(MAX_TS, Math.floor(to)) };
  return span.from <= span.to ? span : undefined;
}

/** The key range of a span's records, as keyRange's parameters. */
const keysOf = (s: Span) => [s.from, 0, s.to, SEQ_MASK];

/**
 * Where a filter's records are read from, for keys within a range: the FROM … WHERE … text, its
 * parameters, the key to order by, and the record time as an expression.
 */
interface Access {
  sql: string;
  params: unknown[];
  key: string;
  ts: string;
}

/** What counts are grouped by (without one, nothing): a label's values among `values` (others null), or all of its values. */
interface Group {
  label: LogLabel;
  values?: string[];
}

/** Counts per group value (null: no value, or one outside the values asked for). */
type Counts = Map<string | null, number>;

function addCount(counts: Counts, value: string | null, n: number): void {
  if (n !== 0) counts.set(value, (counts.get(value) ?? 0) + n);
}

/** The part of a rollup slot between two cuts: in piece `piece` of the window, or outside it (-1). */
interface Segment {
  from: number;
  to: number;
  piece: number;
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
  const store = new SqliteLogStore(dataDir, readonly, opts.maxBytes, opts.now ?? Date.now);
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
  private retentionTimer?: NodeJS.Timeout;
  private pruning?: Promise<PruneResult>;
  private closed = false;
  /**
   * The next key's sequence number. Records of one millisecond take successive numbers, so they
   * keep the order they were written in; it starts at random so that a restarted writer does not
   * hand out the numbers of the records already stored for the same milliseconds (re-ingesting a
   * file), and a number already taken is replaced by the next free one (freeSeq).
   */
  private seq = randomInt(SEQ_MASK + 1);

  constructor(
    readonly dataDir: string,
    readonly readonly: boolean,
    maxBytes: number | undefined,
    private readonly now: () => number,
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
      else {
        migrate(db, this.file, now());
        preparePruning(db);
      }
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
    const rows: { row: Row; index: number }[] = [];
    const rejected: WriteResult['rejected'] = [];
    records.forEach((record, index) => {
      const row = toRow(record);
      if (typeof row === 'string') rejected.push({ index, reason: row });
      else rows.push({ row, index });
    });
    let stored = rows;
    if (rows.length) {
      const full = this.guard(() => this.insert(rows));
      if (full.size) {
        stored = rows.filter((r) => !full.has(r.index));
        for (const index of full) rejected.push({ index, reason: `more than ${SEQ_MASK + 1} records in one millisecond` });
        rejected.sort((a, b) => a.index - b.index);
      }
    }
    return { stored: stored.length, truncated: stored.filter((r) => r.row.cut).length, rejected };
  }

  writeAll(batches: ReadonlyArray<readonly IngestRecord[]>): WriteResult[] {
    this.checkWritable();
    // Each batch's own transaction becomes a savepoint inside this one.
    return this.guard(() => this.db.transaction(() => batches.map((b) => this.write(b))).immediate());
  }

  /**
   * One transaction: the records in key order, their messages and trace ids into the FTS
   * index, then the batch's slot counts and dataset summaries. Key order matters to FTS5: a
   * rowid lower than the one before makes it flush its pending terms into a segment of their own
   * (bench/embedded: an unsorted batch of the seed's interleaved requests cost 1.8x). The batch's
   * tail past every stored key is indexed by one statement; only records before it (which may
   * find their key taken) are indexed one by one: an ECS file whose batches overlap by a few
   * milliseconds went from one statement per record to a handful. Returns the records that
   * found no free key.
   */
  private insert(rows: { row: Row; index: number }[]): Set<number> {
    const insert = this.statement(
      `INSERT INTO logs (id, ts, dataset, service, level, message, trace_id, host, attrs, stored_at) VALUES ((CAST(? AS INTEGER) << ${SEQ_BITS}) + CAST(? AS INTEGER), ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const index = this.statement(`INSERT INTO logs_fts (rowid, message, trace_id) VALUES ((CAST(? AS INTEGER) << ${SEQ_BITS}) + CAST(? AS INTEGER), ?, ?)`);
    const indexFrom = this.statement('INSERT INTO logs_fts (rowid, message, trace_id) SELECT id, message, trace_id FROM logs WHERE id >= ?');
    const lastKey = this.statement('SELECT max(id) FROM logs').safeIntegers(true).pluck();
    const count = this.statement(
      'INSERT INTO logs_rollup (slot, dataset, service, level, host, n) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET n = n + excluded.n',
    );
    const summarise = this.statement(
      `INSERT INTO datasets (name, records, first_ts, last_ts) VALUES (?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET records = records + excluded.records, first_ts = min(first_ts, excluded.first_ts), last_ts = max(last_ts, excluded.last_ts)`,
    );
    const sorted = [...rows].sort((a, b) => a.row.ts - b.row.ts || a.index - b.index);
    const storedAt = Math.floor(this.now());
    // Records of one millisecond take successive numbers in the order they came.
    const seqs = sorted.map(() => {
      const seq = this.seq;
      this.seq = (this.seq + 1) & SEQ_MASK;
      return seq;
    });
    // IMMEDIATE takes the write lock up front, so the batch never fails half-way on a lock upgrade.
    return this.db
      .transaction(() => {
        const full = new Set<number>();
        const last = lastKey.get() as bigint | null;
        const lastTs = last === null ? -1 : Number(last >> BigInt(SEQ_BITS));
        const lastSeq = last === null ? -1 : Number(last & BigInt(SEQ_MASK));
        const after = (ts: number, seq: number, thanTs: number, thanSeq: number) => ts > thanTs || (ts === thanTs && seq > thanSeq);
        // The tail: the sorted records from `tail` on, whose keys are past every stored key and
        // rise (a sequence number wrapping within a millisecond ends it). Those keys cannot be
        // taken. Records arriving in time order are all tail; a batch starting a little before
        // the previous one ended (requests logged out of order) is all tail but its first few.
        let tail = sorted.length;
        while (tail > 0 && after(sorted[tail - 1].row.ts, seqs[tail - 1], lastTs, lastSeq) && (tail === sorted.length || after(sorted[tail].row.ts, seqs[tail], sorted[tail - 1].row.ts, seqs[tail - 1]))) tail--;
        // The head's keys as they end up (a taken one is replaced), the highest of them kept.
        let headTs = -1;
        let headSeq = -1;
        const put = (i: number, free: boolean): boolean => {
          const { row: r, index: at } = sorted[i];
          let seq: number | undefined = seqs[i];
          for (;;) {
            try {
              insert.run(r.ts, seq, r.ts, r.dataset, r.service, r.level, r.message, r.trace_id, r.host, r.attrs, storedAt);
              break;
            } catch (err) {
              if (free || errorCode(err) !== 'SQLITE_CONSTRAINT_PRIMARYKEY') throw err;
              seq = this.freeSeq(r.ts);
              if (seq === undefined) {
                full.add(at);
                return false;
              }
            }
          }
          if (!free) index.run(r.ts, seq, r.message, r.trace_id);
          if (i < tail && after(r.ts, seq, headTs, headSeq)) [headTs, headSeq] = [r.ts, seq];
          return true;
        };
        for (let i = 0; i < tail; i++) put(i, false);
        if (tail < sorted.length) {
          // With every head key below the tail's first, the tail's keys are the only ones from
          // there on: they go in as they are and one statement indexes them all, in key order.
          const bulk = after(sorted[tail].row.ts, seqs[tail], headTs, headSeq);
          for (let i = tail; i < sorted.length; i++) put(i, bulk);
          if (bulk) indexFrom.run((BigInt(sorted[tail].row.ts) << BigInt(SEQ_BITS)) + BigInt(seqs[tail]));
        }
        const slots = new Map<string, SlotCount>();
        const perDataset = new Map<string, { records: number; first: number; last: number }>();
        // Neighbours in time mostly share their slot and labels: those add to the previous count without a key lookup.
        let c: SlotCount | undefined;
        for (const { row: r, index: at } of sorted) {
          if (full.size && full.has(at)) continue;
          const slot = Math.floor(r.ts / SLOT_MS);
          const service = r.service ?? '';
          const level = r.level ?? '';
          const host = r.host ?? '';
          if (c && c.slot === slot && c.dataset === r.dataset && c.service === service && c.level === level && c.host === host) c.n++;
          else {
            const key = `${slot}\u0000${r.dataset}\u0000${service}\u0000${level}\u0000${host}`;
            c = slots.get(key);
            if (c) c.n++;
            else slots.set(key, (c = { slot, dataset: r.dataset, service, level, host, n: 1 }));
          }
          const s = perDataset.get(r.dataset);
          if (s) {
            s.records++;
            s.last = r.ts;
          } else perDataset.set(r.dataset, { records: 1, first: r.ts, last: r.ts });
        }
        for (const c of slots.values()) count.run(c.slot, c.dataset, c.service, c.level, c.host, c.n);
        for (const [name, s] of perDataset) summarise.run(name, s.records, s.first, s.last);
        return full;
      })
      .immediate();
  }

  /**
   * A sequence number free in this millisecond: after the highest one taken (the record keeps
   * its place after the others), else before the lowest, else the first gap; none when all 2^20
   * are taken.
   */
  private freeSeq(ts: number): number | undefined {
    const ends = this.statement(`SELECT (max(id) & ${SEQ_MASK}) + 1 AS above, (min(id) & ${SEQ_MASK}) - 1 AS below FROM logs WHERE ${keyRange('id')}`).get(ts, 0, ts, SEQ_MASK) as {
      above: number;
      below: number;
    };
    if (ends.above <= SEQ_MASK) return ends.above;
    if (ends.below >= 0) return ends.below;
    const gap = this.statement(
      `SELECT (a.id & ${SEQ_MASK}) + 1 FROM logs AS a WHERE ${keyRange('a.id')} AND NOT EXISTS (SELECT 1 FROM logs AS b WHERE b.id = a.id + 1) AND (a.id & ${SEQ_MASK}) < ${SEQ_MASK} LIMIT 1`,
    )
      .pluck()
      .get(ts, 0, ts, SEQ_MASK) as number | undefined;
    return gap;
  }

  async prune(storedBefore: number, chunkRows = PRUNE_CHUNK): Promise<PruneResult> {
    this.checkWritable();
    // One pass at a time: a second caller waits for the running one instead of deleting alongside it.
    if (this.pruning) return this.pruning;
    const run = async (): Promise<PruneResult> => {
      const perDataset = new Map<string, number>();
      let deleted = 0;
      let chunks = 0;
      for (;;) {
        const chunk = this.guard(() => pruneStoredChunk(this.db, (sql) => this.statement(sql), storedBefore, chunkRows));
        let n = 0;
        for (const [name, count] of chunk) {
          perDataset.set(name, (perDataset.get(name) ?? 0) + count);
          n += count;
        }
        deleted += n;
        if (n > 0) chunks++;
        if (n < chunkRows) break;
        await new Promise((r) => setImmediate(r));
        if (this.closed) break;
      }
      const datasets = [...perDataset].map(([name, n]) => ({ name, deleted: n })).sort((a, b) => b.deleted - a.deleted || a.name.localeCompare(b.name));
      if (deleted > 0 && !this.closed) this.guard(() => recordRetentionPass(this.db, (sql) => this.statement(sql), { at: this.now(), deleted, datasets }));
      return { deleted, chunks, datasets };
    };
    this.pruning = run();
    try {
      return await this.pruning;
    } finally {
      this.pruning = undefined;
    }
  }

  startRetention(opts: RetentionOptions): Promise<void> {
    this.checkWritable();
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    this.retentionTimer = undefined;
    if (opts.days <= 0) return Promise.resolve();
    const pass = async () => {
      if (this.closed) return;
      try {
        const result = await this.prune(this.now() - opts.days * DAY_MS);
        if (result.deleted) {
          opts.log?.info({ deleted: result.deleted, datasets: result.datasets.slice(0, 10), days: opts.days }, 'retention deleted records stored longer ago than RETENTION_DAYS');
          opts.onPass?.({ at: this.now(), deleted: result.deleted, datasets: result.datasets });
        }
      } catch (err) {
        opts.log?.error({ err }, 'retention failed; it runs again at the next interval');
      }
    };
    this.retentionTimer = setInterval(() => void pass(), opts.intervalMs ?? DEFAULT_RETENTION_INTERVAL_MS).unref();
    return pass();
  }

  retention(): RetentionReport {
    return this.guard(() => readRetentionReport((sql) => this.statement(sql)));
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
    const span = clamp(f.from, f.to);
    if (f.none || !span) return 0;
    return this.guard(() => {
      if (rollupable(f)) return sum(this.rollupCounts(f, span, [])[0]);
      // Only exclusions: the window's count less the records holding an excluded word, neither read record by record.
      if (f.exclude !== undefined && ftsMatch(f) === undefined && f.traces === '') return this.count({ ...f, exclude: undefined }) - this.count({ ...f, exclude: undefined, include: f.exclude });
      const a = this.access(f, keysOf(span), false);
      return (this.statement(`SELECT count(*) AS n ${a.sql}`).get(...a.params) as { n: number }).n;
    });
  }

  bucketCounts(f: Filter, start: number, bucketMs: number, by?: { label: LogLabel; values: string[] }): BucketCount[] {
    const span = clamp(f.from, f.to);
    if (f.none || !span) return [];
    return this.guard(() => {
      // The edges between buckets: start + k·bucketMs within (from, to]. Callers start at the window's start or before it.
      const cuts: number[] = [];
      const first = Math.floor((span.from - start) / bucketMs) + 1;
      for (let c = start + first * bucketMs; c <= span.to && cuts.length <= MAX_CUTS; c += bucketMs) cuts.push(c);
      if (rollupable(f) && bucketMs >= SLOT_MS && cuts.length <= MAX_CUTS) {
        const out: BucketCount[] = [];
        this.rollupCounts(f, span, cuts, by).forEach((counts, piece) => {
          const bucket = Math.floor(((piece === 0 ? span.from : cuts[piece - 1]) - start) / bucketMs);
          for (const [value, count] of counts) if (count) out.push({ bucket, value, count });
        });
        return out;
      }
      const group = groupSql(by, 'raw');
      const count = (within: Span) => {
        const a = this.access(f, keysOf(within), by !== undefined);
        const sql = `SELECT (${a.ts} - CAST(? AS INTEGER)) / CAST(? AS INTEGER) AS bucket, ${group.sql} AS value, count(*) AS count ${a.sql} GROUP BY bucket, value`;
        return this.statement(sql).all(start, bucketMs, ...group.params, ...a.params) as BucketCount[];
      };
      if (!rollupable(f)) return count(span);
      // Buckets narrower than a slot: the records are read, but only in the runs of slots holding a match.
      const out: BucketCount[] = [];
      for (const run of this.slotsWithMatches(f, span)) out.push(...count(run));
      return out;
    });
  }

  topValues(f: Filter, label: LogLabel, limit: number): { value: string; count: number }[] {
    const span = clamp(f.from, f.to);
    if (f.none || !span) return [];
    return this.guard(() => {
      if (rollupable(f)) {
        const counts = [...this.rollupCounts(f, span, [], { label })[0]].flatMap(([value, count]) => (value === null || count <= 0 ? [] : [{ value, count }]));
        return counts.sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0)).slice(0, limit);
      }
      const column = COLUMNS[label];
      const a = this.access(f, keysOf(span), true);
      const sql = `SELECT logs.${column} AS value, count(*) AS count ${a.sql} AND logs.${column} IS NOT NULL GROUP BY logs.${column} ORDER BY count DESC, value LIMIT ?`;
      return this.statement(sql).all(...a.params, limit) as { value: string; count: number }[];
    });
  }

  messageGroups(f: Filter, limit: number, keep: (g: StoreMessageGroup) => boolean): void {
    const span = clamp(f.from, f.to);
    if (f.none || !span) return;
    this.guard(() => messageGroups(this.access(f, keysOf(span), true), (sql) => this.statement(sql), limit, keep));
  }

  newest(f: Filter, limit: number, window = { from: f.from, to: f.to }): StoredLog[] {
    const span = clamp(window.from, window.to);
    if (f.none || !span) return [];
    return this.records(f, keysOf(span), 'DESC', limit);
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
    const span = clamp(f.from, f.to);
    if (f.none || !span) return { records: [], ...meta };
    const desc = opts.order === 'desc';
    // [fromTs, fromSeq, toTs, toSeq]: the position cuts the key range just past itself (seq ± 1 carries into the next millisecond by the arithmetic).
    const keys = keysOf(span);
    if (opts.after && desc && opts.after.ts <= span.to) keys.splice(2, 2, opts.after.ts, opts.after.id - 1);
    if (opts.after && !desc && opts.after.ts >= span.from) keys.splice(0, 2, opts.after.ts, opts.after.id + 1);
    // One more than the page tells whether another page follows.
    const rows = this.records(f, keys, desc ? 'DESC' : 'ASC', opts.limit + 1);
    const records = rows.slice(0, opts.limit);
    const last = records[records.length - 1];
    return rows.length > opts.limit ? { records, next: { ts: last.ts, id: last.id }, ...meta } : { records, ...meta };
  }

  close(): void {
    if (this.closed || --this.refs > 0) return;
    this.closed = true;
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    if (open.get(this.dataDir) === this) open.delete(this.dataDir);
    try {
      this.db.close();
    } finally {
      this.lock?.release();
    }
  }

  /** Matching records within the key range, in key order, at most limit. */
  private records(f: Filter, keys: unknown[], dir: 'ASC' | 'DESC', limit: number): StoredLog[] {
    const a = this.access(f, keys, true);
    return (this.guard(() => this.statement(`SELECT ${RECORD_COLUMNS} ${a.sql} ORDER BY ${a.key} ${dir} LIMIT ?`).all(...a.params, limit)) as RecordRow[]).map(toStoredLog);
  }

  /**
   * How a filter's records within a key range are read:
   *  - with words or trace ids to look up, from the FTS index's matches in the key range (its
   *    rowids are the keys), joined to the records only when a label, the exact trace id or a
   *    record field is needed: counting a word per bucket reads the index alone;
   *  - with trace ids the index cannot find (no letter or digit in one), the key range's
   *    records, words checked per record;
   *  - otherwise the key range's records, words to exclude as one set of the range's matches.
   */
  private access(f: Filter, keys: unknown[], needRecords: boolean): Access {
    const match = ftsMatch(f);
    if (match !== undefined) {
      const join = needRecords || f.labels !== '' || f.traces !== '';
      return {
        sql: `FROM logs_fts${join ? ' JOIN logs ON logs.id = logs_fts.rowid' : ''} WHERE logs_fts MATCH ? AND ${keyRange('logs_fts.rowid')}${f.labels}${f.traces}`,
        params: [match, ...keys, ...f.labelParams, ...f.traceParams],
        key: 'logs_fts.rowid',
        ts: join ? 'logs.ts' : `(logs_fts.rowid >> ${SEQ_BITS})`,
      };
    }
    if (f.traces !== '') {
      const text = f.exclude === undefined ? '' : ' AND NOT EXISTS (SELECT 1 FROM logs_fts WHERE logs_fts MATCH ? AND logs_fts.rowid = logs.id)';
      return {
        sql: `FROM logs WHERE ${keyRange('logs.id')}${f.labels}${f.traces}${text}`,
        params: [...keys, ...f.labelParams, ...f.traceParams, ...(f.exclude === undefined ? [] : [f.exclude])],
        key: 'logs.id',
        ts: 'logs.ts',
      };
    }
    if (f.exclude !== undefined) {
      return {
        sql: `FROM logs WHERE ${keyRange('logs.id')}${f.labels} AND logs.id NOT IN (SELECT rowid FROM logs_fts WHERE logs_fts MATCH ? AND ${keyRange('rowid')})`,
        params: [...keys, ...f.labelParams, f.exclude, ...keys],
        key: 'logs.id',
        ts: 'logs.ts',
      };
    }
    return { sql: `FROM logs WHERE ${keyRange('logs.id')}${f.labels}`, params: [...keys, ...f.labelParams], key: 'logs.id', ts: 'logs.ts' };
  }

  /**
   * Counts of a filter without trace ids or words (rollupable) in each piece of the span, the
   * span being cut at `cuts` (ascending, each within (from, to]): piece i runs from cut i−1 (or
   * the span's start) to just before cut i (or the span's end). A slot of logs_rollup that lies
   * in one piece adds its counts as they are. A slot that a cut or the span's edge runs through
   * is split into segments, and its records are counted per segment, but not all of them: the
   * longest segment inside the span is the slot's count less the others, when those others
   * (segments outside the span included) are shorter than what is inside. So at most half a
   * slot's records are read per cut, whatever the window, and the counts stay exact.
   */
  private rollupCounts(f: Filter, span: Span, cuts: number[], group?: Group): Counts[] {
    const out: Counts[] = Array.from({ length: cuts.length + 1 }, () => new Map());
    const slotGroup = groupSql(group, 'rollup');
    // Grouped by slot alone, the rows come in key order and need no sort.
    const rows = this.statement(`SELECT slot, ${slotGroup.sql} AS value, sum(n) AS n FROM logs_rollup WHERE slot BETWEEN ? AND ?${f.labels} GROUP BY slot${group ? ', value' : ''}`).all(
      ...slotGroup.params,
      Math.floor(span.from / SLOT_MS),
      Math.floor(span.to / SLOT_MS),
      ...f.labelParams,
    ) as { slot: number; value: string | null; n: number }[];
    const slots = new Map<number, Counts>();
    for (const r of rows) {
      let counts = slots.get(r.slot);
      if (!counts) slots.set(r.slot, (counts = new Map()));
      addCount(counts, r.value, r.n);
    }
    const recordGroup = groupSql(group, 'raw');
    const segmentCounts = this.statement(`SELECT ${recordGroup.sql} AS value, count(*) AS n FROM logs WHERE ${keyRange('id')}${f.labels} GROUP BY value`);
    const countSegment = (s: Segment) => segmentCounts.all(...recordGroup.params, s.from, 0, s.to, SEQ_MASK, ...f.labelParams) as { value: string | null; n: number }[];
    // The piece holding time t: how many cuts are at or before it.
    const pieceOf = (t: number) => {
      let lo = 0;
      let hi = cuts.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cuts[mid] <= t) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    for (const [slot, counts] of slots) {
      const start = slot * SLOT_MS;
      const end = start + SLOT_MS - 1;
      const piece = pieceOf(start);
      if (start >= span.from && end <= span.to && pieceOf(end) === piece) {
        for (const [value, n] of counts) addCount(out[piece], value, n);
        continue;
      }
      const edges = [start];
      for (let i = piece; i < cuts.length && cuts[i] <= end; i++) if (cuts[i] > start) edges.push(cuts[i]);
      if (span.from > start && span.from <= end) edges.push(span.from);
      if (span.to < end && span.to >= start) edges.push(span.to + 1);
      edges.sort((a, b) => a - b);
      const segments: Segment[] = [];
      edges.forEach((from, i) => {
        const to = (i + 1 < edges.length ? edges[i + 1] : end + 1) - 1;
        if (to >= from) segments.push({ from, to, piece: from >= span.from && to <= span.to ? pieceOf(from) : -1 });
      });
      const inside = segments.filter((s) => s.piece >= 0);
      const longest = inside.reduce((a, s) => (s.to - s.from > a.to - a.from ? s : a), inside[0]);
      const insideMs = inside.reduce((a, s) => a + s.to - s.from + 1, 0);
      const derive = SLOT_MS - (longest.to - longest.from + 1) < insideMs;
      const counted: Counts = new Map();
      for (const s of segments) {
        if (derive ? s === longest : s.piece < 0) continue;
        for (const { value, n } of countSegment(s)) {
          if (s.piece >= 0) addCount(out[s.piece], value, n);
          addCount(counted, value, n);
        }
      }
      if (derive) for (const [value, n] of counts) addCount(out[longest.piece], value, n - (counted.get(value) ?? 0));
    }
    return out;
  }

  /** The parts of the span whose slots hold a record of the (rollupable) filter: consecutive such slots make one part. */
  private slotsWithMatches(f: Filter, span: Span): Span[] {
    const slots = this.statement(`SELECT DISTINCT slot FROM logs_rollup WHERE slot BETWEEN ? AND ?${f.labels} ORDER BY slot`)
      .pluck()
      .all(Math.floor(span.from / SLOT_MS), Math.floor(span.to / SLOT_MS), ...f.labelParams) as number[];
    const runs: Span[] = [];
    for (const slot of slots) {
      const last = runs[runs.length - 1];
      const start = Math.max(span.from, slot * SLOT_MS);
      const end = Math.min(span.to, slot * SLOT_MS + SLOT_MS - 1);
      if (last && last.to + 1 === start) last.to = end;
      else runs.push({ from: start, to: end });
    }
    return runs;
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

/** A filter the per-slot counts can answer: labels only. */
function rollupable(f: Filter): boolean {
  return f.traces === '' && f.include === undefined && f.exclude === undefined;
}

/** The FTS5 expression of what a filter looks up: its words and trace ids, less the excluded words; undefined when it looks nothing up. */
function ftsMatch(f: Filter): string | undefined {
  const find = [f.include, f.traceMatch].filter((e) => e !== undefined);
  if (find.length === 0) return undefined;
  const all = find.length === 1 ? find[0] : `(${find.join(') AND (')})`;
  return f.exclude === undefined ? all : `(${all}) NOT (${f.exclude})`;
}

function sum(counts: Counts): number {
  let n = 0;
  for (const c of counts.values()) n += c;
  return n;
}

/**
 * The group value as SQL over logs (`raw`) or logs_rollup (`rollup`, where a missing label is
 * ''): NULL without a group; the label when among the values asked for, else NULL; or the label
 * itself (NULL when missing) when every value is asked for.
 */
function groupSql(group: Group | undefined, table: 'raw' | 'rollup'): { sql: string; params: unknown[] } {
  if (!group) return { sql: 'NULL', params: [] };
  const column = table === 'raw' ? `logs.${COLUMNS[group.label]}` : COLUMNS[group.label];
  if (group.values) {
    const list = inList(column, group.values);
    return { sql: `CASE WHEN ${list.sql} THEN ${column} END`, params: list.params };
  }
  return { sql: table === 'raw' ? column : `NULLIF(${column}, '')`, params: [] };
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
