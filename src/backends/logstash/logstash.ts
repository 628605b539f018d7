import { connectBackend, type BackendConnection, type BackendHttpClient, type HttpMethod } from '../http.js';

/** Logstash's API knows basic auth only. */
export type LogstashSettings = BackendConnection;

/**
 * A flow rate (Logstash 8.5+). A window whose denominator did not move is reported as the
 * string "Infinity" (documented in FlowWindows of the Logstash API spec).
 */
export interface FlowWindow {
  current?: number | string;
  last_1_minute?: number | string;
  lifetime?: number | string;
}

export interface LogstashPluginStats {
  id: string;
  name?: string;
  events?: { in?: number; out?: number; duration_in_millis?: number; queue_push_duration_in_millis?: number };
  flow?: { worker_utilization?: FlowWindow; worker_millis_per_event?: FlowWindow; throughput?: FlowWindow };
  /** Filters such as grok count the events they failed on. */
  failures?: number;
  /** The elasticsearch output's own metrics (logstash-output-elasticsearch). */
  bulk_requests?: { successes?: number; with_errors?: number; failures?: number; responses?: Record<string, number> };
  documents?: { successes?: number; non_retryable_failures?: number; retryable_failures?: number };
}

export interface LogstashPipelineStats {
  events?: { in?: number; filtered?: number; out?: number; duration_in_millis?: number; queue_push_duration_in_millis?: number };
  flow?: {
    input_throughput?: FlowWindow;
    filter_throughput?: FlowWindow;
    output_throughput?: FlowWindow;
    queue_backpressure?: FlowWindow;
    worker_concurrency?: FlowWindow;
    worker_utilization?: FlowWindow;
    queue_persisted_growth_events?: FlowWindow;
    queue_persisted_growth_bytes?: FlowWindow;
  };
  plugins?: { inputs?: LogstashPluginStats[]; filters?: LogstashPluginStats[]; outputs?: LogstashPluginStats[] };
  /** `last_error` is documented as a string; Logstash itself reports `{message, backtrace}`. */
  reloads?: { successes?: number; failures?: number; last_error?: string | { message?: string } | null; last_success_timestamp?: string | null; last_failure_timestamp?: string | null };
  queue?: {
    type?: 'memory' | 'persisted';
    events?: number;
    events_count?: number;
    queue_size_in_bytes?: number;
    max_queue_size_in_bytes?: number;
    capacity?: { queue_size_in_bytes?: number; max_queue_size_in_bytes?: number };
  };
  /** Present when the DLQ is enabled for the pipeline; dropped_events/last_error since 8.4. */
  dead_letter_queue?: { queue_size_in_bytes?: number; max_queue_size_in_bytes?: number; dropped_events?: number; expired_events?: number; last_error?: string; storage_policy?: string };
  pipeline?: { workers?: number; batch_size?: number; batch_delay?: number };
}

/** `GET /_node/stats` (Logstash monitoring API). */
export interface LogstashNodeStats {
  host?: string;
  version?: string;
  name?: string;
  /** Health report status (green/yellow/red/unknown), since 8.16. */
  status?: string;
  pipeline?: { workers?: number; batch_size?: number };
  jvm?: { mem?: { heap_used_percent?: number; heap_max_in_bytes?: number; heap_used_in_bytes?: number }; gc?: { collectors?: { old?: { collection_count?: number; collection_time_in_millis?: number } } }; uptime_in_millis?: number };
  process?: { open_file_descriptors?: number; max_file_descriptors?: number; cpu?: { percent?: number } };
  events?: { in?: number; filtered?: number; out?: number };
  flow?: LogstashPipelineStats['flow'];
  pipelines?: Record<string, LogstashPipelineStats>;
  reloads?: { successes?: number; failures?: number };
}

/** The monitoring API endpoints telemcp reads (the root for /readyz, node stats for the tool), nothing else. */
export function isReadOnlyLogstashPath(method: HttpMethod, path: string): boolean {
  return (method === 'GET' || method === 'HEAD') && (path === '/' || path === '/_node/stats');
}

export class LogstashBackend {
  readonly http: BackendHttpClient;

  constructor(settings: LogstashSettings) {
    // Seed 000's row "Logstash monitoring API down": the fix steps name the settings involved.
    this.http = connectBackend('logstash', settings, isReadOnlyLogstashPath, {
      credentials: 'The Logstash API refused the credentials: LOGSTASH_USERNAME/LOGSTASH_PASSWORD must match api.auth.basic.username/password in logstash.yml. Not fixable by changing the call.',
      unreachable: 'The Logstash monitoring API is not reachable: it listens on api.http.host:api.http.port in logstash.yml (default 127.0.0.1:9600, loopback only); bind it where telemcp can reach it, open the firewall, and check LOGSTASH_URL. Check: curl http://logstash:9600/_node/stats.',
      tls: "Give the server the CA of the Logstash API certificate (api.ssl.*) as LOGSTASH_CA_CERT; verification is never skipped silently.",
    });
  }

  async nodeStats(signal: AbortSignal): Promise<LogstashNodeStats> {
    return this.http.json<LogstashNodeStats>({ method: 'GET', path: '/_node/stats', signal });
  }

  /** Reachability for /readyz: the root resource is the cheapest answer the API has. */
  async ping(signal: AbortSignal): Promise<void> {
    await this.http.json({ method: 'GET', path: '/', signal });
  }

  close(): Promise<void> {
    return this.http.close();
  }
}
