import type { FindingsView } from './findings.js';
import { hitEvidence, hitWeight, targetOf, textHits, type SignatureId } from './signatures.js';
import type { Match, Rule, Severity } from './types.js';

/**
 * Application failure signatures in log lines (elk_detect_errors' top_error_messages, samples,
 * search hits). Connection, timeout, DNS and TLS texts of the call's own error belong to the
 * access rules instead; the rest is an application's problem wherever it shows.
 */
const ALSO_IN_CALL_ERRORS = new Set<SignatureId>(['out_of_memory', 'pool_exhausted', 'circuit_breaker_open', 'upstream_5xx']);

interface SignatureRuleDef {
  id: string;
  signature: SignatureId;
  covers: string;
  label: string;
  severity: Severity;
  specificity: 1 | 2 | 3;
  check: string;
  fix: string;
  references?: string[];
}

function signatureMatch(view: FindingsView, def: SignatureRuleDef): Match | undefined {
  const hits = textHits(view).filter((h) => h.ids.includes(def.signature) && (h.leaf.role === 'log' || ALSO_IN_CALL_ERRORS.has(def.signature)));
  if (!hits.length) return undefined;
  const targets = [...new Set(hits.map((h) => targetOf(h.leaf.text)).filter((t): t is string => t !== undefined))];
  const weight = hitWeight(hits);
  const target = targets.length === 1 ? ` (${targets[0]})` : targets.length > 1 ? ` (${targets.slice(0, 3).join(', ')}${targets.length > 3 ? ', …' : ''})` : '';
  return { evidence: hitEvidence(hits), weight, title: `${def.label}${target}: ${weight} event${weight === 1 ? '' : 's'}` };
}

function signatureRule(def: SignatureRuleDef): Rule {
  return {
    id: def.id,
    covers: def.covers,
    title: def.label,
    severity: def.severity,
    specificity: def.specificity,
    check: def.check,
    fix: def.fix,
    ...(def.references ? { references: def.references } : {}),
    match: (view) => signatureMatch(view, def),
  };
}

