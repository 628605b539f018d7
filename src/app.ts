import { resolve } from 'node:path';
import { insecureSettings, secretKeys, type Config } from './config/load.js';
import { createLogger, type Logger } from './core/logger.js';
import { buildBackends, type StoreRole } from './backends/backends.js';
import { STORE_SERVICE, type EmbeddedStore } from './backends/embedded/service.js';
import { FileAuditSink } from './security/audit.js';
import { KeyRing, KeysFileWatcher, ensureLocalKey, type LocalKey } from './security/api-keys.js';
import { RateLimiter } from './security/rate-limit.js';
import { registerSecret } from './core/redact.js';
import { Metrics } from './telemetry/metrics.js';
import { ToolRegistry } from './tools/registry.js';
import { TOOLSETS, assertKnownToolsets } from './tools/toolsets.js';
import type { Runtime } from './tools/invoke.js';
import { queryCacheFor } from './tools/query-cache.js';

export interface App {
  rt: Runtime;
  keys: KeyRing;
  /** Re-reads API_KEYS_FILE when it changed (hot rotation/revocation). */
  refreshKeys: () => void;
  /** Set when no API_KEYS were configured and a local key is in use. */
  localKey?: LocalKey;
  /** Settings that weaken security, surfaced at start-up, in /readyz and as a metric. */
  insecure: string[];
  /**
   * The embedded store service, when this configuration serves the store: HTTP ingest writes
   * through it, and the CLI starts it (the writer's lock, demo load and retention; a reader's demo).
   */
  store?: EmbeddedStore;
  close: () => Promise<void>;
}

/**
 * The composition root: config → backends → security → registry. Front doors receive the
 * result and only translate; nothing else constructs these pieces.
 */
export function buildApp(config: Config, opts: { logger?: Logger; needKeys?: boolean; storeRole?: StoreRole } = {}): App {
  const log = opts.logger ?? createLogger(config.LOG_LEVEL);
  assertKnownToolsets(config);
  for (const key of secretKeys(config)) {
    const value = config[key];
    // API_KEYS entries are registered one by one below; extra headers are a mapping of values.
    if (typeof value === 'string') registerSecret(value);
    else if (value && typeof value === 'object' && key !== 'API_KEYS') for (const v of Object.values(value)) registerSecret(String(v));
  }
  for (const entry of config.API_KEYS ?? []) if (!entry.key.startsWith('sha256:')) registerSecret(entry.key);

  const insecure = [...insecureSettings(config)];

  const metrics = new Metrics();
  for (const name of insecure) metrics.insecureSetting.labels(name.split('=')[0]).set(1);
  const backends = buildBackends(config, metrics, opts.storeRole);
  const auditPath = resolve(config.AUDIT_LOG ?? `${config.DATA_DIR}/audit.log`);
  const audit = new FileAuditSink(auditPath, config.AUDIT_FAIL_MODE, (err) => {
    metrics.auditFailures.inc();
    log.error({ err, path: auditPath }, 'AUDIT LOG WRITE FAILED');
  });

  const keys = new KeyRing(config.API_KEYS ?? []);
  let refreshKeys = () => {};
  if (config.API_KEYS_FILE) {
    const watcher = new KeysFileWatcher(config.API_KEYS_FILE, keys, config.API_KEYS ?? [], (err) => log.error({ err }, 'API_KEYS_FILE could not be re-read; keeping the previous keys'));
    refreshKeys = () => watcher.refresh();
  }
  let localKey: LocalKey | undefined;
  if (opts.needKeys && keys.size === 0) {
    localKey = ensureLocalKey(resolve(config.DATA_DIR));
    keys.replace([localKey.entry]);
  }

  const registry = new ToolRegistry(TOOLSETS, backends, config.TOOLSETS);
  const rt: Runtime = {
    config,
    registry,
    backends,
    rateLimiter: new RateLimiter(config.RATE_LIMIT_PER_MINUTE, config.MAX_CONCURRENT_PER_KEY),
    ingestRateLimiter: new RateLimiter(config.INGEST_RATE_LIMIT_PER_MINUTE, config.MAX_CONCURRENT_PER_KEY),
    audit,
    metrics,
    log,
    queryCache: queryCacheFor(config, metrics),
  };
  return {
    rt,
    keys,
    refreshKeys,
    localKey,
    insecure,
    store: backends.first(STORE_SERVICE),
    close: async () => {
      await backends.close();
      audit.close();
    },
  };
}
