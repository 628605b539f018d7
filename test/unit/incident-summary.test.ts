/**
 * The incident summary, and the acceptance test: on generated multi-service data with a
 * known root cause, a downstream symptom and distractors, the engine names the cause's service
 * and pattern first and the symptom second, reports the onset within a minute, and does not
 * call the distractors incidents. Two independent generators: the seed's web shop (several
 * seeds and scales) and, below, a disk-full scenario with daily seasonality.
 */
import { describe, expect, it } from 'vitest';
import type { LogEvent } from '../../src/analysis/correlate/correlate.js';
import { summarizeIncident, toRecommendInput, type IncidentSummary } from '../../src/analysis/incident/index.js';
import { createMasker } from '../../src/analysis/templates/mask.js';
import { TemplateMiner } from '../../src/analysis/templates/miner.js';
import { recommend } from '../../src/analysis/recommend/index.js';
import { generateSeed } from '../../src/seed/generate.js';
import type { SeedManifest } from '../../src/seed/manifest.js';
import { rng } from '../helpers/random.js';
/** One message's template without a miner: its variables masked (enough where each test message stands alone). */
const normalizeMessage = createMasker();

const MINUTE = 60_000;
const DAY = 86_400_000;

/** An event with its message kept, templated by the simple normaliser until `mined` re-templates it. */
interface RawEvent extends LogEvent {
  message: string;
}

function event(ts: number, service: string, level: string, message: string, traceId?: string, host?: string): RawEvent {
  const template = normalizeMessage(message);
  return { ts, service, level, message, templateId: template, template, ...(traceId ? { traceId } : {}), ...(host ? { host } : {}) };
}

/**
 * The acceptance runs use the real template miner, one miner over every set given (as the log
 * tools mine today's window and the day before together), so the whole engine is under test.
 */
function mined(...sets: RawEvent[][]): { sets: LogEvent[][]; templateOf: (message: string) => string } {
  const miner = new TemplateMiner();
  const handles = sets.map((set) => set.map((e) => miner.add(e.message, e.ts)));
  const byMessage = new Map<string, string>();
  const out = sets.map((set, k) =>
    set.map(({ message, ...e }, i) => {
      const template = miner.templateOf(handles[k][i]);
      byMessage.set(message, template);
      return { ...e, templateId: String(miner.templateIdOf(handles[k][i])), template };
    }),
  );
  const templateOf = (message: string): string => {
    const t = byMessage.get(message);
    if (t === undefined) throw new Error(`no event carries ${JSON.stringify(message)}`);
    return t;
  };
  return { sets: out, templateOf };
}

/** The seed's log documents as the engine's events (ECS fields: service.name, log.level, message, trace.id, host.name). */
function seedEvents(seed: number, scale: number, now: Date): { events: LogEvent[]; manifest: SeedManifest; templateOf: (message: string) => string } {
  const gen = generateSeed({ now, seed, scale });
  const raw: RawEvent[] = [];
  for (;;) {
    const step = gen.next();
    if (step.done) {
      const { sets, templateOf } = mined(raw);
      return { events: sets[0], manifest: step.value, templateOf };
    }
    if (step.value.kind !== 'logs') continue;
    const doc = step.value.doc as { message: string; service: { name: string }; log: { level: string }; trace?: { id: string }; host?: { name: string } };
    raw.push(event(step.value.at, doc.service.name, doc.log.level, doc.message, doc.trace?.id, doc.host?.name));
  }
}

function namesIn(summary: IncidentSummary): string[] {
  return [...summary.services, ...summary.symptoms.map((s) => s.service), ...summary.other_bursts.flatMap((b) => b.services), summary.likely_cause?.service ?? ''];
}

