/**
 * Burst detection over bucketed counts: what is a burst (onset, peak, end, magnitude), what is
 * not (steady series however noisy, daily patterns the day-earlier baseline explains), and
 * which label values carry one.
 */
import { describe, expect, it } from 'vitest';
import { detectBursts, type BucketSeries } from '../../src/analysis/bursts/detect.js';
import { DAY_MS } from '../../src/analysis/bursts/series.js';
import { poisson } from '../helpers/random.js';

const START = Date.UTC(2026, 4, 10, 8, 0, 0);
const MINUTE = 60_000;

const series = (counts: number[], startMs = START): BucketSeries => ({ startMs, bucketMs: MINUTE, counts });
const fill = (length: number, at: (i: number) => number) => Array.from({ length }, (_, i) => at(i));


describe('detectBursts: nothing to report', () => {
  it('finds nothing in an empty or all-zero series', () => {
    expect(detectBursts(series([]))).toEqual({ bursts: [], level: 0, presence: 0, truncated: false });
    const zeros = detectBursts(series(fill(120, () => 0)));
    expect(zeros.bursts).toEqual([]);
    expect(zeros.presence).toBe(0);
  });

  it('does not call a steady warning a burst, and says it is steady', () => {
    const steady = detectBursts(series(fill(120, () => 3)));
    expect(steady.bursts).toEqual([]);
    expect(steady).toMatchObject({ level: 3, presence: 1 });
  });

  it('does not call Poisson noise around a steady rate a burst, at low and high rates', () => {
    for (const [mean, seed] of [
      [2, 1],
      [8, 2],
      [40, 3],
      [400, 4],
    ]) {
      const draw = poisson(seed);
      const analysis = detectBursts(series(fill(720, () => draw(mean))));
      expect({ mean, bursts: analysis.bursts.length }).toEqual({ mean, bursts: 0 });
      expect(analysis.level).toBeGreaterThan(mean * 0.8);
    }
  });

  it('needs a baseline: a series loud from its first bucket is not a burst', () => {
    expect(detectBursts(series([50, 50, 50, 50, 50])).bursts).toEqual([]);
  });

  it('ignores a small blip, even one far above a silent baseline', () => {
    expect(detectBursts(series(fill(60, (i) => (i === 30 ? 5 : 0)))).bursts).toEqual([]);
  });
});

