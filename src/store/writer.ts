import { mkdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { fromWireError, threadEntry, type WireError } from '../core/threads.js';
import type { IngestRecord } from '../ingest/record.js';
import { STORE_FILE } from './connection.js';
import { storeError } from './errors.js';
import type { StoreSummary } from './info.js';
import type { PruneResult } from './retention.js';
import type { WriteResult } from './write.js';

/**
 * The store's one writer: a thread of its own (writer-thread.ts) that opens the store, and so
 * holds the DATA_DIR lock, and commits what it is sent in the order it comes, each batch durable
 * before its answer. Every write goes through it: `telemcp ingest`, HTTP ingest, the demo load,
 * retention. better-sqlite3 is synchronous, and a commit waits for its sync: in the server's
 * thread a large batch would hold /healthz and every call; `telemcp ingest` reads and parses the
 * next batch while the last one commits (on an ECS file the two are about equal halves of the
 * work, bench/embedded). This side only sends requests and reads answers.
 */

export type WriterRequest =
  | { id: number; op: 'write'; records: IngestRecord[]; chain?: number }
  | { id: number; op: 'writeAll'; batches: IngestRecord[][] }
  | { id: number; op: 'prune'; storedBefore: number }
  | { id: number; op: 'summary' }
  | { close: true };

export type WriterReply =
  | { ready: true }
  | { ready: false; error: WireError }
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: WireError }
  /** Not written: an earlier batch of its chain failed. */
  | { id: number; ok: false; skipped: true };

/** What the thread is started with. */
export interface WriterSettings {
  dataDir: string;
  /** The largest logs.db may grow to (tests of a full disk). */
  maxBytes?: number;
}

/** A batch the writer refused unwritten because an earlier one of its chain failed. */
export class SkippedBatch extends Error {
  constructor() {
    super('not written: an earlier batch failed');
  }
}

/**
 * Writes that keep a prefix: once a batch fails, the ones sent after it (already on their way,
 * since a chain does not wait for answers) are refused unwritten, so the store holds the input
 * up to the failure and nothing after it, as `telemcp ingest` reports.
 */
export interface WriteChain {
  write(records: IngestRecord[]): Promise<WriteResult>;
}

interface Pending {
  resolve: (value: never) => void;
  reject: (err: unknown) => void;
}

type Ask = { op: 'write'; records: IngestRecord[]; chain?: number } | { op: 'writeAll'; batches: IngestRecord[][] } | { op: 'prune'; storedBefore: number } | { op: 'summary' };

/**
 * This process's writers by DATA_DIR: one thread per store, shared by whoever opens it. A second
 * thread would find the lock naming this very process and take it for stale (lock.ts).
 */
const writers = new Map<string, StoreWriter>();
const starting = new Map<string, Promise<StoreWriter>>();

export class StoreWriter {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private nextChain = 1;
  private refs = 0;
  private lost?: Error;

  private constructor(
    private readonly worker: Worker,
    private readonly key: string,
  ) {
    worker.on('message', (reply: WriterReply) => {
      if ('ready' in reply) return;
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (reply.ok) p.resolve(reply.value as never);
      else p.reject('skipped' in reply ? new SkippedBatch() : fromWireError(reply.error));
    });
    const fail = (err: Error) => {
      this.lost ??= err;
      if (writers.get(key) === this) writers.delete(key);
      for (const p of this.pending.values()) p.reject(this.lost);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the store's writer thread exited with code ${code}`)));
  }

  /**
   * The writer of the store in dataDir: its thread started and the store opened there, or the
   * one this process already has. Throws what opening threw (a held lock, a corrupt file).
   */
  static async open(dataDir: string, opts: Omit<WriterSettings, 'dataDir'> = {}): Promise<StoreWriter> {
    let key: string;
    try {
      mkdirSync(dataDir, { recursive: true });
      key = realpathSync(dataDir);
    } catch (err) {
      throw storeError(err, join(dataDir, STORE_FILE));
    }
    let writer = writers.get(key);
    if (!writer) {
      let opening = starting.get(key);
      if (!opening) {
        opening = StoreWriter.start({ dataDir: key, ...opts }, key);
        starting.set(key, opening);
        void opening.then(
          (started) => writers.set(key, started),
          () => undefined,
        ).finally(() => starting.delete(key));
      }
      writer = await opening;
    }
    writer.refs++;
    return writer;
  }

  private static async start(settings: WriterSettings, key: string): Promise<StoreWriter> {
    const { entry, evaluate } = threadEntry(import.meta.url, 'writer-thread');
    const worker = new Worker(entry, { eval: evaluate, workerData: settings });
    const first = await new Promise<WriterReply>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    if ('ready' in first && first.ready) return new StoreWriter(worker, key);
    await worker.terminate();
    throw 'error' in first ? fromWireError(first.error) : new Error("the store's writer thread did not start");
  }

  /** False once the thread has died: the next open starts a new one. */
  get alive(): boolean {
    return this.lost === undefined;
  }

  /** Commits a batch of at most MAX_BATCH records (durable when this resolves); refused records are reported, not fatal. */
  write(records: IngestRecord[]): Promise<WriteResult> {
    return this.ask({ op: 'write', records });
  }

  chain(): WriteChain {
    const chain = this.nextChain++;
    return { write: (records) => this.ask({ op: 'write', records, chain }) };
  }

  /** Every batch in one transaction: all of them are stored, or (on any failure) none. */
  writeAll(batches: IngestRecord[][]): Promise<WriteResult[]> {
    return this.ask({ op: 'writeAll', batches });
  }

  /** Deletes records stored before `storedBefore` (epoch ms) in chunks, writes going on in between (retention.ts). */
  prune(storedBefore: number): Promise<PruneResult> {
    return this.ask({ op: 'prune', storedBefore });
  }

  summary(): Promise<StoreSummary> {
    return this.ask({ op: 'summary' });
  }

  /** The last close of this process's openers closes the store (releasing the lock) and ends the thread. */
  async close(): Promise<void> {
    if (--this.refs > 0 || this.lost) return;
    if (writers.get(this.key) === this) writers.delete(this.key);
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.postMessage({ close: true } satisfies WriterRequest);
    await exited;
  }

  private ask<T>(request: Ask): Promise<T> {
    if (this.lost) return Promise.reject(this.lost);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: never) => void, reject });
      this.worker.postMessage({ id, ...request } satisfies WriterRequest);
    });
  }
}
