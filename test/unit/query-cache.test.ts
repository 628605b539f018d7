/**
 * The query cache (src/tools/query-cache.ts) and the windowed tools' opt-ins (cache-windows.ts):
 * keys, step alignment and TTLs as pure functions, then the cache inside the one pipeline with a
 * fake windowed tool and a clock the test moves. Never past the TTL, never across roles or
 * sources, never an error or a partial answer, and bounded memory.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { LogSource } from '../../src/backends/capabilities.js';
import { TelemcpError } from '../../src/core/errors.js';
import { createLogger } from '../../src/core/logger.js';
import { parseTime } from '../../src/core/time.js';
import type { AuditRecord, AuditSink } from '../../src/security/audit.js';
import { RateLimiter } from '../../src/security/rate-limit.js';
import { Metrics } from '../../src/telemetry/metrics.js';
import { logToolCache, nativeQueryCache } from '../../src/tools/cache-windows.js';
import { LOGSQL_GUARD } from '../../src/backends/victorialogs/logsql-guard.js';

const vlogsCache = nativeQueryCache(LOGSQL_GUARD);
import { invokeTool, type Runtime } from '../../src/tools/invoke.js';
import { cacheByWindow, canonicalJson, planOf, QueryCache, stepFor, ttlFor, type CacheWindow } from '../../src/tools/query-cache.js';
import { ToolRegistry } from '../../src/tools/registry.js';
import { manifest } from '../../src/tools/toolsets.js';
import { defineTool, type Caller } from '../../src/tools/tool.js';
import { fakeBackends } from '../helpers/backends.js';
import { testConfig } from '../helpers/config.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
/** A whole hour, so steps of any size start on it. */
const T0 = Date.parse('2026-12-07T14:00:00Z');

const config = testConfig();

function relWindow(now: number, fromAgoMs: number, source = 'vl'): CacheWindow {
  return { from: now - fromAgoMs, to: now, fromRelative: true, toRelative: true, source };
}

describe('step and TTL', () => {
  it('steps a 200th of the window, on a nice value between 10 s and 5 min', () => {
    expect(stepFor(15 * MINUTE)).toBe(10 * SECOND);
    expect(stepFor(HOUR)).toBe(30 * SECOND);
    expect(stepFor(6 * HOUR)).toBe(2 * MINUTE);
    expect(stepFor(24 * HOUR)).toBe(5 * MINUTE);
    expect(stepFor(31 * 24 * HOUR)).toBe(5 * MINUTE);
    expect(stepFor(0)).toBe(10 * SECOND);
  });

  it('keeps an answer by how recent its window\'s end is', () => {
    const step = 30 * SECOND;
    // Ending now: until the current step ends.
    expect(ttlFor(T0 + 12 * SECOND, step, T0 + 12 * SECOND, 10 * MINUTE)).toBe(18 * SECOND);
    expect(ttlFor(T0, step, T0, 10 * MINUTE)).toBe(30 * SECOND);
    // Ending in the future counts as now.
    expect(ttlFor(T0 + HOUR, step, T0 + 5 * SECOND, 10 * MINUTE)).toBe(25 * SECOND);
    // Closed within the last hour: a minute; before that: ten minutes.
    expect(ttlFor(T0 - 5 * MINUTE, step, T0, 10 * MINUTE)).toBe(MINUTE);
    expect(ttlFor(T0 - 2 * HOUR, step, T0, 10 * MINUTE)).toBe(10 * MINUTE);
    // The setting bounds them all.
    expect(ttlFor(T0 - 2 * HOUR, step, T0, 20 * SECOND)).toBe(20 * SECOND);
    expect(ttlFor(T0 - 5 * MINUTE, step, T0, 20 * SECOND)).toBe(20 * SECOND);
  });
});

