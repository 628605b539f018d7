/**
 * The VictoriaLogs log source (src/backends/victorialogs) on the real VictoriaLogs of
 * scripts/test-env.sh, built from its module. Each run plants its own records in a window of its
 * own in the past (the server keeps earlier runs' records), ECS-shaped JSON lines as a shipper
 * writes them, and checks that every count is exact, every search page returns each record
 * exactly once in both orders, cursors are bound, filter values stay literal, the tenant comes
 * from configuration only, and failures map onto telemcp's errors.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backends } from '../../src/backends/backends.js';
import type { FoundLogRecord, LogQuery, LogSource } from '../../src/backends/capabilities.js';
import { VictoriaLogsApi } from '../../src/backends/victorialogs/client.js';
import { MessageTally } from '../../src/backends/message-counts.js';
import { canonicalLevel } from '../../src/core/log-levels.js';
import type { IngestRecord } from '../../src/ingest/record.js';
import { rejectedError } from '../helpers/errors.js';
import { CountingProxy } from '../helpers/security-counting-proxy.js';
import { VLOGS_URL_VAR, forceFlush, lokiTimestamp, pushLoki, requireVlogsUrl } from '../helpers/vlogs-env.js';
import { ecsDoc, ingestEcsLines, vlogsBackends, vlogsConfig, vlogsSource } from '../helpers/vlogs-seed.js';

const MINUTE = 60_000;
const RUN = randomBytes(6).toString('hex');
/** This run's window: 10 minutes on a random 10-minute boundary between 2001 and 2019, so runs do not share records. */
const BASE = Date.UTC(2001, 0, 1) + randomInt(0, 900_000) * 10 * MINUTE;
const FROM = BASE;
const TO = BASE + 10 * MINUTE - 1;
const signal = () => AbortSignal.timeout(30_000);

/** Services whose names are LogsQL syntax: a filter on one must find exactly its records. */
const HOSTILE = ['we"ird|svc', '_stream:{service.name="checkout"}', 'a\nb*', '* | stats count()', 'x" OR "y'];
const SERVICES = ['checkout', 'inventory', 'payments', ...HOSTILE];
const LEVELS = ['ERROR', 'error', 'Err', 'WARNING', 'warn', 'info', 'INFO', 'debug'];
const HOSTS = ['node-1', 'node-2', 'node-3'];

/** The planted records, ms times inside [FROM, TO] (both ends included), and the records that must not be read. */
function plant(): { inside: IngestRecord[]; outside: IngestRecord[] } {
  const inside: IngestRecord[] = [];
  let n = 0;
  const add = (ts: number, i: number, extra: Partial<IngestRecord> = {}) => {
    inside.push({
      ts,
      dataset: 'vl',
      service: SERVICES[i % SERVICES.length],
      level: LEVELS[(i * 7) % LEVELS.length],
      host: HOSTS[i % 3],
      message: `${i % 4 === 0 ? 'payment Timeout' : i % 4 === 1 ? 'inventory reserved' : i % 4 === 2 ? 'retry scheduled' : 'cache miss'} ${RUN} #${n++ % 9}`,
      ...(i % 3 === 0 ? { traceId: `trace-${i % 5}` } : {}),
      ...extra,
    });
  };
  for (let i = 0; i < 180; i++) add(FROM + Math.floor((i * 9_999_937) % (10 * MINUTE)), i);
  // Seven records in one millisecond, three of them in one stream (the same service and host): a page boundary falls among them.
  const tie = FROM + 4 * MINUTE + 321;
  for (let i = 0; i < 7; i++) add(tie, i < 3 ? 0 : i, { message: `tie ${i} ${RUN}` });
  // A service with a one-digit count among two-digit ones: the server must rank counts as numbers.
  for (let i = 0; i < 3; i++) add(FROM + 7 * MINUTE + i, 1, { service: 'rare' });
  // Both ends of the window are inclusive.
  add(FROM, 1, { message: `first ${RUN}` });
  add(TO, 2, { message: `last ${RUN}` });
  const outside = [
    { ts: FROM - 1, dataset: 'vl', service: 'checkout', level: 'error', message: `too early ${RUN}` },
    { ts: TO + 1, dataset: 'vl', service: 'checkout', level: 'error', message: `too late ${RUN}` },
  ];
  return { inside, outside };
}

