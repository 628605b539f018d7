/**
 * The seed generator: deterministic, streaming, and its manifest tells the truth. Every check
 * here recounts the records independently of the generator's own counters.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateSeed, seedPlan } from '../../src/seed/generate.js';
import type { SeedManifest, SeedRecord } from '../../src/seed/manifest.js';
import { SERVICES, SeedOptionError, type SeedInput } from '../../src/seed/plan.js';
import { seedToIngest } from '../../src/seed/to-ingest.js';

const NOW = new Date('2026-04-26T10:00:00Z');
const MINUTE = 60_000;
const SYMPTOM = /^timeout to fraud-service after \d+ms$/;

/** Runs the generator to the end, handing each record to `visit` without keeping it. */
function drain(input: SeedInput, visit: (r: SeedRecord) => void = () => {}): SeedManifest {
  const gen = generateSeed(input);
  for (;;) {
    const step = gen.next();
    if (step.done) return step.value;
    visit(step.value);
  }
}

function digest(input: SeedInput): { hash: string; count: number; manifest: SeedManifest } {
  const h = createHash('sha256');
  let count = 0;
  const manifest = drain(input, (r) => {
    count += 1;
    h.update(JSON.stringify(r));
  });
  return { hash: h.digest('hex'), count, manifest };
}

const field = (r: SeedRecord, path: string): unknown => path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], r.doc);

describe('seed generator: determinism', () => {
  const input: SeedInput = { now: NOW, seed: 7, scale: 0.5 };

  it('gives identical records and manifest for the same seed and now', () => {
    const a = digest(input);
    const b = digest({ ...input, now: new Date(NOW) });
    expect(a.count).toBeGreaterThan(10_000);
    expect(b.hash).toBe(a.hash);
    expect(b.manifest).toEqual(a.manifest);
  });

  it('gives different records for a different seed or a different now', () => {
    const a = digest(input);
    expect(digest({ ...input, seed: 8 }).hash).not.toBe(a.hash);
    expect(digest({ ...input, now: new Date(NOW.getTime() + MINUTE) }).hash).not.toBe(a.hash);
  });

  it('never reads the clock: now is required and shapes every timestamp', () => {
    const m = drain({ now: NOW, seed: 1, scale: 0.1, hours: 1 });
    expect(m.window).toEqual({ start: '2026-04-26T09:00:00.000Z', end: '2026-04-26T10:00:00.000Z' });
  });
});

describe('seed generator: streaming', () => {
  it('yields records lazily even for a dataset far too large to materialise', () => {
    // 1000× the rate over 31 days is ~10^10 records: only a lazy generator reaches the 1000th.
    const gen = generateSeed({ now: NOW, scale: 1000, hours: 744 });
    let n = 0;
    for (const r of { [Symbol.iterator]: () => gen }) {
      expect(r.id).toBeTruthy();
      if (++n === 1000) break;
    }
    expect(n).toBe(1000);
  });

  it('keeps memory flat while iterating a large run without storing it', () => {
    const base = process.memoryUsage().heapUsed;
    let peak = 0;
    let count = 0;
    const m = drain({ now: NOW, scale: 8 }, () => {
      if (++count % 5000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed - base);
    });
    expect(count).toBe(m.docs_total);
    expect(count).toBeGreaterThan(350_000);
    // Kept in an array these records take well over 400 MB; a stream needs only garbage room.
    expect(peak).toBeLessThan(200 * 1024 * 1024);
  });
});

