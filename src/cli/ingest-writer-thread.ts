import { parentPort, workerData } from 'node:worker_threads';
import { toWireError } from '../core/threads.js';
import type { IngestRecord } from '../ingest/record.js';
import { openLogStore, type LogStore } from '../store/log-store.js';
import type { WriterReply, WriterRequest } from './ingest-writer.js';

/**
 * `telemcp ingest`'s writer thread: it holds the store (and its DATA_DIR lock) and commits the
 * batches the reading thread sends, in the order they come, each durable before its answer.
 * After a batch fails, the ones after it are refused unwritten, so the store keeps a prefix of
 * the input, as it did when one thread read and wrote.
 */

const port = parentPort;
if (!port) throw new Error('ingest-writer-thread.ts runs as the writer thread of telemcp ingest.');
const { dataDir } = workerData as { dataDir: string };

let store: LogStore | undefined;
let failed = false;
try {
  store = openLogStore({ dataDir });
  port.postMessage({ ready: true } satisfies WriterReply);
} catch (err) {
  port.postMessage({ ready: false, error: toWireError(err) } satisfies WriterReply);
}

port.on('message', (request: WriterRequest) => {
  if (!store) return;
  if ('close' in request) {
    store.close();
    port.close();
    return;
  }
  if ('datasets' in request) {
    port.postMessage({ id: request.id, ok: true, datasets: store.datasets() } satisfies WriterReply);
    return;
  }
  if (failed) {
    port.postMessage({ id: request.id, ok: false, skipped: true } satisfies WriterReply);
    return;
  }
  try {
    port.postMessage({ id: request.id, ok: true, result: store.write(request.records as IngestRecord[]) } satisfies WriterReply);
  } catch (err) {
    failed = true;
    port.postMessage({ id: request.id, ok: false, error: toWireError(err) } satisfies WriterReply);
  }
});
