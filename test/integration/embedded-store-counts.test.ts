/**
 * The embedded store's counts, histograms, breakdowns, samples and pages against the same
 * answers computed record by record, over random records, windows, bucket widths and filters
 * (seeded, so a failure replays). Counts come from per-slot counts plus records read only where
 * a bucket edge or the window's edge cuts a slot; text and trace ids from the FTS index; records
 * from time-ordered keys: every path has to agree with the plain definition, before and after
 * retention, with batches written in time order and out of it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogLabel } from '../../src/backends/capabilities.js';
import type { IngestRecord } from '../../src/ingest/record.js';
import { openLogStore, type LogStore, type StoreQuery } from '../../src/store/log-store.js';
import { rng } from '../helpers/random.js';


const T0 = Date.parse('2026-03-10T10:00:00.000Z');
const SPAN = 3 * 3_600_000;
const DATASETS = ['app', 'app-web', 'db'];
const SERVICES = ['api', 'db', 'pay', undefined];
const LEVELS = ['error', 'warn', 'info', 'debug', undefined];
const HOSTS = ['h1', 'h2', 'h3', undefined];
const WORDS = ['timeout', 'order', 'placed', 'cache', 'miss', 'retry', 'payment', 'declined', 'slow', 'query'];
const TRACES = ['t1', 'trace-22', 'abc123', 'x-9-y'];

interface Ref {
  ts: number;
  dataset: string;
  service?: string;
  level?: string;
  host?: string;
  traceId?: string;
  words: string[];
  message: string;
  /** Order of writing, for ties within a millisecond. */
  n: number;
  /** The store's clock when the record's batch was written. */
  storedAt: number;
}

const random = rng(20261121);
const pick = <T,>(list: readonly T[]) => list[Math.floor(random() * list.length)];

function makeRecords(count: number): IngestRecord[] {
  const out: IngestRecord[] = [];
  for (let i = 0; i < count; i++) {
    // Clusters on slot edges and within one millisecond, as well as spread out.
    const r = random();
    const ts = r < 0.1 ? T0 + Math.floor(random() * 18) * 10_000 + (random() < 0.5 ? 0 : 9_999) : r < 0.2 ? T0 + 3_600_000 + 123 : T0 + Math.floor(random() * SPAN);
    const words = Array.from({ length: 1 + Math.floor(random() * 4) }, () => pick(WORDS));
    const record: IngestRecord = { ts, dataset: pick(DATASETS), message: `${words.join(' ')} ${Math.floor(random() * 1000)}ms` };
    const service = pick(SERVICES);
    const level = pick(LEVELS);
    const host = pick(HOSTS);
    const trace = random() < 0.3 ? pick(TRACES) : undefined;
    if (service) record.service = service;
    if (level) record.level = level;
    if (host) record.host = host;
    if (trace) record.traceId = trace;
    out.push(record);
  }
  return out;
}

let dir: string;
let store: LogStore;
let refs: Ref[] = [];
/** The store's clock: each batch is stored a second after the one before. */
let clock = T0 + SPAN;

function remember(records: IngestRecord[]): void {
  for (const r of records) {
    refs.push({ ts: r.ts, dataset: r.dataset, service: r.service, level: r.level, host: r.host, traceId: r.traceId, words: r.message.split(' ').slice(0, -1), message: r.message, n: refs.length, storedAt: clock });
  }
}

interface Query extends StoreQuery {
  /** The text as a predicate on a record's words. */
  matches?: (words: string[]) => boolean;
}

