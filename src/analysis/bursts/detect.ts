import { Baseline, type Reference } from './baseline.js';
import { contributorsOf, type LabelContribution } from './contributors.js';
import { alignDayEarlier, assertBreakdowns, assertSeries, type Breakdowns, type BucketSeries } from './series.js';
import { median, round } from './stats.js';

export type { BucketSeries, Breakdowns } from './series.js';
export type { LabelContribution, ValueContribution } from './contributors.js';

export interface BurstOptions {
  /** The same buckets one day earlier (same bucketMs, grid shifted by 24 h), where the backend can give them. */
  dayEarlier?: BucketSeries;
  /** Per-bucket counts by label value (service, host, …): each burst says which values carry its excess. */
  breakdowns?: Breakdowns;
  /** Buckets before a candidate that form its baseline (default 30). */
  baselineBuckets?: number;
  /** No burst can start with fewer buckets of history than this (default 3). */
  minBaselineBuckets?: number;
  /** Fewest events above the baseline, summed over the burst, for it to count (default 10). */
  minExcess?: number;
  /** Most bursts returned (default 10): the ongoing one and the largest others. */
  maxBursts?: number;
}

export interface Burst {
  /** Start of the first elevated bucket, epoch ms. */
  onsetMs: number;
  onsetIndex: number;
  peakMs: number;
  peakCount: number;
  /** End of the last elevated bucket (epoch ms); null while ongoing. */
  endMs: number | null;
  lastIndex: number;
  status: 'ongoing' | 'resolved';
  buckets: number;
  /** Events expected per bucket at the onset. */
  baseline: number;
  baselineSource: 'preceding' | 'day_earlier';
  /** Events in the burst. */
  count: number;
  /** Events above the expected ones, summed over the burst. */
  excess: number;
  /** Events over expected events, the expectation floored at one per bucket so a silent series gives a finite ratio. */
  ratio: number;
  contributors?: LabelContribution[];
}

export interface BurstAnalysis {
  /** Oldest first. */
  bursts: Burst[];
  ongoing?: Burst;
  /** Median events per bucket outside bursts: where a steady series sits. */
  level: number;
  /** Share of buckets holding at least one event: a steady series is present in most. */
  presence: number;
  /** More bursts were found than maxBursts. */
  truncated: boolean;
}

/**
 * Thresholds in standard deviations of the baseline noise, with a relative floor so that very
 * busy series (where √n is small next to n) need a visible rise, not a statistically
 * detectable one. Onset is strict, holding on is lenient (hysteresis), and a burst of a
 * single bucket needs to be far outside the noise, since nothing else confirms it.
 */
const ONSET = { sigmas: 4, relative: 0.5 };
const HOLD = { sigmas: 1.5, relative: 0.25 };
const SPIKE = { sigmas: 6, relative: 1 };
/** Counts are whole events: a rise by one event is never a burst. */
const MIN_STEP = 1;
/** A burst survives one quiet bucket (and a partial last bucket) without splitting in two. */
const MAX_GAP = 1;
/**
 * The last burst is still going on, at a lower rate, when everything after it stays above what
 * was expected before its onset, judged in blocks of this many buckets: once a burst's rate falls
 * to a few events per bucket, single buckets drop below the hold bar by chance alone (at 2 a
 * bucket, 4 buckets in 10 hold at most one), which per-bucket hysteresis reads as its end.
 */
const TAIL_BLOCK = 8;
const TAIL = { sigmas: 3, relative: 0.5, perBucket: 0.5 };
/**
 * A tail longer than three times the burst is not the burst going on: a spike of a few buckets does
 * not make the busier hours after it one incident (on Loghub's Linux log, a 2-bucket burst was
 * otherwise "ongoing" for the 150 buckets after it).
 */
const TAIL_MAX_PER_BUCKET = 3;
/** A reference read off a few buckets is too weak to call everything after it elevated. */
const TAIL_MIN_HISTORY_SHARE = 0.5;

function above(count: number, ref: Reference, j: number, bar: { sigmas: number; relative: number }, floor = MIN_STEP): boolean {
  const expected = ref.expectedAt(j);
  return count - expected > Math.max(bar.sigmas * ref.spreadAt(j), bar.relative * expected, floor);
}

interface Extent {
  last: number;
  count: number;
  expected: number;
  /** Events above the expected ones, summed over the buckets that had more. */
  excess: number;
  peak: number;
}

function measure(counts: readonly number[], ref: Reference, first: number, last: number): Extent {
  let count = 0;
  let expected = 0;
  let excess = 0;
  let peak = first;
  for (let j = first; j <= last; j++) {
    count += counts[j];
    expected += ref.expectedAt(j);
    excess += Math.max(0, counts[j] - ref.expectedAt(j));
    if (counts[j] > counts[peak]) peak = j;
  }
  return { last, count, expected, excess, peak };
}

/**
 * Buckets from..to (inclusive), taken together, still above what the reference expects of them.
 * No bucket may carry more than four times its share of the bar, so a spike or two does not
 * make a block of silence look elevated: a good part of the block has to be.
 */
