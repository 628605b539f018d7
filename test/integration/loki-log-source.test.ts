/**
 * The Loki log source (src/backends/loki) against the Loki contract fake (test/fakes/loki-fake.ts):
 * the shared LogSource suites (log-source-fixture.ts) on two tenants, one keeping levels in a
 * `level` stream label (ECS spellings), one in Loki 3's `detected_level` structured metadata
 * (flat spellings), trace ids as structured metadata; then what is Loki's own: filter values
 * that are LogQL syntax stay literal, text search is word-aligned like the embedded store's,
 * search pages through records sharing a nanosecond, cursors are bound, the tenant comes from
 * configuration only, and errors map onto telemcp's without Loki's text.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backends } from '../../src/backends/backends.js';
import { buildApp } from '../../src/app.js';
import { LOG_SOURCE, type LogQuery, type LogSource } from '../../src/backends/capabilities.js';
import { testConfig } from '../helpers/config.js';
import { DOCS, FROM, IN_WINDOW, MANY, TO, at, sharedMessageCountTests, sharedShapeTests, signal, type Doc } from '../helpers/log-source-fixture.js';
import { rejectedError } from '../helpers/errors.js';
import { startLokiFake, type LokiFakeHandle } from '../helpers/loki-env.js';
import { lokiBackends, lokiConfig, lokiLine, lokiNs, lokiSource, pushLines, type LevelAs } from '../helpers/loki-seed.js';

const lineOf = (d: Doc, levelAs: LevelAs) => lokiLine({ ts: d.ts, message: d.message, service: d.service, host: d.host, traceId: d.traceId, level: levelAs === 'label' ? d.ecsLevel : d.flatLevel }, levelAs);

describe('Loki log source on the contract fake', () => {
  let loki: LokiFakeHandle;
  let backends: Backends;
  let ecs: LogSource;
  let flat: LogSource;

  beforeAll(async () => {
    loki = await startLokiFake();
    for (const [tenant, levelAs] of [['ecs', 'label'], ['flat', 'detected']] as const) await pushLines(loki, [...DOCS, ...MANY].map((d) => lineOf(d, levelAs)), tenant);
    backends = lokiBackends(
      lokiConfig({
        LOKI_URL: loki.url,
        LOKI_HEADERS: 'X-Scope-OrgID=ecs',
        LOKI_INSTANCES: 'flat',
        LOKI_FLAT_URL: loki.url,
        LOKI_FLAT_HEADERS: 'X-Scope-OrgID=flat',
        CURSOR_SECRET: 'loki-test-secret',
      }),
    );
    ecs = lokiSource(backends);
    flat = lokiSource(backends, 'flat');
  }, 120_000);

  afterAll(async () => {
    await backends?.close();
    await loki?.close();
  });

  it('is a log source of kind loki, probed through /ready', async () => {
    expect(ecs).toMatchObject({ kind: 'loki', name: 'loki', defaultScope: '*' });
    for (const p of backends.probes()) await expect(p.check(signal())).resolves.toBeUndefined();
  });

  describe('levels in a level label', () => {
    sharedShapeTests(() => ecs, '*');
    sharedMessageCountTests(() => ecs, '*', '*');
  });

  describe('levels in detected_level structured metadata', () => {
    sharedShapeTests(() => flat, '*');
    sharedMessageCountTests(() => flat, '*', '*');
  });

  const window = (extra: Partial<LogQuery> = {}): LogQuery => ({ from: new Date(FROM), to: new Date(TO), ...extra });

  it('text search is word-aligned and case-insensitive, as on the embedded store', async () => {
    const total = async (text: string) => (await ecs.countBy(window({ text }), { by: 'service' }, signal())).total;
    const words = (m: string) => m.toLowerCase().split(/[^\p{L}\p{N}]+/u);
    expect(await total('DECLINED')).toBe(300);
    expect(await total('declin')).toBe(0);
    expect(await total('declin*')).toBe(300);
    expect(await total('"payment declined"')).toBe(300);
    expect(await total('"declined payment"')).toBe(0);
    expect(await total('orders/5')).toBe(IN_WINDOW.filter((d) => /(^|[^\p{L}\p{N}])orders[^\p{L}\p{N}]+5([^\p{L}\p{N}]|$)/u.test(d.message)).length);
    expect(await total('slow | flushed')).toBe(IN_WINDOW.filter((d) => words(d.message).includes('slow') || words(d.message).includes('flushed')).length);
    expect(await total('order -declined')).toBe(0);
    expect(await total('-declined -flushed -slow')).toBe(IN_WINDOW.filter((d) => d.service === 'api').length);
    // A query of punctuation only holds no word: nothing can match.
    expect(await total('"^"')).toBe(0);
  });

  it('text search finds exactly what the embedded store finds, query by query', async () => {
    const t = Date.parse('2026-03-12T10:00:00.000Z');
    const messages = [
      'upstream timeout after 5s', 'UPSTREAM TIMEOUTS', 'timeout_ms=500 exceeded', 'retry-timeout: 3', 'Timeout.', 'time out', 'a timetable',
      'payment declined for order 7', 'payment: declined', 'payment was declined', 'GET /orders/5 200', 'GET /orders/50 200', 'orders 5',
      'Café ouvert', 'naïve user', 'user@example.com logged in', 'x=1,y=2', 'error[42]: disk full', '"quoted" words here', 'tab\tseparated\tline',
    ];
    const lines = messages.map((message, i) => ({ ts: t + i, message, service: 'words', level: 'info', host: 'h' }));
    await pushLines(loki, lines.map((l) => lokiLine(l)), 'ecs');
    const embedded = buildApp(testConfig({ EMBEDDED_STORE: 'on' }));
    try {
      expect((await embedded.store!.ingest(lines.map((l) => ({ ...l, dataset: 'words' })))).rejected).toEqual([]);
      const store = embedded.rt.backends.all(LOG_SOURCE).get('embedded')!;
      const q = { from: new Date(t), to: new Date(t + messages.length) };
      const queries = ['timeout', 'TIMEOUT', 'timeo*', 'time', 'timeout -upstream', 'timeout | declined', '"payment declined"', 'declined', 'orders/5', '5', '"orders 5"', 'cafe', 'café', 'naïve', 'user@example.com', 'example', 'x=1', 'y', '42', 'disk full', '"quoted words"', 'quoted', 'separated', '-timeout', 'ms', 'retry timeout'];
      for (const text of queries) {
        const [onLoki, onStore] = await Promise.all([ecs.sample({ ...q, services: ['words'], text }, { limit: 50, strategy: 'newest' }, signal()), store.sample({ ...q, scope: 'words', text }, { limit: 50, strategy: 'newest' }, signal())]);
        expect(onLoki.records.map((r) => r.message).sort(), text).toEqual(onStore.records.map((r) => r.message).sort());
      }
    } finally {
      await embedded.close();
    }
  });

  it('filter values that are LogQL syntax stay literal and match nothing', async () => {
    for (const value of ['api"} |= "', '.+', 'api|db', '`', '\\', '{service_name=~".+"}', 'api" or service_name="db', '*']) {
      const c = await ecs.countBy(window({ services: [value] }), { by: 'service' }, signal());
      expect(c.total, value).toBe(0);
      const t = await ecs.countBy(window({ traceIds: [value] }), { by: 'service' }, signal());
      expect(t.total, value).toBe(0);
      const l = await ecs.countBy(window({ levels: [value] }), { by: 'service' }, signal());
      expect(l.total, value).toBe(0);
    }
    for (const text of ['(?i)zz', '") or ("', '`', '} [1h]))']) {
      expect((await ecs.countBy(window({ text }), { by: 'service' }, signal())).total, text).toBe(0);
    }
    // LogQL operators in text are punctuation: only the words count (GET is in every api line).
    expect((await ecs.countBy(window({ text: '|= "GET"' }), { by: 'service' }, signal())).total).toBe(51);
  });

  it('search pages cover every record exactly once, in both orders, with a total and the stream as index', async () => {
    for (const order of ['desc', 'asc'] as const) {
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await ecs.search(window(), { limit: 97, order, cursor, boundTo: 'w' }, signal());
        expect(page.total).toBe(IN_WINDOW.length);
        expect(page.offset).toBe(seen.length);
        seen.push(...page.records.map((r) => `${r.ts} ${r.message}`));
        if (pages === 0) expect(page.records[0].index).toMatch(/^\{.*service_name=/);
        cursor = page.next;
        pages += 1;
      } while (cursor && pages < 100);
      expect([...seen].sort()).toEqual(IN_WINDOW.map((d) => `${d.ts} ${d.message}`).sort());
      const times = seen.map((s) => Number(s.split(' ')[0]));
      expect(times).toEqual([...times].sort((a, b) => (order === 'desc' ? b - a : a - b)));
    }
  });

  it('search pages through records sharing a nanosecond, one by one, in both orders', async () => {
    const t = Date.parse('2026-03-11T08:00:00.000Z');
    const lines = Array.from({ length: 7 }, (_, i) => ({ ts: t, line: `tie ${i}`, labels: { service_name: i < 3 ? 'tie-a' : `tie-${i}` } }));
    await pushLines(loki, lines, 'ecs');
    for (const order of ['desc', 'asc'] as const) {
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await ecs.search({ from: new Date(t), to: new Date(t + 1) }, { limit: 2, order, cursor }, signal());
        seen.push(...page.records.map((r) => r.message));
        cursor = page.next;
      } while (cursor && seen.length < 50);
      expect(seen.sort()).toEqual(lines.map((l) => l.line).sort());
    }
  });

  it('a tampered, foreign or re-bound cursor is refused', async () => {
    const page = await ecs.search(window(), { limit: 5, boundTo: 'w' }, signal());
    const next = page.next!;
    const [v, payload, mac] = next.split('.');
    const flipped = `${v}.${payload.slice(0, 10)}${payload[10] === 'A' ? 'B' : 'A'}${payload.slice(11)}.${mac}`;
    for (const [cursor, q, boundTo] of [
      [flipped, window(), 'w'],
      [next, window({ services: ['api'] }), 'w'],
      [next, window(), 'another'],
    ] as [string, LogQuery, string][]) {
      expect((await rejectedError(ecs.search(q, { limit: 5, boundTo, cursor }, signal()))).code).toBe('invalid_input');
    }
    // The other instance signs with the same secret but is another tool: refused too.
    expect((await rejectedError(flat.search(window(), { limit: 5, boundTo: 'w', cursor: next }, signal()))).code).toBe('invalid_input');
  });

  it('examples: the newest traced record of each group of messages', async () => {
    const e = await ecs.examples!(window(), [['payment declined for order 7'], ['payment declined for order 3', 'payment declined for order 150'], ['GET /orders/1 200'], ['no such message']], signal());
    const msg = (r: { message: string; traceId?: string } | undefined) => r && `${r.message} ${r.traceId}`;
    expect(e.records.map(msg)).toEqual(['payment declined for order 7 trace-pay-7', 'payment declined for order 150 trace-pay-150', undefined, undefined]);
  });

  it('the tenant comes from configuration: every request carries its X-Scope-OrgID, and it reads only its records', async () => {
    const mark = loki.fake.requests.length;
    await pushLines(loki, [{ ts: at(1), line: 'only in tenant c', labels: { service_name: 'c-only' } }], 'c');
    const seenBefore = loki.fake.requests.length;
    const c = await ecs.countBy(window({ services: ['c-only'] }), { by: 'service' }, signal());
    expect(c.total).toBe(0);
    const sent = loki.fake.requests.slice(seenBefore);
    expect(sent.length).toBeGreaterThan(0);
    for (const r of sent) {
      expect(r.headers['x-scope-orgid']).toBe('ecs');
      expect(r.path.startsWith('/loki/api/v1/query') || r.path === '/ready').toBe(true);
    }
    expect(mark).toBeLessThan(seenBefore);
  });

  it('refuses a scope other than the tenant, and limits above the maxima', async () => {
    expect((await rejectedError(ecs.countBy(window({ scope: 'logs-*' }), { by: 'service' }, signal()))).code).toBe('invalid_input');
    expect((await rejectedError(ecs.sample(window(), { limit: 5001, strategy: 'newest' }, signal()))).code).toBe('invalid_input');
    expect((await rejectedError(ecs.histogram(window(), { bucketMs: 100 }, signal()))).code).toBe('invalid_input');
  });

  it('Loki errors map onto telemcp codes without Loki\'s text; over max_query_series a breakdown asks for topk and says so', async () => {
    const strict = await startLokiFake({ limits: { maxQuerySeries: 2 } });
    const noTenant = lokiBackends(lokiConfig({ LOKI_URL: loki.url }));
    const limited = lokiBackends(lokiConfig({ LOKI_URL: strict.url, LOKI_HEADERS: 'X-Scope-OrgID=t' }));
    try {
      await pushLines(strict, ['a', 'a', 'a', 'b', 'b', 'c', 'd'].map((service, i) => ({ ts: at(1, i), line: `line ${i}`, labels: { service_name: service, level: ['error', 'ERROR', 'warn', 'info'][i % 4] } })), 't');
      const err = await rejectedError(lokiSource(noTenant).countBy(window(), { by: 'service' }, signal()));
      expect(err.code).toBe('backend_error');
      expect(err.message).toContain('refused telemcp\'s credentials (401)');
      expect(err.hint).toContain('X-Scope-OrgID');
      expect(err.message).not.toContain('no org id');
      const top = await lokiSource(limited).countBy(window(), { by: 'service', limit: 2 }, signal());
      expect(top).toMatchObject({ values: [{ value: 'a', count: 3 }, { value: 'b', count: 2 }], other: 2, total: 7 });
      expect(top.notes.join(' ')).toContain('max_query_series');
      const byLevel = await rejectedError(lokiSource(limited).histogram(window(), { bucketMs: 30 * 60_000, by: 'level' }, signal()));
      expect(byLevel.code).toBe('invalid_input');
      expect(byLevel.message).toContain('max_query_series');
      expect(byLevel.message).not.toMatch(/line \d/);
    } finally {
      await noTenant.close();
      await limited.close();
      await strict.close();
    }
  });

  it('spreads a sample over a slice holding more lines than one Loki query returns: its newest share, read alone', async () => {
    const t = Date.parse('2026-03-11T10:00:00.000Z');
    const storm = Array.from({ length: 6000 }, (_, i) => ({ ts: t, ns: BigInt(lokiNs(t)) + BigInt(i * 100), line: `storm ${i}` }));
    await loki.push([{ stream: { service_name: 'storm' }, values: storm.map((s) => [s.ns.toString(), s.line]) }], 'ecs');
    await pushLines(loki, [1, 3, 5, 7, 9].map((s) => ({ ts: t + s * 1000 + 5, line: `quiet ${s}`, labels: { service_name: 'storm' } })), 'ecs');
    const q = { from: new Date(t), to: new Date(t + 9999), services: ['storm'] };
    const res = await ecs.sample(q, { limit: 10, strategy: 'spread' }, signal());
    expect(res.total).toBe(6005);
    // Ten slices of a second: the storm's gets the five shares the empty ones leave, the others one each.
    expect(res.records.map((r) => r.message)).toEqual(['quiet 9', 'quiet 7', 'quiet 5', 'quiet 3', 'quiet 1', 'storm 5999', 'storm 5998', 'storm 5997', 'storm 5996', 'storm 5995']);
  });

  it('nanosecond times: records in the window\'s last millisecond are in, the next one is out', async () => {
    const t = Date.parse('2026-03-11T09:00:00.000Z');
    await loki.push([{ stream: { service_name: 'nano' }, values: [[`${lokiNs(t)}`, 'at start'], [`${BigInt(lokiNs(t + 1000)) + 999_999n}`, 'last ns'], [lokiNs(t + 1001), 'past end']] }], 'ecs');
    const q = { from: new Date(t), to: new Date(t + 1000), services: ['nano'] };
    expect((await ecs.countBy(q, { by: 'service' }, signal())).total).toBe(2);
    expect((await ecs.histogram(q, { bucketMs: 500 }, signal())).counts).toEqual([1, 1]);
    expect((await ecs.sample(q, { limit: 10, strategy: 'newest' }, signal())).records.map((r) => r.message)).toEqual(['last ns', 'at start']);
  });
});
