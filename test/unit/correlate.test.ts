/**
 * Correlation and likely cause: joining errors by trace and by time, ranking the cause above
 * its symptoms, and staying bounded and honest on degenerate input (nothing, one event, a
 * million identical events, no trace ids, skewed clocks).
 */
import { describe, expect, it } from 'vitest';
import { correlate, type LogEvent } from '../../src/analysis/correlate/correlate.js';
import { meaningOf } from '../../src/analysis/correlate/semantics.js';
import { createMasker } from '../../src/analysis/templates/mask.js';
import { rng } from '../helpers/random.js';

/** One message's template without a miner: its variables masked (enough where each test message stands alone). */
const normalizeMessage = createMasker();

const START = Date.UTC(2026, 4, 10, 8, 0, 0);
const MINUTE = 60_000;
const END = START + 120 * MINUTE;
/** The window a tool would query: the baseline before the events of interest included. */
const WINDOW = { windowStartMs: START, windowEndMs: END };

function event(ts: number, service: string, level: string, message: string, traceId?: string): LogEvent {
  const template = normalizeMessage(message);
  return { ts, service, level, templateId: template, template, ...(traceId ? { traceId } : {}) };
}


/** `perMinute` events a minute from `from` to `to`, spread with jitter, each made by `make`. */
function timeline(random: () => number, from: number, to: number, perMinute: number, make: (ts: number, i: number) => LogEvent[]): LogEvent[] {
  const out: LogEvent[] = [];
  let i = 0;
  for (let minute = from; minute < to; minute += MINUTE) {
    for (let k = 0; k < perMinute; k++) out.push(...make(minute + Math.floor(random() * MINUTE), i++));
  }
  return out;
}

const hex = (random: () => number) => Math.floor(random() * 2 ** 48).toString(16).padStart(12, '0');

describe('correlate: degenerate input', () => {
  it('answers an empty list with an empty result', () => {
    const c = correlate([]);
    expect(c.incident).toBeUndefined();
    expect(c.events).toEqual({ total: 0, errors: 0, warnings: 0, ignored: 0, withTrace: 0 });
    expect(c.overall.bursts).toEqual([]);
    expect([c.otherBursts, c.resolvedSpikes, c.steady]).toEqual([[], [], []]);
  });

  it('finds no incident in one event', () => {
    const c = correlate([event(START, 'api', 'error', 'boom')]);
    expect(c.incident).toBeUndefined();
    expect(c.events.errors).toBe(1);
    expect(c.window).toMatchObject({ startMs: START, buckets: 1 });
  });

  it('ignores info and debug lines and malformed events instead of failing', () => {
    const malformed = { ts: Number.NaN, service: 'api', level: 'error', templateId: 'x', template: 'x' } as LogEvent;
    const c = correlate([event(START, 'api', 'info', 'hello'), event(START + 1, 'api', 'DEBUG', 'hi'), malformed, event(START + 2, 'api', 'WARNING', 'careful')]);
    expect(c.events).toEqual({ total: 4, errors: 0, warnings: 1, ignored: 3, withTrace: 0 });
  });

  it('lays buckets on round times, takes a chosen width, and refuses a width that is not one', () => {
    const events = [event(START + 7_000, 'api', 'error', 'boom'), event(END, 'api', 'error', 'boom')];
    expect(correlate(events).window).toEqual({ startMs: START, endMs: END, bucketMs: MINUTE, buckets: 120, focusStartMs: START });
    expect(correlate(events, { bucketMs: 30_000 }).window).toMatchObject({ startMs: START, buckets: 240 });
    expect(() => correlate(events, { bucketMs: 0 })).toThrow(RangeError);
  });

  it('stays bounded on a million identical events', () => {
    const same = event(START, 'api', 'error', 'connection reset by peer 10.0.0.1', 'trace-1');
    const c = correlate(new Array<LogEvent>(1_000_000).fill(same));
    expect(c.events.errors).toBe(1_000_000);
    expect(c.incident).toBeUndefined();
    expect(JSON.stringify(c).length).toBeLessThan(5_000);
  });

  it('calls a million identical events spread evenly over two hours steady errors, not an incident', () => {
    const template = normalizeMessage('connection reset by peer 10.0.0.1');
    const events: LogEvent[] = Array.from({ length: 1_000_000 }, (_, i) => ({ ts: START + Math.floor((i * 120 * MINUTE) / 1_000_000), service: 'api', level: 'error', templateId: template, template, traceId: 'trace-1' }));
    const c = correlate(events, WINDOW);
    expect(c.incident).toBeUndefined();
    expect(c.steady).toEqual([{ service: 'api', templateId: template, template, severity: 'error', count: 1_000_000, level: expect.any(Number), presence: 1 }]);
    expect(c.steady[0].level).toBeGreaterThan(8000);
    expect(JSON.stringify(c).length).toBeLessThan(5_000);
  });

  it('keeps only the most frequent templates when there are very many', () => {
    const events = Array.from({ length: 2_000 }, (_, i) => event(START + i * 1000, 'api', 'error', `unique failure kind ${i.toString(36)}x`));
    const distinct = new Set(events.map((e) => e.templateId)).size;
    expect(distinct).toBeGreaterThan(50);
    const c = correlate(events, { maxStreams: 50 });
    expect(c.truncated).toBe(true);
  });
});

