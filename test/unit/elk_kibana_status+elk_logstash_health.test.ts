/**
 * The Kibana and Logstash tools' readings of answers the contract fakes do not produce (string
 * last_error, "Infinity" flow windows, a full persistent queue, a full DLQ, a 7.x red status
 * with details), with the backend replaced by a stub, and the read-only allowlists of the three
 * backends.
 */
import { describe, expect, it } from 'vitest';
import { TelemcpError } from '../../src/core/errors.js';
import { KibanaBackend, isReadOnlyKibanaPath, type KibanaStatusBody } from '../../src/backends/kibana/kibana.js';
import { LogstashBackend, isReadOnlyLogstashPath, type LogstashNodeStats, type LogstashPipelineStats } from '../../src/backends/logstash/logstash.js';
import { BeatsStatsBackend, isReadOnlyBeatsPath } from '../../src/backends/beats/beats.js';
import type { Backends } from '../../src/backends/backends.js';
import { KIBANA } from '../../src/backends/kibana/module.js';
import { LOGSTASH } from '../../src/backends/logstash/module.js';
import { fakeBackends } from '../helpers/backends.js';
import { elkKibanaStatus } from '../../src/tools/elk/elk_kibana_status.js';
import { elkLogstashHealth } from '../../src/tools/elk/elk_logstash_health.js';
import type { ToolContext } from '../../src/tools/tool.js';
import { testConfig } from '../helpers/config.js';

function ctxWith(backends: Backends): ToolContext {
  return {
    caller: { id: 'unit', role: 'elk_admin_readonly', transport: 'direct' },
    signal: new AbortController().signal,
    backends,
    config: testConfig({ BACKEND_TIMEOUT_MS: '1000' }),
    log: { info() {}, warn() {}, error() {}, debug() {} } as unknown as ToolContext['log'],
    progress: () => {},
    guarded: { get: () => undefined },
    callableTools: () => [],
  };
}

const http = { timeoutMs: 1000, maxRetries: 0, maxResponseBytes: 1024 * 1024, verifyTls: true, url: 'http://127.0.0.1:9' };

describe('read-only allowlists', () => {
  it('Kibana: only GET /api/status', () => {
    expect(isReadOnlyKibanaPath('GET', '/api/status')).toBe(true);
    for (const [m, p] of [['POST', '/api/status'], ['GET', '/api/saved_objects/_find'], ['DELETE', '/api/status'], ['GET', '/api/console/proxy'], ['POST', '/api/console/proxy']] as const) expect(isReadOnlyKibanaPath(m, p), `${m} ${p}`).toBe(false);
  });

  it('Logstash: the root and node stats', () => {
    for (const p of ['/', '/_node/stats']) expect(isReadOnlyLogstashPath('GET', p)).toBe(true);
    for (const [m, p] of [['POST', '/_node/stats'], ['GET', '/_node/hot_threads'], ['DELETE', '/_node/pipelines'], ['GET', '/_node/logging']] as const) expect(isReadOnlyLogstashPath(m, p), `${m} ${p}`).toBe(false);
  });

  it('Beats: the root and /stats; no pprof', () => {
    expect(isReadOnlyBeatsPath('GET', '/stats')).toBe(true);
    expect(isReadOnlyBeatsPath('GET', '/debug/pprof/heap')).toBe(false);
    expect(isReadOnlyBeatsPath('POST', '/stats')).toBe(false);
  });

  it('each backend refuses a request outside its allowlist before anything leaves the process', async () => {
    const clients = [new KibanaBackend(http).http, new LogstashBackend(http).http, new BeatsStatsBackend(http).http];
    for (const client of clients) {
      await expect(client.send({ method: 'POST', path: '/_node/pipelines', signal: AbortSignal.timeout(1000) })).rejects.toMatchObject({ code: 'query_denied' });
      await client.close();
    }
  });
});

