import { parentPort, workerData } from 'node:worker_threads';
import { toWireError } from '../core/threads.js';
import { openLogStore, type LogStore } from './log-store.js';
import type { WriterReply, WriterRequest, WriterSettings } from './writer.js';

/**
 * The store's writer thread (writer.ts): it holds the store, and so the DATA_DIR lock, and
 * answers requests in the order they come. Writes are synchronous, so batches commit one after
 * the other; a retention pass yields between its chunks, and the writes that came meanwhile
 * commit in between. A chain's batches after a failed one are refused unwritten.
 */

const port = parentPort;
if (!port) throw new Error("writer-thread.ts runs as the store's writer thread (writer.ts).");
const settings = workerData as WriterSettings;

let store: LogStore | undefined;
const failedChains = new Set<number>();
/** Answers still being worked out (a retention pass): close lets them go out first. */
const working = new Set<Promise<void>>();

try {
  store = openLogStore({ dataDir: settings.dataDir, maxBytes: settings.maxBytes });
  port.postMessage({ ready: true } satisfies WriterReply);
} catch (err) {
  port.postMessage({ ready: false, error: toWireError(err) } satisfies WriterReply);
}

port.on('message', (request: WriterRequest) => {
  const held = store;
  if (!held) return;
  if ('close' in request) {
    // A pass still pruning stops at its next chunk once the store is closed, and its answer goes out before the thread ends.
    held.close();
    void Promise.all(working).then(() => port.close());
    return;
  }
  if (request.op === 'write' && request.chain !== undefined && failedChains.has(request.chain)) {
    port.postMessage({ id: request.id, ok: false, skipped: true } satisfies WriterReply);
    return;
  }
  let answer: unknown;
  try {
    answer = run(held, request);
  } catch (err) {
    if (request.op === 'write' && request.chain !== undefined) failedChains.add(request.chain);
    port.postMessage({ id: request.id, ok: false, error: toWireError(err) } satisfies WriterReply);
    return;
  }
  if (!(answer instanceof Promise)) {
    port.postMessage({ id: request.id, ok: true, value: answer } satisfies WriterReply);
    return;
  }
  const done = answer.then(
    (value: unknown) => port.postMessage({ id: request.id, ok: true, value } satisfies WriterReply),
    (err: unknown) => port.postMessage({ id: request.id, ok: false, error: toWireError(err) } satisfies WriterReply),
  );
  working.add(done);
  void done.finally(() => working.delete(done));
});

function run(held: LogStore, request: Exclude<WriterRequest, { close: true }>): unknown {
  switch (request.op) {
    case 'write':
      return held.write(request.records);
    case 'writeAll':
      return held.writeAll(request.batches);
    case 'prune':
      return held.prune(request.storedBefore);
    case 'summary':
      return { datasets: held.datasets(), retention: held.retention() };
  }
}
