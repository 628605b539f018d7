/**
 * The log tools' contract on VictoriaLogs: the seed's incident written into the real VictoriaLogs
 * (ECS-shaped JSON lines, as a shipper writes `telemcp seed`'s documents) and into the embedded
 * store (through the demo loader's mapping) must give the same findings from every log tool, as
 * log-tools-contract.test.ts checks for Elasticsearch/OpenSearch. Each run writes into a tenant
 * of its own (AccountID), so earlier runs' records on the same server are never read.
 */
import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../src/app.js';
import { generateSeed } from '../../src/seed/generate.js';
import type { SeedManifest } from '../../src/seed/manifest.js';
import type { SeedInput } from '../../src/seed/plan.js';
import { seedToIngest } from '../../src/seed/to-ingest.js';
import type { IngestRecord } from '../../src/ingest/record.js';
import { testConfig } from '../helpers/config.js';
import { CALLERS, callOk } from '../helpers/es-fixtures.js';
import { forceFlush, requireVlogsUrl } from '../helpers/vlogs-env.js';
import { ecsDoc, ingestEcsLines } from '../helpers/vlogs-seed.js';

type Answer = Record<string, unknown> & { source: { name: string; kind: string; scope: string } };
type Check = { tool: string; args: Record<string, unknown> };

/** The answer without what legitimately differs between sources (as in log-tools-contract.test.ts). */
function comparable(answer: Answer, sharedTools: ReadonlySet<string>): unknown {
  const { source: _source, window, next_checks: checks, ...rest } = answer as Answer & { window?: { server_now?: string }; next_checks?: Check[] };
  const { server_now: _now, ...win } = window ?? {};
  const nextChecks = checks
    ?.filter((c) => sharedTools.has(c.tool))
    .map(({ args: { source: _s, scope: _scope, ...args }, ...c }) => ({ ...c, args }));
  return { ...rest, window: win, ...(nextChecks ? { next_checks: nextChecks } : {}) };
}

describe('log tools give the same findings on VictoriaLogs and on the embedded store', () => {
  const input: SeedInput = { now: new Date(Math.floor(Date.now() / 60_000) * 60_000), namespace: `vlcontract${randomInt(0, 1_000_000)}` };
  const tenant = { accountId: 100_000 + randomInt(0, 1_000_000_000), projectId: 0 };
  let manifest: SeedManifest;
  let onVlogs: App;
  let onEmbedded: App;
  let window: { start_time: string; end_time: string };

  beforeAll(async () => {
    const url = requireVlogsUrl();
    const records: IngestRecord[] = [];
    const gen = generateSeed(input);
    for (;;) {
      const step = gen.next();
      if (step.done) {
        manifest = step.value;
        break;
      }
      const r = seedToIngest(step.value);
      if (r) records.push(r);
    }
    await ingestEcsLines(url, records.map((r) => ecsDoc(r)), tenant);
    await forceFlush(url);
    window = { start_time: manifest.window.start, end_time: manifest.window.end };
    onVlogs = buildApp(testConfig({ VICTORIALOGS_URL: url, VICTORIALOGS_HEADERS: `AccountID=${tenant.accountId},ProjectID=${tenant.projectId}` }));
    onEmbedded = buildApp(testConfig({ EMBEDDED_STORE: 'on' }));
    const store = onEmbedded.store!;
    for (let i = 0; i < records.length; i += 5000) expect((await store.ingest(records.slice(i, i + 5000))).rejected).toEqual([]);
    expect(records.length).toBe(manifest.logs.total);
  }, 180_000);

  afterAll(async () => {
    await onVlogs?.close();
    await onEmbedded?.close();
  });

  const both = async (tool: string, args: Record<string, unknown>): Promise<[Answer, Answer]> => [
    await callOk<Answer>(onVlogs, tool, { ...window, ...args }, CALLERS.viewer),
    await callOk<Answer>(onEmbedded, tool, { ...window, scope: manifest.logs.index_pattern, ...args }, CALLERS.viewer),
  ];

  const sharedTools = () => {
    const offered = (app: App) => new Set(app.rt.registry.listFor(CALLERS.viewer.role).map((t) => t.name));
    const onBoth = offered(onEmbedded);
    for (const name of onBoth) if (!offered(onVlogs).has(name)) onBoth.delete(name);
    return onBoth;
  };

  it('VictoriaLogs holds what the embedded store holds', async () => {
    const [vl, embedded] = await both('logs_patterns', { log_level: 'error', sample_size: 5000, top_n: 50 });
    expect(vl.total).toBe(embedded.total);
    expect(vl.source).toMatchObject({ name: 'victorialogs', kind: 'victorialogs' });
  });

  it.each([
    ['logs_patterns', { log_level: 'error', sample_size: 5000, top_n: 20 }],
    ['logs_patterns', { log_level: 'warn', sample_size: 5000, top_n: 20, service_name: 'fraud-service' }],
    ['logs_bursts', { bucket_seconds: 60, top_templates: 5 }],
    ['logs_bursts', { bucket_seconds: 300, log_level: 'warn', by: 'host', top_templates: 3 }],
    ['logs_correlate', { sample_size: 5000 }],
    ['incident_summary', { sample_size: 5000 }],
  ])('%s %j: identical findings', async (tool, args) => {
    const [vl, embedded] = await both(tool, args);
    const onBoth = sharedTools();
    expect(comparable(vl, onBoth)).toEqual(comparable(embedded, onBoth));
  });

  it('incident_summary on a window that starts after the onset: identical findings', async () => {
    const late = { start_time: new Date(Date.parse(manifest.incident.start) + 10 * 60_000).toISOString(), sample_size: 5000 };
    const [vl, embedded] = await both('incident_summary', late);
    expect(vl).toMatchObject({ status: 'ongoing', began_before_window: true, count_exact: true, likely_cause: { service: 'fraud-service' } });
    const onBoth = sharedTools();
    expect(comparable(vl, onBoth)).toEqual(comparable(embedded, onBoth));
  });
});