describe('correlate: semantics', () => {
  it('reads exhaustion as a cause and timeouts, 5xx and open breakers as symptoms, through the rule signatures', () => {
    expect(meaningOf('HikariPool-<*> - Connection is not available, request timed out after <*>.')).toEqual({ role: 'resource', semantic: 'pool_exhausted' });
    expect(meaningOf('java.lang.OutOfMemoryError: Java heap space')).toEqual({ role: 'resource', semantic: 'out_of_memory' });
    expect(meaningOf('write failed: No space left on device')).toEqual({ role: 'resource', semantic: 'disk_full' });
    expect(meaningOf('timeout to fraud-service after <*>')).toEqual({ role: 'dependency', semantic: 'timeout' });
    expect(meaningOf('upstream returned 503 Service Unavailable')).toEqual({ role: 'dependency', semantic: 'upstream_5xx' });
    expect(meaningOf('CircuitBreaker payments is OPEN and does not permit further calls')).toEqual({ role: 'dependency', semantic: 'circuit_breaker_open' });
    expect(meaningOf('order <*> placed')).toEqual({ role: 'unknown' });
  });
});

/**
 * A cascade without trace ids: `cache` runs out of memory from minute 80; `api`, which calls
 * it, starts answering 503 naming it a minute later; both stay up to the end.
 */
function untracedCascade(seed: number): LogEvent[] {
  const random = rng(seed);
  return [
    ...timeline(random, START, END, 1, (ts) => [event(ts, 'api', 'error', `request ${hex(random)} failed validation`)]),
    ...timeline(random, START + 80 * MINUTE, END, 12, (ts) => [event(ts, 'cache', 'error', 'java.lang.OutOfMemoryError: Java heap space')]),
    ...timeline(random, START + 81 * MINUTE, END, 20, (ts) => [event(ts, 'api', 'error', `GET /items/${Math.floor(random() * 1e5)}: cache answered 503 Service Unavailable`)]),
  ];
}

describe('correlate: without trace ids', () => {
  it('ranks the exhausted service first, joins its symptom by time and by name, and reports the lag', () => {
    const c = correlate(untracedCascade(1), WINDOW);
    const incident = c.incident!;
    expect(incident.status).toBe('ongoing');
    expect(incident.ranked.map((r) => [r.service, r.role])).toEqual([
      ['cache', 'resource'],
      ['api', 'dependency'],
    ]);
    expect(incident.traces.joined).toBe(0);
    expect(Math.abs(incident.onsetMs - (START + 80 * MINUTE))).toBeLessThan(MINUTE);
    const link = incident.links[0];
    expect(link.leader.service).toBe('cache');
    expect(link.follower.service).toBe('api');
    expect(link.lagS).toBeGreaterThan(0);
    expect(link.lagS).toBeLessThan(120);
    expect(link.correlation).toBeGreaterThan(0.6);
    expect(incident.ranked[0].evidence.join(' ')).toContain('named by api');
    expect(incident.ranked[1].lagS).toBeGreaterThan(0);
  });
});