describe('seed generator: the manifest is what was generated', () => {
  const input: SeedInput = { now: NOW, seed: 42 };
  const plan = seedPlan(input);
  const incidentStart = plan.incidentStart.getTime();

  const perIndex: Record<string, number> = {};
  const levels: Record<string, Record<string, number>> = {};
  const errorPatterns = new Map<string, number>();
  const symptomTimes: number[] = [];
  const steadyPerMinute = new Map<number, number>();
  const spikeTimes: number[] = [];
  const traceServices = new Map<string, Set<string>>();
  const hosts = new Map<string, { docs: number; last: number; maxLag: number }>();
  const apm = new Map<string, { transactions: number; failed: number; errors: number }>();
  const ids = new Set<string>();
  let total = 0;
  let outside = 0;
  const manifest = drain(input, (r) => {
    total += 1;
    ids.add(r.id);
    perIndex[r.index] = (perIndex[r.index] ?? 0) + 1;
    if (r.at < plan.start.getTime() || r.at > plan.end.getTime() || Date.parse(String(r.doc['@timestamp'])) !== r.at) outside += 1;
    const service = String(field(r, 'service.name'));
    if (r.kind === 'logs') {
      const level = String(field(r, 'log.level'));
      levels[service] ??= {};
      levels[service][level] = (levels[service][level] ?? 0) + 1;
      const message = String(r.doc.message);
      if (level === 'error') {
        const pattern = `${service}: ${message.replace(/ord-[0-9a-z]+/g, '<order>').replace(/\d+/g, '<n>')}`;
        errorPatterns.set(pattern, (errorPatterns.get(pattern) ?? 0) + 1);
      }
      if (SYMPTOM.test(message) && service === 'payment-service') symptomTimes.push(r.at);
      if (/^cache miss ratio high/.test(message)) {
        const minute = Math.floor(r.at / MINUTE);
        steadyPerMinute.set(minute, (steadyPerMinute.get(minute) ?? 0) + 1);
      }
      if (level === 'error' && service === 'notification-service') spikeTimes.push(r.at);
      const trace = field(r, 'trace.id');
      if (typeof trace === 'string') {
        const set = traceServices.get(trace) ?? new Set<string>();
        set.add(service);
        traceServices.set(trace, set);
      }
    } else if (r.kind === 'filebeat') {
      const host = String(field(r, 'host.name'));
      const h = hosts.get(host) ?? { docs: 0, last: 0, maxLag: 0 };
      h.docs += 1;
      h.last = Math.max(h.last, r.at);
      h.maxLag = Math.max(h.maxLag, Date.parse(String(field(r, 'event.ingested'))) - r.at);
      hosts.set(host, h);
    } else {
      const a = apm.get(service) ?? { transactions: 0, failed: 0, errors: 0 };
      if (r.kind === 'apm_transactions') {
        a.transactions += 1;
        if (field(r, 'event.outcome') === 'failure') a.failed += 1;
      } else a.errors += 1;
      apm.set(service, a);
    }
  });

  it('counts documents per index and in total, every one inside the window with a unique id', () => {
    expect(manifest.docs_total).toBe(total);
    expect(manifest.docs_per_index).toEqual(perIndex);
    expect(ids.size).toBe(total);
    expect(outside).toBe(0);
    // "a few tens of thousands" at scale 1
    expect(total).toBeGreaterThan(20_000);
    expect(total).toBeLessThan(100_000);
  });

  it('counts log lines per service and level', () => {
    for (const s of SERVICES) {
      const got = levels[s] ?? {};
      expect(manifest.logs.per_service[s].levels, s).toEqual({ debug: got.debug ?? 0, info: got.info ?? 0, warn: got.warn ?? 0, error: got.error ?? 0 });
      expect(manifest.logs.per_service[s].total).toBe(Object.values(got).reduce((a, b) => a + b, 0));
    }
  });

  it('names the top error pattern with its exact count, starting at the incident minute', () => {
    const top = manifest.incident.top_error_pattern;
    expect(top.service).toBe('payment-service');
    expect(top.regex).toBe(SYMPTOM.source);
    expect(top.count).toBe(symptomTimes.length);
    const ranked = [...errorPatterns.entries()].sort((a, b) => b[1] - a[1]);
    expect(ranked[0]).toEqual(['payment-service: timeout to fraud-service after <n>ms', top.count]);
    // Clearly the top, not a near tie with the upstream cause.
    expect(ranked[1][1]).toBeLessThan(top.count * 0.9);
    expect(Math.min(...symptomTimes)).toBeGreaterThanOrEqual(incidentStart);
    expect(Math.min(...symptomTimes)).toBeLessThan(incidentStart + MINUTE);
    expect(manifest.incident.start).toBe(plan.incidentStart.toISOString());
    expect(manifest.incident.start.endsWith(':00.000Z')).toBe(true);
    expect(manifest.incident.first_error_at).toBe(new Date(Math.min(...symptomTimes)).toISOString());
  });

  it('puts the upstream cause in fraud-service and shares trace ids across the call chain', () => {
    const cause = manifest.incident.root_cause.patterns[0];
    expect(cause.pattern).toBe('HikariPool-1 - Connection is not available, request timed out after 30000ms.');
    expect(cause.count).toBe(errorPatterns.get(`fraud-service: HikariPool-<n> - Connection is not available, request timed out after <n>ms.`));
    expect(Date.parse(manifest.incident.precursor.first_at!)).toBeLessThan(incidentStart);
    expect(manifest.incident.sample_trace_ids.length).toBe(5);
    for (const trace of manifest.incident.sample_trace_ids) {
      expect([...(traceServices.get(trace) ?? [])].sort(), trace).toEqual(expect.arrayContaining(['api-gateway', 'checkout-service', 'payment-service', 'fraud-service']));
    }
    expect(manifest.incident.gateway_5xx['502']).toBeGreaterThan(0);
    expect(manifest.incident.gateway_5xx['503']).toBeGreaterThan(0);
    expect(manifest.incident.error_logs_since_start['inventory-service']).toBe(0);
  });

  it('keeps the distractors what they claim to be', () => {
    const steady = manifest.distractors.steady_warning;
    const counts = [...steadyPerMinute.values()];
    expect(steady.count).toBe(counts.reduce((a, b) => a + b, 0));
    // Steady: every minute of the window carries the same number of warnings, give or take one.
    expect(steadyPerMinute.size).toBeGreaterThanOrEqual(119);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    const spike = manifest.distractors.resolved_spike;
    expect(spike.count).toBeGreaterThan(20);
    expect(spike.count).toBe(spikeTimes.length);
    const spikeEnd = Date.parse(spike.end);
    // Resolved: nothing after the spike (the SMTP timeouts end at most 10 s after the last send that failed).
    expect(Math.max(...spikeTimes)).toBeLessThan(spikeEnd + 11_000);
    expect(Math.min(...spikeTimes)).toBeGreaterThanOrEqual(Date.parse(spike.start));
    expect(spikeEnd).toBeLessThan(incidentStart);
  });

  it('reports Filebeat hosts: one delayed, one silent, the rest current', () => {
    const now = NOW.getTime();
    for (const h of manifest.filebeat.hosts) {
      const seen = hosts.get(h.name)!;
      expect(h.docs, h.name).toBe(seen.docs);
      expect(h.last_event_at, h.name).toBe(new Date(seen.last).toISOString());
      if (h.state === 'ok') expect(now - seen.last, h.name).toBeLessThan(MINUTE);
    }
    expect(manifest.filebeat.delayed_hosts).toEqual(['app-02']);
    expect(manifest.filebeat.silent_hosts).toEqual(['db-01']);
    const delayed = hosts.get('app-02')!;
    expect(now - delayed.last).toBeGreaterThan(10 * MINUTE);
    expect(now - delayed.last).toBeLessThan(60 * MINUTE);
    expect(delayed.maxLag).toBeGreaterThan(2 * MINUTE);
    expect(now - hosts.get('db-01')!.last).toBeGreaterThan(60 * MINUTE);
  });

  it('counts APM transactions, failures and errors per service, with payment-service slower in the incident', () => {
    for (const s of SERVICES) {
      const got = apm.get(s)!;
      const m = manifest.apm.per_service[s];
      expect({ transactions: m.transactions, failed: m.failed, errors: m.errors }, s).toEqual(got);
    }
    const pay = manifest.apm.per_service['payment-service'];
    expect(pay.before_incident.failed).toBe(0);
    expect(pay.during_incident.mean_ms).toBeGreaterThan(20 * pay.before_incident.mean_ms);
    expect(pay.during_incident.failed / pay.during_incident.transactions).toBeGreaterThan(0.3);
    expect(pay.top_errors[0]).toMatchObject({ message: 'timeout to fraud-service after 3000ms' });
    const inventory = manifest.apm.per_service['inventory-service'];
    expect(inventory.failed).toBe(0);
  });

  it('writes ECS fields on every application log line', () => {
    const gen = generateSeed({ now: NOW, scale: 0.2, hours: 1 });
    let checked = 0;
    for (const r of { [Symbol.iterator]: () => gen }) {
      if (r.kind !== 'logs') continue;
      const service = String(field(r, 'service.name'));
      const level = String(field(r, 'log.level'));
      expect(typeof r.doc['@timestamp']).toBe('string');
      expect(SERVICES).toContain(service);
      expect(['debug', 'info', 'warn', 'error']).toContain(level);
      expect(typeof r.doc.message).toBe('string');
      expect(field(r, 'event.dataset')).toBe(service);
      expect(typeof field(r, 'host.name')).toBe('string');
      if (level === 'error') expect(typeof field(r, 'error.type')).toBe('string');
      if (field(r, 'http')) expect(typeof field(r, 'url.path')).toBe('string');
      if (++checked === 2000) break;
    }
    expect(checked).toBe(2000);
  });
});

