import type { LokiApi } from './client.js';
import { NS_PER_MS, bucketEvaluation, bucketIndex, countOverTime } from './logql.js';

/**
 * Exact counts of a LogQL log query through Loki's range aggregations, shared by the log source
 * and loki_query's guard. Loki's `count_over_time(… [d])` at t counts (t − d, t]; evaluated at a
 * bucket's end minus one nanosecond it counts exactly the half-open bucket.
 */

/** Buckets of bucketMs from `start` (which may precede the window's `from`), n of them, counted within [from, toEx) ms. */
export interface CountGrid {
  start: number;
  bucketMs: number;
  n: number;
  from: number;
  toEx: number;
}

/** Counts per bucket, per label set of a `sum by` (keyed by the JSON of its values in `by` order). */
export type BucketSeries = Map<string, { labels: Record<string, string>; counts: number[] }>;

export function sampleValue(v: string): number {
  const n = Number(v);
  return Number.isFinite(n) ? n : 0;
}

/** The evaluation time (ns) at which a range ending at `endExMs` (exclusive) is counted. */
function lastNs(endExMs: number): string {
  return (BigInt(endExMs) * NS_PER_MS - 1n).toString();
}

/** Records in [fromMs, toExMs): one instant query of the whole window as one range. */
export async function countWindow(api: LokiApi, log: string, fromMs: number, toExMs: number, signal: AbortSignal): Promise<number> {
  const rows = await api.vector(countOverTime(log, toExMs - fromMs), lastNs(toExMs), signal);
  return rows.reduce((a, r) => a + sampleValue(r.value[1]), 0);
}

/**
 * Exact counts per bucket of a grid within [from, toEx), per label set of `by`. Whole buckets
 * inside the window are one range query; a first bucket cut by `from`, and a last one cut by the
 * window's end (or the records at exactly the window's last millisecond when it divides evenly,
 * which join the last bucket), are one instant query each over exactly their part.
 */
export async function countBuckets(api: LokiApi, log: string, by: readonly string[], g: CountGrid, signal: AbortSignal): Promise<BucketSeries> {
  const out: BucketSeries = new Map();
  const add = (labels: Record<string, string>, i: number, v: number) => {
    const values = by.map((k) => labels[k] ?? '');
    const key = JSON.stringify(values);
    let s = out.get(key);
    if (!s) out.set(key, (s = { labels: Object.fromEntries(by.map((k, j) => [k, values[j]])), counts: new Array<number>(g.n).fill(0) }));
    s.counts[Math.min(g.n - 1, Math.max(0, i))] += v;
  };
  const first = g.start < g.from ? 1 : 0;
  const whole = Math.min(g.n, Math.floor((g.toEx - g.start) / g.bucketMs));
  const parts: [number, number, number][] = [];
  if (first) parts.push([g.from, Math.min(g.start + g.bucketMs, g.toEx), 0]);
  const tail = Math.max(g.start + Math.max(whole, first) * g.bucketMs, g.from);
  if (tail < g.toEx) parts.push([tail, g.toEx, Math.floor((tail - g.start) / g.bucketMs)]);
  const regularStart = g.start + first * g.bucketMs;
  await Promise.all([
    ...chunks(whole - first, g.bucketMs).map(([offset, n]) => {
      const chunkStart = regularStart + offset * g.bucketMs;
      return api.matrix(countOverTime(log, g.bucketMs, by), bucketEvaluation(chunkStart, g.bucketMs, n), signal).then((series) => {
        for (const s of series) for (const [t, v] of s.values) add(s.metric, first + offset + bucketIndex(t, chunkStart, g.bucketMs), sampleValue(v));
      });
    }),
    ...parts.map(async ([a, b, i]) => {
      for (const r of await api.vector(countOverTime(log, b - a, by), lastNs(b), signal)) add(r.metric, i, sampleValue(r.value[1]));
    }),
  ]);
  return out;
}

/**
 * Loki's default max_query_length (721 h): a range query's evaluation times may span no more. A
 * tool's histogram with a baseline before its window can span longer (logs_bursts over 12 days of
 * Zookeeper asks for 41), so its whole buckets go as consecutive range queries within it.
 */
const MAX_QUERY_LENGTH_MS = 721 * 3_600_000;

/** [first bucket, buckets] of consecutive range queries covering `buckets` buckets, each within MAX_QUERY_LENGTH_MS. */
function chunks(buckets: number, bucketMs: number): [number, number][] {
  const per = Math.max(1, Math.floor(MAX_QUERY_LENGTH_MS / bucketMs));
  const out: [number, number][] = [];
  for (let i = 0; i < buckets; i += per) out.push([i, Math.min(per, buckets - i)]);
  return out;
}
