/**
 * vlogs_query on the real VictoriaLogs of scripts/test-env.sh, called through the pipeline (its
 * guard, bound and audit), behind a counting proxy that sees every request telemcp sends. The
 * records are the test's own, tagged with a run id: a steady trickle of requests over four hours
 * and a burst of database timeouts in the last twenty minutes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../src/app.js';
import { testConfig } from '../helpers/config.js';
import { callErr, callOk } from '../helpers/es-fixtures.js';
import { CountingProxy } from '../helpers/security-counting-proxy.js';
import { forceFlush, requireVlogsUrl } from '../helpers/vlogs-env.js';
import { ecsDoc, ingestEcsLines } from '../helpers/vlogs-seed.js';
import { RUN, seedRecords, type VlogsQueryAnswer } from '../helpers/vlogs-query.js';

const MINUTE = 60_000;
const NOW = Math.floor(Date.now() / MINUTE) * MINUTE;
const seed = seedRecords(NOW);

describe('vlogs_query on VictoriaLogs', () => {
  const url = requireVlogsUrl();
  const proxy = new CountingProxy({ target: url });
  let app: App;

  beforeAll(async () => {
    await ingestEcsLines(url, seed.records.map((r) => ecsDoc(r, { run: RUN, ...(r.message.startsWith('huge') ? Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`extra_${i}`, 'v'.repeat(1000)])) : {}) })));
    await forceFlush(url);
    await proxy.start();
    app = buildApp(testConfig({ VICTORIALOGS_URL: proxy.url }));
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await proxy.stop();
  });

  const window = { start: new Date(NOW - 4 * 60 * MINUTE).toISOString(), end: new Date(NOW + MINUTE).toISOString() };
  const selects = (mark: number) => proxy.since(mark).filter((r) => r.url.startsWith('/select/'));

  it('gives the same exact totals for the JSON filter and the LogsQL form, with patterns and bursts', async () => {
    const byJson = await callOk<VlogsQueryAnswer>(app, 'vlogs_query', { filter: { run: RUN, 'service.name': 'api' }, ...window, limit: 1000 });
    const byLogsql = await callOk<VlogsQueryAnswer>(app, 'vlogs_query', { query: `run:="${RUN}" "service.name":="api"`, ...window, limit: 1000 });
    expect(byJson.total).toBe(seed.api);
    expect(byLogsql.total).toBe(seed.api);
    expect(byJson.lines_read).toBe(seed.api);
    expect(byJson.patterns_counted).toBe('exact');
    expect(byJson.state).toBe('ok');
    const templates = byJson.patterns.map((p) => p.template);
    expect(templates.some((t) => t.includes('db timeout after'))).toBe(true);
    expect(templates, JSON.stringify(templates)).toContainEqual(expect.stringMatching(/^GET .* in /));
    expect(byJson.patterns.find((p) => p.template.includes('db timeout'))!.count).toBe(seed.burst);
    expect(byLogsql.patterns.map((p) => [p.template, p.count])).toEqual(byJson.patterns.map((p) => [p.template, p.count]));
    // The burst of timeouts in the last twenty minutes, over exact counts per bucket.
    expect(byJson.bursts.bursts.length).toBeGreaterThan(0);
    expect(byJson.bursts.bursts.at(-1)!.status).toBe('ongoing');
    expect(byJson.summary).toMatch(/^\d+ records match .*\(exact\)/);
    expect(byJson.summary).toContain('Ongoing burst');
  });

  it('injects the server\'s window and line limit when they are missing, and its own timeout', async () => {
    const mark = proxy.count;
    const res = await callOk<VlogsQueryAnswer>(app, 'vlogs_query', { filter: { run: RUN } });
    expect(res.query.injected).toEqual(['window', 'limit']);
    expect(res.query.limit).toBe(200);
    expect(Date.parse(res.query.end) - Date.parse(res.query.start)).toBe(60 * MINUTE);
    expect(res.query.logsql).toMatch(/^\("run":="r[0-9a-z]+"\) \| sort by \(_time desc\) \| limit 200$/);
    expect(res.lines_read).toBe(200);
    expect(res.total).toBe(seed.lastHour);
    const sent = selects(mark).map((r) => new URLSearchParams(r.body));
    expect(sent.length).toBe(3);
    for (const form of sent) {
      expect(form.get('timeout')).toMatch(/^\d+s$/);
      expect(form.get('start')).toBe(res.query.start);
      expect(form.get('query')!.startsWith(`("run":="${RUN}") |`)).toBe(true);
    }
  });

  it.each([
    ['*', { query: '*' }],
    ['_msg:*', { query: '_msg:*' }],
    ['a quoted field, parenthesised', { query: ' ( "_msg":* ) ' }],
    ['an OR with a match-all branch', { query: `run:="${RUN}" OR *` }],
    ['a regex of any value', { query: '_msg:~".*"' }],
    ['an empty stream filter', { query: '{}' }],
    ['the JSON form of "has a message"', { filter: { _msg: { _exists: true } } }],
  ])('refuses a filter that matches everything (%s) with query_denied, before any request', async (_name, args) => {
    const mark = proxy.count;
    const err = await callErr(app, 'vlogs_query', args);
    expect(err.error.code).toBe('query_denied');
    expect(err.error.hint).toMatch(/narrow/i);
    expect(selects(mark)).toEqual([]);
  });

  it.each([
    ['a pipe', `run:="${RUN}" | delete`],
    ['a pipe that lifts the limit', `run:="${RUN}" | limit 100000`],
    ['a comment hiding the server\'s pipes', `run:="${RUN}" #`],
    ['options() lifting the window', `options(ignore_global_time_filter=true) run:="${RUN}"`],
    ['a subquery in a value list', `run:="${RUN}" "service.name":in(_time:1d *)`],
    ['in(*), which matches every value', `"service.name":in(*)`],
  ])('refuses %s, before any request', async (_name, query) => {
    const mark = proxy.count;
    const err = await callErr(app, 'vlogs_query', { query });
    expect(err.error.code).toBe('query_denied');
    expect(selects(mark)).toEqual([]);
  });

  it('keeps a pipe inside a JSON filter value as text to match, never syntax', async () => {
    const res = await callOk<VlogsQueryAnswer>(app, 'vlogs_query', { filter: { run: `${RUN}" | delete | "` }, ...window });
    expect(res.total).toBe(0);
    expect(res.state).toBe('empty');
  });

  it('refuses a window over the cap, a limit over the cap, and both forms at once', async () => {
    expect((await callErr(app, 'vlogs_query', { filter: { run: RUN }, start: 'now-40d' })).error.code).toBe('invalid_input');
    expect((await callErr(app, 'vlogs_query', { filter: { run: RUN }, limit: 5000 })).error.code).toBe('invalid_input');
    expect((await callErr(app, 'vlogs_query', { filter: { run: RUN }, query: `run:="${RUN}"` })).error.code).toBe('invalid_input');
  });

  it('answers an empty result with hints on how to widen', async () => {
    const res = await callOk<VlogsQueryAnswer>(app, 'vlogs_query', { filter: { run: RUN, 'service.name': 'no-such-service' } });
    expect(res.state).toBe('empty');
    expect(res.total).toBe(0);
    expect(res.patterns).toEqual([]);
    expect(res.hints!.join(' ')).toMatch(/Widen the window/);
    expect(res.hints!.join(' ')).toMatch(/Loosen the filter/);
  });

  it('answers a too-wide result with hints on how to narrow', async () => {
    const res = await callOk<VlogsQueryAnswer>(app, 'vlogs_query', { filter: { run: RUN }, ...window, limit: 20 });
    expect(res.state).toBe('too_wide');
    expect(res.total).toBe(seed.records.length);
    expect(res.lines_read).toBe(20);
    expect(res.patterns_counted).toBe('in_lines_read');
    expect(res.hints!.join(' ')).toMatch(/Narrow it: add a service or level condition/);
    expect(res.truncated).toBe(true);
  });

  it('bounds the output: sample lines, message length, fields', async () => {
    const res = await callOk<VlogsQueryAnswer>(app, 'vlogs_query', { query: `run:="${RUN}" huge`, ...window, sample_lines: 3 });
    expect(res.total).toBe(seed.huge);
    expect(res.lines.length).toBe(3);
    for (const line of res.lines) {
      expect(line.message.length).toBeLessThanOrEqual(500);
      expect(Object.keys(line.fields ?? {}).length).toBeLessThanOrEqual(12);
      // 256 characters and the cut mark.
      for (const v of Object.values(line.fields ?? {})) expect(v.length).toBeLessThanOrEqual(257);
    }
    expect(JSON.stringify(res).length).toBeLessThan(60_000);
  });
});