/**
 * Two services with templates that mean nothing to the signature library: `ledger` fails
 * first in every trace, `checkout` about two seconds later in the same trace.
 */
function tracedNeutral(seed: number, skewMs: Record<string, number> = {}): LogEvent[] {
  const random = rng(seed);
  const at = (service: string, ts: number) => ts + (skewMs[service] ?? 0);
  return timeline(random, START + 70 * MINUTE, END, 10, (ts) => {
    const trace = hex(random);
    return [event(at('ledger', ts), 'ledger', 'error', `ledger write rejected for account ${hex(random)}`, trace), event(at('checkout', ts + 2000 + Math.floor(random() * 500)), 'checkout', 'error', `cart ${hex(random)} abandoned at step payment`, trace)];
  });
}

describe('correlate: by trace', () => {
  it('puts the service whose error comes first in shared traces first when the messages say nothing', () => {
    const c = correlate(tracedNeutral(2), WINDOW);
    const incident = c.incident!;
    expect(incident.ranked.map((r) => r.service)).toEqual(['ledger', 'checkout']);
    expect(incident.traces.crossService).toBe(incident.traces.joined);
    expect(incident.traces.sample).toHaveLength(3);
    expect(incident.ranked[1].sharedTraces).toBe(incident.traces.crossService);
    expect(incident.ranked[0].evidence.join(' ')).toMatch(/first error in \d+ of \d+ traces/);
  });

  it('flips when the trace order flips: the order is read from the traces, not from the names', () => {
    const c = correlate(tracedNeutral(2, { checkout: -4000 }), { ...WINDOW, onsetToleranceMs: 60_000 });
    expect(c.incident!.ranked.map((r) => r.service)).toEqual(['checkout', 'ledger']);
  });

  it('believes a caller that names its callee over the callee logging later in the trace', () => {
    // The caller gives up after 5 s and logs; the stuck renderer logs only when its 30 s job limit hits.
    const random = rng(8);
    const events = timeline(random, START + 70 * MINUTE, END, 10, (ts) => {
      const trace = hex(random);
      return [event(ts + 5000, 'reports', 'error', `report ${hex(random)} failed: renderer-svc gave no answer`, trace), event(ts + 30_000, 'renderer-svc', 'error', `job ${hex(random)} stalled in stage layout`, trace)];
    });
    const incident = correlate(events, WINDOW).incident!;
    expect(incident.ranked.map((r) => r.service)).toEqual(['renderer-svc', 'reports']);
    expect(incident.ranked[0].evidence.join(' ')).toContain('named by reports');
    expect(incident.ranked[1].lagS).toBeLessThan(-20);
  });
});

