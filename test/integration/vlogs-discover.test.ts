/**
 * vlogs_discover on the real VictoriaLogs of scripts/test-env.sh, called through the pipeline
 * (its guard, bound and audit), behind a counting proxy that sees every request telemcp sends.
 * The records are the test's own, in a tenant of this run (AccountID random), so every field,
 * value, stream and count the tool reports is known: nothing else lives in that tenant.
 */
import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../src/app.js';
import { testConfig } from '../helpers/config.js';
import { callErr, callOk } from '../helpers/es-fixtures.js';
import { CountingProxy } from '../helpers/security-counting-proxy.js';
import { forceFlush, requireVlogsUrl } from '../helpers/vlogs-env.js';
import { ingestEcsLines } from '../helpers/vlogs-seed.js';
import { DISCOVERY_LIMITS } from '../../src/backends/victorialogs/discovery.js';

const MINUTE = 60_000;
const NOW = Math.floor(Date.now() / MINUTE) * MINUTE;
const TENANT = { accountId: randomInt(1_000_000, 2_000_000), projectId: 7 };

interface DiscoverAnswer {
  summary: string;
  source: string;
  what: string;
  query: { filter: string; start: string; end: string; limit: number; injected: string[] };
  items?: { value: string; hits: number; stream?: boolean }[];
  distinct?: number;
  distinct_exact?: boolean;
  hits?: { step_seconds: number; first_bucket: string; total: number; groups: { fields?: Record<string, string>; total: number; counts: number[] }[] };
  hints?: string[];
  truncated: boolean;
}

/**
 * Forty minutes before NOW: api on two hosts (30 info, 12 error), web on one (8 info), batch on
 * one (5 warn); every record has a `req` of its own, except that the api errors share req
 * "hot-1" (12) and the web ones "hot-2" (8). Plus 1,050 records of service bulk 50 minutes ago,
 * each with a distinct `req`: more distinct values than the server counts per request.
 */
const SEED = { apiInfo: 30, apiError: 12, web: 8, batch: 5, bulk: 1050 };
const TOTAL = SEED.apiInfo + SEED.apiError + SEED.web + SEED.batch + SEED.bulk;

function seedDocs(): Record<string, unknown>[] {
  const docs: Record<string, unknown>[] = [];
  const doc = (at: number, service: string, level: string, host: string, req: string, message: string) =>
    docs.push({ '@timestamp': new Date(at).toISOString(), message, service: { name: service }, log: { level }, host: { name: host }, req });
  for (let i = 0; i < SEED.apiInfo; i++) doc(NOW - 40 * MINUTE + i * MINUTE, 'api', 'info', `api-${i % 2}`, `a-${i}`, `GET /users/${i} 200`);
  for (let i = 0; i < SEED.apiError; i++) doc(NOW - 12 * MINUTE + i * 30_000, 'api', 'error', `api-${i % 2}`, 'hot-1', `db timeout on shard ${i % 3}`);
  for (let i = 0; i < SEED.web; i++) doc(NOW - 30 * MINUTE + i * MINUTE, 'web', 'info', 'web-0', 'hot-2', `rendered page ${i}`);
  for (let i = 0; i < SEED.batch; i++) doc(NOW - 20 * MINUTE + i * MINUTE, 'batch', 'warn', 'batch-0', `b-${i}`, `job ${i} slow`);
  for (let i = 0; i < SEED.bulk; i++) doc(NOW - 50 * MINUTE + (i % 60) * 1000, 'bulk', 'debug', 'bulk-0', `u-${i}`, `bulk item ${i}`);
  return docs;
}

