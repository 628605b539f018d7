/**
 * Application failure signatures in log messages (robust to case and spelling variants, and
 * counted once per distinct message), ranking, bounds, and inputs that are not findings at all.
 */
import { describe, expect, it } from 'vitest';
import { recommend } from '../../src/analysis/recommend/index.js';
import { signaturesOf } from '../../src/analysis/recommend/signatures.js';

const detectErrors = (messages: [string, number][]) => ({
  total_errors: messages.reduce((s, [, n]) => s + n, 0),
  errors_by_service: [{ service: 'payment-service', count: 145 }],
  top_error_messages: messages.map(([message, count]) => ({ message, count })),
  samples: messages.slice(0, 1).map(([message]) => ({ timestamp: '2026-04-26T01:25:00Z', service: 'payment-service', log_level: 'error', message, trace_id: 'abc' })),
  recommendation: ['Validasi error paling sering dengan trace_id untuk korelasi lintas service.'],
});

const ids = (findings: unknown, max = 20) => recommend(findings, { max }).recommendations.map((r) => r.id);

describe('application signatures', () => {
  it.each([
    ['app_timeout', ['timeout to fraud-service', 'Read timed out', 'context deadline exceeded', 'ETIMEDOUT 10.0.0.4:443', 'java.net.SocketTimeoutException: Read timed out', 'TIMED OUT waiting for reply']],
    ['app_connection_refused', ['connect ECONNREFUSED 10.0.0.9:5432', 'Connection refused (Connection refused)', 'java.net.ConnectException: Connection_Refused', 'dial tcp 10.1.2.3:6379: connect: connection refused', 'read ECONNRESET', 'Connection-Reset by peer']],
    ['app_pool_exhausted', ['HikariPool-1 - Connection is not available, request timed out after 30000ms.', 'Cannot get a JDBC Connection; pool exhausted', 'FATAL: remaining connection slots are reserved for non-replication superuser connections', 'QueuePool limit of size 5 overflow 10 reached', 'too many connections', 'Timeout waiting for idle object']],
    ['app_out_of_memory', ['java.lang.OutOfMemoryError: Java heap space', 'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory', 'GC overhead limit exceeded', 'Container was OOMKilled', 'MemoryError', 'cannot allocate memory']],
    ['app_disk_full', ['write of segment seg-1 failed: No space left on device', 'ENOSPC: no space left on device, write', 'disk full', 'Disk quota exceeded', 'filesystem is full', 'insufficient disk space to complete the operation']],
    ['app_dns_failure', ['getaddrinfo ENOTFOUND fraud-service.payments.svc', 'java.net.UnknownHostException: ledger-db', 'dial tcp: lookup redis on 10.96.0.10:53: no such host', 'Temporary failure in name resolution', 'getaddrinfo EAI_AGAIN api.partner.com', 'Could not resolve host: api.partner.com']],
    ['app_tls_handshake', ['javax.net.ssl.SSLHandshakeException: PKIX path building failed', 'x509: certificate signed by unknown authority', 'SSL routines:tls_process_server_certificate:certificate verify failed', 'certificate has expired', 'TLS handshake timeout', 'unable to verify the first certificate']],
    ['app_upstream_5xx', ['502 Bad Gateway', 'upstream connect error or disconnect/reset before headers', 'no healthy upstream', 'HTTP 503 Service Unavailable from inventory', 'status=500 from pricing-api', 'Internal Server Error']],
    ['app_circuit_breaker_open', ["CircuitBreaker 'fraud' is OPEN and does not permit further calls", 'io.github.resilience4j.circuitbreaker.CallNotPermittedException', 'Hystrix command short-circuited and fallback failed', 'circuit breaker open for ledger', 'Breaker is open', 'BrokenCircuitException: The circuit is now open']],
    ['app_rate_limited', ['429 Too Many Requests', 'Rate limit exceeded for key abc', 'RATE_LIMITED', 'ThrottlingException: Rate exceeded', 'TooManyRequestsException', 'quota exceeded for quota metric']],
  ])('%s: every variant is recognised', (id, variants) => {
    for (const message of variants) {
      expect(ids(detectErrors([[message, 10]])), message).toContain(id);
    }
  });

  it('a message matching several signatures counts only for the most specific one', () => {
    expect(signaturesOf('HikariPool-1 - Connection is not available, request timed out after 30000ms.')).toEqual(['pool_exhausted']);
    expect(signaturesOf('Failed to connect to ledger:443: x509: certificate has expired')).toEqual(['tls_handshake']);
    expect(signaturesOf('getaddrinfo ENOTFOUND db (connection refused)')).toEqual(['dns_failure']);
    expect(signaturesOf('timeout to fraud-service')).toEqual(['timeout']);
    expect(signaturesOf('user 42 logged in')).toEqual([]);
  });

  it('counts a message once, although a sample repeats it, and names the target', () => {
    const advice = recommend(detectErrors([['timeout to fraud-service', 72]]));
    const rec = advice.recommendations.find((r) => r.id === 'app_timeout')!;
    expect(rec.title).toBe('Timeouts (fraud-service): 72 events');
    expect(rec.evidence).toEqual([
      { path: 'top_error_messages[0].message', value: 'timeout to fraud-service' },
      { path: 'top_error_messages[0].count', value: 72 },
    ]);
  });

  it('ignores advice texts (recommendation, fix, hint) so a result fed back is not diagnosed again', () => {
    const findings = { recommendation: ['check timeouts, OOM and connection refused'], hint: 'retry when the backend is less busy (timeout)', fix: 'raise the pool size' };
    expect(recommend(findings).recommendations).toEqual([]);
    const advice = recommend(detectErrors([['timeout to fraud-service', 72], ['java.lang.OutOfMemoryError: Java heap space', 3]]));
    expect(recommend(advice).recommendations).toEqual([]);
  });

  it('a timeout in a log line is the application, in the call error it is the client, in a telemcp error body the query', () => {
    expect(ids(detectErrors([['upstream request timeout', 5]]))).toEqual(['app_timeout']);
    expect(ids({ error: 'connect ETIMEDOUT 10.0.0.1:8080' })).toEqual(['client_cannot_connect']);
    expect(ids({ error: { code: 'backend_timeout', message: 'elasticsearch did not answer within 15000 ms.' } })).toEqual(['query_timeout']);
  });
});

