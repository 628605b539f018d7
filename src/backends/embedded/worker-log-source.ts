import { randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { TelemcpError } from '../../core/errors.js';
import type {
  CountByOptions,
  HistogramOptions,
  LogCounts,
  LogHistogram,
  LogQuery,
  LogSample,
  LogSearchOptions,
  LogSearchPage,
  LogSource,
  SampleOptions,
} from '../capabilities.js';
import { abortError } from './answers.js';
import { EMBEDDED_CAPABILITIES, EMBEDDED_DEFAULT_SCOPE } from './log-source.js';
import { fromWireError, threadEntry } from '../../core/threads.js';
import type { ReaderCall, ReaderReply, ReaderRequest, ReaderSettings } from './reader-protocol.js';

export interface WorkerLogSourceSettings {
  /** DATA_DIR: the reader thread opens its own read-only connection to the store there. */
  dataDir: string;
  /** The name tools select this source by (default `embedded`). */
  name?: string;
  /** CURSOR_SECRET, which signs search cursors. */
  cursorSecret?: string;
}

interface Job {
  id: number;
  call: ReaderCall;
  signal: AbortSignal;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
  onAbort: () => void;
}

/**
 * The embedded LogSource as the server uses it: EmbeddedLogSource running in a reader thread
 * (reader-worker.ts), because better-sqlite3 is synchronous and a heavy statement on the
 * server's thread would hold /healthz, ingest and every other call until it ends.
 *
 * One thread, one call in it at a time; the others wait here in arrival order, as they waited
 * for the event loop before. That is enough to free the event loop, and it keeps a deadline from
 * taking other calls down with the thread it ends. A pool would let calls overlap, at the price
 * of cores the server's thread and the writer need too (two on the machine this was built on).
 *
 * A statement cannot be interrupted, so when a call's signal fires the call fails at once
 * (abortError, as the in-process source does) and its thread is terminated; the next call starts
 * a fresh one. A terminated thread ends when its current statement returns, and the addon
 * closes its connection then; close() waits for it (serve's forced exit bounds that wait).
 */
export class WorkerLogSource implements LogSource {
  readonly kind = 'embedded' as const;
  readonly capabilities = EMBEDDED_CAPABILITIES;
  readonly defaultScope = EMBEDDED_DEFAULT_SCOPE;
  readonly name: string;
  private readonly settings: ReaderSettings;
  private worker?: Worker;
  private running?: Job;
  private readonly waiting: Job[] = [];
  /** Threads terminated mid-call that have not ended yet: close waits for them. */
  private readonly ending = new Set<Promise<number>>();
  private nextId = 1;
  private closed = false;

  constructor(settings: WorkerLogSourceSettings) {
    this.name = settings.name ?? 'embedded';
    // Without CURSOR_SECRET each thread would sign with its own key, and a cursor would not outlive the thread that issued it.
    const cursorSecret = settings.cursorSecret ?? randomBytes(32).toString('base64url');
    this.settings = { dataDir: settings.dataDir, name: this.name, cursorSecret };
  }

  sample(query: LogQuery, opts: SampleOptions, signal: AbortSignal): Promise<LogSample> {
    return this.call({ method: 'sample', args: [query, opts] }, signal) as Promise<LogSample>;
  }

  histogram(query: LogQuery, opts: HistogramOptions, signal: AbortSignal): Promise<LogHistogram> {
    return this.call({ method: 'histogram', args: [query, opts] }, signal) as Promise<LogHistogram>;
  }

  countBy(query: LogQuery, opts: CountByOptions, signal: AbortSignal): Promise<LogCounts> {
    return this.call({ method: 'countBy', args: [query, opts] }, signal) as Promise<LogCounts>;
  }

  search(query: LogQuery, opts: LogSearchOptions, signal: AbortSignal): Promise<LogSearchPage> {
    return this.call({ method: 'search', args: [query, opts] }, signal) as Promise<LogSearchPage>;
  }

  /** Fails what is queued, closes the reader's connection and ends its thread (and any still ending). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const busy = this.running !== undefined;
    for (const job of [...this.waiting, ...(this.running ? [this.running] : [])]) this.settle(job, () => job.reject(closedError()));
    const worker = this.worker;
    this.worker = undefined;
    if (worker && busy) {
      // `close` would wait behind the running statement: end the thread instead.
      await worker.terminate();
    } else if (worker) {
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.ref();
      worker.postMessage({ close: true } satisfies ReaderRequest);
      await exited;
    }
    await Promise.all(this.ending);
  }

  private call(call: ReaderCall, signal: AbortSignal): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(closedError());
      if (signal.aborted) return reject(abortError(signal));
      const job: Job = { id: this.nextId++, call, signal, resolve, reject, onAbort: () => this.abort(job) };
      signal.addEventListener('abort', job.onAbort, { once: true });
      this.waiting.push(job);
      this.next();
    });
  }

  private next(): void {
    if (this.running || this.closed) return;
    const job = this.waiting.shift();
    if (!job) return;
    this.running = job;
    const worker = (this.worker ??= this.start());
    // Held only while a call is in it, so an idle reader never keeps the process alive.
    worker.ref();
    worker.postMessage({ id: job.id, ...job.call } satisfies ReaderRequest);
  }

  private start(): Worker {
    const { entry, evaluate } = threadEntry(import.meta.url, 'reader-worker');
    const worker = new Worker(entry, { eval: evaluate, workerData: this.settings });
    worker.unref();
    worker.on('message', (reply: ReaderReply) => {
      const job = this.running;
      if (worker !== this.worker || !job || reply.id !== job.id) return;
      this.settle(job, () => (reply.ok ? job.resolve(reply.value) : job.reject(fromWireError(reply.error))));
    });
    worker.on('error', (err) => this.lost(worker, err));
    worker.on('exit', (code) => this.lost(worker, new Error(`reader thread exited with code ${code}`)));
    return worker;
  }

  private abort(job: Job): void {
    if (job === this.running && this.worker) {
      const worker = this.worker;
      this.worker = undefined;
      const ended = worker.terminate();
      this.ending.add(ended);
      void ended.finally(() => this.ending.delete(ended));
    }
    this.settle(job, () => job.reject(abortError(job.signal)));
  }

  /** The thread died on its own (it failed to load, or crashed): its call fails, the next one starts a fresh thread. */
  private lost(worker: Worker, cause: unknown): void {
    if (worker !== this.worker) return;
    this.worker = undefined;
    const job = this.running;
    if (job) {
      this.settle(job, () =>
        job.reject(new TelemcpError('backend_unavailable', 'The embedded store reader stopped unexpectedly.', { hint: 'Retry; if it persists, check the server log.', cause })),
      );
    }
  }

  private settle(job: Job, outcome: () => void): void {
    job.signal.removeEventListener('abort', job.onAbort);
    if (job === this.running) {
      this.running = undefined;
      this.worker?.unref();
    } else {
      const i = this.waiting.indexOf(job);
      if (i >= 0) this.waiting.splice(i, 1);
    }
    outcome();
    this.next();
  }
}

function closedError(): TelemcpError {
  return new TelemcpError('backend_unavailable', 'The embedded store is closed.', { hint: 'The server is shutting down; retry against a running one.' });
}