describe('acceptance: the seed incident (fraud-service pool exhaustion → payment timeouts → gateway 5xx)', () => {
  const NOW = new Date('2026-04-26T10:00:00Z');

  const runs = [
    { seed: 42, scale: 1 },
    { seed: 7, scale: 0.5 },
  ].map(({ seed, scale }) => {
    const { events, manifest, templateOf } = seedEvents(seed, scale, NOW);
    return { seed, scale, events, manifest, templateOf, summary: summarizeIncident(events, { windowStartMs: Date.parse(manifest.window.start), windowEndMs: NOW.getTime() }) };
  });

  describe.each(runs)('seed $seed, scale $scale', ({ events, manifest, templateOf, summary }) => {

    it('names the root-cause service and pattern first and the symptom second', () => {
      const rootPattern = templateOf(manifest.incident.root_cause.patterns[0].example);
      expect(summary.likely_cause).toMatchObject({ service: manifest.incident.root_cause.service, template: rootPattern, signature: 'pool_exhausted', role: 'resource' });
      expect(summary.symptoms[0]).toMatchObject({ service: manifest.incident.top_error_pattern.service, template: templateOf(manifest.incident.top_error_pattern.example), signature: 'timeout' });
      expect(summary.services.slice(0, 2)).toEqual(['fraud-service', 'payment-service']);
      expect(summary.likely_cause!.confidence).toBeGreaterThan(0.7);
      expect(summary.likely_cause!.evidence.join(' ')).toContain('named by payment-service');
    });

    it('reports the onset within a minute of the true onset, and the incident as ongoing', () => {
      expect(summary.status).toBe('ongoing');
      expect(Math.abs(Date.parse(summary.since!) - Date.parse(manifest.incident.start))).toBeLessThanOrEqual(MINUTE);
      expect(summary.what).toContain('fraud-service');
      expect(summary.what).toContain('ongoing');
    });

    it('does not call the distractors incidents, and notes them', () => {
      const { steady_warning: steady, resolved_spike: spike } = manifest.distractors;
      expect(namesIn(summary)).not.toContain(steady.service);
      expect(namesIn(summary)).not.toContain(spike.service);
      expect(summary.non_incidents).toContainEqual(expect.objectContaining({ kind: 'steady_warning', service: steady.service, template: templateOf(steady.example) }));
      expect(summary.non_incidents).toContainEqual(expect.objectContaining({ kind: 'resolved_spike', service: spike.service, template: templateOf(spike.example) }));
    });

    it('points at a trace that really crosses the failing services, and at the cause', () => {
      const trace = summary.next_checks.find((c) => c.tool === 'logs_search' && c.args.trace_id)!.args.trace_id;
      const services = new Set(events.filter((e) => e.traceId === trace && e.level === 'error').map((e) => e.service));
      expect(services.size).toBeGreaterThanOrEqual(2);
      expect(services).toContain('fraud-service');
      expect(summary.next_checks).toContainEqual(expect.objectContaining({ tool: 'elk_apm_summary', args: expect.objectContaining({ service_name: 'fraud-service' }) }));
    });

    it('feeds elk_recommend_fix the cause, so its first advice is the pool, not the timeouts', () => {
      const input = toRecommendInput(summary);
      expect(summary.next_checks).toContainEqual({ tool: 'elk_recommend_fix', args: input, why: expect.any(String) });
      const advice = recommend(input.findings, { max: input.max_recommendations });
      expect(advice.recommendations[0].id).toBe('app_pool_exhausted');
      expect(advice.recommendations.map((r) => r.id)).not.toContain('app_timeout');
    });

    it('stays compact', () => {
      expect(JSON.stringify(summary).length).toBeLessThan(12_000);
    });
  });

  it('notes the connection-leak warnings that preceded the errors (at full scale, two a minute)', () => {
    const { manifest, summary, templateOf } = runs[0];
    const precursor = summary.evidence.find((e) => e.startsWith('warning'));
    expect(precursor).toContain(`"${templateOf(manifest.incident.precursor.example).slice(0, 40)}`);
    expect(precursor).toContain('on fraud-service rose from');
  });
});

/** Poisson draws from the seeded generator: scenario data that looks random but never changes. */

function poisson(random: () => number, mean: number): number {
  const limit = Math.exp(-mean);
  let k = 0;
  let p = random();
  while (p > limit) {
    k += 1;
    p *= random();
  }
  return k;
}

