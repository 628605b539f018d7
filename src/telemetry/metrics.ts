import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Metrics carry only bounded, server-chosen labels (tool names from the registry, outcome
 * codes from the error table, backend kinds): never index names, queries or keys.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly toolCalls = new Counter({ name: 'telemcp_tool_calls_total', help: 'Tool calls by tool and outcome code', labelNames: ['tool', 'outcome'], registers: [this.registry] });
  readonly toolLatency = new Histogram({
    name: 'telemcp_tool_duration_seconds',
    help: 'Tool call latency',
    labelNames: ['tool'],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly backendLatency = new Histogram({
    name: 'telemcp_backend_request_duration_seconds',
    help: 'Backend HTTP request latency',
    labelNames: ['backend', 'outcome'],
    buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly rateLimited = new Counter({ name: 'telemcp_rate_limited_total', help: 'Calls refused by the rate limiter', registers: [this.registry] });
  readonly inFlight = new Gauge({ name: 'telemcp_tool_calls_in_flight', help: 'Tool calls currently running', registers: [this.registry] });
  readonly auditFailures = new Counter({ name: 'telemcp_audit_write_failures_total', help: 'Audit records that could not be written', registers: [this.registry] });
  readonly insecureSetting = new Gauge({ name: 'mcp_insecure_setting', help: 'Insecure settings that are enabled (1)', labelNames: ['name'], registers: [this.registry] });
  readonly sseSessions = new Gauge({ name: 'telemcp_sse_sessions', help: 'Open legacy SSE sessions', registers: [this.registry] });
  readonly httpRejections = new Counter({ name: 'telemcp_http_rejections_total', help: 'HTTP requests refused before reaching a tool', labelNames: ['reason'], registers: [this.registry] });
  /** Ingest endpoints (`bulk`, `loki_push`, `otlp_logs`) and the HTTP status answered: both bounded, server-chosen. */
  readonly ingestRequests = new Counter({ name: 'telemcp_ingest_requests_total', help: 'Ingest requests by endpoint and HTTP status', labelNames: ['endpoint', 'status'], registers: [this.registry] });
  readonly ingestRecords = new Counter({ name: 'telemcp_ingest_records_total', help: 'Log records received on the ingest endpoints, by endpoint and result (stored, rejected)', labelNames: ['endpoint', 'result'], registers: [this.registry] });
  readonly ingestBytes = new Counter({ name: 'telemcp_ingest_bytes_total', help: 'Ingest request bodies in bytes, after decompression', labelNames: ['endpoint'], registers: [this.registry] });
  /** No dataset label: dataset names are user-chosen (D-10); telemcp_status and the log name them. */
  readonly retentionDeleted = new Counter({ name: 'telemcp_store_retention_deleted_records_total', help: 'Embedded-store records deleted by retention (RETENTION_DAYS after they were stored) since this process started', registers: [this.registry] });

  /** Query cache (tools/query-cache.ts): tool names only, never keys or queries. */
  readonly queryCacheHits = new Counter({ name: 'telemcp_query_cache_hits_total', help: 'Tool calls answered from the query cache (identical in-flight calls included)', labelNames: ['tool'], registers: [this.registry] });
  readonly queryCacheMisses = new Counter({ name: 'telemcp_query_cache_misses_total', help: 'Cacheable tool calls that read the backend', labelNames: ['tool'], registers: [this.registry] });
  private queryCacheSize: () => { entries: number; bytes: number } = () => ({ entries: 0, bytes: 0 });
  readonly queryCacheEntries: Gauge = new Gauge({ name: 'telemcp_query_cache_entries', help: 'Answers held by the query cache', registers: [this.registry], collect: (): void => this.queryCacheEntries.set(this.queryCacheSize().entries) });
  readonly queryCacheBytes: Gauge = new Gauge({ name: 'telemcp_query_cache_bytes', help: 'Bytes of the answers held by the query cache (serialised)', registers: [this.registry], collect: (): void => this.queryCacheBytes.set(this.queryCacheSize().bytes) });

  /** The gauges read the cache's size when scraped, so expired answers are never counted. */
  observeQueryCache(size: () => { entries: number; bytes: number }): void {
    this.queryCacheSize = size;
  }

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'telemcp_' });
  }
}
