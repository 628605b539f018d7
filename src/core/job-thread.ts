import { parentPort, Worker } from 'node:worker_threads';
import { TelemcpError } from './errors.js';
import { fromWireError, toWireError, type WireError } from './threads.js';

/**
 * A worker thread that runs one job at a time for the server's thread, so CPU-heavy work never
 * holds the event loop (`/healthz`, other calls). Jobs wait here in arrival order. A job cannot
 * be interrupted, so when its signal fires (the tool's deadline, a cancelled call) it fails at
 * once and its thread is terminated; the next job starts a fresh one. An idle thread is unref'd:
 * it never keeps the process alive.
 */

type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: WireError };

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
}

export class JobThread<Request, Result> {
  private worker?: Worker;
  private running?: Pending;
  private readonly waiting: Pending[] = [];
  private nextId = 1;

  constructor(private readonly opts: JobThreadOptions) {}

  run(request: Request, signal: AbortSignal): Promise<Result> {
    return new Promise<unknown>((resolve, reject) => {
      if (signal.aborted) return reject(this.abortError(signal));
      const job: Pending = { id: this.nextId++, request, signal, resolve, reject, onAbort: () => this.abort(job) };
      signal.addEventListener('abort', job.onAbort, { once: true });
      this.waiting.push(job);
      this.next();
    }) as Promise<Result>;
  }

  private next(): void {
    if (this.running) return;
    const job = this.waiting.shift();
    if (!job) return;
    this.running = job;
    const worker = (this.worker ??= this.start());
    // Held only while a job is in it, so an idle thread never keeps the process alive.
    worker.ref();
    worker.postMessage({ id: job.id, request: job.request });
  }

  private start(): Worker {
    const worker = new Worker(this.opts.entry.entry, { eval: this.opts.entry.evaluate });
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
      void this.worker.terminate();
      this.worker = undefined;
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
        job.reject(new TelemcpError('internal_error', `The ${this.opts.name} thread stopped unexpectedly.`, { hint: 'Retry; if it persists, check the server log.', cause })),
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

  /** The signal's reason when it is a TelemcpError (the tool's deadline), else a timeout. */
  private abortError(signal: AbortSignal): TelemcpError {
    const reason = signal.reason as unknown;
    if (reason instanceof TelemcpError) return reason;
    return new TelemcpError('backend_timeout', `The ${this.opts.name} did not finish before the deadline.`, { hint: 'Narrow the request (shorter time range, smaller sample) and retry.' });
  }
}

/** The thread side: answers each job the server's thread sends with `handle`'s result or error. */
export function serveJobs(handle: (request: never) => unknown): void {
  const port = parentPort;
  if (!port) throw new Error('serveJobs runs in a worker thread started by JobThread.');
  port.on('message', ({ id, request }: { id: number; request: never }) => {
    let reply: Reply;
    try {
      reply = { id, ok: true, value: handle(request) };
    } catch (err) {
      reply = { id, ok: false, error: toWireError(err) };
    }
    port.postMessage(reply);
  });
}
