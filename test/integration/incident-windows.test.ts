/**
 * incident_summary holds whatever window the agent picks and whatever the logs do: the seed's
 * incident (fraud-service's pool → payment-service timeouts → gateway 5xx) in the embedded store,
 * asked about with windows that start after the onset, and with the logs cut the ways real
 * incidents cut them (one service's pod dies, the shipper dies, the fault is fixed). Counts are
 * checked against logs_search and elk_detect_errors over the same window.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../src/app.js';
import { generateSeed } from '../../src/seed/generate.js';
import type { SeedManifest } from '../../src/seed/manifest.js';
import { seedToIngest } from '../../src/seed/to-ingest.js';
import type { IngestRecord } from '../../src/ingest/record.js';
import { testConfig } from '../helpers/config.js';
import { CALLERS, EngineAdmin, callOk, requireEngineUrl, uniqueSuffix } from '../helpers/es-fixtures.js';

const MINUTE = 60_000;
const NOW = new Date(Math.floor(Date.now() / MINUTE) * MINUTE);

interface Summary {
  what: string;
  since: string | null;
  status: string;
  count: number;
  count_in_window: number;
  count_exact: boolean;
  began_before_window: boolean;
  silent_services: { service: string; since: string; usual_per_min: number }[];
  services: string[];
  likely_cause: { service: string; signature: string | null } | null;
  evidence: string[];
  non_incidents: { kind: string; service: string; template: string }[];
  total: number;
}

function seedRecords(): { records: IngestRecord[]; manifest: SeedManifest } {
  const gen = generateSeed({ now: NOW, seed: 42, scale: 1 });
  const records: IngestRecord[] = [];
  for (;;) {
    const step = gen.next();
    if (step.done) return { records, manifest: step.value };
    const r = seedToIngest(step.value);
    if (r) records.push(r);
  }
}

/** An embedded store holding these records, and a way to call its tools. */
async function storeWith(records: IngestRecord[]): Promise<{ app: App; call: (tool: string, input: Record<string, unknown>) => Promise<Summary & Record<string, unknown>> }> {
  const app = buildApp(testConfig({ EMBEDDED_STORE: 'on' }));
  for (let i = 0; i < records.length; i += 5000) expect((await app.store!.ingest(records.slice(i, i + 5000))).rejected).toEqual([]);
  return { app, call: (tool, input) => callOk(app, tool, input, CALLERS.viewer) };
}

const iso = (ms: number) => new Date(ms).toISOString();

