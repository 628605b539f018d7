import { LOG_SOURCE } from '../capabilities.js';
import { capability, type BackendInstance, type BackendModule } from '../module.js';
import { EmbeddedStore, STORE_SERVICE } from './service.js';
import type { StoreView } from './store-view.js';

/** The embedded store as tools read it (datasets, retention report): a read-only view, in every process that serves it. */
export const STORE_READER = capability<StoreView>('store-reader');

/**
 * The embedded log store (SQLite under DATA_DIR). Its settings (EMBEDDED_STORE, DEMO_DATA,
 * RETENTION_DAYS) are the server's own, since it is how telemcp runs with nothing configured.
 * Built after the remote modules: `auto` turns it on exactly when none of them provides a log source.
 */
export const embeddedModule: BackendModule = {
  kind: 'embedded',
  description: 'The embedded log store (SQLite under DATA_DIR), filled by telemcp ingest and the HTTP ingest endpoints',
  provides: [LOG_SOURCE, STORE_READER, STORE_SERVICE],
  enable: 'set EMBEDDED_STORE=on',
  // `auto` may serve it; whether it does depends on the other modules (modules.ts embeddedStoreOn).
  configured: (config) => config.EMBEDDED_STORE !== 'off',
  settings: () => ({ fragment: { shape: {}, secrets: [] }, problems: [] }),
  build(config, ctx) {
    // `auto` keeps logs here exactly when no module before this one provides a log source.
    const otherLogs = ctx.built.some((i) => i.provides.has(LOG_SOURCE));
    if (config.EMBEDDED_STORE === 'off' || (config.EMBEDDED_STORE === 'auto' && otherLogs)) return [];
    // Nothing is opened here: the service opens its threads (and, as the writer, takes the lock) when first used.
    const store = new EmbeddedStore({
      dataDir: config.DATA_DIR,
      role: ctx.storeRole,
      cursorSecret: config.CURSOR_SECRET,
      demoData: config.DEMO_DATA,
      retentionDays: config.RETENTION_DAYS,
      metrics: ctx.metrics,
    });
    const provides = new Map<unknown, unknown>([
      [LOG_SOURCE, store.logs],
      [STORE_READER, store.view],
      [STORE_SERVICE, store],
    ]);
    return [{ kind: 'embedded', name: 'embedded', provides: provides as BackendInstance['provides'], close: () => store.close() }];
  },
};
