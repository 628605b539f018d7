/**
 * The log analysis tools (logs_patterns, logs_bursts, logs_correlate, incident_summary) on the
 * seed's incident, written by `telemcp seed`'s writer into each real engine and checked against
 * the seed's manifest: the same findings whatever the engine. Each engine gets its own
 * namespace, deleted afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../src/app.js';
import { EsBulkWriter } from '../../src/seed/es-writer.js';
import { generateSeed, seedPlan } from '../../src/seed/generate.js';
import type { SeedManifest } from '../../src/seed/manifest.js';
import type { SeedInput } from '../../src/seed/plan.js';
import { testConfig } from '../helpers/config.js';
import { CALLERS, ENGINES, EngineAdmin, callErr, callOk, requireEngineUrl, uniqueSuffix } from '../helpers/es-fixtures.js';

const MINUTE = 60_000;

interface Pattern {
  template: string;
  count: number;
  share: number;
  services: { service: string; count: number }[];
  levels: string[];
  example: string;
  values?: string[][];
  trace_id?: string;
}
interface Burst {
  status: 'ongoing' | 'resolved';
  onset: string;
  end: string | null;
  count: number;
  ratio: number;
  contributors?: { label: string; values: { value: string; share: number }[] }[];
}
interface Incident {
  what: string;
  since: string | null;
  status: string;
  services: string[];
  likely_cause: { service: string; template: string; signature: string | null; evidence: string[] } | null;
  symptoms: { service: string; template: string }[];
  non_incidents: { kind: string; service: string; template: string }[];
  next_checks: { tool: string; args: Record<string, unknown> }[];
  source: { name: string; kind: string; scope: string };
  sampled: number;
  total: number;
}

describe.each(ENGINES)('log tools on $label', (engine) => {
  const ns = `logtools${uniqueSuffix()}`;
  const input: SeedInput = { now: new Date(Math.floor(Date.now() / 60_000) * 60_000), namespace: ns };
  const plan = seedPlan(input);
  const created = plan.allIndices.map((i) => i.name);
  let admin: EngineAdmin;
  let manifest: SeedManifest;
  let app: App;
  let window: { start_time: string; end_time: string };

  beforeAll(async () => {
    const url = requireEngineUrl(engine.envVar);
    admin = new EngineAdmin(url);
    const writer = new EsBulkWriter({ url, verifyTls: true, timeoutMs: 60_000, replicas: 0 });
    try {
      await writer.prepare(plan.allIndices);
      ({ result: manifest } = await writer.write(generateSeed(input)));
      await writer.refresh(created);
    } finally {
      await writer.close();
    }
    window = { start_time: manifest.window.start, end_time: manifest.window.end };
    app = buildApp(testConfig({ [engine.configKey]: url, ALLOWED_INDEX_PATTERNS: manifest.logs.index_pattern, LOG_INDEX_PATTERN: manifest.logs.index_pattern }));
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await admin?.deleteIndices(created);
  });

  it('logs_patterns: the top error template is the manifest\'s top pattern, counted exactly when all errors fit the sample', async () => {
    const res = await callOk<{ total: number; sampled: number; patterns: Pattern[]; source: { kind: string; scope: string }; truncated: boolean }>(
      app,
      'logs_patterns',
      { ...window, log_level: 'error', sample_size: 5000, top_n: 5 },
      CALLERS.viewer,
    );
    const top = manifest.incident.top_error_pattern;
    expect(res.total).toBe(manifest.logs.per_level.error);
    expect(res.sampled).toBe(res.total);
    expect(res.source.kind).toBe(engine.configKey === 'ES_URL' ? 'elasticsearch' : 'opensearch');
    expect(res.patterns[0]).toMatchObject({ template: 'timeout to fraud-service after <*>', count: top.count, services: [{ service: top.service, count: top.count }], levels: ['error'] });
    expect(res.patterns[0].values?.[0].length).toBeGreaterThan(0);
    const pool = res.patterns.find((p) => p.template.includes('Connection is not available'));
    expect(pool?.count).toBe(manifest.incident.root_cause.patterns[0].count);
  });

  it('logs_bursts: an ongoing error burst from the incident minute, carried by the incident\'s services', async () => {
    const res = await callOk<{ bucket_seconds: number; bursts: Burst[]; templates: { template: string; bursts: Burst[] }[]; baseline: string }>(
      app,
      'logs_bursts',
      { ...window, bucket_seconds: 60 },
      CALLERS.viewer,
    );
    const ongoing = res.bursts.find((b) => b.status === 'ongoing');
    expect(ongoing, JSON.stringify(res.bursts)).toBeDefined();
    expect(Math.abs(Date.parse(ongoing!.onset) - Date.parse(manifest.incident.start))).toBeLessThanOrEqual(2 * MINUTE);
    expect(ongoing!.ratio).toBeGreaterThan(3);
    const services = ongoing!.contributors?.find((c) => c.label === 'service')?.values.map((v) => v.value) ?? [];
    expect(services).toContain('payment-service');
    expect(res.templates.map((t) => t.template)).toContain('timeout to fraud-service after <*>');
    // The resolved spike of the distractor is not the ongoing burst.
    expect(res.bursts.filter((b) => b.status === 'ongoing')).toHaveLength(1);
  });

  it('incident_summary: fraud-service\'s pool first, payment-service second, onset within a minute, distractors set aside', async () => {
    const res = await callOk<Incident>(app, 'incident_summary', window, CALLERS.viewer);
    expect(res.status).toBe('ongoing');
    expect(res.likely_cause).toMatchObject({ service: manifest.incident.root_cause.service, signature: 'pool_exhausted' });
    expect(res.likely_cause!.template).toContain('Connection is not available');
    expect(res.symptoms[0].service).toBe(manifest.incident.top_error_pattern.service);
    expect(Math.abs(Date.parse(res.since!) - Date.parse(manifest.incident.start))).toBeLessThanOrEqual(MINUTE);
    const kinds = res.non_incidents.map((n) => `${n.kind}:${n.service}`);
    expect(kinds).toContain(`steady_warning:${manifest.distractors.steady_warning.service}`);
    expect(kinds).toContain(`resolved_spike:${manifest.distractors.resolved_spike.service}`);
    expect(res.source.scope).toBe(manifest.logs.index_pattern);

    const fix = res.next_checks.find((c) => c.tool === 'elk_recommend_fix');
    expect(fix).toBeDefined();
    const advice = await callOk<{ recommendations: { id: string }[] }>(app, 'elk_recommend_fix', fix!.args, CALLERS.viewer);
    expect(advice.recommendations[0].id).toBe('app_pool_exhausted');
    const byTrace = res.next_checks.find((c) => c.tool === 'logs_search' && c.args.trace_id);
    const logs = await callOk<{ hits: { service?: string }[] }>(app, 'logs_search', byTrace!.args, CALLERS.viewer);
    expect(new Set(logs.hits.map((h) => h.service))).toContain('fraud-service');
  });

  it('logs_correlate: the same ranking, with traces that cross services', async () => {
    const res = await callOk<{ incident: { ranked: { service: string }[]; traces: { cross_service: number; sample: string[] } } | null; resolved_spikes: { services: string[] }[] }>(
      app,
      'logs_correlate',
      window,
      CALLERS.viewer,
    );
    expect(res.incident?.ranked.map((r) => r.service).slice(0, 2)).toEqual(['fraud-service', 'payment-service']);
    expect(res.incident!.traces.cross_service).toBeGreaterThan(0);
    expect(res.incident!.traces.sample.length).toBeGreaterThan(0);
  });

  it('refuses an unknown source and a scope outside the allowlist, with hints', async () => {
    const unknown = await callErr(app, 'logs_patterns', { ...window, source: 'loki' }, CALLERS.viewer);
    expect(unknown.error.code).toBe('invalid_input');
    expect(unknown.error.hint).toMatch(/source/);
    const denied = await callErr(app, 'incident_summary', { ...window, scope: 'secrets-*' }, CALLERS.viewer);
    expect(denied.error.code).toBe('index_pattern_denied');
  });
});
