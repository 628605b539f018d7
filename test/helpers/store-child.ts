/**
 * A second process on an embedded store, for the tests that need one (run with
 * `node --import tsx test/helpers/store-child.ts MODE DATA_DIR`):
 *   open   opens the store for writing and prints {"ok":true} or the error's code, message and hint
 *   read   opens it read-only and prints {"ok":true,"records":N}
 *   write  writes batches forever, printing `ack BATCH RECORDS` once a batch is committed
 */
import { TelemcpError } from '../../src/core/errors.js';
import { openLogStore } from '../../src/store/log-store.js';

const BATCH = 200;

const [mode, dataDir] = process.argv.slice(2);

function report(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

function failure(err: unknown): { ok: false; code: string; message: string; hint?: string } {
  if (err instanceof TelemcpError) return { ok: false, code: err.code, message: err.message, hint: err.hint };
  return { ok: false, code: 'not_telemcp', message: String(err) };
}

if (mode === 'open') {
  try {
    openLogStore({ dataDir }).close();
    report({ ok: true });
  } catch (err) {
    report(failure(err));
  }
} else if (mode === 'read') {
  try {
    const store = openLogStore({ dataDir, readonly: true });
    report({ ok: true, records: store.datasets().reduce((a, d) => a + d.records, 0) });
    store.close();
  } catch (err) {
    report(failure(err));
  }
} else if (mode === 'write') {
  const store = openLogStore({ dataDir });
  // Synchronous writes would starve stdout; a turn of the event loop between batches lets acks out.
  for (let batch = 0; ; batch++) {
    const records = Array.from({ length: BATCH }, (_, i) => ({
      ts: Date.now(),
      dataset: 'crash',
      service: 'writer',
      level: 'info',
      message: `batch ${batch} record ${i} ${'x'.repeat(200)}`,
      attrs: { batch, record: i },
    }));
    const { stored } = store.write(records);
    process.stdout.write(`ack ${batch} ${stored}\n`);
    await new Promise((r) => setImmediate(r));
  }
} else {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exit(2);
}
