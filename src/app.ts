import { resolve } from 'node:path';
import { SECRET_KEYS, type Config } from './config/load.js';
import { createLogger, type Logger } from './core/logger.js';
import { buildBackends, type StoreRole } from './backends/backends.js';
import { FileAuditSink } from './security/audit.js';
import { KeyRing, KeysFileWatcher, ensureLocalKey, type LocalKey } from './security/api-keys.js';
import { RateLimiter } from './security/rate-limit.js';
import { registerSecret } from './security/redact.js';
import { Metrics } from './telemetry/metrics.js';
import { ToolRegistry } from './tools/registry.js';
import { TOOLSETS, assertKnownToolsets } from './tools/toolsets.js';
import type { Runtime } from './tools/invoke.js';

export interface App {
  rt: Runtime;
  keys: KeyRing;
  /** Re-reads API_KEYS_FILE when it changed (hot rotation/revocation). */
  refreshKeys: () => void;
  /** Set when no API_KEYS were configured and a local key is in use. */
  localKey?: LocalKey;
  /** Settings that weaken security, surfaced at start-up, in /readyz and as a metric. */
  insecure: string[];
  close: () => Promise<void>;
}

/**
 * The composition root: config → backends → security → registry. Front doors receive the
 * result and only translate; nothing else constructs these pieces.
 */
export function buildApp(config: Config, opts: { logger?: Logger; needKeys?: boolean; storeRole?: StoreRole } = {}): App {
  const log = opts.logger ?? createLogger(config.LOG_LEVEL);
  assertKnownToolsets(config);
  for (const key of SECRET_KEYS) if (key !== 'API_KEYS') registerSecret(config[key as keyof Config] as string | undefined);
  for (const entry of config.API_KEYS ?? []) if (!entry.key.startsWith('sha256:')) registerSecret(entry.key);

  const insecure: string[] = [];
  if (config.ES_URL && !config.ES_VERIFY_TLS) insecure.push('ES_VERIFY_TLS=false');
  if (config.OPENSEARCH_URL && !config.OPENSEARCH_VERIFY_TLS) insecure.push('OPENSEARCH_VERIFY_TLS=false');
  if (config.KIBANA_URL && !config.KIBANA_VERIFY_TLS) insecure.push('KIBANA_VERIFY_TLS=false');
  if (config.LOGSTASH_URL && !config.LOGSTASH_VERIFY_TLS) insecure.push('LOGSTASH_VERIFY_TLS=false');
  if (config.AUDIT_FAIL_MODE === 'open') insecure.push('AUDIT_FAIL_MODE=open');

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
  };
  return {
    rt,
    keys,
    refreshKeys,
    localKey,
    insecure,
    close: async () => {
      await backends.close();
      audit.close();
    },
  };
}