describe('incident_summary on windows that start after the onset', () => {
  const { records, manifest } = seedRecords();
  const onset = Date.parse(manifest.incident.start);
  let app: App;
  let call: Awaited<ReturnType<typeof storeWith>>['call'];

  beforeAll(async () => {
    ({ app, call } = await storeWith(records));
  });
  afterAll(async () => app?.close());

  it.each([0, 5, 15, 25])('a window starting %i min after the onset finds the same incident, cause and onset, "before your window"', async (late) => {
    const start = onset + late * MINUTE;
    const s = await call('incident_summary', { start_time: iso(start), end_time: manifest.window.end });
    expect(s.status).toBe('ongoing');
    expect(s.likely_cause).toMatchObject({ service: 'fraud-service', signature: 'pool_exhausted' });
    expect(s.services.slice(0, 2)).toEqual(['fraud-service', 'payment-service']);
    expect(Math.abs(Date.parse(s.since!) - onset)).toBeLessThanOrEqual(MINUTE);
    expect(s.began_before_window).toBe(Date.parse(s.since!) < start);
    if (late > 0) expect(s.what).toContain(`before your window (from ${iso(start).slice(0, 19)}Z)`);
  });

  it('counts exactly, and agrees with logs_search and elk_detect_errors over the same window', async () => {
    const start = onset + 10 * MINUTE;
    const window = { start_time: iso(start), end_time: manifest.window.end };
    const s = await call('incident_summary', window);
    expect(s.count_exact).toBe(true);
    let inWindow = 0;
    for (const service of s.services) {
      const page = await call('logs_search', { ...window, service_name: service, log_level: 'error', limit: 1 });
      inWindow += page.total as number;
    }
    expect(s.count_in_window).toBe(inWindow);
    const detected = await call('elk_detect_errors', { ...window, top_n: 20 });
    const byService = new Map((detected.errors_by_service as { service: string; count: number }[]).map((e) => [e.service, e.count]));
    expect(s.services.reduce((n, svc) => n + (byService.get(svc) ?? 0), 0)).toBe(inWindow);
    // Since the onset, the same services' errors from the onset's minute on: exact too.
    let sinceOnset = 0;
    for (const service of s.services) {
      const page = await call('logs_search', { start_time: iso(Math.floor(Date.parse(s.since!) / 30_000) * 30_000), end_time: manifest.window.end, service_name: service, log_level: 'error', limit: 1 });
      sinceOnset += page.total as number;
    }
    expect(s.count).toBe(sinceOnset);
    expect(s.count).toBeGreaterThan(s.count_in_window);
    const errorsAndWarnings = await call('logs_search', { ...window, log_level: ['error', 'warn'], limit: 1 });
    expect(s.total).toBe(errorsAndWarnings.total);
  });

  it("counts the cause's and the symptom's templates exactly: the generator's own counts over the whole window, the records' own in a late one", async () => {
    const whole = await call('incident_summary', { start_time: manifest.window.start, end_time: manifest.window.end, sample_size: 500 });
    expect(whole.template_counts).toBe('exact');
    // The seeded pattern the reported template stands for: its example starts with the template's text up to the first variable.
    const causeOf = (summary: Record<string, unknown>) => {
      const head = (summary.likely_cause as { template: string }).template.split('<*>')[0];
      return manifest.incident.root_cause.patterns.find((p) => p.example.startsWith(head));
    };
    const cause = causeOf(whole)!;
    expect(cause, JSON.stringify(whole.likely_cause)).toBeDefined();
    expect(whole.likely_cause).toMatchObject({ service: cause.service, count: cause.count });
    const symptom = manifest.incident.top_error_pattern;
    expect((whole.symptoms as { service: string; count: number }[])[0]).toMatchObject({ service: symptom.service, count: symptom.count });
    const steady = manifest.distractors.steady_warning;
    const wholeDefault = await call('incident_summary', { start_time: manifest.window.start, end_time: manifest.window.end });
    expect(wholeDefault.non_incidents).toContainEqual(expect.objectContaining({ kind: 'steady_warning', service: steady.service, count: steady.count }));

    // In a late window the cause's representative may be either of its seeded patterns: whichever
    // it is, its count is that pattern's records inside the window.
    const start = onset + 10 * MINUTE;
    // The default sample: with 500 records over a late window plus its lookback, which template
    // represents the cause varies with the data (an api-gateway template in 2 of 12 seeds tried).
    const late = await call('incident_summary', { start_time: iso(start), end_time: manifest.window.end });
    const reported = causeOf(late);
    expect(reported, JSON.stringify(late.likely_cause)).toBeDefined();
    const regex = new RegExp(reported!.regex);
    const inWindow = records.filter((r) => r.service === reported!.service && r.ts >= start && r.ts <= Date.parse(manifest.window.end) && regex.test(r.message)).length;
    expect(late.likely_cause).toMatchObject({ service: cause.service, count: inWindow });
  });

  it("keeps the cause's connection-leak warnings as its precursor, not as steady noise, in a late window", async () => {
    const s = await call('incident_summary', { start_time: iso(onset + 10 * MINUTE), end_time: manifest.window.end });
    const precursor = s.evidence.find((e) => e.startsWith('warning'));
    expect(precursor).toMatch(/^warning "Connection leak detection triggered for .* on fraud-service (began at|rose from) /);
    expect(s.non_incidents.filter((n) => n.service === 'fraud-service')).toEqual([]);
  });
});

describe('logs_bursts on windows that start after the onset', () => {
  const { records, manifest } = seedRecords();
  const onset = Date.parse(manifest.incident.start);

  it.each([5, 20])('a window starting %i min after the onset still shows the ongoing burst from its onset, and counts only the window', async (late) => {
    const { app, call } = await storeWith(records);
    try {
      const window = { start_time: iso(onset + late * MINUTE), end_time: manifest.window.end };
      const res = (await call('logs_bursts', { ...window, bucket_seconds: 60 })) as unknown as { summary: string; total: number; bursts: { status: string; onset: string }[] };
      const ongoing = res.bursts.find((b) => b.status === 'ongoing');
      expect(ongoing, res.summary).toBeDefined();
      expect(Math.abs(Date.parse(ongoing!.onset) - onset)).toBeLessThanOrEqual(MINUTE);
      expect(res.summary).toContain('(before your window)');
      const errors = await call('logs_search', { ...window, log_level: 'error', limit: 1 });
      expect(res.total).toBe(errors.total);
    } finally {
      await app.close();
    }
  });
});

describe('incident_summary when the logs stop', () => {
  const { records, manifest } = seedRecords();
  const onset = Date.parse(manifest.incident.start);
  const cut = onset + 12 * MINUTE;
  const window = { start_time: manifest.window.start, end_time: manifest.window.end };

  it('a shipper that dies mid-incident: not "resolved" but silent, naming the services that stopped', async () => {
    const { app, call } = await storeWith(records.filter((r) => r.ts < cut));
    try {
      const s = await call('incident_summary', window);
      expect(s.status).toBe('silent');
      expect(s.likely_cause?.service).toBe('fraud-service');
      expect(s.what).toMatch(/not resolved: fraud-service has logged nothing since/);
      const silent = new Map(s.silent_services.map((x) => [x.service, x]));
      for (const service of ['fraud-service', 'payment-service', 'api-gateway']) {
        expect(silent.has(service), service).toBe(true);
        expect(Math.abs(Date.parse(silent.get(service)!.since) - cut)).toBeLessThanOrEqual(MINUTE);
        expect(silent.get(service)!.usual_per_min).toBeGreaterThan(0);
      }
    } finally {
      await app.close();
    }
  });

  it('one pod of the cause dies: its silence is a finding beside the errors that go on', async () => {
    const { app, call } = await storeWith(records.filter((r) => !(r.service === 'fraud-service' && r.ts >= cut)));
    try {
      const s = await call('incident_summary', window);
      expect(s.status).not.toBe('resolved');
      expect(s.silent_services.map((x) => x.service)).toEqual(['fraud-service']);
      expect(s.what).toMatch(/fraud-service (has logged nothing|since .*\(were)/);
    } finally {
      await app.close();
    }
  });

  it('the fault is fixed: errors stop while every service logs as usual, and that is "resolved"', async () => {
    const fixed = records.filter((r) => !(r.ts >= cut && (r.level === 'error' || r.level === 'warn')));
    const { app, call } = await storeWith(fixed);
    try {
      const s = await call('incident_summary', window);
      expect(s.status).toBe('resolved');
      expect(s.likely_cause?.service).toBe('fraud-service');
      expect(s.silent_services).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('no logs stopped and nothing rising: status none and no silent services', async () => {
    const before = records.filter((r) => r.ts < onset - 10 * MINUTE);
    const { app, call } = await storeWith(before);
    try {
      const s = await call('incident_summary', { start_time: manifest.window.start, end_time: iso(onset - 10 * MINUTE) });
      expect(s.silent_services).toEqual([]);
      expect(['none', 'resolved']).toContain(s.status);
    } finally {
      await app.close();
    }
  });
});

describe('incident_summary on an index without a service field (Elasticsearch 8)', () => {
  const index = `logs-noservice${uniqueSuffix()}`;
  let admin: EngineAdmin;
  let app: App;
  const end = NOW.getTime();

  beforeAll(async () => {
    const url = requireEngineUrl('TEST_ES_URL');
    admin = new EngineAdmin(url);
    await admin.createIndex(index, { replicas: 0, mappings: { properties: { '@timestamp': { type: 'date' }, log: { properties: { level: { type: 'keyword' } } }, message: { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 1024 } } } } } });
    const docs: Record<string, unknown>[] = [];
    // Warnings all along, then errors rising for the last 20 minutes.
    for (let t = end - 120 * MINUTE; t < end; t += 20_000) docs.push({ '@timestamp': iso(t), log: { level: 'warn' }, message: `slow disk on /dev/sd${t % 3}` });
    for (let t = end - 20 * MINUTE; t < end; t += 2_000) docs.push({ '@timestamp': iso(t), log: { level: 'error' }, message: `write failed: No space left on device (segment ${t % 997})` });
    await admin.bulkIndex(index, docs);
    app = buildApp(testConfig({ ES_URL: url, ALLOWED_INDEX_PATTERNS: index, LOG_INDEX_PATTERN: index }));
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await admin?.deleteIndices([index]);
  });

  it('still finds the incident, and says why it cannot count per service or see silences', async () => {
    const s = await callOk<Summary & { notes?: string[] }>(app, 'incident_summary', { start_time: iso(end - 10 * MINUTE), end_time: iso(end) }, CALLERS.viewer);
    expect(s.status).toBe('ongoing');
    expect(s.began_before_window).toBe(true);
    expect(Math.abs(Date.parse(s.since!) - (end - 20 * MINUTE))).toBeLessThanOrEqual(MINUTE);
    expect(s.count_exact).toBe(false);
    expect(s.notes?.join(' ')).toMatch(/no service field/);
    expect(s.total).toBe(300 + 30);
  });
});