function blockAbove(counts: readonly number[], ref: Reference, from: number, to: number): boolean {
  const len = to - from + 1;
  let expected = 0;
  let variance = 0;
  for (let j = from; j <= to; j++) {
    expected += ref.expectedAt(j);
    variance += ref.spreadAt(j) ** 2;
  }
  const bar = Math.max(TAIL.sigmas * Math.sqrt(variance), TAIL.relative * expected, TAIL.perBucket * len);
  const cap = (4 * bar) / len;
  let excess = 0;
  for (let j = from; j <= to; j++) excess += Math.min(cap, counts[j] - ref.expectedAt(j));
  return excess > bar;
}

/**
 * Every run of TAIL_BLOCK buckets after `last` above the reference (the whole tail when it is
 * shorter): the burst has not ended. The blocks tile the tail, the last one ending on its last
 * bucket, so a quiet stretch anywhere in it shows.
 */
function tailStillElevated(counts: readonly number[], ref: Reference, last: number): boolean {
  const n = counts.length;
  if (n - 1 - last <= TAIL_BLOCK) return blockAbove(counts, ref, last + 1, n - 1);
  for (let from = last + 1; ; from += TAIL_BLOCK) {
    const start = Math.min(from, n - TAIL_BLOCK);
    if (!blockAbove(counts, ref, start, start + TAIL_BLOCK - 1)) return false;
    if (start === n - TAIL_BLOCK) return true;
  }
}

/**
 * Bursts in one series: runs of buckets well above what the preceding window (and, when given,
 * the same time a day earlier) lead to expect. Deterministic and linear in the series length
 * times the baseline window. A steady series, however noisy, has none; a spike that is over
 * is reported as resolved; one still elevated in the last buckets is ongoing.
 */
export function detectBursts(series: BucketSeries, opts: BurstOptions = {}): BurstAnalysis {
  assertSeries(series);
  const { counts, startMs, bucketMs } = series;
  const n = counts.length;
  if (opts.breakdowns) assertBreakdowns(opts.breakdowns, n);
  const window = opts.baselineBuckets ?? 30;
  const minBuckets = Math.max(1, opts.minBaselineBuckets ?? 3);
  const minExcess = opts.minExcess ?? 10;
  const maxBursts = Math.max(1, opts.maxBursts ?? 10);
  const baseline = new Baseline(counts, opts.dayEarlier && alignDayEarlier(series, opts.dayEarlier), { windowBuckets: window, minBuckets });

  const found: Burst[] = [];
  let i = minBuckets;
  while (i < n) {
    const ref = baseline.before(i);
    if (!ref || !above(counts[i], ref, i, ONSET)) {
      i += 1;
      continue;
    }
    let last = i;
    for (let j = i + 1; j < n && j - last <= MAX_GAP + 1; j++) if (above(counts[j], ref, j, HOLD)) last = j;
    const own = measure(counts, ref, i, last);
    if (own.excess < minExcess || (last === i && !above(counts[i], ref, i, SPIKE, minExcess))) {
      i += 1;
      continue;
    }
    // A burst that qualified on its own goes on while nothing after it fell back to what was
    // expected before it.
    const solidRef = Math.min(i, window) >= window * TAIL_MIN_HISTORY_SHARE;
    const tail = n - 1 - last;
    if (solidRef && tail > MAX_GAP && tail <= TAIL_MAX_PER_BUCKET * (last - i + 1) && tailStillElevated(counts, ref, last)) last = n - 1;
    const { count, expected, excess, peak } = last === own.last ? own : measure(counts, ref, i, last);
    const ongoing = n - 1 - last <= MAX_GAP;
    found.push({
      onsetMs: startMs + i * bucketMs,
      onsetIndex: i,
      peakMs: startMs + peak * bucketMs,
      peakCount: counts[peak],
      endMs: ongoing ? null : startMs + (last + 1) * bucketMs,
      lastIndex: last,
      status: ongoing ? 'ongoing' : 'resolved',
      buckets: last - i + 1,
      baseline: round(ref.expectedAt(i)),
      baselineSource: ref.source,
      count,
      excess: round(excess, 1),
      ratio: round(count / Math.max(expected, last - i + 1), 1),
      ...(opts.breakdowns ? { contributors: contributorsOf(opts.breakdowns, Math.max(0, i - window), i, last) } : {}),
    });
    i = last + 1;
  }

  const bursts = keepMostTelling(found, maxBursts);
  const inBurst = new Set<number>();
  for (const b of found) for (let j = b.onsetIndex; j <= b.lastIndex; j++) inBurst.add(j);
  return {
    bursts,
    ...(bursts.at(-1)?.status === 'ongoing' ? { ongoing: bursts.at(-1) } : {}),
    level: round(median(counts.filter((_, j) => !inBurst.has(j)))),
    presence: n ? round(counts.filter((c) => c > 0).length / n) : 0,
    truncated: found.length > bursts.length,
  };
}

/** The ongoing burst always, then the largest by excess; returned oldest first. */
function keepMostTelling(bursts: Burst[], max: number): Burst[] {
  if (bursts.length <= max) return bursts;
  const ongoing = bursts.filter((b) => b.status === 'ongoing');
  const rest = bursts.filter((b) => b.status !== 'ongoing').sort((a, b) => b.excess - a.excess || b.onsetMs - a.onsetMs);
  return [...ongoing, ...rest].slice(0, max).sort((a, b) => a.onsetMs - b.onsetMs);
}