describe('ranking', () => {
  it('most severe first, then most specific, then most evidenced', () => {
    const findings = {
      cluster_health: { status: 'red', metrics: { cluster_name: 'prod', unassigned_shards: 4, unassigned_primary_shards: 2 } },
      errors: detectErrors([
        ['timeout to fraud-service', 72],
        ['connect ECONNREFUSED 10.0.0.9:5432', 9],
        ['502 Bad Gateway', 30],
        ['HikariPool-1 - Connection is not available, request timed out after 30000ms.', 4],
        ['java.lang.OutOfMemoryError: Java heap space', 2],
      ]),
    };
    expect(ids(findings)).toEqual([
      'cluster_red', // critical
      'app_out_of_memory', // high
      'unassigned_shards', // high (red), broad
      'app_pool_exhausted', // medium, specificity 3
      'app_upstream_5xx', // medium, specificity 2, 30 events
      'app_connection_refused', // medium, specificity 2, 9 events
      'app_timeout', // medium, specificity 1, 72 events
    ]);
  });

  it('with equal severity and specificity, more events rank first', () => {
    const a = ids(detectErrors([['502 Bad Gateway', 3], ['Connection refused', 40]]));
    expect(a).toEqual(['app_connection_refused', 'app_upstream_5xx']);
    const b = ids(detectErrors([['502 Bad Gateway', 40], ['Connection refused', 3]]));
    expect(b).toEqual(['app_upstream_5xx', 'app_connection_refused']);
  });

  it('is bounded by max, with truncated and the total matched', () => {
    const findings = detectErrors([
      ['timeout to a', 1],
      ['Connection refused', 1],
      ['502 Bad Gateway', 1],
      ['OutOfMemoryError', 1],
      ['getaddrinfo ENOTFOUND x', 1],
      ['x509: certificate has expired', 1],
      ['429 Too Many Requests', 1],
    ]);
    const advice = recommend(findings, { max: 3 });
    expect(advice.recommendations).toHaveLength(3);
    expect(advice.truncated).toBe(true);
    expect(advice.matched).toBe(7);
    expect(advice.summary).toMatch(/^7 recommendation\(s\), top 3 listed; most urgent: \[high\] Out of memory/);
    expect(recommend(findings, { max: 500 }).recommendations).toHaveLength(7);
    expect(recommend(findings, { max: 0 }).recommendations).toHaveLength(1);
  });

  it('caps the evidence of one recommendation', () => {
    const many = detectErrors(Array.from({ length: 50 }, (_, i) => [`timeout calling svc-${i}`, 50 - i] as [string, number]));
    const rec = recommend(many).recommendations[0];
    expect(rec.evidence).toHaveLength(6);
    expect(rec.evidence[0]).toEqual({ path: 'top_error_messages[0].message', value: 'timeout calling svc-0' });
  });
});