const { inside, outside } = plant();
const window: LogQuery = { from: new Date(FROM), to: new Date(TO) };

/** What the source must report for these records, counted here from the planted list. */
function counts(records: IngestRecord[], key: (r: IngestRecord) => string | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of records) {
    const k = key(r);
    if (k !== undefined) out.set(k, (out.get(k) ?? 0) + 1);
  }
  return out;
}

function topList(m: Map<string, number>, limit: number): { value: string; count: number }[] {
  return [...m]
    .map(([value, count]) => ({ value, count }))
    .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0))
    .slice(0, limit);
}

const identity = (r: { ts: number; message: string }) => `${r.ts} ${r.message}`;

describe('VictoriaLogs log source', () => {
  let url: string;
  let backends: Backends;
  let source: LogSource;

  beforeAll(async () => {
    url = requireVlogsUrl();
    backends = vlogsBackends(vlogsConfig({ VICTORIALOGS_URL: url, CURSOR_SECRET: 'vl-test-secret' }));
    source = vlogsSource(backends);
    await ingestEcsLines(url, [...inside, ...outside].map((r) => ecsDoc(r, { run: RUN })));
    await forceFlush(url);
  }, 60_000);

  afterAll(async () => {
    await backends?.close();
  });

  it('fails the suite without the server (requireVlogsUrl), never skips it', () => {
    const saved = process.env[VLOGS_URL_VAR];
    delete process.env[VLOGS_URL_VAR];
    try {
      expect(() => requireVlogsUrl()).toThrow(/TEST_VICTORIALOGS_URL is not set/);
    } finally {
      process.env[VLOGS_URL_VAR] = saved;
    }
  });

  it('is a log source of kind victorialogs, probed through /health', async () => {
    expect(source).toMatchObject({ kind: 'victorialogs', name: 'victorialogs', defaultScope: '*' });
    await expect(backends.probes()[0].check(signal())).resolves.toBeUndefined();
  });

  it('histogram: exact counts per bucket from the window start, both ends of the window included', async () => {
    const start = FROM + 17_000;
    const q = { ...window, from: new Date(start) };
    const expected = new Array<number>(10).fill(0);
    for (const r of inside) if (r.ts >= start) expected[Math.min(9, Math.floor((r.ts - start) / MINUTE))] += 1;
    const h = await source.histogram(q, { bucketMs: MINUTE }, signal());
    expect(h.start).toBe(start);
    expect(h.counts).toEqual(expected);
    expect(h.total).toBe(inside.filter((r) => r.ts >= start).length);
  });

  it('histogram aligned to the minute grid, with a series per service', async () => {
    const h = await source.histogram(window, { bucketMs: 90_000, align: true, by: 'service', top: 3 }, signal());
    const start = Math.floor(FROM / 90_000) * 90_000;
    expect(h.start).toBe(start);
    const n = Math.ceil((TO - start) / 90_000);
    const bucket = (ts: number) => Math.min(n - 1, Math.floor((ts - start) / 90_000));
    const expected = new Array<number>(n).fill(0);
    for (const r of inside) expected[bucket(r.ts)] += 1;
    expect(h.counts).toEqual(expected);
    const top = topList(counts(inside, (r) => r.service), 3);
    expect(h.series!.map((s) => ({ value: s.value, count: s.total }))).toEqual(top);
    for (const s of h.series!) {
      const perBucket = new Array<number>(n).fill(0);
      for (const r of inside) if (r.service === s.value) perBucket[bucket(r.ts)] += 1;
      expect(s.counts).toEqual(perBucket);
    }
    expect(h.otherTotal).toBe(inside.length - top.reduce((a, v) => a + v.count, 0));
  });

  it('countBy service, host and level (spellings merged): exact', async () => {
    for (const by of ['service', 'host'] as const) {
      const c = await source.countBy(window, { by, limit: 20 }, signal());
      expect(c.values).toEqual(topList(counts(inside, (r) => r[by]), 20));
      expect(c.total).toBe(inside.length);
      expect(c.other).toBe(0);
    }
    const top3 = await source.countBy(window, { by: 'service', limit: 3 }, signal());
    expect(top3.values).toEqual(topList(counts(inside, (r) => r.service), 3));
    const levels = await source.countBy(window, { by: 'level', limit: 2 }, signal());
    expect(levels.values).toEqual(topList(counts(inside, (r) => canonicalLevel(r.level!)), 2));
    expect(levels.other).toBe(inside.length - levels.values.reduce((a, v) => a + v.count, 0));
  });

  it('filters: services, levels in any spelling, trace ids and message words', async () => {
    const total = async (q: Partial<LogQuery>) => (await source.countBy({ ...window, ...q }, { by: 'service' }, signal())).total;
    expect(await total({ services: ['checkout', 'payments'] })).toBe(inside.filter((r) => r.service === 'checkout' || r.service === 'payments').length);
    expect(await total({ levels: ['warn'] })).toBe(inside.filter((r) => canonicalLevel(r.level!) === 'warn').length);
    expect(await total({ levels: ['error'] })).toBe(inside.filter((r) => canonicalLevel(r.level!) === 'error').length);
    expect(await total({ traceIds: ['trace-1', 'trace-3'] })).toBe(inside.filter((r) => r.traceId === 'trace-1' || r.traceId === 'trace-3').length);
    const words = (m: string) => m.toLowerCase().split(/[^\p{L}\p{N}]+/u);
    expect(await total({ text: 'TIMEOUT' })).toBe(inside.filter((r) => words(r.message).includes('timeout')).length);
    expect(await total({ text: 'payment -timeout' })).toBe(0);
    expect(await total({ text: 'reser* | miss' })).toBe(inside.filter((r) => words(r.message).some((w) => w.startsWith('reser') || w === 'miss')).length);
    expect(await total({ text: '"retry scheduled"' })).toBe(inside.filter((r) => r.message.includes('retry scheduled')).length);
    expect(await total({ text: '-"tie"' })).toBe(inside.filter((r) => !r.message.startsWith('tie ')).length);
  });

  it('hostile filter values stay literal: each finds exactly its own records, and syntax finds nothing', async () => {
    for (const service of HOSTILE) {
      const c = await source.countBy({ ...window, services: [service] }, { by: 'service' }, signal());
      expect(c.total, service).toBe(inside.filter((r) => r.service === service).length);
      expect(c.values.map((v) => v.value)).toEqual([service]);
    }
    for (const value of ['*', '"', '|', '\n', '_stream:{service.name="checkout"}', '_stream:{service.name="payments"}', '" OR "', 'checkout" OR service.name:="payments', '\\', '*checkout*']) {
      const c = await source.countBy({ ...window, services: [value], traceIds: ['trace-1'] }, { by: 'service' }, signal());
      expect(c.total, JSON.stringify(value)).toBe(inside.filter((r) => r.service === value && r.traceId === 'trace-1').length);
    }
    // Message words that are LogsQL syntax are words to find: none of the messages holds them.
    for (const text of ['| stats count() by (_msg)', '_stream:{service.name="checkout"}', 'NOT', 'or', '"\\" OR \\""', `${RUN} ) OR (_msg:payment`]) {
      const t = await source.countBy({ ...window, text }, { by: 'service' }, signal());
      expect(t.total, text).toBe(0);
    }
    const phrase = await source.countBy({ ...window, text: 'payment "|" Timeout' }, { by: 'service' }, signal());
    expect(phrase.total).toBe(inside.filter((r) => r.message.startsWith('payment Timeout')).length);
    const s = await source.sample({ ...window, levels: ['error" OR "info'] }, { limit: 10, strategy: 'newest' }, signal());
    expect(s.total).toBe(0);
  });

  it('messageCounts: the exact groups the records make', async () => {
    const tally = new MessageTally();
    for (const r of inside) tally.add({ message: r.message, service: r.service, level: r.level, count: 1, firstMs: r.ts, lastMs: r.ts });
    const m = await source.messageCounts!(window, { maxGroups: 1000 }, signal());
    expect(m.groups).toEqual(tally.groups());
    expect(m).toMatchObject({ total: inside.length, counted: inside.length, exhaustive: true, uncountable: 0 });
    const capped = await source.messageCounts!(window, { maxGroups: 5 }, signal());
    expect(capped.groups).toHaveLength(5);
    expect(capped.groups).toEqual(tally.groups().slice(0, 5));
    expect(capped.exhaustive).toBe(false);
    expect(capped.total).toBe(inside.length);
  });

  it('sample: newest and spread, exact totals, records normalised', async () => {
    const newest = await source.sample(window, { limit: 10, strategy: 'newest' }, signal());
    const byTime = [...inside].sort((a, b) => b.ts - a.ts);
    expect(newest.total).toBe(inside.length);
    expect(newest.records.map((r) => r.ts)).toEqual(byTime.slice(0, 10).map((r) => r.ts));
    expect(newest.records[0]).toMatchObject({ ts: TO, message: `last ${RUN}`, level: canonicalLevel(inside.find((r) => r.ts === TO)!.level!) });
    const spread = await source.sample(window, { limit: 40, strategy: 'spread' }, signal());
    expect(spread.total).toBe(inside.length);
    expect(spread.records).toHaveLength(40);
    const known = new Set(inside.map(identity));
    for (const r of spread.records) expect(known.has(identity(r))).toBe(true);
    // Spread over the window: records from every half of it.
    expect(spread.records.some((r) => r.ts < FROM + 5 * MINUTE) && spread.records.some((r) => r.ts >= FROM + 5 * MINUTE)).toBe(true);
    expect([...spread.records].sort((a, b) => b.ts - a.ts)).toEqual(spread.records);
    const all = await source.sample(window, { limit: 5000, strategy: 'spread' }, signal());
    expect(all.records.map(identity).sort()).toEqual(inside.map(identity).sort());
  });

  it('examples: the newest traced record of each group of messages', async () => {
    const traced = inside.filter((r) => r.traceId !== undefined).sort((a, b) => b.ts - a.ts);
    const groups = [[traced[0].message], [traced[3].message, traced[5].message], ['no such message']];
    const e = await source.examples!(window, groups, signal());
    expect(e.records.map((r) => r && identity(r))).toEqual([identity(traced[0]), identity(traced[3]), undefined]);
  });

  describe.each(['desc', 'asc'] as const)('search, %s', (order) => {
    it('pages cover every record exactly once, in order, with a total', async () => {
      const seen: FoundLogRecord[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await source.search(window, { limit: 7, order, cursor, boundTo: 'w' }, signal());
        expect(page.total).toBe(inside.length);
        expect(page.offset).toBe(seen.length);
        seen.push(...page.records);
        cursor = page.next;
        pages += 1;
      } while (cursor && pages < 100);
      expect(seen.map(identity).sort()).toEqual(inside.map(identity).sort());
      const times = seen.map((r) => r.ts);
      expect(times).toEqual([...times].sort((a, b) => (order === 'desc' ? b - a : a - b)));
      expect(seen[0].index).toMatch(/^\{.*service\.name=/);
    });
  });

  it('search pages through records sharing a millisecond, and nanoseconds, one by one', async () => {
    const tie = FROM + 4 * MINUTE + 321;
    const tied = inside.filter((r) => r.ts === tie || r.ts === tie + 1);
    expect(tied.length).toBeGreaterThanOrEqual(7);
    // Outside the main window: three records within one millisecond, nanoseconds apart.
    const at = FROM + 20 * MINUTE;
    const iso = new Date(at).toISOString().slice(0, -1);
    await ingestEcsLines(url, ['000001', '000002', '999999'].map((ns, i) => ({ '@timestamp': `${iso}${ns}Z`, message: `nano ${i} ${RUN}`, service: { name: 'nano' } })));
    await forceFlush(url);
    for (const [q, expected] of [
      [{ from: new Date(tie), to: new Date(tie + 1) }, tied.map(identity)],
      [{ from: new Date(at), to: new Date(at + 1) }, [0, 1, 2].map((i) => `${at} nano ${i} ${RUN}`)],
    ] as [LogQuery, string[]][]) {
      for (const order of ['desc', 'asc'] as const) {
        const seen: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await source.search(q, { limit: 2, order, cursor }, signal());
          seen.push(...page.records.map(identity));
          cursor = page.next;
        } while (cursor && seen.length < 50);
        expect(seen.sort()).toEqual([...expected].sort());
      }
    }
    // No record of that window carries a trace id: examples take any record.
    const e = await source.examples!({ from: new Date(at), to: new Date(at + 1) }, [[`nano 1 ${RUN}`], ['nothing']], signal());
    expect(e.records.map((r) => r && identity(r))).toEqual([`${at} nano 1 ${RUN}`, undefined]);
  });

  it('search returns the other fields asked for, and a page size may change between pages', async () => {
    const first = await source.search(window, { limit: 3, fields: ['run', 'host.name', 'nope'] }, signal());
    expect(first.records[0].fields).toMatchObject({ run: RUN });
    const second = await source.search(window, { limit: 50, fields: ['run', 'host.name', 'nope'], cursor: first.next }, signal());
    expect(second.offset).toBe(3);
    expect(second.records).toHaveLength(50);
  });

  it('a tampered, foreign or re-bound cursor is refused', async () => {
    const page = await source.search(window, { limit: 5, boundTo: 'w' }, signal());
    const next = page.next!;
    const [v, payload, mac] = next.split('.');
    const flipped = `${v}.${payload.slice(0, 10)}${payload[10] === 'A' ? 'B' : 'A'}${payload.slice(11)}.${mac}`;
    const cases: [string, LogQuery, string][] = [
      [flipped, window, 'w'],
      [next, { ...window, services: ['checkout'] }, 'w'],
      [next, window, 'another window'],
      [`${v}.${Buffer.from(JSON.stringify({ t: 'log-source:victorialogs', f: 'x', e: Date.now() + 60_000, s: { w: [0, 1, 2], n: 0, o: 0, b: { t: '0', k: 0 } } })).toString('base64url')}.${mac}`, window, 'w'],
    ];
    for (const [cursor, q, boundTo] of cases) {
      const err = await rejectedError(source.search(q, { limit: 5, boundTo, cursor }, signal()));
      expect(err.code).toBe('invalid_input');
    }
    // Another source (another secret) refuses it too.
    const other = vlogsBackends(vlogsConfig({ VICTORIALOGS_URL: url, CURSOR_SECRET: 'another-secret' }));
    try {
      expect((await rejectedError(vlogsSource(other).search(window, { limit: 5, boundTo: 'w', cursor: next }, signal()))).code).toBe('invalid_input');
    } finally {
      await other.close();
    }
  });

  it('a sample whose records overflow the response bound is read again at a tenth of its size, and says so', async () => {
    const small = vlogsBackends(vlogsConfig({ VICTORIALOGS_URL: url, BACKEND_MAX_RESPONSE_BYTES: '20000' }));
    try {
      const s = await vlogsSource(small).sample(window, { limit: inside.length, strategy: 'newest' }, signal());
      expect(s.records).toHaveLength(50);
      expect(s.total).toBe(inside.length);
      expect(s.notes.join(' ')).toMatch(/at most 50 records instead of/);
    } finally {
      await small.close();
    }
  });

  it('VICTORIALOGS_FIELDS names the fields of other shippers: Loki push labels', async () => {
    const at = FROM + 30 * MINUTE;
    await pushLoki(url, [
      { stream: { service_name: 'loki-api', level: 'ERROR', run: RUN }, values: [[lokiTimestamp(at), 'upstream timeout'], [lokiTimestamp(at + 5), 'upstream timeout']] },
      { stream: { service_name: 'loki-web', level: 'warning', run: RUN }, values: [[lokiTimestamp(at + 9), 'slow render']] },
    ]);
    await forceFlush(url);
    const loki = vlogsBackends(vlogsConfig({ VICTORIALOGS_URL: url, VICTORIALOGS_FIELDS: 'service=service_name,level=level' }));
    try {
      const q = { from: new Date(at), to: new Date(at + 10) };
      const lokiSource = vlogsSource(loki);
      expect((await lokiSource.countBy(q, { by: 'service' }, signal())).values).toEqual([{ value: 'loki-api', count: 2 }, { value: 'loki-web', count: 1 }]);
      expect((await lokiSource.countBy({ ...q, levels: ['warn'] }, { by: 'level' }, signal())).values).toEqual([{ value: 'warn', count: 1 }]);
      const m = await lokiSource.messageCounts!(q, { maxGroups: 10 }, signal());
      expect(m.groups).toEqual([
        { message: 'upstream timeout', service: 'loki-api', level: 'error', count: 2, firstMs: at, lastMs: at + 5 },
        { message: 'slow render', service: 'loki-web', level: 'warn', count: 1, firstMs: at + 9, lastMs: at + 9 },
      ]);
    } finally {
      await loki.close();
    }
    expect(() => vlogsConfig({ VICTORIALOGS_URL: url, VICTORIALOGS_FIELDS: 'colour=x' })).toThrow(/VICTORIALOGS_FIELDS/);
    expect(() => vlogsConfig({ VICTORIALOGS_URL: url, VICTORIALOGS_FIELDS: 'service=a b' })).toThrow(/VICTORIALOGS_FIELDS/);
  });

  it('refuses a scope other than the tenant, and limits above the maxima', async () => {
    expect((await rejectedError(source.countBy({ ...window, scope: 'logs-*' }, { by: 'service' }, signal()))).code).toBe('invalid_input');
    expect((await rejectedError(source.sample(window, { limit: 5001, strategy: 'newest' }, signal()))).code).toBe('invalid_input');
    expect((await rejectedError(source.histogram(window, { bucketMs: 100 }, signal()))).code).toBe('invalid_input');
  });
});