describe('keys', () => {
  const key = (input: Record<string, unknown>, w: CacheWindow, now: number, role = 'elk_viewer', cfg = config) => planOf('t', ['start', 'end'], input, role, cfg, w, now).key;

  it('sorts keys at every level and drops undefined, so argument order never matters', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: undefined } })).toBe('{"a":{"d":[1,{"x":1,"y":2}]},"b":1}');
    const w = relWindow(T0, HOUR);
    expect(key({ query: 'x', limit: 5 }, w, T0)).toBe(key({ limit: 5, query: 'x' }, w, T0));
  });

  it('aligns relative ends down to the step: now-1h twice within a step shares a key, the next step does not', () => {
    const at = (now: number) => key({ query: 'x', start: 'now-1h' }, relWindow(now, HOUR), now);
    expect(at(T0 + 1 * SECOND)).toBe(at(T0 + 29 * SECOND));
    expect(at(T0 + 29 * SECOND)).not.toBe(at(T0 + 30 * SECOND));
    // The time arguments are replaced by the resolved window: their text is not in the key.
    expect(key({ query: 'x', start: 'now-60m' }, relWindow(T0, HOUR), T0)).toBe(key({ query: 'x', start: 'now-1h' }, relWindow(T0, HOUR), T0));
  });

  it('keeps absolute ends exact, and never shares a key between a relative and an absolute window', () => {
    const abs = (from: number, to: number): CacheWindow => ({ from, to, fromRelative: false, toRelative: false, source: 'vl' });
    expect(key({}, abs(T0 - HOUR + 1, T0), T0)).not.toBe(key({}, abs(T0 - HOUR, T0), T0));
    expect(key({}, abs(T0 - HOUR, T0), T0 + 5 * MINUTE)).toBe(key({}, abs(T0 - HOUR, T0), T0));
    expect(key({}, abs(T0 - HOUR, T0), T0)).not.toBe(key({}, relWindow(T0, HOUR), T0));
  });

  it('separates roles, sources (tenants), inputs and what the configuration lets callers read', () => {
    const w = relWindow(T0, HOUR);
    const base = key({ query: 'x' }, w, T0);
    expect(key({ query: 'x' }, w, T0, 'elk_admin_readonly')).not.toBe(base);
    expect(key({ query: 'x' }, relWindow(T0, HOUR, 'other'), T0)).not.toBe(base);
    expect(key({ query: 'y' }, w, T0)).not.toBe(base);
    expect(key({ query: 'x' }, w, T0, 'elk_viewer', testConfig({ ALLOWED_INDEX_PATTERNS: 'logs-*' }))).not.toBe(base);
  });
});

describe('the opt-ins resolve window and source as their tools do', () => {
  const now = new Date(T0);
  const source = (name: string, kind: string) => ({ name, kind }) as unknown as LogSource;

  it('log tools: the only source by default, the named one otherwise; the embedded store never', () => {
    const one = fakeBackends([], [source('victorialogs', 'victorialogs')]);
    const w = logToolCache().window({}, { backends: one, config, now });
    expect(w).toEqual({ from: T0 - HOUR, to: T0, fromRelative: true, toRelative: true, source: 'victorialogs' });
    const two = fakeBackends([], [source('victorialogs', 'victorialogs'), source('embedded', 'embedded')]);
    expect(logToolCache().window({ source: 'victorialogs', start_time: '2026-12-07T10:00:00Z' }, { backends: two, config, now })).toMatchObject({ from: T0 - 4 * HOUR, fromRelative: false, toRelative: true });
    expect(logToolCache().window({ source: 'embedded' }, { backends: two, config, now })).toBeUndefined();
    // A next page is not kept: its cursor already fixes the window, and nobody asks a page twice.
    expect(logToolCache().window({ cursor: 'c.1.x' }, { backends: one, config, now })).toBeUndefined();
    // Several sources and none named: the handler's error to give, not the cache's to guess.
    expect(() => logToolCache().window({}, { backends: two, config, now })).toThrow(TelemcpError);
  });

  it('vlogs_query: start an hour before end when missing, relative as end is', () => {
    const backends = fakeBackends();
    const closed = vlogsCache.window({ end: '2026-12-07T12:00:00Z', source: 'eu' }, { backends, config, now });
    expect(closed).toEqual({ from: T0 - 3 * HOUR, to: T0 - 2 * HOUR, fromRelative: false, toRelative: false, source: 'eu' });
    expect(vlogsCache.window({ start: 'now-15m', source: 'eu' }, { backends, config, now })).toEqual({ from: T0 - 15 * MINUTE, to: T0, fromRelative: true, toRelative: true, source: 'eu' });
  });
});

// ---------------------------------------------------------------------------
// In the pipeline
// ---------------------------------------------------------------------------

class MemoryAudit implements AuditSink {
  readonly records: AuditRecord[] = [];
  async write(record: AuditRecord): Promise<void> {
    this.records.push(record);
  }
  close(): void {}
}

/** A windowed tool over a made-up backend: counts its reads, fails, answers partially or pads on request. */
function windowedTool(reads: { n: number }, release?: Promise<void>) {
  return defineTool({
    name: 'fake_windowed',
    title: 'Windowed probe',
    description: 'In-process fake of a tool reading a backend over a window.',
    toolset: 'fake',
    leastRole: 'elk_viewer',
    input: z
      .object({
        query: z.string().default('*'),
        start: z.string().optional(),
        end: z.string().optional(),
        source: z.string().optional(),
        outcome: z.enum(['ok', 'fail', 'partial']).default('ok'),
        pad: z.number().int().min(0).default(0),
      })
      .strict(),
    output: z.record(z.string(), z.unknown()),
    cache: cacheByWindow<{ start?: string; end?: string; source?: string }>(['start', 'end'], (input, env) => ({
      from: parseTime(input.start ?? 'now-1h', env.now).getTime(),
      to: parseTime(input.end ?? 'now', env.now, true).getTime(),
      fromRelative: (input.start ?? 'now').startsWith('now'),
      toRelative: (input.end ?? 'now').startsWith('now'),
      source: input.source ?? 'default',
    })),
    async handler(input, ctx) {
      reads.n++;
      await release;
      if (input.outcome === 'fail') throw new TelemcpError('backend_error', 'the backend failed');
      return { summary: `read ${reads.n} for ${ctx.caller.role}`, read: reads.n, padding: 'x'.repeat(input.pad), ...(input.outcome === 'partial' ? { partial: true } : {}) };
    },
  });
}

