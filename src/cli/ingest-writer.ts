import { Worker } from 'node:worker_threads';
import { fromWireError, threadEntry, type WireError } from '../core/threads.js';
import type { IngestRecord } from '../ingest/record.js';
import type { DatasetSummary, WriteResult } from '../store/log-store.js';

/**
 * The store in a writer thread (ingest-writer-thread.ts), so `telemcp ingest` reads and parses
 * the next batch while the last one is committed: on an ECS file the two are about equal halves
 * of the work (bench/embedded). The thread opens the store, so it holds the DATA_DIR lock; this
 * side only sends batches and reads answers.
 */

export type WriterRequest = { id: number; records: IngestRecord[] } | { id: number; datasets: true } | { close: true };

export type WriterReply =
  | { ready: true }
  | { ready: false; error: WireError }
  | { id: number; ok: true; result: WriteResult }
  | { id: number; ok: true; datasets: DatasetSummary[] }
  | { id: number; ok: false; error: WireError }
  /** Not written: an earlier batch failed. */
  | { id: number; ok: false; skipped: true };

/** A batch the writer refused unwritten because an earlier one failed. */
export class SkippedBatch extends Error {
  constructor() {
    super('not written: an earlier batch failed');
  }
}

interface Pending {
  resolve: (value: never) => void;
  reject: (err: unknown) => void;
}

export class StoreWriter {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private lost?: Error;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (reply: WriterReply) => {
      if ('ready' in reply) return;
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (reply.ok) p.resolve(('result' in reply ? reply.result : reply.datasets) as never);
      else p.reject('skipped' in reply ? new SkippedBatch() : fromWireError(reply.error));
    });
    const fail = (err: Error) => {
      this.lost = err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the writer thread exited with code ${code}`)));
  }

  /** Starts the thread and opens the store there; throws what opening threw (a held lock, a corrupt file). */
  static async open(dataDir: string): Promise<StoreWriter> {
    const { entry, evaluate } = threadEntry(import.meta.url, 'ingest-writer-thread');
    const worker = new Worker(entry, { eval: evaluate, workerData: { dataDir } });
    const first = await new Promise<WriterReply>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    if ('ready' in first && first.ready) return new StoreWriter(worker);
    await worker.terminate();
    throw 'error' in first ? fromWireError(first.error) : new Error('the writer thread did not start');
  }

  /** Commits a batch (durable when this resolves); rejects with SkippedBatch after an earlier failure. */
  write(records: IngestRecord[]): Promise<WriteResult> {
    return this.ask({ records });
  }

  datasets(): Promise<DatasetSummary[]> {
    return this.ask({ datasets: true });
  }

  /** Closes the store (releasing the lock) and ends the thread. */
  async close(): Promise<void> {
    if (this.lost) return;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.postMessage({ close: true } satisfies WriterRequest);
    await exited;
  }

  private ask<T>(request: { records: IngestRecord[] } | { datasets: true }): Promise<T> {
    if (this.lost) return Promise.reject(this.lost);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: never) => void, reject });
      this.worker.postMessage({ id, ...request } as WriterRequest);
    });
  }
}
