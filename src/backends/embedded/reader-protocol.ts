import type { CountByOptions, HistogramOptions, LogQuery, LogSearchOptions, MessageCountOptions, SampleOptions } from '../capabilities.js';

/**
 * The jobs WorkerLogSource (the server's thread) sends reader-worker.ts through JobThread.
 * Queries, answers and their Dates cross by structured clone; errors cross as data
 * (core/threads.ts) and are rebuilt on the server's side with the same code, message and hint.
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
  | { method: 'search'; args: [LogQuery, LogSearchOptions] }
  | { method: 'messageCounts'; args: [LogQuery, MessageCountOptions] };