describe('VictoriaLogs tenants and failures', () => {
  let url: string;
  const proxy = new CountingProxy({ target: process.env[VLOGS_URL_VAR] ?? 'http://127.0.0.1:1' });
  let backends: Backends;
  const tenant = { accountId: 7000 + randomInt(0, 1000), projectId: 3 };

  beforeAll(async () => {
    url = requireVlogsUrl();
    await proxy.start();
    backends = vlogsBackends(
      vlogsConfig({
        VICTORIALOGS_URL: url,
        VICTORIALOGS_INSTANCES: 'tenant,flaky',
        VICTORIALOGS_TENANT_URL: proxy.url,
        VICTORIALOGS_TENANT_HEADERS: `AccountID=${tenant.accountId},ProjectID=${tenant.projectId}`,
        VICTORIALOGS_FLAKY_URL: proxy.url,
        VICTORIALOGS_FLAKY_TIMEOUT_MS: '500',
        BACKEND_MAX_RETRIES: '0',
      }),
    );
    await ingestEcsLines(url, inside.slice(0, 25).map((r) => ecsDoc(r, { run: RUN })), tenant);
    await forceFlush(url);
  }, 60_000);

  afterAll(async () => {
    await backends?.close();
    await proxy.stop();
  });

  it('the tenant comes from configuration: every request carries its AccountID/ProjectID, and it reads only its records', async () => {
    const mark = proxy.count;
    const c = await vlogsSource(backends, 'tenant').countBy({ ...window, text: RUN }, { by: 'service', limit: 100 }, signal());
    expect(c.total).toBe(25);
    const seen = proxy.since(mark);
    expect(seen.length).toBeGreaterThan(0);
    for (const r of seen) {
      expect(r.headers.accountid).toBe(String(tenant.accountId));
      expect(r.headers.projectid).toBe(String(tenant.projectId));
      expect(r.method).toBe('POST');
      expect(r.url).toBe('/select/logsql/query');
      expect(new URLSearchParams(r.body).get('limit')).toMatch(/^\d+$/);
    }
    // The default tenant does not see them (the default instance holds the main suite's records only).
    const own = await vlogsSource(backends).countBy({ ...window, text: RUN }, { by: 'service' }, signal());
    expect(own.total).toBe(inside.length);
  });

  it('a query the server cannot parse is invalid_input; a 500 is backend_error without the server text', async () => {
    const api = new VictoriaLogsApi({ url: proxy.url, verifyTls: true, timeoutMs: 5_000, maxRetries: 0, maxResponseBytes: 1_000_000, headers: {} });
    try {
      const parse = await rejectedError(api.query('service.name:=(', 10, {}, signal()));
      expect(parse.code).toBe('invalid_input');
      expect(parse.message).toMatch(/could not parse the query/);
      proxy.respond = () => ({ status: 500, body: 'error while processing record {"card":"4111-SECRET"}' });
      const failed = await rejectedError(api.query('*', 10, {}, signal()));
      expect(failed.code).toBe('backend_error');
      expect(JSON.stringify(failed)).not.toContain('SECRET');
      proxy.respond = () => ({ status: 400, body: 'cannot parse `query` arg [x]: record value 4111-SECRET' });
      const parse2 = await rejectedError(api.query('x', 10, {}, signal()));
      expect(parse2.code).toBe('invalid_input');
      expect(JSON.stringify(parse2)).not.toContain('SECRET');
    } finally {
      proxy.respond = undefined;
      await api.close();
    }
  });

  it('a slow server is backend_timeout, a closed port backend_unavailable', async () => {
    proxy.delayMs = 2_000;
    try {
      const err = await rejectedError(vlogsSource(backends, 'flaky').countBy(window, { by: 'service' }, AbortSignal.timeout(30_000)));
      expect(err.code).toBe('backend_timeout');
      // The caller's signal ends a call before the backend deadline.
      const started = Date.now();
      const aborted = await rejectedError(vlogsSource(backends, 'tenant').search(window, { limit: 10 }, AbortSignal.timeout(150)));
      expect(aborted.code).toBe('backend_timeout');
      expect(Date.now() - started).toBeLessThan(1_500);
    } finally {
      proxy.delayMs = 0;
    }
    const closed = vlogsBackends(vlogsConfig({ VICTORIALOGS_URL: 'http://127.0.0.1:1', BACKEND_MAX_RETRIES: '0' }));
    try {
      expect((await rejectedError(vlogsSource(closed).countBy(window, { by: 'service' }, signal()))).code).toBe('backend_unavailable');
    } finally {
      await closed.close();
    }
  });

  it('the client reaches only the select endpoints and /health', async () => {
    const api = new VictoriaLogsApi({ url: proxy.url, verifyTls: true, timeoutMs: 5_000, maxRetries: 0, maxResponseBytes: 1_000_000, headers: {} });
    const mark = proxy.count;
    try {
      for (const [method, path] of [
        ['POST', '/insert/jsonline'],
        ['GET', '/internal/force_flush'],
        ['POST', '/delete/run_task'],
        ['GET', '/metrics'],
        ['DELETE', '/select/logsql/query'],
        ['GET', '/select/logsql/../../insert/jsonline'],
        ['GET', '/select/logsql/tail'],
      ] as const) {
        expect((await rejectedError(api.http.send({ method, path, signal: signal() }))).code).toBe('query_denied');
      }
      expect((await rejectedError(api.query('*', 0, {}, signal()))).code).toBe('invalid_input');
      expect(proxy.since(mark)).toEqual([]);
      const hits = await api.json<{ hits: unknown[] }>('hits', '*', { start: new Date(FROM).toISOString(), end: new Date(TO + 1).toISOString(), step: '1m' }, signal());
      expect(Array.isArray(hits.hits)).toBe(true);
    } finally {
      await api.close();
    }
  });
});