interface Harness {
  rt: Runtime;
  reads: { n: number };
  clock: { now: number };
  audit: MemoryAudit;
  cache: QueryCache;
}

function harness(opts: { maxBytes?: number; maxTtlMs?: number; release?: Promise<void> } = {}): Harness {
  const cfg = testConfig({ RATE_LIMIT_PER_MINUTE: '100000' });
  const reads = { n: 0 };
  const clock = { now: T0 + 5 * SECOND };
  const backends = fakeBackends();
  const metrics = new Metrics();
  const audit = new MemoryAudit();
  const cache = new QueryCache({ maxBytes: opts.maxBytes ?? 1024 * 1024, maxTtlMs: opts.maxTtlMs ?? 10 * MINUTE, metrics, now: () => clock.now });
  const rt: Runtime = {
    config: cfg,
    registry: new ToolRegistry([manifest({ name: 'fake', description: 'query cache fakes', tools: [windowedTool(reads, opts.release)] })], backends),
    backends,
    rateLimiter: new RateLimiter(cfg.RATE_LIMIT_PER_MINUTE, cfg.MAX_CONCURRENT_PER_KEY),
    ingestRateLimiter: new RateLimiter(cfg.INGEST_RATE_LIMIT_PER_MINUTE, cfg.MAX_CONCURRENT_PER_KEY),
    audit,
    metrics,
    log: createLogger('silent'),
    queryCache: cache,
  };
  return { rt, reads, clock, audit, cache };
}

const viewer: Caller = { id: 'key-viewer', role: 'elk_viewer', transport: 'direct' };
const admin: Caller = { id: 'key-admin', role: 'elk_admin_readonly', transport: 'direct' };

async function call(h: Harness, input: Record<string, unknown>, caller: Caller = viewer): Promise<Record<string, unknown>> {
  const res = await invokeTool(h.rt, 'fake_windowed', input, caller);
  if (!res.ok) throw new Error(JSON.stringify(res.error));
  // What every front door sends is res.json: it must say the same as res.data.
  expect(JSON.parse(res.json)).toEqual(res.data);
  return res.data as Record<string, unknown>;
}

const counter = async (m: Metrics, name: string) => (await m.registry.getSingleMetric(name)!.get()).values.map((v) => [v.labels.tool ?? '', v.value]);

