import type { StoreSummary } from '../../store/log-store.js';
import type { ReaderThread } from './reader-thread.js';

/**
 * The embedded store as tools see it (STORE_READER): what it holds and what retention deleted,
 * read in the reader thread, never on the event loop. It can only read, in the process that
 * writes the store too: the store's writer is another thread's, reached through the store
 * service (service.ts), which tools are not given.
 */
export interface StoreView {
  /** Its datasets and retention report; an empty store's when there is no store yet. */
  summary(signal: AbortSignal): Promise<StoreSummary>;
  /**
   * The demo datasets the store held at the reader thread's last answer, without asking again:
   * a log tool reads first, then says whether demo data was among what it read.
   */
  demoDatasets(): readonly string[];
}

/** Frozen: there is nothing on it but the two reads, and nothing can be added. */
export function storeView(reader: ReaderThread): StoreView {
  return Object.freeze({
    summary: (signal: AbortSignal) => reader.run({ method: 'summary', args: [] }, signal) as Promise<StoreSummary>,
    demoDatasets: () => reader.demoDatasets(),
  });
}
