import { parentPort, workerData } from 'node:worker_threads';
import { openLogStore, type LogStoreReader } from '../../store/log-store.js';
import { EmbeddedLogSource } from './log-source.js';
import { toWireError } from '../../core/threads.js';
import type { ReaderCall, ReaderReply, ReaderRequest, ReaderSettings } from './reader-protocol.js';

/**
 * The reader thread WorkerLogSource starts: EmbeddedLogSource over this thread's own read-only
 * connection (WAL lets it read beside the server's writer). It is sent one call at a time and
 * answers each before the next; deadlines are the server thread's business (it ends this thread),
 * so calls here run under a signal that never fires.
 */

const port = parentPort;
if (!port) throw new Error('reader-worker.ts runs as a worker thread of WorkerLogSource.');
const settings = workerData as ReaderSettings;
const unbounded = new AbortController().signal;
let store: LogStoreReader | undefined;
let source: EmbeddedLogSource | undefined;

port.on('message', (request: ReaderRequest) => {
  if ('close' in request) {
    store?.close();
    port.close();
    return;
  }
  void answer(request).then((reply) => port.postMessage(reply));
});

async function answer(request: { id: number } & ReaderCall): Promise<ReaderReply> {
  try {
    // Opened on the first call rather than at start, so a store that cannot be opened fails that call (and is retried by the next) instead of the thread.
    if (!source) {
      store = openLogStore({ dataDir: settings.dataDir, readonly: true });
      source = new EmbeddedLogSource(store, { name: settings.name, cursorSecret: settings.cursorSecret });
    }
    return { id: request.id, ok: true, value: await run(source, request) };
  } catch (err) {
    return { id: request.id, ok: false, error: toWireError(err) };
  }
}

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
  }
}