export const APP_RULES: Rule[] = [
  signatureRule({
    id: 'app_out_of_memory',
    signature: 'out_of_memory',
    covers: 'signature: OOM / heap space',
    label: 'Out of memory',
    severity: 'high',
    specificity: 3,
    check: 'kubectl get pods -n <ns> (RESTARTS, OOMKilled) and kubectl describe pod <pod> -n <ns> (Last State, memory limit)',
    fix: 'A process ran out of memory. Compare its memory limit with the heap it may use (-Xmx, --max-old-space-size: keep heap below the container limit), then find what grows (heap dump or profiler in staging, recent deploys, unbounded caches or batch sizes). Raise the limit only with that evidence, in your deployment config.',
  }),
  signatureRule({
    id: 'app_disk_full',
    signature: 'disk_full',
    covers: 'signature: disk full / ENOSPC',
    label: 'Disk full',
    severity: 'high',
    specificity: 3,
    check: 'On the host that logs it: df -h and df -i (space and inodes per mount), then du -xh --max-depth=1 <mount> | sort -h | tail to see what grew; for a pod, kubectl describe pod <pod> -n <ns> (volumes, evictions for ephemeral storage)',
    fix: 'A volume is out of space (or inodes), so writes fail. Find what grew (logs without rotation, temp files, a runaway queue or dataset) and free or move it, fix log rotation or retention, then resize the volume if the growth is legitimate — changes you make yourself, after checking what each file is.',
  }),
  signatureRule({
    id: 'app_pool_exhausted',
    signature: 'pool_exhausted',
    covers: 'signature: connection pool exhaustion',
    label: 'Connection pool exhausted',
    severity: 'medium',
    specificity: 3,
    check: "Database side, read-only: SELECT state, count(*) FROM pg_stat_activity GROUP BY state (PostgreSQL) or SHOW PROCESSLIST (MySQL); app side: pool metrics such as hikaricp_connections_pending",
    fix: 'Requests hold connections too long (slow queries, leaked connections, long transactions) or the pool is too small for the concurrency. Fix slow queries and leaks first (enable leak detection), then size the pool so pool size × replicas stays under the database max_connections — a config change you roll out yourself.',
  }),
  signatureRule({
    id: 'app_tls_handshake',
    signature: 'tls_handshake',
    covers: 'signature: TLS handshake failures',
    label: 'TLS handshake failures',
    severity: 'medium',
    specificity: 3,
    check: 'openssl s_client -connect <host>:443 -servername <host> -showcerts </dev/null | openssl x509 -noout -dates -subject -issuer',
    fix: "Check the server certificate's expiry, names (SAN) and chain, and that clients trust its CA and share a TLS version. Renew the certificate or fix the chain on the server and distribute the CA to the clients; never turn verification off.",
  }),
  signatureRule({
    id: 'app_dns_failure',
    signature: 'dns_failure',
    covers: 'signature: DNS resolution failures',
    label: 'DNS resolution failures',
    severity: 'medium',
    specificity: 3,
    check: 'kubectl get svc -n <ns>; kubectl get pods -n kube-system -l k8s-app=kube-dns; dig <host> (or nslookup <host>)',
    fix: 'A name does not resolve: check the host name in the client config for typos, that the Service exists in that namespace (use <svc>.<ns>.svc.cluster.local across namespaces) and that CoreDNS is healthy; correct the name in the config yourself.',
  }),
  signatureRule({
    id: 'app_circuit_breaker_open',
    signature: 'circuit_breaker_open',
    covers: 'signature: circuit breaker open',
    label: 'Client circuit breaker open',
    severity: 'medium',
    specificity: 3,
    check: 'elk_detect_errors for the dependency behind the breaker; breaker state metrics (e.g. resilience4j_circuitbreaker_state)',
    fix: 'A client-side breaker opened because its dependency kept failing: it is protecting the caller. Fix the dependency (its errors and timeouts are the cause), then review the breaker thresholds (failure rate, wait duration in open state) only if it opens on healthy traffic.',
  }),
  signatureRule({
    id: 'app_connection_refused',
    signature: 'connection_refused',
    covers: 'signature: connection refused',
    label: 'Connections refused or reset',
    severity: 'medium',
    specificity: 2,
    check: 'kubectl get pods,svc,endpoints -n <ns> -o wide (is the target running, with endpoints, on the port clients use?)',
    fix: 'Nothing accepts connections where the client connects: the target is down, restarting, or listening on another port. Bring the target back (its own logs and events say why it stopped), make the Service targetPort match the container port, and check NetworkPolicy/firewall; use readiness probes so clients wait for it.',
  }),
  signatureRule({
    id: 'app_upstream_5xx',
    signature: 'upstream_5xx',
    covers: 'signature: upstream 5xx / bad gateway',
    label: 'Upstream 5xx / bad gateway',
    severity: 'medium',
    specificity: 2,
    check: 'elk_detect_errors service_name=<upstream> for the same window; kubectl get pods -n <ns> for the upstream',
    fix: 'A service behind a gateway or proxy answers 5xx or is not there: the proxy log names the upstream. Fix it there (its own errors, restarts, saturation); keep retries with backoff at one layer only so they do not multiply the load.',
  }),
  signatureRule({
    id: 'app_rate_limited',
    signature: 'rate_limited',
    covers: 'signature: rate limiting 429',
    label: 'Rate limited (429)',
    severity: 'medium',
    specificity: 2,
    check: 'curl -sI <url> (read Retry-After and X-RateLimit-* headers) and the limiter config of the gateway or provider',
    fix: 'Requests exceed a rate limit or quota: find who limits (gateway, provider quota, Elasticsearch write rejections). Honour Retry-After with backoff and jitter, batch or spread requests, or ask for a higher quota.',
  }),
  signatureRule({
    id: 'app_timeout',
    signature: 'timeout',
    covers: 'signature: timeouts',
    label: 'Timeouts',
    severity: 'medium',
    specificity: 1,
    check: 'elk_search_logs query="timeout" for the service and window, then follow one trace_id; elk_apm_summary for the target\'s p95/p99 latency',
    fix: 'Calls wait longer than their deadline: find the slow side by trace (the target named in the message, its latency and saturation) and fix it there first. Only then adjust client timeouts, with retries that back off and a total budget.',
  }),
];
