import { TIME_INFERRED_ATTR } from '../ingest/bounds.js';
import type { IngestRecord } from '../ingest/record.js';
import { MAX_BATCH, type LogStore } from '../store/log-store.js';
import type { FileStats } from './ingest-report.js';

/**
 * Records of one input on their way into the store, in batches: a batch is one transaction,
 * committed and synced when write() returns, so whatever a kill -9 interrupts, the store holds
 * a prefix of the input's records and nothing half-written. A batch goes when it is full, and
 * at least every second, so a slow stream (`tail -f app.log | telemcp ingest -`) is committed as
 * it comes rather than when it ends.
 */

/** The store's largest batch: every commit waits for its sync (a few ms here), so fewer, larger ones go faster. */
export const BATCH_RECORDS = MAX_BATCH;
export const FLUSH_INTERVAL_MS = 1000;

export interface WriteFailure {
  error: unknown;
  /** The line the first record of the failed batch started on: nothing from it on is stored. */
  fromLine: number;
}

export class BatchWriter {
  private records: IngestRecord[] = [];
  private lines: number[] = [];
  private timer?: NodeJS.Timeout;
  /** Set by the first batch the store refuses; later records are dropped, the run stops. */
  failure?: WriteFailure;

  constructor(
    private readonly store: Pick<LogStore, 'write'>,
    private readonly stats: FileStats,
    /** Called once when a write fails, to stop reading the input. */
    private readonly onFailure: () => void,
    private readonly batchRecords = BATCH_RECORDS,
  ) {}

  /** A record and the line it started on. */
  add(record: IngestRecord, line: number): void {
    if (this.failure) return;
    this.records.push(record);
    this.lines.push(line);
    if (this.records.length >= this.batchRecords) this.flush();
  }

  /** Commits what is pending; false when the store refused it (see failure). Never throws: it also runs from the timer. */
  flush(): boolean {
    if (this.failure) return false;
    if (this.records.length === 0) return true;
    const records = this.records;
    const lines = this.lines;
    this.records = [];
    this.lines = [];
    let result: ReturnType<LogStore['write']>;
    try {
      result = this.store.write(records);
    } catch (error) {
      this.failure = { error, fromLine: lines[0] };
      this.onFailure();
      return false;
    }
    this.stats.truncated += result.truncated;
    const refused = new Set<number>();
    for (const r of result.rejected) {
      refused.add(r.index);
      this.stats.addRejected(lines[r.index], r.reason);
    }
    records.forEach((r, i) => {
      if (!refused.has(i)) this.stats.addStored(r.ts, r.service, r.attrs?.[TIME_INFERRED_ATTR] !== undefined);
    });
    return true;
  }

  /**
   * Starts committing at least every FLUSH_INTERVAL_MS; the event loop runs it between chunks of
   * input. `beforeTick` lets the producer hand over records it is still holding back.
   */
  start(beforeTick?: () => void): void {
    this.timer = setInterval(() => {
      beforeTick?.();
      this.flush();
    }, FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
