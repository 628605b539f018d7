import { parentPort, Worker } from 'node:worker_threads';
import { TelemcpError } from './errors.js';
import { fromWireError, toWireError, type WireError } from './threads.js';

/**
 * A worker thread that runs one job at a time for the server's thread, so CPU-heavy or
 * synchronous work (mining, the embedded store's SQLite reads) never holds the event loop
 * (`/healthz`, other calls). Jobs wait here in arrival order. A job cannot be interrupted, so
 * when its signal fires (the tool's deadline, a cancelled call) it fails at once and its thread is
 * terminated; the next job starts a fresh one. An idle thread is unref'd: it never keeps the
 * process alive.
 */

type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: WireError };
/** What the server's thread sends: a job, or `close` (the thread cleans up and ends). */
type Message = { id: number; request: unknown } | { close: true };

interface Pending {
  id: number;
  request: unknown;
  signal: AbortSignal;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
  onAbort: () => void;
}

export interface JobThreadOptions {
  /** The thread module, as threadEntry (threads.ts) gives it; the module calls serveJobs. */
  entry: { entry: string | URL; evaluate: boolean };
  /** What the work is, for the errors: "analysis". */
  name: string;
  /** Given to the thread as its workerData. */
  workerData?: unknown;
  /** What a job fails with when its signal fires; default: the signal's TelemcpError reason, else backend_timeout. */
  abortError?: (signal: AbortSignal) => TelemcpError;
  /** What a job fails with when its thread dies on its own; default internal_error. */
  lostError?: (cause: unknown) => TelemcpError;
  /** What a job fails with once the thread is closed; default backend_unavailable. */
  closedError?: () => TelemcpError;
}

export class JobThread<Request, Result> {
  private worker?: Worker;
  private running?: Pending;
  private readonly waiting: Pending[] = [];
  /** Threads terminated mid-job that have not ended yet: close waits for them. */
  private readonly ending = new Set<Promise<number>>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly opts: JobThreadOptions) {}

  run(request: Request, signal: AbortSignal): Promise<Result> {
    return new Promise<unknown>((resolve, reject) => {
      if (this.closed) return reject(this.closedError());
      if (signal.aborted) return reject(this.abortError(signal));
      const job: Pending = { id: this.nextId++, request, signal, resolve, reject, onAbort: () => this.abort(job) };
      signal.addEventListener('abort', job.onAbort, { once: true });
      this.waiting.push(job);
      this.next();
    }) as Promise<Result>;
  }

  /** Fails what is queued, lets the thread clean up and end (or ends a busy one), and waits for every thread started. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const busy = this.running !== undefined;
    for (const job of [...this.waiting, ...(this.running ? [this.running] : [])]) this.settle(job, () => job.reject(this.closedError()));
    const worker = this.worker;
    this.worker = undefined;
    if (worker && busy) {
      // A clean close would wait behind the running job: end the thread instead.
      await worker.terminate();
    } else if (worker) {
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.ref();
      worker.postMessage({ close: true } satisfies Message);
      await exited;
    }
    await Promise.all(this.ending);
  }

  private next(): void {
    if (this.running || this.closed) return;
    const job = this.waiting.shift();
    if (!job) return;
    this.running = job;
    const worker = (this.worker ??= this.start());
    // Held only while a job is in it, so an idle thread never keeps the process alive.
    worker.ref();
    worker.postMessage({ id: job.id, request: job.request } satisfies Message);
  }

  private start(): Worker {
    const worker = new Worker(this.opts.entry.entry, { eval: this.opts.entry.evaluate, workerData: this.opts.workerData });
    worker.unref();
    worker.on('message', (reply: Reply) => {
      const job = this.running;
      if (worker !== this.worker || !job || reply.id !== job.id) return;
      this.settle(job, () => (reply.ok ? job.resolve(reply.value) : job.reject(fromWireError(reply.error))));
    });
    worker.on('error', (err) => this.lost(worker, err));
    worker.on('exit', (code) => this.lost(worker, new Error(`${this.opts.name} thread exited with code ${code}`)));
    return worker;
  }

  private abort(job: Pending): void {
    if (job === this.running && this.worker) {
      const ended = this.worker.terminate();
      this.worker = undefined;
      this.ending.add(ended);
      void ended.finally(() => this.ending.delete(ended));
    }
    this.settle(job, () => job.reject(this.abortError(job.signal)));
  }

  /** The thread died on its own (it failed to load, or crashed): its job fails, the next one starts a fresh thread. */
  private lost(worker: Worker, cause: unknown): void {
    if (worker !== this.worker) return;
    this.worker = undefined;
    const job = this.running;
    if (job) {
      this.settle(job, () =>
        job.reject(
          this.opts.lostError?.(cause) ??
            new TelemcpError('internal_error', `The ${this.opts.name} thread stopped unexpectedly.`, { hint: 'Retry; if it persists, check the server log.', cause }),
        ),
      );
    }
  }

  private settle(job: Pending, outcome: () => void): void {
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

  private abortError(signal: AbortSignal): TelemcpError {
    if (this.opts.abortError) return this.opts.abortError(signal);
    const reason = signal.reason as unknown;
    if (reason instanceof TelemcpError) return reason;
    return new TelemcpError('backend_timeout', `The ${this.opts.name} did not finish before the deadline.`, { hint: 'Narrow the request (shorter time range, smaller sample) and retry.' });
  }

  private closedError(): TelemcpError {
    return this.opts.closedError?.() ?? new TelemcpError('backend_unavailable', `The ${this.opts.name} is closed.`, { hint: 'The server is shutting down; retry against a running one.' });
  }
}

/**
 * The thread side: answers each job the server's thread sends with `handle`'s result (awaited)
 * or error, one at a time as they come; on `close`, runs `onClose` and ends the thread.
 */
export function serveJobs(handle: (request: never) => unknown, onClose?: () => void): void {
  const port = parentPort;
  if (!port) throw new Error('serveJobs runs in a worker thread started by JobThread.');
  port.on('message', (message: Message) => {
    if ('close' in message) {
      onClose?.();
      port.close();
      return;
    }
    const { id, request } = message;
    void (async (): Promise<Reply> => {
      try {
        return { id, ok: true, value: await handle(request as never) };
      } catch (err) {
        return { id, ok: false, error: toWireError(err) };
      }
    })().then((reply) => port.postMessage(reply));
  });
}