/**
 * An ingestion pipeline, 08:00–11:00: edge-proxy → ingest-api → storage-writer. Traffic
 * quadruples at 09:30 every day (a morning peak) and catalog-service's background errors with
 * it; auth-service logs noisy but steady errors all day. With `incidentAt`, host sw-2's disk
 * fills: from then on most batches fail in storage-writer ("No space left on device"), then
 * ingest-api rejects them (503) and edge-proxy answers 503; disk-usage warnings come first.
 */
function ingestionDay(dayStart: number, seed: number, incidentAt?: number): RawEvent[] {
  const random = rng(seed);
  const hex = () => Math.floor(random() * 2 ** 48).toString(16).padStart(12, '0');
  const events: RawEvent[] = [];
  const peak = dayStart + 90 * MINUTE;
  for (let minute = dayStart; minute < dayStart + 180 * MINUTE; minute += MINUTE) {
    const traffic = minute >= peak ? 60 : 15;
    for (let i = poisson(random, traffic); i > 0; i--) {
      const t = minute + Math.floor(random() * MINUTE);
      const trace = hex();
      const host = random() < 0.5 ? 'sw-1' : 'sw-2';
      if (random() < 1 / 3) events.push(event(t + 40, 'catalog-service', 'error', `price lookup failed for sku ${Math.floor(random() * 1e6)}: stale cache entry`, trace, 'cat-1'));
      if (incidentAt !== undefined && t >= incidentAt && random() < 0.6) {
        events.push(event(t + 150 + Math.floor(random() * 250), 'storage-writer', 'error', `write of segment seg-${hex()} failed: No space left on device`, trace, 'sw-2'));
        events.push(event(t + 600 + Math.floor(random() * 300), 'ingest-api', 'error', `batch ${hex()} rejected: storage answered 503 Service Unavailable`, trace, 'ingest-1'));
        events.push(event(t + 1500 + Math.floor(random() * 500), 'edge-proxy', 'error', `POST /v1/ingest answered 503 by upstream ingest-api`, trace, 'edge-1'));
      } else {
        events.push(event(t + 200, 'storage-writer', 'info', `segment seg-${hex()} written`, trace, host));
      }
    }
    for (let i = poisson(random, 8); i > 0; i--) {
      events.push(event(minute + Math.floor(random() * MINUTE), 'auth-service', 'error', `token validation failed for client c-${hex()}: signature mismatch`, undefined, 'auth-1'));
    }
    if (incidentAt !== undefined && minute >= incidentAt - 15 * MINUTE) {
      for (let i = 0; i < 3; i++) events.push(event(minute + i * 20_000, 'storage-writer', 'warn', `disk usage at ${90 + Math.floor(random() * 9)}% on /var/lib/storage`, undefined, 'sw-2'));
    }
  }
  return events;
}

