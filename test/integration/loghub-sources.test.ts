/**
 * The VictoriaLogs and Loki sources on real logs nobody here wrote: Loghub-2k samples
 * (test/fixtures/loghub) read through `telemcp ingest`'s path, written into the real VictoriaLogs
 * (ECS JSON lines, a tenant of their own) and into the Loki contract fake (service/host/level as
 * stream labels), must give the embedded store's findings from logs_patterns, logs_bursts and
 * incident_summary over the same window. These logs have lines without levels, bursts whose shape
 * nobody chose, and windows of hours to weeks.
 */
import { randomInt } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../src/app.js';
import { openInput } from '../../src/cli/ingest-input.js';
import { forEachLine } from '../../src/cli/read-lines.js';
import { createFileRecordAssembler } from '../../src/ingest/file-records.js';
import type { IngestRecord } from '../../src/ingest/record.js';
import { testConfig } from '../helpers/config.js';
import { CALLERS, callOk } from '../helpers/es-fixtures.js';
import { comparable } from '../helpers/log-tools-contract-suite.js';
import { startLokiFake, type LokiFakeHandle } from '../helpers/loki-env.js';
import { lokiLine, pushLines } from '../helpers/loki-seed.js';
import { forceFlush, requireVlogsUrl } from '../helpers/vlogs-env.js';
import { ecsDoc, ingestEcsLines } from '../helpers/vlogs-seed.js';

const fixture = (file: string): string => fileURLToPath(new URL(`../fixtures/loghub/${file}`, import.meta.url));

/** Systems with levels (Hadoop, HDFS, Zookeeper), without (OpenSSH), and spanning weeks (Apache, Zookeeper); all within the 31 days a window may cover. */
const SYSTEMS = ['Hadoop', 'HDFS', 'Zookeeper', 'Apache', 'OpenSSH'];

/**
 * Where the Loki source is known to say something else, and why. OpenSSH's lines carry no level,
 * and Loki 3 guesses one at ingest from words anywhere in the line (`getaddrinfo` reads as info),
 * which the Loki source takes as the record's level: an open gap, checked as such below so that
 * the day it is closed this list has to shrink.
 */
const LOKI_GAPS: Record<string, string> = { OpenSSH: 'getaddrinfo' };

async function read(system: string): Promise<IngestRecord[]> {
  const records: IngestRecord[] = [];
  const assembler = createFileRecordAssembler({ format: 'auto', dataset: `loghub-${system.toLowerCase()}`, receivedAt: Date.parse('2026-01-01T00:00:00Z') }, { record: (r) => records.push(r), bad: () => undefined });
  const input = await openInput(fixture(`${system}_2k.log`));
  await forEachLine(input.text(), (line) => assembler.push(line, 0));
  assembler.end();
  return records;
}

type Answer = Parameters<typeof comparable>[0];

/**
 * The answer without its example lines: these logs stamp whole seconds, so "the newest record of
 * a pattern" is often one of several records of the same second, and each source may pick another.
 */
function withoutExamples(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutExamples);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).filter(([k]) => k !== 'example').map(([k, v]) => [k, withoutExamples(v)]));
}

describe.each(SYSTEMS)('Loghub %s: VictoriaLogs and Loki give the embedded store\'s findings', (system) => {
  const scope = `loghub-${system.toLowerCase()}`;
  let embedded: App;
  let vlogs: App;
  let loki: App;
  let lokiFake: LokiFakeHandle;
  let window: { start_time: string; end_time: string };

  beforeAll(async () => {
    const all = await read(system);
    // Loki keeps one of two entries with the same stream, time and line: every source gets the records Loki keeps.
    const seen = new Set<string>();
    const lines = all.map((r) => lokiLine(r));
    const records = all.filter((_, i) => {
      const key = JSON.stringify([Object.entries(lines[i]!.labels).sort(), lines[i]!.ts, lines[i]!.line]);
      return !seen.has(key) && Boolean(seen.add(key));
    });
    const times = records.map((r) => r.ts!);
    window = { start_time: new Date(Math.min(...times)).toISOString(), end_time: new Date(Math.max(...times)).toISOString() };

    embedded = buildApp(testConfig({ EMBEDDED_STORE: 'on' }));
    expect((await embedded.store!.ingest(records)).rejected).toEqual([]);

    const url = requireVlogsUrl();
    const tenant = { accountId: 100_000 + randomInt(0, 1_000_000_000), projectId: 0 };
    await ingestEcsLines(url, records.map((r) => ecsDoc(r)), tenant);
    await forceFlush(url);
    vlogs = buildApp(testConfig({ VICTORIALOGS_URL: url, VICTORIALOGS_HEADERS: `AccountID=${tenant.accountId},ProjectID=${tenant.projectId}` }));

    lokiFake = await startLokiFake();
    await pushLines(lokiFake, records.map((r) => lokiLine(r)), 'loghub');
    loki = buildApp(testConfig({ LOKI_URL: lokiFake.url, LOKI_HEADERS: 'X-Scope-OrgID=loghub' }));
  }, 120_000);

  afterAll(async () => {
    await Promise.all([embedded?.close(), vlogs?.close(), loki?.close()]);
    await lokiFake?.close();
  });

  const shared = (a: App, b: App) => {
    const offered = (app: App) => new Set(app.rt.registry.listFor(CALLERS.viewer.role).map((t) => t.name));
    const onBoth = offered(a);
    for (const name of onBoth) if (!offered(b).has(name)) onBoth.delete(name);
    return onBoth;
  };

  it.each([
    ['logs_patterns', { sample_size: 2000, top_n: 30 }],
    ['logs_bursts', { log_level: 'any', top_templates: 3 }],
    ['incident_summary', { sample_size: 2000 }],
  ])('%s %j: identical findings', async (tool, args) => {
    const onEmbedded = await callOk<Answer>(embedded, tool, { ...window, scope, ...args }, CALLERS.viewer);
    for (const app of LOKI_GAPS[system] ? [vlogs] : [vlogs, loki]) {
      const answer = await callOk<Answer>(app, tool, { ...window, ...args }, CALLERS.viewer);
      expect(withoutExamples(comparable(answer, shared(app, embedded))), `${answer.source.kind}`).toEqual(withoutExamples(comparable(onEmbedded, shared(app, embedded))));
    }
  });

  it('Loki: levels differ from the embedded store\'s only where Loki 3 guessed them from a word of the line (a known gap)', async () => {
    type Patterns = { patterns: { template: string; levels: string[] }[] };
    const args = { ...window, sample_size: 2000, top_n: 30 };
    const levels = (a: Patterns) => new Map(a.patterns.map((p) => [p.template, p.levels.join(',')]));
    const onEmbedded = levels(await callOk<Patterns>(embedded, 'logs_patterns', { ...args, scope }, CALLERS.viewer));
    const onLoki = levels(await callOk<Patterns>(loki, 'logs_patterns', args, CALLERS.viewer));
    expect([...onLoki.keys()]).toEqual([...onEmbedded.keys()]);
    const differing = [...onLoki].filter(([t, l]) => onEmbedded.get(t) !== l);
    const gap = LOKI_GAPS[system];
    expect(differing.map(([t, l]) => [gap !== undefined && t.includes(gap), l])).toEqual(differing.map(() => [true, 'info']));
    if (gap !== undefined) expect(differing.length).toBeGreaterThan(0);
  });
});