describe('detectBursts: bursts', () => {
  it('reports onset, peak, magnitude and an ongoing status', () => {
    const counts = fill(60, (i) => (i < 40 ? [4, 5, 6, 5][i % 4] : i === 45 ? 60 : 30));
    const { bursts, ongoing } = detectBursts(series(counts));
    expect(bursts).toHaveLength(1);
    expect(ongoing).toBe(bursts[0]);
    expect(bursts[0]).toMatchObject({
      onsetMs: START + 40 * MINUTE,
      onsetIndex: 40,
      peakMs: START + 45 * MINUTE,
      peakCount: 60,
      endMs: null,
      status: 'ongoing',
      buckets: 20,
      baseline: 5,
      baselineSource: 'preceding',
      count: 19 * 30 + 60,
      excess: 19 * 25 + 55,
    });
    expect(bursts[0].ratio).toBeCloseTo(630 / 100, 1);
  });

  it('reports a spike that is over as resolved, with its end, and ignores it for the later baseline', () => {
    const counts = fill(90, (i) => (i >= 20 && i < 26 ? 14 : i >= 80 ? 9 : 0));
    const { bursts, ongoing } = detectBursts(series(counts));
    expect(bursts.map((b) => [b.onsetIndex, b.status, b.endMs])).toEqual([
      [20, 'resolved', START + 26 * MINUTE],
      [80, 'ongoing', null],
    ]);
    expect(bursts[1].baseline).toBe(0);
    expect(ongoing?.onsetIndex).toBe(80);
  });

  it('reports a single-bucket spike far outside the noise as a one-bucket resolved burst', () => {
    const counts = fill(60, (i) => (i === 30 ? 80 : [2, 3, 2, 1][i % 4]));
    const { bursts } = detectBursts(series(counts));
    expect(bursts).toHaveLength(1);
    expect(bursts[0]).toMatchObject({ onsetIndex: 30, buckets: 1, status: 'resolved', endMs: START + 31 * MINUTE, peakCount: 80 });
  });

  it('is not split by one quiet bucket, and tolerates a partial last bucket', () => {
    const counts = fill(50, (i) => (i < 30 ? 2 : i === 38 || i === 49 ? 2 : 25));
    const { bursts } = detectBursts(series(counts));
    expect(bursts).toHaveLength(1);
    expect(bursts[0]).toMatchObject({ onsetIndex: 30, status: 'ongoing' });
  });

  it('keeps a burst ongoing when its rate falls to a few events a bucket', () => {
    // Half the errors stop arriving (one of two hosts stops shipping): 2 a bucket against none
    // before is still the incident, though single buckets hold 0 or 1 four times in ten, which
    // per-bucket hysteresis alone reads as its end in most runs.
    const resolved: number[] = [];
    for (let seed = 1; seed <= 200; seed++) {
      const draw = poisson(seed);
      const counts = fill(90, (i) => (i < 30 ? draw(0.05) : i < 50 ? draw(5) : draw(2)));
      const bursts = detectBursts(series(counts)).bursts;
      expect({ seed, onsets: bursts.map((b) => Math.abs(b.onsetIndex - 30) <= 2) }).toEqual({ seed, onsets: [true] });
      if (bursts[0].status !== 'ongoing') resolved.push(seed);
    }
    // A quiet run at the very end (six of the last seven buckets at 0 or 1) is a real ending as far
    // as the data can tell; it happens in one run in a hundred or so.
    expect(resolved.length).toBeLessThanOrEqual(2);
  });

  it('still ends a burst whose rate went back to its baseline, and does not let later spikes revive it', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const draw = poisson(seed);
      const counts = fill(90, (i) => (i < 30 ? draw(2) : i < 50 ? draw(20) : draw(2)));
      // Ten buckets of history before any onset: noise against a reference of three buckets is another matter.
      const incident = detectBursts(series(counts), { minBaselineBuckets: 10 }).bursts.filter((b) => b.onsetIndex <= 35 && b.lastIndex >= 35);
      expect({ seed, incident: incident.map((b) => [b.status, b.onsetIndex >= 28, b.lastIndex >= 47 && b.lastIndex <= 57]) }).toEqual({ seed, incident: [['resolved', true, true]] });
    }
    // Silence broken by one spike per block is not a burst going on (a Zookeeper-like shape).
    const sparse = fill(60, (i) => (i === 20 ? 9 : i > 20 && (i - 21) % 8 === 7 ? 30 : 0));
    expect(detectBursts(series(sparse)).bursts.every((b) => b.onsetIndex !== 20 || b.status === 'resolved')).toBe(true);
  });

  it('counts a burst that began two buckets ago', () => {
    const { bursts } = detectBursts(series(fill(40, (i) => (i >= 38 ? 12 : 0))));
    expect(bursts.map((b) => [b.onsetIndex, b.status])).toEqual([[38, 'ongoing']]);
  });

  it('finds the rises the earlier median+MAD detector found in its cases (from a sparse and from a steady baseline)', () => {
    const cases: [number[], number][] = [
      [fill(60, (i) => (i >= 35 ? 9 : i % 10 === 0 ? 1 : 0)), 35],
      [fill(40, (i) => (i < 20 ? [5, 6, 5, 4, 6][i % 5] : i === 25 ? 6 : 20)), 20],
    ];
    for (const [counts, onset] of cases) expect(detectBursts(series(counts)).ongoing?.onsetIndex).toBe(onset);
  });

  it('is deterministic and bounded: the ongoing burst and the largest others are kept', () => {
    const counts = fill(4000, (i) => (i % 100 >= 50 && i % 100 < 53 ? 40 + (i % 7) : i >= 3990 ? 50 : 1));
    const a = detectBursts(series(counts), { maxBursts: 5 });
    expect(a).toEqual(detectBursts(series(counts), { maxBursts: 5 }));
    expect(a.bursts).toHaveLength(5);
    expect(a.truncated).toBe(true);
    expect(a.bursts.at(-1)?.status).toBe('ongoing');
    expect(a.bursts.map((b) => b.onsetMs)).toEqual([...a.bursts.map((b) => b.onsetMs)].sort((x, y) => x - y));
  });
});

