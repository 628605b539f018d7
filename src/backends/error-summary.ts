/**
 * Backend error text can carry document values: Elasticsearch's `reason` quotes whatever a
 * query met ("failed to create query: For input string: \"hunter2\""), including values of
 * documents the caller may not read. So an error reaches the caller only as its types (the
 * exception names, which are code identifiers, never data) and a summary written here.
 */

/** What each exception type means, in words that carry nothing from the request or the data. */
const SUMMARIES: Record<string, string> = {
  query_shard_exception: 'the query could not be built for a field of the index: a value does not fit the field type, or the field cannot be queried that way',
  number_format_exception: 'a value is not a number where the field expects one',
  parse_exception: 'a value could not be parsed for its field (a date or number in the wrong format)',
  parsing_exception: 'the request body has a syntax error, or names a query or parameter the cluster does not know',
  x_content_parse_exception: 'the request body could not be parsed: a parameter has the wrong type or an unknown name',
  illegal_argument_exception: 'an argument does not fit the target fields or indices (for example sorting or aggregating on a text field, or an unknown field or interval)',
  aggregation_execution_exception: 'an aggregation could not run on these fields (check the field types and parameters)',
  too_many_buckets_exception: 'the aggregation would create more buckets than the cluster allows (search.max_buckets)',
  index_not_found_exception: 'an index of the expression does not exist',
  resource_not_found_exception: 'the requested resource does not exist',
  circuit_breaking_exception: "the cluster's memory circuit breaker stopped the request",
  es_rejected_execution_exception: 'the cluster rejected the request because its queue is full',
  rejected_execution_exception: 'the cluster rejected the request because its queue is full',
  cluster_block_exception: 'the cluster or the index is blocked (no master, read-only or closed)',
  security_exception: "the cluster refused telemcp's service credentials for this request",
  node_disconnected_exception: 'a node left the cluster while the request ran',
  node_not_connected_exception: 'a node holding the data is not connected',
  no_shard_available_action_exception: 'no copy of a shard was available',
  search_context_missing_exception: 'the search context expired (a point in time or scroll is gone)',
  task_cancelled_exception: 'the request was cancelled on the cluster',
  search_phase_execution_exception: 'every shard failed to run the search',
  master_not_discovered_exception: 'the cluster has no elected master',
  timeout_exception: 'the cluster timed out',
  illegal_state_exception: 'the cluster hit an internal error',
};

const TYPE = /^[a-z][a-z0-9_.]{0,79}$/;
const MAX_TYPES = 4;
const MAX_NODES = 64;

export interface SafeBackendError {
  /** Exception types found, most specific last (root causes and their `caused_by` chain). */
  types: string[];
  /** A sentence about the most specific known type, carrying no request or document text. */
  summary: string;
}

/**
 * Reduces an Elasticsearch/OpenSearch error object (`{type, reason, root_cause, caused_by,
 * failed_shards}` or a shard failure's `reason`) to its types and a safe summary. Walks at
 * most MAX_NODES objects, so a hostile body cannot make it expensive.
 */
export function summarizeBackendError(error: unknown): SafeBackendError {
  const types: string[] = [];
  const queue: unknown[] = [error];
  for (let seen = 0; queue.length > 0 && seen < MAX_NODES; seen++) {
    const node = queue.shift();
    if (node === null || typeof node !== 'object') continue;
    const e = node as { type?: unknown; caused_by?: unknown; root_cause?: unknown; failed_shards?: unknown; reason?: unknown };
    if (typeof e.type === 'string' && TYPE.test(e.type) && !types.includes(e.type)) types.push(e.type);
    if (Array.isArray(e.root_cause)) queue.push(...e.root_cause.slice(0, 8));
    queue.push(e.caused_by);
    if (Array.isArray(e.failed_shards)) queue.push(...e.failed_shards.slice(0, 8).map((f) => (f as { reason?: unknown } | null)?.reason));
    // A shard failure wraps its error in `reason`; elsewhere `reason` is text and is skipped.
    if (e.reason !== null && typeof e.reason === 'object') queue.push(e.reason);
  }
  const shown = types.slice(0, MAX_TYPES);
  const known = [...types].reverse().find((t) => SUMMARIES[t] !== undefined);
  return { types: shown, summary: known ? SUMMARIES[known] : 'the backend reported an error' };
}

/** "search_phase_execution_exception (caused by query_shard_exception, number_format_exception): a value is not a number …" */
export function describeBackendError(error: unknown): string {
  const { types, summary } = summarizeBackendError(error);
  if (types.length === 0) return summary;
  const [top, ...causes] = types;
  return `${top}${causes.length > 0 ? ` (caused by ${causes.join(', ')})` : ''}: ${summary}`;
}