function randomQuery(): Query {
  const from = T0 - 5_000 + Math.floor(random() * SPAN * 0.8);
  const to = from + 1 + Math.floor(random() * (T0 + SPAN + 5_000 - from));
  const q: Query = { from, to };
  if (random() < 0.3) q.scope = pick(['app*', 'db', 'app,db', '*', 'nothing']);
  if (random() < 0.3) q.services = [pick(['api', 'db', 'pay'])];
  if (random() < 0.3) q.levels = random() < 0.5 ? ['error'] : ['ERROR', 'warning'];
  if (random() < 0.15) q.traceIds = random() < 0.5 ? [pick(TRACES)] : [pick(TRACES), pick(TRACES)];
  if (random() < 0.3) {
    const a = pick(WORDS);
    const b = pick(WORDS);
    const forms: [string, (w: string[]) => boolean][] = [
      [a, (w) => w.includes(a)],
      [`-${a}`, (w) => !w.includes(a)],
      [`${a} -${b}`, (w) => w.includes(a) && !w.includes(b)],
      [`${a}|${b}`, (w) => w.includes(a) || w.includes(b)],
      [`${a.slice(0, 3)}*`, (w) => w.some((x) => x.startsWith(a.slice(0, 3)))],
      [`"${a} ${b}"`, (w) => w.some((x, i) => x === a && w[i + 1] === b)],
    ];
    const [text, matches] = pick(forms);
    q.text = text;
    q.matches = matches;
  }
  return q;
}

