import { signaturesOf, type SignatureId } from '../recommend/signatures.js';

/**
 * What a template says about where a failure sits, read with the recommend rule library's
 * signatures (one definition of "pool exhausted", "timeout", … for the whole server).
 *
 * - resource: the service ran out of something (connections, memory, disk, queue slots). That
 *   is a cause: it produces the timeouts and 5xx its callers report.
 * - origin: a fault in the service's own setup (DNS, TLS, cluster quorum): also where to look first.
 * - dependency: the service reports someone else's failure (timed out, 5xx, refused, breaker
 *   open, throttled): a symptom of whatever it called.
 */
export type Role = 'resource' | 'origin' | 'dependency' | 'unknown';

export type Semantic = SignatureId;

const ROLE: Record<Semantic, Role> = {
  pool_exhausted: 'resource',
  out_of_memory: 'resource',
  disk_full: 'resource',
  flood_stage_block: 'resource',
  es_circuit_breaker: 'resource',
  es_rejected_execution: 'resource',
  dns_failure: 'origin',
  tls_handshake: 'origin',
  no_master: 'origin',
  timeout: 'dependency',
  upstream_5xx: 'dependency',
  connection_refused: 'dependency',
  circuit_breaker_open: 'dependency',
  rate_limited: 'dependency',
};

const LABEL: Record<Semantic, string> = {
  pool_exhausted: 'connection pool exhaustion',
  out_of_memory: 'out of memory',
  disk_full: 'disk full',
  flood_stage_block: 'Elasticsearch flood-stage disk block',
  es_circuit_breaker: 'Elasticsearch circuit breaker (memory)',
  es_rejected_execution: 'Elasticsearch rejected execution (queue full)',
  dns_failure: 'DNS resolution failures',
  tls_handshake: 'TLS handshake failures',
  no_master: 'no elected master',
  timeout: 'timeouts',
  upstream_5xx: 'upstream 5xx',
  connection_refused: 'connections refused',
  circuit_breaker_open: 'client circuit breaker open',
  rate_limited: 'rate limiting',
};

/** Rank of a role as a cause: exhaustion above setup faults above the unknown above symptoms. */
export const ROLE_WEIGHT: Record<Role, number> = { resource: 1, origin: 0.5, unknown: 0, dependency: -1 };

export interface Meaning {
  role: Role;
  semantic?: Semantic;
}

/** The most cause-like meaning a template carries. */
export function meaningOf(template: string): Meaning {
  const semantics: Semantic[] = signaturesOf(template);
  let best: Meaning = { role: 'unknown' };
  for (const semantic of semantics) {
    if (ROLE_WEIGHT[ROLE[semantic]] > ROLE_WEIGHT[best.role] || best.role === 'unknown') best = { role: ROLE[semantic], semantic };
  }
  return best;
}

export function labelOf(semantic: Semantic): string {
  return LABEL[semantic];
}

/** Whether the meaning is an Elasticsearch cluster problem, for which cluster health is the next check. */
export function isElasticsearchSemantic(semantic: Semantic | undefined): boolean {
  return semantic === 'flood_stage_block' || semantic === 'es_circuit_breaker' || semantic === 'es_rejected_execution' || semantic === 'no_master';
}
