import { TIME_INFERRED_ATTR } from '../ingest/bounds.js';
import type { IngestRecord } from '../ingest/record.js';
import { MAX_BATCH, type WriteResult } from '../store/log-store.js';
import { SkippedBatch } from '../store/writer.js';
import type { FileStats } from './ingest-report.js';

/**
 * Records of one input on their way into the store, in batches: a batch is one transaction,
 * committed and synced before the writer answers it, so whatever a kill -9 interrupts, the store
 * holds a prefix of the input's records and nothing half-written. A batch goes when it is full,
 * and at least every second, so a slow stream (`tail -f app.log | telemcp ingest -`) is committed
 * as it comes rather than when it ends. Up to MAX_IN_FLIGHT batches are being written while the
 * next is read (the writer is a thread of its own: store/writer.ts); past that, the reader waits.
 */

/** The store's largest batch: every commit waits for its sync (a few ms here), so fewer, larger ones go faster. */
export const BATCH_RECORDS = MAX_BATCH;
export const FLUSH_INTERVAL_MS = 1000;
/** Batches sent and not yet answered, at most: enough to keep the writer busy, and memory bounded. */
export const MAX_IN_FLIGHT = 2;

export interface WriteFailure {
  error: unknown;
  /** The line the first record of the failed batch started on: nothing from it on is stored. */
  fromLine: number;
}

/** Where batches go: a chain of the store's writer thread (store/writer.ts), or (in tests) a store called in place. */
export interface BatchSink {
  write(records: IngestRecord[]): WriteResult | Promise<WriteResult>;
}

export class BatchWriter {
  private records: IngestRecord[] = [];
  private lines: number[] = [];
  private timer?: NodeJS.Timeout;
  private readonly inFlight: Promise<void>[] = [];
  /** Set by the first batch the store refuses; later records are dropped, the run stops. */
  failure?: WriteFailure;

  constructor(
    private readonly sink: BatchSink,
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
    if (this.records.length >= this.batchRecords) void this.flush();
  }

  /**
   * Sends what is pending; resolves once that batch is answered, false when it was not stored
   * (see failure). Never rejects: it also runs from the timer.
   */
  flush(): Promise<boolean> {
    if (this.failure) return Promise.resolve(false);
    if (this.records.length === 0) return Promise.resolve(true);
    const records = this.records;
    const lines = this.lines;
    this.records = [];
    this.lines = [];
    let written: Promise<WriteResult>;
    try {
      written = Promise.resolve(this.sink.write(records));
    } catch (error) {
      // A sink that fails in place (a store called in this thread) stops the records after it at once.
      return Promise.resolve(this.fail(error, lines[0]));
    }
    const done = written.then(
      (result) => this.tally(records, lines, result),
      (error: unknown) => this.fail(error, lines[0]),
    );
    this.inFlight.push(done.then(() => undefined));
    void done.finally(() => this.inFlight.shift());
    return done;
  }

  /** When MAX_IN_FLIGHT batches are being written: the oldest one's answer, for the reader to wait for. */
  backpressure(): Promise<void> | undefined {
    return this.inFlight.length >= MAX_IN_FLIGHT ? this.inFlight[0] : undefined;
  }

  /** Every batch sent so far answered (what is still pending is not sent). */
  async settled(): Promise<void> {
    while (this.inFlight.length) await this.inFlight[this.inFlight.length - 1];
  }

  /**
   * Starts committing at least every FLUSH_INTERVAL_MS; the event loop runs it between chunks of
   * input. `beforeTick` lets the producer hand over records it is still holding back.
   */
  start(beforeTick?: () => void): void {
    this.timer = setInterval(() => {
      beforeTick?.();
      void this.flush();
    }, FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private tally(records: IngestRecord[], lines: number[], result: WriteResult): boolean {
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

  /** The first failure is the one reported; batches the writer then refused unwritten add nothing. */
  private fail(error: unknown, fromLine: number): boolean {
    if (this.failure || error instanceof SkippedBatch) return false;
    this.failure = { error, fromLine };
    this.records = [];
    this.lines = [];
    this.onFailure();
    return false;
  }
}