describe('acceptance: a second, independent scenario (disk full, daily seasonality, noisy distractor)', () => {
  const TODAY = Date.UTC(2026, 4, 10, 8, 0, 0);
  const INCIDENT = TODAY + 140 * MINUTE + 17_000;
  const window = { windowStartMs: TODAY, windowEndMs: TODAY + 180 * MINUTE };
  const rawToday = ingestionDay(TODAY, 101, INCIDENT);
  const {
    sets: [today, yesterday],
    templateOf,
  } = mined(rawToday, ingestionDay(TODAY - DAY, 202));
  const summary = summarizeIncident(today, { ...window, dayEarlier: yesterday });
  const diskFull = rawToday.find((e) => e.message.includes('No space left on device'))!.message;
  const diskWarning = rawToday.find((e) => e.message.startsWith('disk usage'))!.message;

  it('names the full disk first and the service rejecting batches second', () => {
    expect(summary.likely_cause).toMatchObject({
      service: 'storage-writer',
      template: templateOf(diskFull),
      signature: 'disk_full',
      role: 'resource',
    });
    expect(summary.symptoms.map((s) => s.service)).toEqual(['ingest-api', 'edge-proxy']);
    expect(summary.symptoms[0].shared_traces).toBeGreaterThan(100);
  });

  it('reports the onset within a minute and the status', () => {
    expect(summary.status).toBe('ongoing');
    expect(Math.abs(Date.parse(summary.since!) - INCIDENT)).toBeLessThanOrEqual(MINUTE);
  });

  it('does not call the noisy steady errors or the daily peak an incident', () => {
    expect(namesIn(summary)).not.toContain('auth-service');
    expect(namesIn(summary)).not.toContain('catalog-service');
    expect(summary.non_incidents).toContainEqual(expect.objectContaining({ kind: 'steady_errors', service: 'auth-service' }));
  });

  it('needs the day-earlier baseline to see the morning peak as normal', () => {
    const withoutYesterday = summarizeIncident(today, window);
    expect(withoutYesterday.likely_cause?.service).toBe('storage-writer');
    expect(namesIn(withoutYesterday)).toContain('catalog-service');
  });

  it('shows the disk-usage warnings that came first and the host that carries the errors', () => {
    expect(summary.evidence.join(' ')).toContain(`warning "${templateOf(diskWarning)}" on storage-writer rose from`);
    expect(summary.evidence.find((e) => e.startsWith('excess by host'))).toMatch(/sw-2 \d+%/);
  });

  it("gives elk_recommend_fix only the cause's templates", () => {
    const input = toRecommendInput(summary);
    const messages = (input.findings.incident as { top_error_messages: { message: string; service: string }[] }).top_error_messages;
    expect(messages.map((m) => m.service)).toEqual(['storage-writer']);
    expect(recommend(input.findings).recommendations.map((r) => r.id)).not.toContain('app_upstream_5xx');
  });
});

