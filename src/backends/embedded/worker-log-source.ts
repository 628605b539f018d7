import { randomBytes } from 'node:crypto';
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
  MessageCountOptions,
  MessageCounts,
  SampleOptions,
} from '../capabilities.js';
import { abortError } from './answers.js';
import { EMBEDDED_CAPABILITIES, EMBEDDED_DEFAULT_SCOPE } from './log-source.js';
import { threadEntry } from '../../core/threads.js';
import { JobThread } from '../../core/job-thread.js';
import type { ReaderCall, ReaderSettings } from './reader-protocol.js';

export interface WorkerLogSourceSettings {
  /** DATA_DIR: the reader thread opens its own read-only connection to the store there. */
  dataDir: string;
  /** The name tools select this source by (default `embedded`). */
  name?: string;
  /** CURSOR_SECRET, which signs search cursors. */
  cursorSecret?: string;
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
  private readonly thread: JobThread<ReaderCall, unknown>;

  constructor(settings: WorkerLogSourceSettings) {
    this.name = settings.name ?? 'embedded';
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

  sample(query: LogQuery, opts: SampleOptions, signal: AbortSignal): Promise<LogSample> {
    return this.thread.run({ method: 'sample', args: [query, opts] }, signal) as Promise<LogSample>;
  }

  histogram(query: LogQuery, opts: HistogramOptions, signal: AbortSignal): Promise<LogHistogram> {
    return this.thread.run({ method: 'histogram', args: [query, opts] }, signal) as Promise<LogHistogram>;
  }

  countBy(query: LogQuery, opts: CountByOptions, signal: AbortSignal): Promise<LogCounts> {
    return this.thread.run({ method: 'countBy', args: [query, opts] }, signal) as Promise<LogCounts>;
  }

  search(query: LogQuery, opts: LogSearchOptions, signal: AbortSignal): Promise<LogSearchPage> {
    return this.thread.run({ method: 'search', args: [query, opts] }, signal) as Promise<LogSearchPage>;
  }

  messageCounts(query: LogQuery, opts: MessageCountOptions, signal: AbortSignal): Promise<MessageCounts> {
    return this.thread.run({ method: 'messageCounts', args: [query, opts] }, signal) as Promise<MessageCounts>;
  }

  /** Fails what is queued, closes the reader's connection and ends its thread (and any still ending). */
  close(): Promise<void> {
    return this.thread.close();
  }
}