describe('QueryCache in the pipeline', () => {
  it('answers a repeated call from the cache, says cached_at, and audits and counts hit and miss', async () => {
    const h = harness();
    const first = await call(h, { query: 'error' });
    h.clock.now += 10 * SECOND;
    const again = await call(h, { query: 'error' });
    expect(h.reads.n).toBe(1);
    expect(first.cached_at).toBeUndefined();
    expect(again).toEqual({ summary: first.summary, cached_at: new Date(T0 + 5 * SECOND).toISOString(), read: 1, padding: '' });
    expect(Object.keys(again).slice(0, 2)).toEqual(['summary', 'cached_at']);
    expect(h.audit.records.filter((r) => r.phase === 'after').map((r) => r.cache)).toEqual(['miss', 'hit']);
    expect(await counter(h.rt.metrics, 'telemcp_query_cache_hits_total')).toEqual([['fake_windowed', 1]]);
    expect(await counter(h.rt.metrics, 'telemcp_query_cache_misses_total')).toEqual([['fake_windowed', 1]]);
    expect(await counter(h.rt.metrics, 'telemcp_query_cache_entries')).toEqual([['', 1]]);
  });

  it('never serves an answer past its TTL', async () => {
    const h = harness();
    // A closed window two hours back: kept ten minutes from when it was computed, not a millisecond more.
    const closed = { start: '2026-12-07T11:00:00Z', end: '2026-12-07T12:00:00Z' };
    await call(h, closed);
    h.clock.now += 10 * MINUTE - 1;
    expect((await call(h, closed)).cached_at).toBeDefined();
    h.clock.now += 1;
    expect((await call(h, closed)).cached_at).toBeUndefined();
    expect(h.reads.n).toBe(2);
    // A window ending now (step 30 s; computed 5 s into the step): until the step ends, 25 s later.
    const live = harness();
    await call(live, { query: 'x' });
    live.clock.now += 25 * SECOND - 1;
    expect((await call(live, { query: 'x' })).cached_at).toBeDefined();
    live.clock.now += 1;
    expect((await call(live, { query: 'x' })).cached_at).toBeUndefined();
    expect(live.reads.n).toBe(2);
  });

  it('honours the TTL setting over the recency rule', async () => {
    const h = harness({ maxTtlMs: 2 * SECOND });
    const closed = { start: '2026-12-07T11:00:00Z', end: '2026-12-07T12:00:00Z' };
    await call(h, closed);
    h.clock.now += 2 * SECOND;
    expect((await call(h, closed)).cached_at).toBeUndefined();
  });

  it('never shares an answer across roles or sources', async () => {
    const h = harness();
    const asViewer = await call(h, { query: 'x' }, viewer);
    const asAdmin = await call(h, { query: 'x' }, admin);
    expect(asAdmin.summary).toBe('read 2 for elk_admin_readonly');
    expect(asAdmin.cached_at).toBeUndefined();
    expect(asViewer.summary).toBe('read 1 for elk_viewer');
    await call(h, { query: 'x', source: 'eu' });
    await call(h, { query: 'x', source: 'us' });
    expect(h.reads.n).toBe(4);
    expect((await call(h, { query: 'x', source: 'eu' })).read).toBe(3);
    expect((await call(h, { query: 'x' }, admin)).summary).toBe('read 2 for elk_admin_readonly');
  });

  it('never caches an error or a partial answer', async () => {
    const h = harness();
    for (let i = 0; i < 2; i++) {
      const res = await invokeTool(h.rt, 'fake_windowed', { outcome: 'fail' }, viewer);
      expect(res.ok).toBe(false);
    }
    expect(h.reads.n).toBe(2);
    const partial = [await call(h, { outcome: 'partial' }), await call(h, { outcome: 'partial' })];
    expect(partial.map((p) => [p.partial, p.cached_at])).toEqual([
      [true, undefined],
      [true, undefined],
    ]);
    expect(h.reads.n).toBe(4);
    expect(await counter(h.rt.metrics, 'telemcp_query_cache_entries')).toEqual([['', 0]]);
  });

  it('checks the role before answering from the cache', async () => {
    const h = harness();
    await call(h, { query: 'x' });
    const shipper: Caller = { id: 'key-ingest', role: 'ingest', transport: 'rest' };
    const res = await invokeTool(h.rt, 'fake_windowed', { query: 'x' }, shipper);
    expect(res.ok ? 'ok' : res.error.code).toBe('permission_denied');
  });

  it('holds at most its bytes: the least recently used answers go first, one larger than the cache is not kept', async () => {
    const h = harness({ maxBytes: 10_000 });
    for (const q of ['a', 'b', 'c']) await call(h, { query: q, pad: 4_000 });
    const [[, bytes]] = await counter(h.rt.metrics, 'telemcp_query_cache_bytes');
    expect(bytes).toBeLessThanOrEqual(10_000);
    expect(await counter(h.rt.metrics, 'telemcp_query_cache_entries')).toEqual([['', 2]]);
    expect((await call(h, { query: 'c', pad: 4_000 })).cached_at).toBeDefined();
    expect((await call(h, { query: 'a', pad: 4_000 })).cached_at).toBeUndefined();
    await call(h, { query: 'huge', pad: 20_000 });
    expect((await call(h, { query: 'huge', pad: 20_000 })).cached_at).toBeUndefined();
  });

  it('reads once for identical calls in flight at the same time', async () => {
    let open!: () => void;
    const h = harness({ release: new Promise<void>((resolve) => (open = resolve)) });
    const calls = [call(h, { query: 'x' }), call(h, { query: 'x' }), call(h, { query: 'x' })];
    await new Promise((resolve) => setImmediate(resolve));
    open();
    const answers = await Promise.all(calls);
    expect(h.reads.n).toBe(1);
    expect(answers.map((a) => a.read)).toEqual([1, 1, 1]);
    expect(answers.filter((a) => a.cached_at !== undefined)).toHaveLength(2);
  });

  it('lets identical calls in flight read for themselves when the first one fails', async () => {
    let open!: () => void;
    const h = harness({ release: new Promise<void>((resolve) => (open = resolve)) });
    const failing = invokeTool(h.rt, 'fake_windowed', { outcome: 'fail' }, viewer);
    const waiting = invokeTool(h.rt, 'fake_windowed', { outcome: 'fail' }, viewer);
    await new Promise((resolve) => setImmediate(resolve));
    open();
    expect((await failing).ok).toBe(false);
    expect((await waiting).ok).toBe(false);
    expect(h.reads.n).toBe(2);
  });
});
