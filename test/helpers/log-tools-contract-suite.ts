/**
 * The log tools' contract on a log source other than Elasticsearch: the seed's incident written
 * into that source (by the caller's loader) and into the embedded store (through the demo
 * loader's mapping) must give the same findings from every log tool, as
 * log-tools-contract.test.ts checks for Elasticsearch/OpenSearch. vlogs-contract.test.ts and
 * loki-contract.test.ts run it, each with its own loader and app.
 */
import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../src/app.js';
import { generateSeed } from '../../src/seed/generate.js';
import type { SeedManifest } from '../../src/seed/manifest.js';
import type { SeedInput } from '../../src/seed/plan.js';
import { seedToIngest } from '../../src/seed/to-ingest.js';
import type { IngestRecord } from '../../src/ingest/record.js';
import { testConfig } from './config.js';
import { CALLERS, callOk } from './es-fixtures.js';

type Answer = Record<string, unknown> & { source: { name: string; kind: string; scope: string } };
type Check = { tool: string; args: Record<string, unknown> };

/** The answer without what legitimately differs between sources (as in log-tools-contract.test.ts). */
export function comparable(answer: Answer, sharedTools: ReadonlySet<string>): unknown {
  const { source: _source, window, next_checks: checks, ...rest } = answer as Answer & { window?: { server_now?: string }; next_checks?: Check[] };
  const { server_now: _now, ...win } = window ?? {};
  const nextChecks = checks
    ?.filter((c) => sharedTools.has(c.tool))
    .map(({ args: { source: _s, scope: _scope, ...args }, ...c }) => ({ ...c, args }));
  return { ...rest, window: win, ...(nextChecks ? { next_checks: nextChecks } : {}) };
}

export interface ContractSource {
  /** The source's name and kind as answers report them. */
  name: string;
  kind: string;
  /** A prefix of the seed's namespace, so runs on a shared server never read each other's records. */
  namespace: string;
  /**
   * Writes the seed's records into the source and returns an app reading them; `close` stops what
   * it started. `kept`: the records the source keeps when it drops some by design (Loki drops an
   * entry identical to one already in its stream), which the embedded store is then given instead.
   */
  load(records: IngestRecord[]): Promise<{ app: App; close?: () => Promise<void>; kept?: IngestRecord[] }>;
}

export function logToolsContractSuite(src: ContractSource): void {
  describe(`log tools give the same findings on ${src.kind} and on the embedded store`, () => {
    const input: SeedInput = { now: new Date(Math.floor(Date.now() / 60_000) * 60_000), namespace: `${src.namespace}${randomInt(0, 1_000_000)}` };
    let manifest: SeedManifest;
    let onSource: App;
    let stop: (() => Promise<void>) | undefined;
    let onEmbedded: App;
    let window: { start_time: string; end_time: string };

    beforeAll(async () => {
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
      const loaded = await src.load(records);
      onSource = loaded.app;
      stop = loaded.close;
      window = { start_time: manifest.window.start, end_time: manifest.window.end };
      onEmbedded = buildApp(testConfig({ EMBEDDED_STORE: 'on' }));
      const store = onEmbedded.store!;
      const kept = loaded.kept ?? records;
      for (let i = 0; i < kept.length; i += 5000) expect((await store.ingest(kept.slice(i, i + 5000))).rejected).toEqual([]);
      expect(records.length).toBe(manifest.logs.total);
    }, 180_000);

    afterAll(async () => {
      await onSource?.close();
      await onEmbedded?.close();
      await stop?.();
    });

    const both = async (tool: string, args: Record<string, unknown>): Promise<[Answer, Answer]> => [
      await callOk<Answer>(onSource, tool, { ...window, ...args }, CALLERS.viewer),
      await callOk<Answer>(onEmbedded, tool, { ...window, scope: manifest.logs.index_pattern, ...args }, CALLERS.viewer),
    ];

    const sharedTools = () => {
      const offered = (app: App) => new Set(app.rt.registry.listFor(CALLERS.viewer.role).map((t) => t.name));
      const onBoth = offered(onEmbedded);
      for (const name of onBoth) if (!offered(onSource).has(name)) onBoth.delete(name);
      return onBoth;
    };

    it(`${src.kind} holds what the embedded store holds`, async () => {
      const [answer, embedded] = await both('logs_patterns', { log_level: 'error', sample_size: 5000, top_n: 50 });
      expect(answer.total).toBe(embedded.total);
      expect(answer.source).toMatchObject({ name: src.name, kind: src.kind });
    });

    it.each([
      ['logs_patterns', { log_level: 'error', sample_size: 5000, top_n: 20 }],
      ['logs_patterns', { log_level: 'warn', sample_size: 5000, top_n: 20, service_name: 'fraud-service' }],
      ['logs_bursts', { bucket_seconds: 60, top_templates: 5 }],
      ['logs_bursts', { bucket_seconds: 300, log_level: 'warn', by: 'host', top_templates: 3 }],
      ['logs_correlate', { sample_size: 5000 }],
      ['incident_summary', { sample_size: 5000 }],
    ])('%s %j: identical findings', async (tool, args) => {
      const [answer, embedded] = await both(tool, args);
      const onBoth = sharedTools();
      expect(comparable(answer, onBoth)).toEqual(comparable(embedded, onBoth));
    });

    it.each([
      { log_level: 'error', limit: 50 },
      { log_level: 'warn', limit: 30, sort: 'asc' },
      { query: 'timeout', limit: 40 },
    ])('logs_search %j: the same total and the same records, page after page', async (args) => {
      type Hit = { time: string; message?: string; service?: string; level?: string };
      type Page = Answer & { total: number; hits: Hit[]; next_cursor?: string };
      // Records of one millisecond may come in another order on each source: the page's last millisecond is compared by time only.
      const comparableHits = (hits: Hit[]) => {
        const last = hits.at(-1)?.time;
        return { times: hits.map((h) => h.time), records: hits.filter((h) => h.time !== last).map((h) => JSON.stringify([h.time, h.message, h.service, h.level])).sort() };
      };
      let [a, e] = (await both('logs_search', args)) as [Page, Page];
      for (let page = 0; page < 3; page++) {
        expect(a.total).toBe(e.total);
        expect(comparableHits(a.hits)).toEqual(comparableHits(e.hits));
        expect(a.next_cursor === undefined).toBe(e.next_cursor === undefined);
        if (!a.next_cursor || !e.next_cursor) break;
        a = await callOk<Page>(onSource, 'logs_search', { ...window, ...args, cursor: a.next_cursor }, CALLERS.viewer);
        e = await callOk<Page>(onEmbedded, 'logs_search', { ...window, scope: manifest.logs.index_pattern, ...args, cursor: e.next_cursor }, CALLERS.viewer);
      }
    });

    it('incident_summary on a window that starts after the onset: identical findings', async () => {
      const late = { start_time: new Date(Date.parse(manifest.incident.start) + 10 * 60_000).toISOString(), sample_size: 5000 };
      const [answer, embedded] = await both('incident_summary', late);
      expect(answer).toMatchObject({ status: 'ongoing', began_before_window: true, count_exact: true, likely_cause: { service: 'fraud-service' } });
      const onBoth = sharedTools();
      expect(comparable(answer, onBoth)).toEqual(comparable(embedded, onBoth));
    });
  });
}