describe('incident summary: shapes and bounds', () => {
  const START = Date.UTC(2026, 4, 10, 8, 0, 0);
  const END = START + 120 * MINUTE;

  it('says plainly when there is no incident', () => {
    const summary = summarizeIncident([event(START, 'api', 'error', 'boom'), event(START + MINUTE, 'api', 'warn', 'hmm')]);
    expect(summary).toMatchObject({ status: 'none', since: null, count: 0, services: [], likely_cause: null, symptoms: [], evidence: [] });
    expect(summary.what).toMatch(/^No error burst/);
    expect(summary.next_checks.map((c) => c.tool)).toEqual(['logs_patterns']);
    expect(summarizeIncident([]).status).toBe('none');
  });

  it('names only the tools the caller can call, on the logs the incident came from, never filtering on a service the records did not name', () => {
    const events: LogEvent[] = [];
    for (let m = 0; m < 120; m++) {
      events.push(event(START + m * MINUTE, 'unknown', 'error', `steady noise ${m % 3}`));
      if (m >= 60) for (let k = 0; k < 8; k++) events.push(event(START + m * MINUTE + k * 5000, 'unknown', 'error', 'FATAL: out of memory', `t${m}-${k}`));
    }
    const embedded = { callable: ['logs_search', 'logs_patterns', 'logs_bursts', 'incident_summary', 'elk_recommend_fix', 'telemcp_status'], source: 'embedded', scope: 'sshd-*' };
    const summary = summarizeIncident(events, { windowStartMs: START, windowEndMs: END }, embedded);
    expect(summary.likely_cause?.service).toBe('unknown');
    const tools = summary.next_checks.map((c) => c.tool);
    expect(tools.every((t) => embedded.callable.includes(t)), tools.join()).toBe(true);
    expect(tools).not.toContain('elk_apm_summary');
    for (const check of summary.next_checks.filter((c) => c.tool === 'logs_search')) {
      expect(check.args).toMatchObject({ source: 'embedded', scope: 'sshd-*' });
      expect(check.args).not.toHaveProperty('service_name');
    }
    const none = summarizeIncident([], {}, { callable: ['telemcp_status'] });
    expect(none.next_checks).toEqual([]);
  });

  /** `db` runs out of memory between minutes 60 and 80; `web` reports 503s from it, in the same traces. */
  function resolvedOutage(): LogEvent[] {
    const events: LogEvent[] = [];
    for (let m = 0; m < 120; m++) {
      events.push(event(START + m * MINUTE + 5000, 'web', 'error', `request ${m} to /favicon.ico not found`));
      if (m < 60 || m >= 80) continue;
      for (let k = 0; k < 10; k++) {
        const ts = START + m * MINUTE + k * 6000;
        events.push(event(ts, 'db', 'error', 'FATAL: out of memory', `t${m}-${k}`));
        events.push(event(ts + 300, 'web', 'error', 'query to db failed: 503 Service Unavailable', `t${m}-${k}`));
      }
    }
    return events;
  }

  it('reports a resolved incident with its end, and checks a window around it', () => {
    const summary = summarizeIncident(resolvedOutage(), { windowStartMs: START, windowEndMs: END });
    expect(summary.status).toBe('resolved');
    expect(summary.likely_cause).toMatchObject({ service: 'db', signature: 'out_of_memory' });
    expect(summary.symptoms.map((s) => s.service)).toEqual(['web']);
    expect(summary.what).toContain('resolved');
    expect(summary.count).toBe(400);
    const search = summary.next_checks.find((c) => c.tool === 'logs_search' && c.args.service_name === 'db')!;
    expect(search.args).toMatchObject({ log_level: 'error', query: 'FATAL memory', start_time: new Date(START + 45 * MINUTE).toISOString(), end_time: new Date(START + 95 * MINUTE).toISOString() });
  });

  it('checks cluster health when the cause is an Elasticsearch condition', () => {
    const events: LogEvent[] = [];
    for (let m = 30; m < 60; m++) {
      for (let k = 0; k < 5; k++) events.push(event(START + m * MINUTE + k * 1000, 'indexer', 'error', 'index [logs-7] blocked by: [FORBIDDEN/12/index read-only / allow delete (api)]'));
    }
    const summary = summarizeIncident(events, { windowStartMs: START, windowEndMs: START + 60 * MINUTE });
    expect(summary.likely_cause?.signature).toBe('flood_stage_block');
    expect(summary.next_checks.map((c) => c.tool)).toContain('elk_cluster_health');
  });

  it('caps lists and strings however many services fail and however long the messages', () => {
    const long = `pool exhausted while ${'waiting '.repeat(800)}`;
    const events: LogEvent[] = [];
    for (let m = 60; m < 120; m++) {
      for (let k = 0; k < 10; k++) {
        const ts = START + m * MINUTE + k * 5000;
        events.push(event(ts, 'core-db', 'error', long, `t${m}-${k}`));
        for (let s = 0; s < 30; s++) events.push(event(ts + 100 + s, `svc-${s}`, 'error', `call to core-db timed out after 100 ms (client ${s})`, `t${m}-${k}`));
      }
    }
    const summary = summarizeIncident(events, { windowStartMs: START, windowEndMs: END });
    expect(summary.likely_cause?.service).toBe('core-db');
    expect(summary.likely_cause!.template.length).toBeLessThanOrEqual(200);
    expect(summary.symptoms).toHaveLength(5);
    expect(summary.services).toHaveLength(10);
    expect(summary.what.length).toBeLessThanOrEqual(280);
    expect(summary.next_checks.length).toBeLessThanOrEqual(5);
    expect(summary.truncated).toBe(true);
    for (const text of [...summary.evidence, ...summary.likely_cause!.evidence, ...summary.symptoms.flatMap((s) => s.evidence)]) expect(text.length).toBeLessThanOrEqual(240);
    expect(JSON.stringify(summary).length).toBeLessThan(12_000);
  });

  it('bounds max_recommendations the way elk_recommend_fix does', () => {
    const summary = summarizeIncident(resolvedOutage(), { windowStartMs: START, windowEndMs: END });
    expect(toRecommendInput(summary, 0).max_recommendations).toBe(1);
    expect(toRecommendInput(summary, 99).max_recommendations).toBe(20);
    expect(toRecommendInput(summary).findings).toEqual({
      incident: {
        summary: summary.what,
        status: 'resolved',
        since: summary.since,
        top_error_messages: [{ message: 'FATAL: out of memory', count: summary.likely_cause!.count, service: 'db' }],
      },
    });
    expect(recommend(toRecommendInput(summary).findings).recommendations[0].id).toBe('app_out_of_memory');
  });
});
