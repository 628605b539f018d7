/**
 * Exact, server-side counts per service on the correlation's own time buckets: what the summary
 * states its totals from (a sample only says which templates), and what tells a service that
 * stopped logging from one that recovered.
 */

/** Counts per service, bucket i covering [startMs + i·bucketMs, …), the last bucket ending at endMs. */
export interface ServiceCounts {
  startMs: number;
  bucketMs: number;
  endMs: number;
  /** Error records per service per bucket. */
  errors: Record<string, number[]>;
  /** Records of every level (and none) per service per bucket. */
  records: Record<string, number[]>;
  /** Every service is listed in both; false when only the busiest ones are. */
  complete: boolean;
  /** Exact totals of the caller's window (not the lookback before it). */
  window: { errors: number; warnings: number };
  /** A service's newest record, where it was looked up: finer than its last bucket's end. */
  lastSeenMs?: Record<string, number>;
}

/** A service that logged steadily and then stopped: no records since `sinceMs`. */
export interface Silence {
  service: string;
  /** Its newest record where looked up, else the end of the last bucket holding one: it has logged nothing since. */
  sinceMs: number;
  /** The last bucket with its records: where to look for its newest record. */
  lastBucketStartMs: number;
  /** Its usual records per minute before it stopped. */
  usualPerMin: number;
  /** Records its usual rate leads to expect over the silence. */
  expected: number;
}

/** Buckets before the stop its usual rate is read from, at most. */
const REFERENCE_BUCKETS = 30;
/** Fewest reference buckets, and the share of them that must hold records, for a service to count as logging steadily. */
const MIN_REFERENCE = 5;
const MIN_PRESENCE = 0.8;
/** A silence expects at least this many records at the usual rate (a Poisson gap this long has odds below e^-10), and lasts at least this long. */
const MIN_EXPECTED = 10;
const MIN_SILENCE_MS = 120_000;

const sum = (a: readonly number[], from = 0, to = a.length) => {
  let s = 0;
  for (let i = Math.max(0, from); i < Math.min(a.length, to); i++) s += a[i];
  return s;
};

function bucketEnd(counts: ServiceCounts, i: number): number {
  return Math.min(counts.endMs, counts.startMs + (i + 1) * counts.bucketMs);
}

/** Records per ms over buckets [from, to), counting the last bucket's real length. */
function rateOver(counts: ServiceCounts, series: readonly number[], from: number, to: number): number {
  const spanMs = bucketEnd(counts, to - 1) - (counts.startMs + from * counts.bucketMs);
  return spanMs > 0 ? sum(series, from, to) / spanMs : 0;
}

/**
 * Services that were logging steadily and have logged nothing since some time before the end
 * of the window. A service whose records are sparse or bursty never qualifies: only a gap its
 * own steady rate makes implausible is reported.
 */
export function detectSilences(counts: ServiceCounts): Silence[] {
  const out: Silence[] = [];
  for (const [service, series] of Object.entries(counts.records)) {
    let last = series.length - 1;
    while (last >= 0 && series[last] === 0) last--;
    if (last < 0 || last === series.length - 1) continue;
    const first = series.findIndex((n) => n > 0);
    // The last bucket with records may be cut short by the stop itself: the usual rate comes from the ones before it.
    const from = Math.max(first, last - REFERENCE_BUCKETS);
    if (last - from < MIN_REFERENCE) continue;
    const present = series.slice(from, last).filter((n) => n > 0).length;
    if (present / (last - from) < MIN_PRESENCE) continue;
    const rate = rateOver(counts, series, from, last);
    const sinceMs = counts.lastSeenMs?.[service] ?? bucketEnd(counts, last);
    const silentMs = counts.endMs - sinceMs;
    const expected = rate * silentMs;
    if (silentMs < Math.max(MIN_SILENCE_MS, 2 * counts.bucketMs) || expected < MIN_EXPECTED) continue;
    out.push({ service, sinceMs, lastBucketStartMs: counts.startMs + last * counts.bucketMs, usualPerMin: Math.round(rate * 60_000 * 10) / 10, expected: Math.round(expected) });
  }
  return out.sort((a, b) => a.sinceMs - b.sinceMs || b.expected - a.expected || a.service.localeCompare(b.service));
}

/** The bucket holding a time, clamped to the series. */
export function bucketIndex(counts: ServiceCounts, ms: number): number {
  const n = Object.values(counts.records)[0]?.length ?? Object.values(counts.errors)[0]?.length ?? 0;
  return Math.min(Math.max(0, n - 1), Math.max(0, Math.floor((ms - counts.startMs) / counts.bucketMs)));
}

/** Error records of these services from bucket `from` on; undefined when a service is not listed. */
export function errorsFrom(counts: ServiceCounts, services: readonly string[], from: number): number | undefined {
  let total = 0;
  for (const s of services) {
    const series = counts.errors[s];
    if (!series) return undefined;
    total += sum(series, from);
  }
  return total;
}

/**
 * After a burst of errors ended: is the service logging as usual (recovered), or has it gone
 * quiet (stopped, or under half its usual rate)? Undefined when the time since is too short to tell.
 */
export function afterBurst(counts: ServiceCounts, service: string, onsetMs: number, endMs: number): { usualPerMin: number; sincePerMin: number; quiet: boolean } | undefined {
  const series = counts.records[service];
  if (!series) return undefined;
  const onset = bucketIndex(counts, onsetMs);
  const end = bucketIndex(counts, endMs);
  const from = Math.max(0, onset - REFERENCE_BUCKETS);
  if (onset - from < MIN_REFERENCE || end >= series.length) return undefined;
  const usual = rateOver(counts, series, from, onset);
  const since = rateOver(counts, series, end, series.length);
  const expected = usual * (counts.endMs - (counts.startMs + end * counts.bucketMs));
  if (expected < MIN_EXPECTED) return undefined;
  const perMin = (r: number) => Math.round(r * 60_000 * 10) / 10;
  return { usualPerMin: perMin(usual), sincePerMin: perMin(since), quiet: since < usual / 2 };
}
