import { workerData } from 'node:worker_threads';
import { openLogStore, type LogStoreReader } from '../../store/log-store.js';
import { EmbeddedLogSource } from './log-source.js';
import { serveJobs } from '../../core/job-thread.js';
import type { ReaderCall, ReaderSettings } from './reader-protocol.js';

/**
 * The reader thread WorkerLogSource starts: EmbeddedLogSource over this thread's own read-only
 * connection (WAL lets it read beside the server's writer), one call at a time (JobThread).
 * Deadlines are the server thread's business (it ends this thread), so calls here run under a
 * signal that never fires.
 */

const settings = workerData as ReaderSettings;
const unbounded = new AbortController().signal;
let store: LogStoreReader | undefined;
let source: EmbeddedLogSource | undefined;

serveJobs(
  (call: ReaderCall) => {
    // Opened on the first call rather than at start, so a store that cannot be opened fails that call (and is retried by the next) instead of the thread.
    if (!source) {
      store = openLogStore({ dataDir: settings.dataDir, readonly: true });
      source = new EmbeddedLogSource(store, { name: settings.name, cursorSecret: settings.cursorSecret });
    }
    return run(source, call);
  },
  () => store?.close(),
);

function run(source: EmbeddedLogSource, call: ReaderCall): Promise<unknown> {
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
  }
}
