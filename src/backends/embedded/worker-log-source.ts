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
import { EMBEDDED_CAPABILITIES, EMBEDDED_DEFAULT_SCOPE } from './log-source.js';
import { ReaderThread, type ReaderThreadSettings } from './reader-thread.js';

/**
 * The embedded LogSource as the server uses it: EmbeddedLogSource running in the store's reader
 * thread (reader-thread.ts says why and how calls queue, time out and end). Given no thread, it
 * starts one of its own.
 */
export class WorkerLogSource implements LogSource {
  readonly kind = 'embedded' as const;
  readonly capabilities = EMBEDDED_CAPABILITIES;
  readonly defaultScope = EMBEDDED_DEFAULT_SCOPE;
  readonly name: string;
  private readonly thread: ReaderThread;

  constructor(from: ReaderThreadSettings | ReaderThread) {
    this.thread = from instanceof ReaderThread ? from : new ReaderThread(from);
    this.name = this.thread.name;
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
