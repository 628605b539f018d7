import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { workerData } from 'node:worker_threads';
import { isDemoDataset } from '../../store/demo.js';
import { STORE_FILE, openLogStore, type LogStoreReader, type StoreSummary } from '../../store/log-store.js';
import { EmbeddedLogSource } from './log-source.js';
import { serveJobs } from '../../core/job-thread.js';
import type { ReaderAnswer, ReaderCall, ReaderSettings } from './reader-protocol.js';

/**
 * The reader thread of the embedded store (reader-thread.ts): EmbeddedLogSource and the store's
 * summary over this thread's own read-only connection (WAL lets it read beside the writer), one
 * call at a time (JobThread). Deadlines are the server thread's business (it ends this thread),
 * so calls here run under a signal that never fires.
 */

const settings = workerData as ReaderSettings;
const file = join(settings.dataDir, STORE_FILE);
const unbounded = new AbortController().signal;
let store: LogStoreReader | undefined;
let source: EmbeddedLogSource | undefined;

serveJobs(
  async (call: ReaderCall): Promise<ReaderAnswer> => {
    // A store that does not exist yet holds nothing, which is an answer for its summary (telemcp_status, `telemcp call` on a fresh DATA_DIR).
    if (call.method === 'summary' && !store && !existsSync(file)) return { value: { datasets: [], retention: { deletedTotal: 0 } } satisfies StoreSummary, demoDatasets: [] };
    // Opened on the first call rather than at start, so a store that cannot be opened fails that call (and is retried by the next) instead of the thread.
    if (!store || !source) {
      store = openLogStore({ dataDir: settings.dataDir, readonly: true });
      source = new EmbeddedLogSource(store, { name: settings.name, cursorSecret: settings.cursorSecret });
    }
    const value = await run(store, source, call);
    return { value, demoDatasets: store.datasets().flatMap((d) => (isDemoDataset(d.name) ? [d.name] : [])) };
  },
  () => store?.close(),
);

function run(store: LogStoreReader, source: EmbeddedLogSource, call: ReaderCall): Promise<unknown> | StoreSummary {
  switch (call.method) {
    case 'sample':
      return source.sample(...call.args, unbounded);
    case 'histogram':
      return source.histogram(...call.args, unbounded);
    case 'countBy':
      return source.countBy(...call.args, unbounded);
    case 'search':
      return source.search(...call.args, unbounded);
    case 'messageCounts':
      return source.messageCounts(...call.args, unbounded);
    case 'summary':
      return { datasets: store.datasets(), retention: store.retention() };
  }
}