describe('detectBursts: a day-earlier baseline', () => {
  // Every morning at 09:00 traffic, and with it the errors, triples: a daily ramp, not an incident.
  const daily = (noiseSeed: number) => {
    const draw = poisson(noiseSeed);
    return fill(180, (i) => draw(i >= 60 ? 30 : 10));
  };
  const yesterday = series(daily(11), START - DAY_MS);

  it('explains a daily ramp the preceding window alone would flag', () => {
    const today = daily(12);
    expect(detectBursts(series(today)).bursts.map((b) => b.onsetIndex)).toEqual([60]);
    expect(detectBursts(series(today), { dayEarlier: yesterday }).bursts).toEqual([]);
  });

  it('still finds an incident on top of the ramp, against the seasonal expectation', () => {
    const today = daily(13).map((c, i) => (i >= 150 ? c + 40 : c));
    const { bursts } = detectBursts(series(today), { dayEarlier: yesterday });
    expect(bursts).toHaveLength(1);
    expect(bursts[0]).toMatchObject({ onsetIndex: 150, status: 'ongoing' });
    expect(bursts[0].baseline).toBeGreaterThan(20);
  });

  it('uses the seasonal expectation at a ramp and says so', () => {
    const today = daily(14).map((c, i) => (i >= 60 && i < 70 ? c + 60 : c));
    const { bursts } = detectBursts(series(today), { dayEarlier: yesterday });
    expect(bursts).toHaveLength(1);
    expect(bursts[0]).toMatchObject({ onsetIndex: 60, baselineSource: 'day_earlier', status: 'resolved' });
  });

  it('does not let a quieter yesterday lower the bar below the preceding window', () => {
    const quietYesterday = series(fill(180, () => 0), START - DAY_MS);
    const draw = poisson(15);
    expect(detectBursts(series(fill(180, () => draw(12))), { dayEarlier: quietYesterday }).bursts).toEqual([]);
  });

  it('rejects a day-earlier series that does not line up', () => {
    expect(() => detectBursts(series([1, 2, 3]), { dayEarlier: series([1, 2, 3], START - DAY_MS + 1000) })).toThrow(RangeError);
    expect(() => detectBursts(series([1, 2, 3]), { dayEarlier: { startMs: START - DAY_MS, bucketMs: 30_000, counts: [1, 2] } })).toThrow(RangeError);
  });
});

describe('detectBursts: contributors', () => {
  it('says which label values carry the excess, most concentrated label first', () => {
    const n = 60;
    const hostC = fill(n, (i) => (i >= 40 ? 41 : 1));
    const hostA = fill(n, () => 5);
    const hostB = fill(n, () => 5);
    const total = fill(n, (i) => hostA[i] + hostB[i] + hostC[i]);
    const half = fill(n, (i) => Math.floor(total[i] / 2));
    const breakdowns = {
      service: { api: half, worker: fill(n, (i) => total[i] - half[i]) },
      host: { 'host-a': hostA, 'host-b': hostB, 'host-c': hostC },
    };
    const [burst] = detectBursts(series(total), { breakdowns }).bursts;
    expect(burst.onsetIndex).toBe(40);
    expect(burst.contributors?.map((c) => c.label)).toEqual(['host', 'service']);
    expect(burst.contributors?.[0]).toEqual({ label: 'host', concentration: 1, values: [{ value: 'host-c', excess: 800, share: 1 }] });
    expect(burst.contributors?.[1].concentration).toBeCloseTo(0.5, 1);
    expect(burst.contributors?.[1].values.map((v) => v.value).sort()).toEqual(['api', 'worker']);
  });

  it('rejects breakdowns that do not match the series', () => {
    expect(() => detectBursts(series([1, 2, 3]), { breakdowns: { host: { a: [1, 2] } } })).toThrow(RangeError);
    expect(() => detectBursts(series([1, -2, 3]))).toThrow(RangeError);
  });
});