describe('seed options', () => {
  it('reports every invalid option at once', () => {
    let error: unknown;
    try {
      seedPlan({ now: new Date('nope'), hours: 0, scale: 0, namespace: 'has-dash', prefix: 'Bad', seed: -1 });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SeedOptionError);
    expect((error as SeedOptionError).problems).toHaveLength(6);
  });

  it('names indices after prefix and namespace, and the filebeat indices after the dates in the window', () => {
    const plan = seedPlan({ now: new Date('2026-04-26T01:00:00Z'), hours: 3, namespace: 'qa1', prefix: 'app' });
    expect(plan.indices.logs['payment-service']).toBe('app-payment-service-qa1');
    expect(plan.indices.apmTransactions).toBe('traces-apm-qa1');
    expect(plan.indices.apmErrors).toBe('logs-apm.error-qa1');
    expect(plan.indices.filebeat).toEqual(['filebeat-qa1-2026.04.25', 'filebeat-qa1-2026.04.26']);
    expect(seedPlan({ now: NOW }).indices.filebeat).toEqual(['filebeat-2026.04.26']);
  });
});

describe('the seed as embedded-store records', () => {
  it('maps every log document, keeps its index as the dataset, and skips Filebeat and APM documents', () => {
    const gen = generateSeed({ now: new Date('2026-04-26T10:00:00Z'), seed: 3, hours: 1, scale: 0.2 });
    let logs = 0;
    let mapped = 0;
    for (;;) {
      const step = gen.next();
      if (step.done) {
        expect(mapped).toBe(step.value.logs.total);
        break;
      }
      const r = seedToIngest(step.value);
      if (step.value.kind === 'logs') {
        logs++;
        expect(r).toMatchObject({ ts: step.value.at, dataset: step.value.index });
        expect(r!.message.length).toBeGreaterThan(0);
        expect(['debug', 'info', 'warn', 'error']).toContain(r!.level);
        if (r) mapped++;
      } else expect(r).toBeUndefined();
    }
    expect(logs).toBe(mapped);
  });
});
