import { LOG_SOURCE } from '../capabilities.js';
import { capability, type BackendInstance, type BackendModule } from '../module.js';
import { openLogStore, type LogStore, type LogStoreReader } from '../../store/log-store.js';
import { LazyStoreReader } from '../../store/lazy-reader.js';
import { WorkerLogSource } from './worker-log-source.js';

/** The embedded store for reading (datasets, retention report), in every process that serves it. */
export const STORE_READER = capability<LogStoreReader>('store-reader');
/** The same store for writing, in the one process that writes it (`telemcp serve` over HTTP). */
export const STORE_WRITER = capability<LogStore>('store-writer');

/**
 * The embedded log store (SQLite under DATA_DIR). Its settings (EMBEDDED_STORE, DEMO_DATA,
 * RETENTION_DAYS) are the server's own, since it is how telemcp runs with nothing configured.
 * Built after the remote modules: `auto` turns it on exactly when none of them provides a log source.
 */
export const embeddedModule: BackendModule = {
  kind: 'embedded',
  description: 'The embedded log store (SQLite under DATA_DIR), filled by telemcp ingest and the HTTP ingest endpoints',
  provides: [LOG_SOURCE, STORE_READER, STORE_WRITER],
  enable: 'set EMBEDDED_STORE=on',
  // `auto` may serve it; whether it does depends on the other modules (modules.ts embeddedStoreOn).
  configured: (config) => config.EMBEDDED_STORE !== 'off',
  settings: () => ({ fragment: { shape: {}, secrets: [] }, problems: [] }),
  build(config, ctx) {
    // `auto` keeps logs here exactly when no module before this one provides a log source.
    const otherLogs = ctx.built.some((i) => i.provides.has(LOG_SOURCE));
    if (config.EMBEDDED_STORE === 'off' || (config.EMBEDDED_STORE === 'auto' && otherLogs)) return [];
    // The writer opens the store here and holds the DATA_DIR lock for the life of the process (a second writer is refused).
    const writer = ctx.storeRole === 'writer' ? openLogStore({ dataDir: config.DATA_DIR }) : undefined;
    const store = writer ?? new LazyStoreReader(config.DATA_DIR);
    // Reads run in a reader thread with its own read-only connection, so a heavy query never holds the event loop.
    const logs = new WorkerLogSource({ dataDir: store.dataDir, cursorSecret: config.CURSOR_SECRET });
    const provides = new Map<unknown, unknown>([
      [LOG_SOURCE, logs],
      [STORE_READER, store],
      ...(writer ? [[STORE_WRITER, writer] as const] : []),
    ]);
    return [
      {
        kind: 'embedded',
        name: 'embedded',
        provides: provides as BackendInstance['provides'],
        close: async () => {
          await logs.close();
          store.close();
        },
      },
    ];
  },
};
