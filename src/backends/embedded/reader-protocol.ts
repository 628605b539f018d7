import type { CountByOptions, HistogramOptions, LogQuery, LogSearchOptions, MessageCountOptions, SampleOptions } from '../capabilities.js';

/**
 * The jobs the server's thread sends reader-worker.ts through JobThread (reader-thread.ts):
 * the log source's calls, and the summary the store's read-only view gives (store-view.ts).
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
  | { method: 'messageCounts'; args: [LogQuery, MessageCountOptions] }
  | { method: 'summary'; args: [] };

/**
 * Every answer, with the demo datasets the store held when it was given: a log tool says when
 * it read demo data (tools/logs/common.ts) right after its read, without a second trip through
 * this thread (the datasets table is a handful of rows: reading it costs microseconds here).
 */
export interface ReaderAnswer {
  value: unknown;
  demoDatasets: string[];
}
