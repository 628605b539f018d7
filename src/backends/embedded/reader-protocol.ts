import type { WireError } from '../../core/threads.js';
import type { CountByOptions, HistogramOptions, LogQuery, LogSearchOptions, SampleOptions } from '../capabilities.js';

/**
 * The messages between WorkerLogSource (the server's thread) and reader-worker.ts. Queries,
 * answers and their Dates cross by structured clone; errors cross as data (core/threads.ts) and
 * are rebuilt on the server's side with the same code, message and hint.
 */

/** How the reader thread opens the store and signs cursors. */
export interface ReaderSettings {
  dataDir: string;
  name: string;
  cursorSecret: string;
}

export type ReaderCall =
  | { method: 'sample'; args: [LogQuery, SampleOptions] }
  | { method: 'histogram'; args: [LogQuery, HistogramOptions] }
  | { method: 'countBy'; args: [LogQuery, CountByOptions] }
  | { method: 'search'; args: [LogQuery, LogSearchOptions] };

/** A call, or `close`: close the store and end the thread. */
export type ReaderRequest = ({ id: number } & ReaderCall) | { close: true };

export type ReaderReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: WireError };
