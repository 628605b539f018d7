/**
 * One contract for every log source: the seed's incident written into a real engine (through
 * `telemcp seed`'s writer) and into the embedded store (through the demo loader's mapping) must
 * give the same findings from every log tool. Only `source` may differ. Samples are sized to hold
 * every matching record, so no sampling choice can tell the sources apart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../src/app.js';
import { EsBulkWriter } from '../../src/seed/es-writer.js';
import { generateSeed, seedPlan } from '../../src/seed/generate.js';
import type { SeedManifest } from '../../src/seed/manifest.js';
import type { SeedInput } from '../../src/seed/plan.js';
import { seedToIngest } from '../../src/seed/to-ingest.js';
import type { IngestRecord } from '../../src/ingest/record.js';
import { testConfig } from '../helpers/config.js';
import { CALLERS, ENGINES, EngineAdmin, callOk, requireEngineUrl, uniqueSuffix } from '../helpers/es-fixtures.js';

type Answer = Record<string, unknown> & { source: { name: string; kind: string; scope: string } };

/** The answer without what legitimately differs between sources: which source, and the echo of "now". */
type Check = { tool: string; args: Record<string, unknown> };

/**
 * What must agree between two sources: everything but where the answer came from. Next checks
 * name the answering source and only tools its server offers (an APM check exists beside a
 * cluster, not beside the store), so they are compared without `source`/`scope` and among the
 * tools both servers offer.
 */
function comparable(answer: Answer, sharedTools: ReadonlySet<string>): unknown {
  const { source: _source, window, next_checks: checks, ...rest } = answer as Answer & { window?: { server_now?: string }; next_checks?: Check[] };
  const { server_now: _now, ...win } = window ?? {};
  const nextChecks = checks
    ?.filter((c) => sharedTools.has(c.tool))
    .map(({ args: { source: _s, scope: _scope, ...args }, ...c }) => ({ ...c, args }));
  return { ...rest, window: win, ...(nextChecks ? { next_checks: nextChecks } : {}) };
}

describe.each(ENGINES)('log tools give the same findings on $label and on the embedded store', (engine) => {
  const ns = `contract${uniqueSuffix()}`;
  const input: SeedInput = { now: new Date(Math.floor(Date.now() / 60_000) * 60_000), namespace: ns };
  const plan = seedPlan(input);
  const created = plan.allIndices.map((i) => i.name);
  let admin: EngineAdmin;
  let manifest: SeedManifest;
  let onEngine: App;
  let onEmbedded: App;
  let window: { start_time: string; end_time: string };

  beforeAll(async () => {
    const url = requireEngineUrl(engine.envVar);
    admin = new EngineAdmin(url);
    const records: IngestRecord[] = [];
    const writer = new EsBulkWriter({ url, verifyTls: true, timeoutMs: 60_000, replicas: 0 });
    try {
      await writer.prepare(plan.allIndices);
      const gen = generateSeed(input);
      // The same generator run feeds both: every record the engine gets, the store gets too.
      const tee = (function* () {
        for (;;) {
          const step = gen.next();
          if (step.done) return step.value;
          const r = seedToIngest(step.value);
          if (r) records.push(r);
          yield step.value;
        }
      })();
      ({ result: manifest } = await writer.write(tee));
      await writer.refresh(created);
    } finally {
      await writer.close();
    }
    window = { start_time: manifest.window.start, end_time: manifest.window.end };
    onEngine = buildApp(testConfig({ [engine.configKey]: url, ALLOWED_INDEX_PATTERNS: manifest.logs.index_pattern, LOG_INDEX_PATTERN: manifest.logs.index_pattern }));
    onEmbedded = buildApp(testConfig({ EMBEDDED_STORE: 'on' }));
    const store = onEmbedded.store!;
    for (let i = 0; i < records.length; i += 5000) expect((await store.ingest(records.slice(i, i + 5000))).rejected).toEqual([]);
    expect((await store.view.summary(AbortSignal.timeout(60_000))).datasets.reduce((n, d) => n + d.records, 0)).toBe(manifest.logs.total);
  }, 180_000);

  afterAll(async () => {
    await onEngine?.close();
    await onEmbedded?.close();
    await admin?.deleteIndices(created);
  });

  const both = async (tool: string, args: Record<string, unknown>): Promise<[Answer, Answer]> => [
    await callOk<Answer>(onEngine, tool, { ...window, ...args }, CALLERS.viewer),
    await callOk<Answer>(onEmbedded, tool, { ...window, scope: manifest.logs.index_pattern, ...args }, CALLERS.viewer),
  ];

  it('the embedded store holds what the engine holds', async () => {
    const [es, embedded] = await both('logs_patterns', { log_level: 'error', sample_size: 5000, top_n: 50 });
    expect(embedded.total).toBe(es.total);
    expect(embedded.source).toMatchObject({ name: 'embedded', kind: 'embedded', scope: manifest.logs.index_pattern });
  });

  it.each([
    ['logs_patterns', { log_level: 'error', sample_size: 5000, top_n: 20 }],
    ['logs_patterns', { log_level: 'warn', sample_size: 5000, top_n: 20, service_name: 'fraud-service' }],
    ['logs_bursts', { bucket_seconds: 60, top_templates: 5 }],
    ['logs_bursts', { bucket_seconds: 300, log_level: 'warn', by: 'host', top_templates: 3 }],
    ['logs_correlate', { sample_size: 5000 }],
    ['incident_summary', { sample_size: 5000 }],
  ])('%s %j: identical findings', async (tool, args) => {
    const [es, embedded] = await both(tool, args);
    const offered = (app: App) => new Set(app.rt.registry.listFor(CALLERS.viewer.role).map((t) => t.name));
    const onBoth = offered(onEmbedded);
    for (const name of onBoth) if (!offered(onEngine).has(name)) onBoth.delete(name);
    expect(comparable(embedded, onBoth)).toEqual(comparable(es, onBoth));
  });

  it('incident_summary on a window that starts after the onset: identical findings, the onset before the window', async () => {
    const late = { start_time: new Date(Date.parse(manifest.incident.start) + 10 * 60_000).toISOString(), sample_size: 5000 };
    const [es, embedded] = await both('incident_summary', late);
    expect(es).toMatchObject({ status: 'ongoing', began_before_window: true, count_exact: true, likely_cause: { service: 'fraud-service' } });
    const onBoth = new Set(onEmbedded.rt.registry.listFor(CALLERS.viewer.role).map((t) => t.name));
    expect(comparable(embedded, onBoth)).toEqual(comparable(es, onBoth));
  });
});
