/**
 * One log record on its way into the embedded store, whatever door it came through (a file
 * given to `telemcp ingest`, `POST /_bulk`, `POST /loki/api/v1/push`, `POST /v1/logs`). The
 * parsers produce it, the store writes it; neither knows the other.
 */
export interface IngestRecord {
  /** Epoch milliseconds, UTC. */
  ts: number;
  /**
   * The dataset it belongs to: the embedded store's counterpart of an index, and what a log
   * tool's `scope` (or the elk tools' `index_pattern`) matches against. From `_bulk`'s `_index`,
   * a Loki stream's labels, OTLP's resource, or `telemcp ingest --dataset`.
   */
  dataset: string;
  service?: string;
  /** Lowercase canonical level (error, warn, info, debug, …), see core/log-levels.ts. */
  level?: string;
  message: string;
  traceId?: string;
  host?: string;
  /** Any other fields, flattened to dotted keys, bounded by the parser. */
  attrs?: Record<string, string | number | boolean>;
}
