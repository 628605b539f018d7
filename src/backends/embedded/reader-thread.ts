import { randomBytes } from 'node:crypto';
import { TelemcpError } from '../../core/errors.js';
import { JobThread } from '../../core/job-thread.js';
import { threadEntry } from '../../core/threads.js';
import { abortError } from './answers.js';
import type { ReaderAnswer, ReaderCall, ReaderSettings } from './reader-protocol.js';

export interface ReaderThreadSettings {
  /** DATA_DIR: the thread opens its own read-only connection to the store there. */
  dataDir: string;
  /** The name tools select the log source by (default `embedded`). */
  name?: string;
  /** CURSOR_SECRET, which signs search cursors. */
  cursorSecret?: string;
  /**
   * Awaited before every call: in the process that writes the store, its writer is opened
   * first, so the file exists at this version before anything reads it.
   */
  ready?: () => Promise<unknown>;
}

/**
 * The embedded store's reader thread (reader-worker.ts), shared by the log source
 * (worker-log-source.ts) and the store's read-only view (store-view.ts): better-sqlite3 is
 * synchronous, and a heavy statement on the server's thread would hold /healthz, ingest and
 * every other call until it ends.
 *
 * One thread, one call in it at a time; the others wait in arrival order, as they waited for
 * the event loop before. That is enough to free the event loop, and it keeps a deadline from
 * taking other calls down with the thread it ends. A pool would let calls overlap, at the price
 * of cores the server's thread and the writer need too (two on the machine this was built on).
 *
 * A statement cannot be interrupted, so when a call's signal fires the call fails at once
 * (abortError, as the in-process source does) and its thread is terminated; the next call starts
 * a fresh one. A terminated thread ends when its current statement returns, and the addon
 * closes its connection then; close() waits for it (serve's forced exit bounds that wait).
 */
export class ReaderThread {
  readonly name: string;
  private readonly thread: JobThread<ReaderCall, ReaderAnswer>;
  private readonly ready?: () => Promise<unknown>;
  private demo: readonly string[] = [];

  constructor(settings: ReaderThreadSettings) {
    this.name = settings.name ?? 'embedded';
    this.ready = settings.ready;
    // Without CURSOR_SECRET each thread would sign with its own key, and a cursor would not outlive the thread that issued it.
    const cursorSecret = settings.cursorSecret ?? randomBytes(32).toString('base64url');
    this.thread = new JobThread({
      entry: threadEntry(import.meta.url, 'reader-worker'),
      name: 'embedded store reader',
      workerData: { dataDir: settings.dataDir, name: this.name, cursorSecret } satisfies ReaderSettings,
      abortError,
      lostError: (cause) => new TelemcpError('backend_unavailable', 'The embedded store reader stopped unexpectedly.', { hint: 'Retry; if it persists, check the server log.', cause }),
      closedError: () => new TelemcpError('backend_unavailable', 'The embedded store is closed.', { hint: 'The server is shutting down; retry against a running one.' }),
    });
  }

  async run(call: ReaderCall, signal: AbortSignal): Promise<unknown> {
    if (this.ready) await this.ready();
    const answer = await this.thread.run(call, signal);
    this.demo = answer.demoDatasets;
    return answer.value;
  }

  /** The demo datasets the store held at the last answer (none before the first). */
  demoDatasets(): readonly string[] {
    return this.demo;
  }

  /** Fails what is queued, closes the reader's connection and ends its thread (and any still ending). */
  close(): Promise<void> {
    return this.thread.close();
  }
}