describe('vlogs_discover on VictoriaLogs', () => {
  const url = requireVlogsUrl();
  const proxy = new CountingProxy({ target: url });
  let app: App;

  beforeAll(async () => {
    await ingestEcsLines(url, seedDocs(), TENANT);
    await forceFlush(url);
    await proxy.start();
    app = buildApp(testConfig({ VICTORIALOGS_URL: proxy.url, VICTORIALOGS_HEADERS: `AccountID=${TENANT.accountId},ProjectID=${TENANT.projectId}` }));
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await proxy.stop();
  });

  const selects = (mark: number) => proxy.since(mark).filter((r) => r.url.startsWith('/select/'));
  const discover = (args: Record<string, unknown>) => callOk<DiscoverAnswer>(app, 'vlogs_discover', args);

  it('lists the field names of the tenant with their records, stream fields marked, in the default window', async () => {
    const mark = proxy.count;
    const res = await discover({ what: 'fields' });
    expect(res.query.injected).toEqual(['window', 'limit']);
    expect(res.query.filter).toBe('*');
    const byName = Object.fromEntries(res.items!.map((i) => [i.value, i]));
    for (const name of ['_msg', '_time', 'service.name', 'log.level', 'host.name', 'req']) expect(byName[name]?.hits, name).toBe(TOTAL);
    expect(byName['service.name']!.stream).toBe(true);
    expect(byName['host.name']!.stream).toBe(true);
    expect(byName['log.level']!.stream).toBeUndefined();
    expect(res.distinct).toBe(res.items!.length);
    expect(res.distinct_exact).toBe(true);
    expect(res.truncated).toBe(false);
    // The configured tenant on every request, and only the discovery endpoints.
    const sent = selects(mark);
    expect(sent.map((r) => r.url).sort()).toEqual(['/select/logsql/field_names', '/select/logsql/stream_field_names']);
    for (const r of sent) {
      expect(r.headers.accountid).toBe(String(TENANT.accountId));
      expect(r.headers.projectid).toBe(String(TENANT.projectId));
      expect(new URLSearchParams(r.body).get('timeout')).toMatch(/^\d+s$/);
    }
  });

  it('bounds the field list to the top `limit` by records, saying it is truncated', async () => {
    const res = await discover({ what: 'fields', limit: 2, filter: { 'service.name': 'api' } });
    expect(res.items!.length).toBe(2);
    expect(res.truncated).toBe(true);
    expect(res.distinct).toBeGreaterThan(2);
    for (const i of res.items!) expect(i.hits).toBe(SEED.apiInfo + SEED.apiError);
  });

  it('counts the values of a field exactly, most records first, narrowed by either filter form', async () => {
    const all = await discover({ what: 'field_values', field: 'service.name' });
    expect(all.items).toEqual([
      { value: 'bulk', hits: SEED.bulk },
      { value: 'api', hits: SEED.apiInfo + SEED.apiError },
      { value: 'web', hits: SEED.web },
      { value: 'batch', hits: SEED.batch },
    ]);
    expect(all.distinct).toBe(4);
    expect(all.distinct_exact).toBe(true);
    expect(all.truncated).toBe(false);
    const top = await discover({ what: 'field_values', field: 'service.name', limit: 1 });
    expect(top.items).toEqual([{ value: 'bulk', hits: SEED.bulk }]);
    expect(top.truncated).toBe(true);
    const byJson = await discover({ what: 'field_values', field: 'log.level', filter: { 'service.name': { _in: ['api', 'web'] } } });
    const byLogsql = await discover({ what: 'field_values', field: 'log.level', query: '"service.name":in("api", "web")' });
    expect(byJson.items).toEqual([
      { value: 'info', hits: SEED.apiInfo + SEED.web },
      { value: 'error', hits: SEED.apiError },
    ]);
    expect(byLogsql.items).toEqual(byJson.items);
    expect(byJson.query.filter).toMatch(/^\(.*\)$/);
  });

  it('past the distinct values the server counts, still gives the exact top values and says the distinct count is a lower bound', async () => {
    const mark = proxy.count;
    const res = await discover({ what: 'field_values', field: 'req', limit: 2 });
    expect(res.items).toEqual([
      { value: 'hot-1', hits: SEED.apiError },
      { value: 'hot-2', hits: SEED.web },
    ]);
    expect(res.distinct_exact).toBe(false);
    expect(res.distinct).toBe(DISCOVERY_LIMITS.scanValues);
    expect(res.truncated).toBe(true);
    expect(res.summary).toMatch(/^at least 1000 values of req/);
    const paths = selects(mark).map((r) => r.url);
    expect(paths).toEqual(['/select/logsql/field_values', '/select/logsql/query']);
    const sentLimit = new URLSearchParams(selects(mark)[1]!.body).get('limit');
    expect(sentLimit).toBe('2');
  });

  it('lists the streams with their records', async () => {
    const res = await discover({ what: 'streams' });
    const streams = Object.fromEntries(res.items!.map((i) => [i.value, i.hits]));
    expect(streams).toEqual({
      '{host.name="bulk-0",service.name="bulk"}': SEED.bulk,
      '{host.name="api-0",service.name="api"}': SEED.apiInfo / 2 + SEED.apiError / 2,
      '{host.name="api-1",service.name="api"}': SEED.apiInfo / 2 + SEED.apiError / 2,
      '{host.name="web-0",service.name="web"}': SEED.web,
      '{host.name="batch-0",service.name="batch"}': SEED.batch,
    });
    expect(res.distinct).toBe(5);
    expect(res.items![0]!.value).toContain('bulk');
  });

  it('counts records over time exactly, grouped by the top values of a field and the rest', async () => {
    const res = await discover({ what: 'hits', start: new Date(NOW - 60 * MINUTE).toISOString(), end: new Date(NOW).toISOString(), step: '10m', field: 'log.level', limit: 2 });
    const h = res.hits!;
    expect(h.step_seconds).toBe(600);
    expect(h.total).toBe(TOTAL);
    expect(h.groups.map((g) => [g.fields ?? null, g.total])).toEqual([
      [{ 'log.level': 'debug' }, SEED.bulk],
      [{ 'log.level': 'info' }, SEED.apiInfo + SEED.web],
      [null, SEED.apiError + SEED.batch],
    ]);
    for (const g of h.groups) expect(g.counts.reduce((a, b) => a + b, 0)).toBe(g.total);
    expect(h.groups[0]!.counts.length).toBe(7);
    expect(res.truncated).toBe(true);
    // The errors all fall in the last twenty minutes.
    const errors = await discover({ what: 'hits', filter: { 'log.level': 'error' }, start: new Date(NOW - 60 * MINUTE).toISOString(), end: new Date(NOW).toISOString(), step: '10m' });
    expect(errors.hits!.total).toBe(SEED.apiError);
    expect(errors.hits!.groups).toHaveLength(1);
    expect(errors.hits!.groups[0]!.counts.slice(0, 4).reduce((a, b) => a + b, 0)).toBe(0);
    expect(errors.summary).toMatch(/^12 records .*\(exact\)/);
  });

  it('widens a window that does not fall on whole steps to them, and says so: its totals are exact for the window it states', async () => {
    // web logs at NOW-30m … NOW-23m, one a minute: the asked window holds NOW-27m … NOW-25m (3), its whole minutes NOW-28m … NOW-25m (4).
    const res = await discover({ what: 'hits', filter: { 'service.name': 'web' }, start: new Date(NOW - 27.5 * MINUTE).toISOString(), end: new Date(NOW - 24.5 * MINUTE).toISOString(), step: '1m' });
    expect(res.query).toMatchObject({ start: new Date(NOW - 28 * MINUTE).toISOString(), end: new Date(NOW - 24 * MINUTE - 1).toISOString() });
    expect(res.query.injected).toContain('window aligned to whole steps');
    const stated = seedDocs().filter((d) => (d.service as { name: string }).name === 'web' && Date.parse(d['@timestamp'] as string) >= Date.parse(res.query.start) && Date.parse(d['@timestamp'] as string) <= Date.parse(res.query.end));
    expect(stated).toHaveLength(4);
    expect(res.hits!.total).toBe(stated.length);
    expect(res.hits!.groups[0]!.counts).toEqual([1, 1, 1, 1]);
  });

  it('injects a step of about sixty buckets when it is missing', async () => {
    const res = await discover({ what: 'hits' });
    expect(res.query.injected).toEqual(['window', 'limit', 'step', 'window aligned to whole steps']);
    expect(res.hits!.step_seconds).toBe(60);
    expect(res.hits!.total).toBe(TOTAL);
    expect(res.hits!.groups).toHaveLength(1);
    expect(res.truncated).toBe(false);
  });

  it('answers an empty window or filter with hints on how to widen', async () => {
    const res = await discover({ what: 'field_values', field: 'service.name', filter: { 'service.name': 'no-such-service' } });
    expect(res.items).toEqual([]);
    expect(res.distinct).toBe(0);
    expect(res.hints!.join(' ')).toMatch(/Widen the window/);
    const hits = await discover({ what: 'hits', start: 'now-30d', end: 'now-29d' });
    expect(hits.hits!.total).toBe(0);
    expect(hits.hints!.join(' ')).toMatch(/Widen the window/);
  });

  it('keeps a hostile JSON filter value a literal to match', async () => {
    const res = await discover({ what: 'fields', filter: { 'service.name': 'api" OR * | delete | "' } });
    expect(res.items).toEqual([]);
    expect(res.query.filter).toContain('\\"');
  });

  it.each([
    ['a pipe', { what: 'fields', query: 'error | delete' }, 'query_denied'],
    ['a pipe in field_values', { what: 'field_values', field: 'req', query: '"service.name":="api" | limit 100000' }, 'query_denied'],
    ['a comment', { what: 'streams', query: 'error #' }, 'query_denied'],
    ['options()', { what: 'hits', query: 'options(ignore_global_time_filter=true) error' }, 'query_denied'],
    ['a subquery in a value list', { what: 'fields', query: 'req:in(_time:1d *)' }, 'query_denied'],
    ['both filter forms', { what: 'fields', query: 'error', filter: { req: 'x' } }, 'invalid_input'],
    ['a window over 31 days', { what: 'fields', start: 'now-40d' }, 'invalid_input'],
    ['a limit over the cap', { what: 'field_values', field: 'req', limit: 501 }, 'invalid_input'],
    ['more hit groups than the cap', { what: 'hits', field: 'req', limit: 21 }, 'invalid_input'],
    ['a step making too many buckets', { what: 'hits', start: 'now-7d', step: '1m' }, 'invalid_input'],
    ['a step that is not a duration', { what: 'hits', step: '5 minutes' }, 'invalid_input'],
    ['field_values without field', { what: 'field_values' }, 'invalid_input'],
    ['a field name with LogsQL syntax', { what: 'field_values', field: 'a" | delete' }, 'invalid_input'],
    ['field for streams', { what: 'streams', field: 'req' }, 'invalid_input'],
    ['step for fields', { what: 'fields', step: '5m' }, 'invalid_input'],
  ])('refuses %s before any request', async (_name, args, code) => {
    const mark = proxy.count;
    const err = await callErr(app, 'vlogs_discover', args);
    expect(err.error.code).toBe(code);
    expect(err.error.hint).toBeTruthy();
    expect(selects(mark)).toEqual([]);
  });
});