describe('correlate: clock skew', () => {
  /**
   * `orders-db-proxy` exhausts its pool; `orders`, in the same traces, times out calling it.
   * The orders hosts' clocks are 20 s off, so their errors read 20 s earlier than they happened.
   */
  function skewedCascade(skewMs: number): LogEvent[] {
    const random = rng(3);
    return timeline(random, START + 90 * MINUTE, END, 15, (ts) => {
      const trace = hex(random);
      return [
        event(ts, 'orders-db-proxy', 'error', 'unable to acquire JDBC connection: pool exhausted after 5000ms', trace),
        event(ts + 1500 + skewMs, 'orders', 'error', 'POST /orders: timed out after 3000 ms', trace),
      ];
    });
  }

  it('does not let a symptom whose clock reads 20 s early steal the cause or the start', () => {
    const honest = correlate(skewedCascade(0), WINDOW).incident!;
    const skewed = correlate(skewedCascade(-20_000), WINDOW).incident!;
    expect(skewed.ranked.map((r) => r.service)).toEqual(['orders-db-proxy', 'orders']);
    expect(skewed.ranked[1].lagS).toBeLessThan(-15);
    expect(skewed.onsetMs).toBe(honest.onsetMs);
    expect(skewed.onsetMs).toBe(skewed.ranked[0].onsetMs);
  });

  /** `ledger` → `checkout` by trace, plus `batch`: untraced, rising with them, its clock 20 s early. */
  function withSkewedBystander(): LogEvent[] {
    const random = rng(4);
    return [
      ...tracedNeutral(4),
      ...timeline(random, START + 70 * MINUTE, END, 10, (ts) => [event(ts - 20_000, 'batch', 'error', `batch job ${hex(random)} step 3 returned nothing`)]),
    ];
  }

  it('treats onsets within the tolerance as simultaneous, so trace order decides', () => {
    const incident = correlate(withSkewedBystander(), WINDOW).incident!;
    expect(incident.ranked.map((r) => r.service).sort()).toEqual(['batch', 'checkout', 'ledger']);
    expect(incident.ranked[0].service).toBe('ledger');
    expect(incident.onsetMs).toBe(incident.ranked[0].onsetMs);
  });

  it('lets an onset clearly earlier than the tolerance move the start', () => {
    const incident = correlate(withSkewedBystander(), { ...WINDOW, onsetToleranceMs: 1000 }).incident!;
    const batch = incident.ranked.find((r) => r.service === 'batch')!;
    expect(incident.onsetMs).toBe(batch.onsetMs);
    expect(incident.onsetMs).toBeLessThan(incident.ranked.find((r) => r.service === 'ledger')!.onsetMs - 15_000);
  });
});

describe('correlate: what is not the incident', () => {
  it('keeps an unrelated burst, a resolved spike and steady noise out of the ranking', () => {
    const random = rng(5);
    const events = [
      ...untracedCascade(5),
      // A batch job fails on its own from minute 30 onwards: ongoing, but tied to nothing.
      ...timeline(random, START + 30 * MINUTE, END, 8, (ts) => [event(ts, 'reports', 'error', `report ${hex(random)} render failed: template missing`)]),
      // A mail relay outage from minute 10 to 16, long over.
      ...timeline(random, START + 10 * MINUTE, START + 16 * MINUTE, 15, (ts) => [event(ts, 'mailer', 'error', `smtp send to relay failed: code ${400 + Math.floor(random() * 50)}`)]),
      // A warning every 20 s for the whole window.
      ...timeline(random, START, END, 3, (ts) => [event(ts, 'inventory', 'warn', `cache miss ratio high: 0.${30 + Math.floor(random() * 20)}`)]),
    ];
    const c = correlate(events, WINDOW);
    expect(c.incident!.ranked.map((r) => r.service)).toEqual(['cache', 'api']);
    expect(c.otherBursts.map((g) => [g.service, g.status])).toEqual([['reports', 'ongoing']]);
    expect(c.resolvedSpikes.map((g) => [g.service, g.status])).toEqual([['mailer', 'resolved']]);
    expect(c.resolvedSpikes[0].endMs).toBe(START + 16 * MINUTE);
    expect(c.steady.map((s) => [s.service, s.severity])).toEqual([
      ['inventory', 'warn'],
      ['api', 'error'],
    ]);
  });

  it('reports a burst that stopped before the window end as resolved', () => {
    const events = untracedCascade(6).filter((e) => e.ts < START + 100 * MINUTE || (e.service !== 'cache' && !e.template.includes('Service Unavailable')));
    const incident = correlate(events, WINDOW).incident!;
    expect(incident.status).toBe('resolved');
    expect(incident.endMs).toBeGreaterThanOrEqual(START + 100 * MINUTE);
    expect(incident.endMs).toBeLessThanOrEqual(START + 102 * MINUTE);
    expect(incident.ranked[0].service).toBe('cache');
  });

  it('is deterministic', () => {
    const events = [...untracedCascade(7), ...tracedNeutral(7)];
    expect(correlate(events, WINDOW)).toEqual(correlate([...events].reverse(), WINDOW));
  });
});