describe('elk_logstash_health readings', () => {
  const flow = (current: number | string) => ({ current, lifetime: 1 });
  const pipeline = (over: Partial<LogstashPipelineStats> = {}): LogstashPipelineStats => ({
    events: { in: 1000, filtered: 1000, out: 1000, duration_in_millis: 10, queue_push_duration_in_millis: 0 },
    flow: { input_throughput: flow(10), filter_throughput: flow(10), output_throughput: flow(10), queue_backpressure: flow(0), worker_concurrency: flow(0.1) },
    plugins: { inputs: [], filters: [], outputs: [] },
    reloads: { successes: 0, failures: 0, last_error: null, last_success_timestamp: null, last_failure_timestamp: null },
    queue: { type: 'memory', events_count: 0, queue_size_in_bytes: 0, max_queue_size_in_bytes: 0 },
    pipeline: { workers: 2, batch_size: 125, batch_delay: 50 },
    ...over,
  });
  const node = (pipelines: Record<string, LogstashPipelineStats>, over: Partial<LogstashNodeStats> = {}): LogstashNodeStats => ({
    host: 'ls1',
    version: '8.19.0',
    status: 'green',
    jvm: { mem: { heap_used_percent: 30, heap_max_in_bytes: 1 << 30 }, uptime_in_millis: 60_000 },
    process: { open_file_descriptors: 10, max_file_descriptors: 1000 },
    pipelines,
    ...over,
  });
  const run = async (stats: LogstashNodeStats | LogstashNodeStats[], input: { pipeline_id?: string } = {}) => {
    const answers = Array.isArray(stats) ? [...stats] : [stats];
    const stub = { nodeStats: async () => (answers.length > 1 ? answers.shift()! : answers[0]) } as unknown as LogstashBackend;
    return elkLogstashHealth.handler(input, ctxWith(fakeBackends([[LOGSTASH, stub]])));
  };

  it('a reload that failed and later succeeded is history, not a finding; a string last_error is read', async () => {
    const recovered = await run(node({ main: pipeline({ reloads: { successes: 2, failures: 1, last_error: 'old error', last_failure_timestamp: '2026-01-01T00:00:00Z', last_success_timestamp: '2026-01-01T01:00:00Z' } }) }));
    expect(recovered.status).toBe('green');
    expect(recovered.pipelines[0].reloads).toEqual({ successes: 2, failures: 1, last_error: 'old error', last_failure: '2026-01-01T00:00:00Z' });

    const failing = await run(node({ main: pipeline({ reloads: { successes: 0, failures: 1, last_error: 'Expected one of #, {', last_failure_timestamp: '2026-01-01T00:00:00Z', last_success_timestamp: null } }) }));
    expect(failing.findings.map((f) => f.finding)).toEqual(['latest config reload failed (1 failure(s), last at 2026-01-01T00:00:00Z): Expected one of #, {; the previous config is still running']);
  });

  it('an output spending worker time with no event completing ("Infinity") is the bottleneck of a stuck pipeline', async () => {
    const r = await run(
      node({
        main: pipeline({
          flow: { input_throughput: flow(40), filter_throughput: flow(0), output_throughput: flow(0), queue_backpressure: flow(1.5), worker_concurrency: flow(2) },
          plugins: { filters: [{ id: 'f1', name: 'mutate', flow: { worker_utilization: flow(3) } }], outputs: [{ id: 'o1', name: 'kafka', flow: { worker_utilization: flow(40), worker_millis_per_event: flow('Infinity') } }] },
        }),
      }),
    );
    expect(r.status).toBe('red');
    expect(r.pipelines[0]).toMatchObject({ state: 'stuck', bottleneck: { plugin: 'kafka', id: 'o1', utilization_percent: 100 } });
  });

  it('a trickle without output yet is not stuck; idle pipelines are green with a note about inputs', async () => {
    const trickle = await run(node({ main: pipeline({ flow: { input_throughput: flow(0.5), output_throughput: flow(0), queue_backpressure: flow(0) } }) }));
    expect(trickle.pipelines[0].state).toBe('flowing');
    const idle = await run(node({ a: pipeline({ flow: { input_throughput: flow(0), output_throughput: flow(0), queue_backpressure: flow(0) } }) }));
    expect(idle.status).toBe('green');
    expect(idle.pipelines[0].state).toBe('idle');
    expect(idle.recommendation.join(' ')).toMatch(/every pipeline is idle/);
  });

  it('backpressure without a stop is a warning; a nearly full persistent queue is critical', async () => {
    const r = await run(
      node({
        main: pipeline({
          flow: { input_throughput: flow(100), filter_throughput: flow(100), output_throughput: flow(100), queue_backpressure: flow(0.8), worker_concurrency: flow(2) },
          queue: { type: 'persisted', events_count: 50_000, queue_size_in_bytes: 970, max_queue_size_in_bytes: 1000 },
        }),
      }),
    );
    expect(r.pipelines[0]).toMatchObject({ state: 'backpressured', queue: { type: 'persisted', events: 50_000, fill_percent: 97 } });
    expect(r.findings.map((f) => `${f.severity}: ${f.finding}`)).toEqual([
      'critical: persistent queue 97% full (970b of 1000b): inputs block when it is full',
      'warning: inputs blocked 80% of the time pushing into the queue (backpressure 0.8); filters/outputs are the limit.',
    ]);
  });

  it('a full DLQ dropping events is critical; its growth is measured across the two snapshots', async () => {
    const dlq = (size: number) => node({ main: pipeline({ dead_letter_queue: { queue_size_in_bytes: size, max_queue_size_in_bytes: 1024, dropped_events: 12, storage_policy: 'drop_newer', last_error: 'cannot write event to DLQ: exceeded max size' } }) });
    const r = await run([dlq(1000), dlq(1024)]);
    expect(r.metrics.sampled_ms).toBeGreaterThanOrEqual(200);
    expect(r.pipelines[0].dlq).toMatchObject({ size_bytes: 1024, dropped_events: 12 });
    expect(r.pipelines[0].dlq!.growth_bytes_per_s).toBeGreaterThan(0);
    expect(r.findings[0]).toEqual({ severity: 'critical', pipeline: 'main', finding: 'dead-letter queue full: 12 event(s) dropped (drop_newer): cannot write event to DLQ: exceeded max size' });
  });

  it('node-level: heap, file descriptors and a yellow health report', async () => {
    const r = await run(node({ main: pipeline() }, { status: 'yellow', jvm: { mem: { heap_used_percent: 88, heap_max_in_bytes: 1 << 30 } }, process: { open_file_descriptors: 950, max_file_descriptors: 1000 } }));
    expect(r.status).toBe('yellow');
    expect(r.findings.map((f) => f.finding)).toEqual(['JVM heap 88% used of 1.0gb', '950 of 1000 file descriptors open', 'Logstash reports its own health as yellow']);
  });
});