describe('inputs that are not findings', () => {
  it.each([
    ['empty', {}],
    ['unrelated', { hello: 'world', n: 42, list: [1, 2, 3], nested: { a: { b: { c: null } } } }],
    ['odd types', { status: 42, metrics: 'yellow', unassigned_shards: 'many', nodes: 'es-1', top_error_messages: 'x', error: { code: 7 } }],
    ['nulls', { cluster_health: null, top_error_messages: [null, { message: null, count: 'x' }] }],
  ])('%s: no crash, no recommendation, an unmatched hint', (_label, findings) => {
    const advice = recommend(findings);
    expect(advice.recommendations).toEqual([]);
    expect(advice.truncated).toBe(false);
    expect(advice.unmatched?.length).toBeGreaterThan(0);
    expect(advice.unmatched!.join('\n')).toContain('elk_cluster_health with include_shards=true');
    expect(advice.summary).toMatch(/No rule matched/);
  });

  it('says when the findings are empty, and quotes an unrecognised log message', () => {
    expect(recommend({}).unmatched![0]).toMatch(/^findings is empty/);
    const advice = recommend(detectErrors([['user 42 not found in tenant acme', 12]]));
    expect(advice.recommendations).toEqual([]);
    expect(advice.unmatched!.join('\n')).toContain('"user 42 not found in tenant acme"');
    expect(advice.unmatched!.join('\n')).not.toContain('Run elk_detect_errors');
  });

  it('an error about the call itself points back at its own hint', () => {
    const advice = recommend({ ok: false, error: { code: 'invalid_input', message: 'Invalid arguments for elk_search_logs: limit: Too big' } });
    expect(advice.recommendations).toEqual([]);
    expect(advice.unmatched![0]).toMatch(/invalid_input is about the call itself/);
  });

  it('deep, wide and hostile inputs stay bounded and fast', () => {
    let deep: Record<string, unknown> = { message: 'Connection refused' };
    for (let i = 0; i < 200; i++) deep = { next: deep };
    expect(recommend(deep).unmatched![0]).toMatch(/^Only the first/);

    const wide = { top_error_messages: Array.from({ length: 50_000 }, (_, i) => ({ message: `timeout ${i}`, count: 1 })) };
    const started = performance.now();
    const advice = recommend(wide);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(advice.recommendations[0].id).toBe('app_timeout');
    expect(advice.recommendations[0].evidence).toHaveLength(6);

    const hostile = { top_error_messages: [{ message: `${'a'.repeat(200_000)}!`, count: 1 }, { message: `${'circuit breaker '.repeat(5_000)}x`, count: 1 }] };
    const t0 = performance.now();
    recommend(hostile);
    expect(performance.now() - t0).toBeLessThan(2_000);

    const cyclic: Record<string, unknown> = { status: 'yellow' };
    cyclic.self = cyclic;
    expect(() => recommend(cyclic)).not.toThrow();
  });
});

describe('elk_detect_errors output', () => {
  it('a pattern and its example share one count', () => {
    const findings = {
      summary: '182 error(s) in the window',
      total_errors: 182,
      errors_by_service: [{ service: 'payment-service', count: 145 }],
      top_error_messages: [
        { message: 'timeout to <*>', example: 'timeout to fraud-service after 3000ms', count: 72, services: ['payment-service'], trace_id: 'abc' },
        { message: 'connect ECONNREFUSED <ip>:<num>', example: 'connect ECONNREFUSED 10.0.0.9:5432', count: 9, services: ['ledger'] },
      ],
      samples: [{ timestamp: '2026-04-26T01:25:00Z', service: 'payment-service', log_level: 'error', message: 'timeout to fraud-service after 3000ms', trace_id: 'abc' }],
      recommendation: [],
      fields_used: { service: 'service.name', message: 'message' },
    };
    const advice = recommend(findings);
    const timeout = advice.recommendations.find((r) => r.id === 'app_timeout')!;
    expect(timeout.title).toMatch(/: 72 events$/);
    expect(timeout.evidence.slice(0, 2)).toEqual([
      { path: 'top_error_messages[0].message', value: 'timeout to <*>' },
      { path: 'top_error_messages[0].count', value: 72 },
    ]);
    expect(advice.recommendations.find((r) => r.id === 'app_connection_refused')!.title).toBe('Connections refused or reset: 9 events');
  });
});