const LEVEL_OF: Record<string, string> = { ERROR: 'error', warning: 'warn' };
const glob = (pattern: string, name: string) => new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\-]/g, '\\$&')).join('.*')}$`).test(name);

function matching(q: Query, window = { from: q.from, to: q.to }): Ref[] {
  const scopes = (q.scope ?? '*').split(',');
  const levels = q.levels?.map((l) => LEVEL_OF[l] ?? l);
  return refs.filter(
    (r) =>
      r.ts >= window.from &&
      r.ts <= window.to &&
      scopes.some((s) => glob(s, r.dataset)) &&
      (!q.services || (r.service !== undefined && q.services.includes(r.service))) &&
      (!levels || (r.level !== undefined && levels.includes(r.level))) &&
      (!q.traceIds || (r.traceId !== undefined && q.traceIds.includes(r.traceId))) &&
      (!q.matches || q.matches(r.words)),
  );
}

const byTime = (a: Ref, b: Ref) => a.ts - b.ts || a.n - b.n;

function checkQuery(q: Query, label: string): void {
  const f = store.filter(q);
  const expected = matching(q);
  expect(store.count(f), `${label} count`).toBe(expected.length);

  for (const bucketMs of [1_000, 9_999, 10_000, 14_400, 60_000, 300_000, 7_777_777]) {
    const by = random() < 0.5 ? undefined : { label: pick<LogLabel>(['service', 'level', 'host']), values: random() < 0.5 ? ['api', 'error', 'h1'] : ['db', 'pay', 'warn', 'h2'] };
    const got = new Map<string, number>();
    for (const b of store.bucketCounts(f, q.from, bucketMs, by)) got.set(`${b.bucket}/${b.value}`, (got.get(`${b.bucket}/${b.value}`) ?? 0) + b.count);
    const want = new Map<string, number>();
    for (const r of expected) {
      const raw = by ? r[by.label] : undefined;
      const key = `${Math.floor((r.ts - q.from) / bucketMs)}/${raw !== undefined && by?.values.includes(raw) ? raw : null}`;
      want.set(key, (want.get(key) ?? 0) + 1);
    }
    expect(got, `${label} buckets of ${bucketMs} ms by ${by?.label}`).toEqual(want);
  }

  const labelName = pick<LogLabel>(['service', 'level', 'host']);
  const tally = new Map<string, number>();
  for (const r of expected) if (r[labelName] !== undefined) tally.set(r[labelName]!, (tally.get(r[labelName]!) ?? 0) + 1);
  const top = [...tally].map(([value, count]) => ({ value, count })).sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : 1));
  expect(store.topValues(f, labelName, 2), `${label} top ${labelName}`).toEqual(top.slice(0, 2));

  const newest = [...expected].sort(byTime).reverse();
  expect(store.newest(f, 7).map((r) => [r.ts, r.message]), `${label} newest`).toEqual(newest.slice(0, 7).map((r) => [r.ts, r.message]));
  const mid = q.from + Math.floor((q.to - q.from) / 2);
  expect(store.newest(f, 5, { from: q.from, to: mid }).map((r) => r.ts), `${label} newest in the first half`).toEqual(matching(q, { from: q.from, to: mid }).sort(byTime).reverse().slice(0, 5).map((r) => r.ts));

  for (const order of ['asc', 'desc'] as const) {
    const seen: string[] = [];
    let after: { ts: number; id: number } | undefined;
    for (let pages = 0; pages < 1000; pages++) {
      const page = store.searchPage(q, { limit: 97, order, after });
      seen.push(...page.records.map((r) => `${r.ts} ${r.message}`));
      if (!page.next) break;
      after = page.next;
    }
    const want = [...expected].sort(byTime).map((r) => `${r.ts} ${r.message}`);
    expect(seen, `${label} pages ${order}`).toEqual(order === 'asc' ? want : want.reverse());
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'telemcp-store-counts-'));
  store = openLogStore({ dataDir: dir, now: () => clock });
  const all = makeRecords(6000);
  // In time order (the store's appending path) and then out of it (older records among stored ones).
  const ordered = all.slice(0, 4000).sort((a, b) => a.ts - b.ts);
  for (let i = 0; i < ordered.length; i += 700) {
    const batch = ordered.slice(i, i + 700);
    clock += 1000;
    store.write(batch);
    remember(batch);
  }
  const late = all.slice(4000);
  for (let i = 0; i < late.length; i += 333) {
    const batch = late.slice(i, i + 333);
    clock += 1000;
    store.write(batch);
    remember(batch);
  }
});

afterAll(() => {
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('embedded store: counts and records agree with the records one by one', () => {
  it('keeps the order records of one millisecond were written in', () => {
    const ms = T0 + 3_600_000 + 123;
    const f = store.filter({ from: ms, to: ms });
    const want = refs.filter((r) => r.ts === ms).sort(byTime);
    expect(want.length).toBeGreaterThan(500);
    expect(store.count(f)).toBe(want.length);
    expect(store.searchPage({ from: ms, to: ms }, { limit: 1000, order: 'asc' }).records.map((r) => r.message)).toEqual(want.map((r) => r.message));
  });

  it('answers random windows, bucket widths, breakdowns and filters exactly', () => {
    for (let i = 0; i < 60; i++) checkQuery(randomQuery(), `query ${i}`);
  });

  it('answers windows that start or end on a slot edge, or lie inside one slot', () => {
    const windows = [
      [T0, T0 + 10_000],
      [T0 + 9_999, T0 + 20_000],
      [T0 + 10_000, T0 + 10_000],
      [T0 + 20_001, T0 + 29_998],
      [T0 - 1, T0 + 170_000],
      [T0 + 3_600_000 + 123, T0 + 3_600_000 + 123],
      [0, T0 + SPAN + 1],
    ];
    for (const [from, to] of windows) {
      checkQuery({ from, to }, `window ${from - T0}..${to - T0}`);
      checkQuery({ from, to, levels: ['error'] }, `errors ${from - T0}..${to - T0}`);
    }
  });

  it('still does after retention removed the records stored first, spread all over the time range, and summarises datasets from what is left', async () => {
    // Every in-order batch and the first two out-of-order ones: records of every part of the range.
    const cutoff = T0 + SPAN + (Math.ceil(4000 / 700) + 2) * 1000 + 1;
    const { deleted } = await store.prune(cutoff, 500);
    expect(deleted).toBe(refs.filter((r) => r.storedAt < cutoff).length);
    refs = refs.filter((r) => r.storedAt >= cutoff);
    expect(refs.length).toBeGreaterThan(1000);
    for (let i = 0; i < 25; i++) checkQuery(randomQuery(), `after pruning, query ${i}`);
    const summary = DATASETS.map((name) => {
      const mine = refs.filter((r) => r.dataset === name);
      return { name, records: mine.length, firstTs: Math.min(...mine.map((r) => r.ts)), lastTs: Math.max(...mine.map((r) => r.ts)) };
    });
    expect(store.datasets()).toEqual(summary);
  });
});