describe('elk_kibana_status readings', () => {
  const run = (body: KibanaStatusBody, input = { include_plugins: true, all_plugins: false }) => {
    const stub = { status: async () => body } as unknown as KibanaBackend;
    return elkKibanaStatus.handler(input, ctxWith(fakeBackends([[KIBANA, stub]])));
  };

  it('7.x red with details (older 7.x answer 200): unavailable, the failing core service named', async () => {
    const r = await run({
      name: 'kb7',
      version: { number: '7.10.2' },
      status: {
        overall: { state: 'red' },
        statuses: [
          { id: 'core:elasticsearch@7.10.2', state: 'red', message: 'Unable to connect to Elasticsearch' },
          { id: 'plugin:reporting@7.10.2', state: 'red', message: 'Waiting for Elasticsearch' },
        ],
      },
    });
    expect(r.status).toBe('unavailable');
    expect(r.core).toEqual([{ service: 'elasticsearch', level: 'unavailable', summary: 'Unable to connect to Elasticsearch' }]);
    expect(r.findings[0]).toEqual({ severity: 'critical', service: 'elasticsearch', finding: 'core service elasticsearch is unavailable: Unable to connect to Elasticsearch' });
    expect(r.recommendation[0]).toMatch(/^Check Kibana → Elasticsearch connectivity/);
  });

  it('load: a delayed event loop, a full heap and queued Elasticsearch requests are warnings', async () => {
    const r = await run({
      name: 'kb',
      version: { number: '8.19.0' },
      status: { overall: { level: 'available' }, core: { elasticsearch: { level: 'available', summary: 'ok' }, savedObjects: { level: 'available', summary: 'ok' } }, plugins: {} },
      metrics: { process: { event_loop_delay: 2400.4, memory: { heap: { used_in_bytes: 95, size_limit: 100 } } }, elasticsearch_client: { totalQueuedRequests: 7 } },
    });
    expect(r.status).toBe('available');
    expect(r.findings.map((f) => f.finding)).toEqual([
      'event loop delayed 2400 ms: the Kibana process is overloaded',
      'Node.js heap 95% of its limit',
      '7 request(s) to Elasticsearch queued waiting for a socket',
    ]);
    expect(r.recommendation.join(' ')).toMatch(/overloaded/);
  });

  it('plugin lists are bounded and say so', async () => {
    const plugins = Object.fromEntries(Array.from({ length: 45 }, (_, i) => [`p${String(i).padStart(2, '0')}`, { level: 'degraded' as const, summary: 'x' }]));
    const r = await run({ version: { number: '8.19.0' }, status: { overall: { level: 'degraded' }, core: { elasticsearch: { level: 'available' }, savedObjects: { level: 'available' } }, plugins } });
    expect(r.plugins).toHaveLength(30);
    expect(r.truncated).toBe(true);
    expect(r.metrics.plugins_not_available).toBe(45);
  });

  it('a missing Kibana backend is backend_unavailable naming KIBANA_URL', async () => {
    const err = await elkKibanaStatus.handler({ include_plugins: false, all_plugins: false }, ctxWith(fakeBackends())).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TelemcpError);
    expect((err as TelemcpError).hint).toMatch(/KIBANA_URL/);
  });
});
