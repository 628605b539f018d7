import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { LogLabel } from '../backends/capabilities.js';
import type { Filter, StoreQuery } from './filter.js';
import { STORE_FILE, openLogStore, type BucketCount, type DatasetSummary, type LogPage, type LogStoreReader, type SearchPageOptions, type StoreInfo, type StoredLog } from './log-store.js';
import type { RetentionReport } from './retention.js';
import type { StoreMessageGroup } from './message-counts.js';

/**
 * DATA_DIR's store as the processes that do not write it see it (stdio servers, `telemcp call`,
 * `telemcp tools`): read-only beside the one writer (WAL lets any number read), and opened only
 * when something is read, so listing tools touches no file and a store that does not exist yet
 * reads as empty where emptiness is an answer (its datasets, its retention report).
 */
export class LazyStoreReader implements LogStoreReader {
  readonly readonly = true;
  readonly dataDir: string;
  readonly file: string;
  private reader?: LogStoreReader;

  constructor(dataDir: string) {
    this.dataDir = resolve(dataDir);
    this.file = join(this.dataDir, STORE_FILE);
  }

  private open(): LogStoreReader {
    return (this.reader ??= openLogStore({ dataDir: this.dataDir, readonly: true }));
  }

  private present(): boolean {
    return this.reader !== undefined || existsSync(this.file);
  }

  info(): StoreInfo {
    return this.open().info();
  }

  datasets(): DatasetSummary[] {
    return this.present() ? this.open().datasets() : [];
  }

  retention(): RetentionReport {
    return this.present() ? this.open().retention() : { deletedTotal: 0 };
  }

  filter(query: StoreQuery): Filter {
    return this.open().filter(query);
  }

  count(f: Filter): number {
    return this.open().count(f);
  }

  bucketCounts(f: Filter, start: number, bucketMs: number, by?: { label: LogLabel; values: string[] }): BucketCount[] {
    return this.open().bucketCounts(f, start, bucketMs, by);
  }

  topValues(f: Filter, label: LogLabel, limit: number): { value: string; count: number }[] {
    return this.open().topValues(f, label, limit);
  }

  newest(f: Filter, limit: number, window?: { from: number; to: number }): StoredLog[] {
    return this.open().newest(f, limit, window);
  }

  messageGroups(f: Filter, limit: number, keep: (g: StoreMessageGroup) => boolean): void {
    this.open().messageGroups(f, limit, keep);
  }

  searchPage(query: StoreQuery, opts: SearchPageOptions): LogPage {
    return this.open().searchPage(query, opts);
  }

  close(): void {
    this.reader?.close();
    this.reader = undefined;
  }
}
