import { embeddedStoreOn, type Config } from '../config/load.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { LogSource } from './capabilities.js';
import { SearchEngine } from './elasticsearch/search-engine.js';
import { ElasticsearchLogSource } from './elasticsearch/log-source.js';
import { KibanaBackend } from './kibana/kibana.js';
import { LogstashBackend } from './logstash/logstash.js';
import { BeatsStatsBackend } from './beats/beats.js';
import { WorkerLogSource } from './embedded/worker-log-source.js';
import { openLogStore, type LogStore, type LogStoreReader } from '../store/log-store.js';
import { LazyStoreReader } from '../store/lazy-reader.js';

/** A backend that /readyz probes. */
export interface ReadinessProbe {
  name: string;
  check(signal: AbortSignal): Promise<void>;
}

/**
 * Every backend the server talks to, built once at start-up (house rule 6). A backend that
 * is not configured is absent, and the toolsets that need it are hidden.
 */
export interface Backends {
  /** Elasticsearch when ES_URL is set, otherwise OpenSearch when OPENSEARCH_URL is set. */
  search?: SearchEngine;
  /** Kibana's status API when KIBANA_URL is set. */
  kibana?: KibanaBackend;
  /** The Logstash monitoring API when LOGSTASH_URL is set. */
  logstash?: LogstashBackend;
  /** One Beat's HTTP stats endpoint when BEATS_STATS_URL is set. */
  beats?: BeatsStatsBackend;
  /** The embedded log store (SQLite under DATA_DIR) when it is on (see embeddedStoreOn), for reading. */
  store?: LogStoreReader;
  /** The same store for writing, in the one process that writes it (`telemcp serve` over HTTP). */
  writer?: LogStore;
  /** The log backends the log tools read, by the name their `source` argument takes. */
  logSources: ReadonlyMap<string, LogSource>;
  probes(): ReadinessProbe[];
  close(): Promise<void>;
}


/**
 * How this process uses the embedded store. One process writes a DATA_DIR (it holds the lock,
 * loads the demo, runs retention, takes HTTP ingest); any number of others read it beside it
 * (stdio servers, `telemcp call`, `telemcp tools`), opening nothing until they read.
 */
export type StoreRole = 'writer' | 'reader';

export function buildBackends(config: Config, metrics?: Metrics, storeRole: StoreRole = 'writer'): Backends {
  const common = {
    timeoutMs: config.BACKEND_TIMEOUT_MS,
    maxRetries: config.BACKEND_MAX_RETRIES,
    maxResponseBytes: config.BACKEND_MAX_RESPONSE_BYTES,
    allowedIndexPatterns: config.ALLOWED_INDEX_PATTERNS,
  };
  const observe = (backend: string) => (metrics ? (outcome: string, s: number) => metrics.backendLatency.labels(backend, outcome).observe(s) : undefined);
  let search: SearchEngine | undefined;
  if (config.ES_URL) {
    search = new SearchEngine({
      ...common,
      kind: 'elasticsearch',
      url: config.ES_URL,
      apiKey: config.ES_API_KEY,
      username: config.ES_USERNAME,
      password: config.ES_PASSWORD,
      caCertPath: config.ES_CA_CERT,
      verifyTls: config.ES_VERIFY_TLS,
      observe: observe('elasticsearch'),
    });
  } else if (config.OPENSEARCH_URL) {
    search = new SearchEngine({
      ...common,
      kind: 'opensearch',
      url: config.OPENSEARCH_URL,
      username: config.OPENSEARCH_USERNAME,
      password: config.OPENSEARCH_PASSWORD,
      caCertPath: config.OPENSEARCH_CA_CERT,
      verifyTls: config.OPENSEARCH_VERIFY_TLS,
      observe: observe('opensearch'),
    });
  }
  const http = { timeoutMs: common.timeoutMs, maxRetries: common.maxRetries, maxResponseBytes: common.maxResponseBytes };
  const kibana = config.KIBANA_URL
    ? new KibanaBackend({
        ...http,
        url: config.KIBANA_URL,
        apiKey: config.KIBANA_API_KEY,
        username: config.KIBANA_USERNAME,
        password: config.KIBANA_PASSWORD,
        caCertPath: config.KIBANA_CA_CERT,
        verifyTls: config.KIBANA_VERIFY_TLS,
        observe: observe('kibana'),
      })
    : undefined;
  const logstash = config.LOGSTASH_URL
    ? new LogstashBackend({
        ...http,
        url: config.LOGSTASH_URL,
        username: config.LOGSTASH_USERNAME,
        password: config.LOGSTASH_PASSWORD,
        caCertPath: config.LOGSTASH_CA_CERT,
        verifyTls: config.LOGSTASH_VERIFY_TLS,
        observe: observe('logstash'),
      })
    : undefined;
  const beats = config.BEATS_STATS_URL ? new BeatsStatsBackend({ ...http, url: config.BEATS_STATS_URL, observe: observe('beats') }) : undefined;
  const logSources = new Map<string, LogSource>();
  if (search) {
    logSources.set(search.kind, new ElasticsearchLogSource(search, { name: search.kind, defaultScope: config.LOG_INDEX_PATTERN, logFields: config.LOG_FIELDS, timeoutMs: config.BACKEND_TIMEOUT_MS, cursorSecret: config.CURSOR_SECRET }));
  }
  const on = embeddedStoreOn(config);
  // The writer opens the store here and holds the DATA_DIR lock for the life of the process (a second writer is refused).
  const writer = on && storeRole === 'writer' ? openLogStore({ dataDir: config.DATA_DIR }) : undefined;
  const store = writer ?? (on ? new LazyStoreReader(config.DATA_DIR) : undefined);
  // Reads run in a reader thread with its own read-only connection, so a heavy query never holds the event loop.
  const embedded = store ? new WorkerLogSource({ dataDir: store.dataDir, cursorSecret: config.CURSOR_SECRET }) : undefined;
  if (embedded) logSources.set('embedded', embedded);
  return {
    search,
    store,
    writer,
    kibana,
    logstash,
    beats,
    logSources,
    probes: () => {
      const out: ReadinessProbe[] = [];
      if (search) out.push({ name: search.kind, check: (signal) => search.ping(signal) });
      if (kibana) out.push({ name: 'kibana', check: (signal) => kibana.ping(signal) });
      if (logstash) out.push({ name: 'logstash', check: (signal) => logstash.ping(signal) });
      if (beats) out.push({ name: 'beats', check: (signal) => beats.ping(signal) });
      return out;
    },
    close: async () => {
      await Promise.all([search?.close(), kibana?.close(), logstash?.close(), beats?.close(), embedded?.close()]);
      store?.close();
    },
  };
}
