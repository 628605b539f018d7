import { existsSync, mkdirSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { TelemcpError } from '../core/errors.js';
import type { LogLabel } from '../core/log-labels.js';
import type { IngestRecord } from '../ingest/record.js';
import { StoreConnection } from './connection.js';
import type { Filter, StoreQuery } from './filter.js';
import { readDatasets, readInfo, type DatasetSummary, type StoreInfo } from './info.js';
import type { StoreMessageGroup } from './message-counts.js';
import { StoreQueries, type BucketCount, type LogPage, type SearchPageOptions, type StoredLog } from './queries.js';
import { Pruner, type PruneResult, type RetentionReport } from './retention.js';
import { RecordWriter, type WriteResult } from './write.js';

export { STORE_FILE } from './connection.js';
export type { Filter, StoreQuery } from './filter.js';
export type { DatasetSummary, StoreInfo, StoreSummary } from './info.js';
export type { BucketCount, LogPage, PageKey, SearchPageOptions, StoredLog } from './queries.js';
export type { PruneResult } from './retention.js';
export { MAX_BATCH, type WriteResult } from './write.js';

/**
 * The embedded log store: DATA_DIR/logs.db, SQLite through better-sqlite3, used when no log
 * backend is configured. One process writes (store.lock), in the store's writer thread
 * (writer.ts); readers open it read-only beside it. Calls are synchronous, which is why the
 * server only makes them in threads of their own. This file is the store's API; the work is
 * done by job: connection.ts (open, schema, lock), write.ts, queries.ts, retention.ts, info.ts.
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

export interface LogStore extends LogStoreReader {
  /** Commits the batch in one transaction and returns once it is durable; bad records are reported, not fatal. */
  write(records: readonly IngestRecord[]): WriteResult;
  /** Every batch in one transaction: all of them are stored, or (on any failure) none. */
  writeAll(batches: ReadonlyArray<readonly IngestRecord[]>): WriteResult[];
  /** Deletes records stored before `storedBefore` (epoch ms), `chunkRows` per transaction, yielding between chunks. */
  prune(storedBefore: number, chunkRows?: number): Promise<PruneResult>;
}

/** Within a thread, every opener of a DATA_DIR shares one connection (the lock is per process, lock.ts). */
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
  const now = opts.now ?? Date.now;
  const store = new SqliteLogStore(new StoreConnection(dataDir, readonly, { maxBytes: opts.maxBytes, now: now() }), now);
  open.set(dataDir, store);
  return store;
}

class SqliteLogStore implements LogStore {
  refs = 1;
  private readonly queries: StoreQueries;
  private readonly writer: RecordWriter;
  private readonly pruner: Pruner;

  constructor(
    private readonly conn: StoreConnection,
    now: () => number,
  ) {
    this.queries = new StoreQueries(conn);
    this.writer = new RecordWriter(conn, now);
    this.pruner = new Pruner(conn, now);
  }

  get dataDir(): string {
    return this.conn.dataDir;
  }

  get file(): string {
    return this.conn.file;
  }

  get readonly(): boolean {
    return this.conn.readonly;
  }

  write(records: readonly IngestRecord[]): WriteResult {
    this.checkWritable();
    return this.writer.write(records);
  }

  writeAll(batches: ReadonlyArray<readonly IngestRecord[]>): WriteResult[] {
    this.checkWritable();
    return this.writer.writeAll(batches);
  }

  prune(storedBefore: number, chunkRows?: number): Promise<PruneResult> {
    this.checkWritable();
    return this.pruner.prune(storedBefore, chunkRows);
  }

  retention(): RetentionReport {
    return this.pruner.report();
  }

  info(): StoreInfo {
    return readInfo(this.conn);
  }

  datasets(): DatasetSummary[] {
    return readDatasets(this.conn);
  }

  filter(query: StoreQuery): Filter {
    return this.queries.filter(query);
  }

  count(f: Filter): number {
    return this.queries.count(f);
  }

  bucketCounts(f: Filter, start: number, bucketMs: number, by?: { label: LogLabel; values: string[] }): BucketCount[] {
    return this.queries.bucketCounts(f, start, bucketMs, by);
  }

  topValues(f: Filter, label: LogLabel, limit: number): { value: string; count: number }[] {
    return this.queries.topValues(f, label, limit);
  }

  newest(f: Filter, limit: number, window?: { from: number; to: number }): StoredLog[] {
    return this.queries.newest(f, limit, window);
  }

  messageGroups(f: Filter, limit: number, keep: (g: StoreMessageGroup) => boolean): void {
    this.queries.messageGroups(f, limit, keep);
  }

  searchPage(query: StoreQuery, opts: SearchPageOptions): LogPage {
    return this.queries.searchPage(query, opts);
  }

  close(): void {
    if (this.conn.closed || --this.refs > 0) return;
    if (open.get(this.dataDir) === this) open.delete(this.dataDir);
    this.conn.close();
  }

  private checkWritable(): void {
    if (this.readonly) throw new TelemcpError('internal_error', 'The embedded store was opened read-only.');
  }
}
