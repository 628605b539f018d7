/**
 * One metric series summed up: level, extremes, gaps, NaN/Inf, trend (Theil–Sen), the change to
 * tell, and the sentence the agent repeats — which must be exactly what the numbers say.
 */
import { describe, expect, it } from 'vitest';
import { describeChange, formatTime, formatValue, summariseSeries, type Point } from '../../src/analysis/metrics/series-summary.js';
import { theilSen } from '../../src/analysis/metrics/theil-sen.js';
import { rng } from '../helpers/random.js';

const T0 = Date.UTC(2026, 11, 7, 13, 0, 0);
const MINUTE = 60_000;
/** Deterministic uniform noise in [-0.5, 0.5). */
const centred = (seed: number) => {
  const next = rng(seed);
  return () => next() - 0.5;
};
const series = (n: number, at: (i: number) => number, step = MINUTE, start = T0): Point[] => Array.from({ length: n }, (_, i) => ({ t: start + i * step, v: at(i) }));

describe('summariseSeries: figures', () => {
  it('gives first, last, min, max, avg, median, their times and the count', () => {
    const s = summariseSeries(series(5, (i) => [3, 1, 4, 1, 5][i]), { stepMs: MINUTE });
    expect(s).toMatchObject({ count: 5, first: 3, last: 5, min: 1, max: 5, avg: 14 / 5, median: 3, first_at: T0, last_at: T0 + 4 * MINUTE, min_at: T0 + MINUTE, max_at: T0 + 4 * MINUTE, gaps: 0, constant: false });
  });

  it('leaves NaN and ±Inf out of every figure and counts them', () => {
    const values = [2, NaN, 1, Infinity, 3, -Infinity, NaN, 2];
    const s = summariseSeries(series(values.length, (i) => values[i]), { stepMs: MINUTE });
    expect(s).toMatchObject({ count: 4, min: 1, max: 3, avg: 2, last: 2, non_finite: { nan: 2, pos_inf: 1, neg_inf: 1 }, gaps: 0 });
    expect(describeChange(s)).toBe('steady around 2 (1–3) [2 NaN, 1 +Inf, 1 -Inf left out]');
  });

  it('counts missing steps between points and, given the range, before and after them', () => {
    const pts = series(10, (i) => i).filter((_, i) => i !== 3 && i !== 4 && i !== 7);
    expect(summariseSeries(pts, { stepMs: MINUTE }).gaps).toBe(3);
    expect(summariseSeries(pts, { stepMs: MINUTE, fromMs: T0 - 2 * MINUTE, toMs: T0 + 12 * MINUTE }).gaps).toBe(3 + 2 + 3);
    // Without a step it is inferred from the spacing most points have.
    expect(summariseSeries(pts).step_ms).toBe(MINUTE);
    expect(summariseSeries([], { stepMs: MINUTE, fromMs: T0, toMs: T0 + 9 * MINUTE })).toMatchObject({ count: 0, gaps: 10 });
  });

  it('handles no data, one point, all zero and a constant', () => {
    expect(describeChange(summariseSeries([], { stepMs: MINUTE }))).toBe('no data');
    expect(describeChange(summariseSeries(series(3, () => NaN), { stepMs: MINUTE }))).toBe('no data [3 NaN left out]');
    const one = summariseSeries(series(1, () => 0.73), { stepMs: MINUTE });
    expect(one).toMatchObject({ count: 1, first: 0.73, last: 0.73, trend: { direction: 'flat', per_hour: 0 } });
    expect(describeChange(one)).toBe('one point: 0.73 at 13:00Z');
    const zeros = summariseSeries(series(200, () => 0), { stepMs: MINUTE });
    expect(zeros).toMatchObject({ constant: true, changes: 0, trend: { direction: 'flat', relative: null } });
    expect(describeChange(zeros)).toBe('0 throughout');
    expect(describeChange(summariseSeries(series(200, () => 0.5), { stepMs: MINUTE }))).toBe('constant at 0.5');
  });

  it('counts counter resets when told the series is a counter', () => {
    const values = [10, 12, 15, 2, 4, 9, 1, 3];
    const s = summariseSeries(series(values.length, (i) => values[i]), { stepMs: MINUTE, counter: true });
    expect(s.counter_resets).toBe(2);
    expect(describeChange(s)).toContain('[2 counter resets]');
    expect(summariseSeries(series(values.length, (i) => values[i]), { stepMs: MINUTE }).counter_resets).toBeUndefined();
  });
});

describe('summariseSeries: trend', () => {
  it('is Theil–Sen: a ramp keeps its slope through a spike of 1e12 that least squares would follow', () => {
    const pts = series(120, (i) => (i === 100 ? 1e12 : 0.4 + 0.002 * i));
    expect(theilSen(pts).slope * 3_600_000).toBeCloseTo(0.12, 6);
    const s = summariseSeries(pts, { stepMs: MINUTE });
    expect(s.trend.direction).toBe('rising');
    expect(s.trend.per_hour).toBeCloseTo(0.12, 6);
  });

  it('says rising or falling only when the line moves by 10% of the level and beyond the noise', () => {
    const draw = centred(1);
    const ramp = summariseSeries(series(120, (i) => 0.4 + 0.002 * i), { stepMs: MINUTE });
    expect(ramp.trend).toMatchObject({ direction: 'rising', relative: expect.closeTo(0.238 / 0.519, 2) });
    expect(describeChange(ramp)).toBe('rising 0.12/h, no abrupt change (0.4 → 0.638 on its trend line)');
    const down = summariseSeries(series(120, (i) => 100 - 0.3 * i), { stepMs: MINUTE });
    expect(down.trend.direction).toBe('falling');
    const noisy = summariseSeries(series(240, () => 0.5 + 0.1 * draw()), { stepMs: MINUTE });
    expect(noisy.trend.direction).toBe('flat');
    expect(noisy.change).toBeUndefined();
    // A slow 5% drift is not a trend worth a word.
    expect(summariseSeries(series(120, (i) => 50 + (2.5 * i) / 120), { stepMs: MINUTE }).trend.direction).toBe('flat');
  });

  it('has no relative trend for a series at zero, and a sign for negative values (temperatures)', () => {
    const cold = summariseSeries(series(120, (i) => -10 + 0.1 * i), { stepMs: MINUTE });
    expect(cold.trend.direction).toBe('rising');
    expect(cold.scale).toBe('interval');
  });
});

describe('summariseSeries: the change', () => {
  it('finds a step at its exact step, its factor, and whether it still holds', () => {
    const draw = centred(2);
    const s = summariseSeries(series(120, (i) => (i >= 63 ? 0.73 : 0.12) * (1 + 0.05 * draw())), { stepMs: MINUTE });
    expect(s.change).toMatchObject({ at: T0 + 63 * MINUTE, direction: 'rise', kind: 'step', still: true, until: null, baseline: 'preceding' });
    expect(s.change!.factor).toBeCloseTo(0.73 / 0.12, 0);
    expect(s.changes).toBe(1);
    expect(describeChange(s)).toMatch(/^rose 6(\.\d)?× at 14:03Z \(0\.1\d+ → 0\.7\d+\), still up$/);
  });

  it('says a fall to zero as such, with the level it fell from', () => {
    const draw = centred(3);
    const s = summariseSeries(series(120, (i) => (i >= 65 ? 0 : 41 * (1 + 0.1 * draw()))), { stepMs: MINUTE });
    expect(s.change).toMatchObject({ at: T0 + 65 * MINUTE, direction: 'drop', after: 0, factor: 0, still: true });
    expect(describeChange(s, { unit: '/s' })).toMatch(/^fell to 0 at 14:05Z \(was 4\d(\.\d+)?\/s\), still down$/);
  });

  it('tells a one-point spike from a step, and a step that is over from one that holds', () => {
    const spike = summariseSeries(series(120, (i) => (i === 50 ? 0.9 : 0.12)), { stepMs: MINUTE });
    expect(spike.change).toMatchObject({ at: T0 + 50 * MINUTE, kind: 'spike', direction: 'rise', steps: 1, still: false, until: T0 + 51 * MINUTE, peak: { t: T0 + 50 * MINUTE, v: 0.9 } });
    expect(describeChange(spike)).toBe('spiked to 0.9 at 13:50Z (1 point; level 0.12)');
    const dip = summariseSeries(series(120, (i) => (i === 50 ? 0 : 41)), { stepMs: MINUTE });
    expect(describeChange(dip)).toBe('dipped to 0 at 13:50Z (1 point; level 41)');
    const over = summariseSeries(series(120, (i) => (i >= 50 && i < 70 ? 3 : 1)), { stepMs: MINUTE });
    expect(over.change).toMatchObject({ at: T0 + 50 * MINUTE, kind: 'step', still: false, until: T0 + 70 * MINUTE, factor: 3 });
    // The fall back to 1 at 14:10 is the end of the rise, not a change of its own.
    expect(over.changes).toBe(1);
    expect(describeChange(over)).toBe('rose 3× at 13:50Z (1 → 3) for 20 min, over by 14:10Z');
  });

  it('never says 100% or 0 for a fall that did not reach zero', () => {
    expect(describeChange(summariseSeries(series(120, (i) => (i >= 90 ? 1e-9 : 41)), { stepMs: MINUTE }))).toBe('fell >99.9% at 14:30Z (41 → 1e-9), still down');
    expect(describeChange(summariseSeries(series(120, (i) => (i >= 90 ? 0.1 : 41)), { stepMs: MINUTE }))).toBe('fell 99.8% at 14:30Z (41 → 0.1), still down');
  });

  it('rises from zero, and does not call a rise by less than half a change', () => {
    expect(describeChange(summariseSeries(series(120, (i) => (i >= 100 ? 5 : 0)), { stepMs: MINUTE }))).toBe('rose from 0 to 5 at 14:40Z, still up');
    const draw = centred(4);
    const small = summariseSeries(series(120, (i) => (i >= 60 ? 1.3 : 1) * (1 + 0.02 * draw())), { stepMs: MINUTE });
    expect(small.change).toBeUndefined();
  });

  it('works at any scale: 0.002 CPU, 1e12 bytes, and negative temperatures', () => {
    const draw = centred(5);
    const tiny = summariseSeries(series(120, (i) => (i >= 90 ? 0.0005 : 0.002) * (1 + 0.1 * draw())), { stepMs: MINUTE });
    expect(tiny.change).toMatchObject({ at: T0 + 90 * MINUTE, direction: 'drop', still: true });
    expect(tiny.change!.factor).toBeCloseTo(0.25, 1);
    expect(describeChange(tiny)).toMatch(/^fell 7\d% at 14:30Z \(0\.002\d* → [45](\.\d+)?e-4\), still down$/);
    const huge = summariseSeries(series(120, (i) => (i >= 90 ? 2e12 : 1e12) * (1 + 0.001 * draw())), { stepMs: MINUTE });
    expect(huge.change).toMatchObject({ at: T0 + 90 * MINUTE, direction: 'rise' });
    expect(describeChange(huge, { unit: ' bytes' })).toBe('rose 2× at 14:30Z (1e12 bytes → 2e12 bytes), still up');
    const temp = summariseSeries(series(120, (i) => (i >= 80 ? 4.1 : -3.2) + 0.3 * draw()), { stepMs: MINUTE });
    expect(temp.scale).toBe('interval');
    expect(temp.change).toMatchObject({ at: T0 + 80 * MINUTE, direction: 'rise', factor: null });
    expect(describeChange(temp)).toMatch(/^rose by 7\.\d+ at 14:20Z \(-3\.\d+ → 4\.\d+\), still up$/);
    // Noise around a negative level alone is no change.
    expect(summariseSeries(series(240, () => -5 + 0.5 * draw()), { stepMs: MINUTE }).change).toBeUndefined();
  });

  it('carries a gap and a stale stretch over without calling them changes', () => {
    const pts = series(120, () => 7).filter((_, i) => i < 40 || i > 55);
    const s = summariseSeries(pts, { stepMs: MINUTE });
    expect(s).toMatchObject({ gaps: 16, changes: 0 });
    expect(describeChange(s)).toBe('constant at 7 [16 missing steps]');
  });
});

describe('formatting', () => {
  it('shows values in three significant digits, exponent outside 0.001–99,999', () => {
    expect([0, 0.5, 0.12, 0.7283, 41, 41.26, 1234.6, 99_999, 123_456, 1e12, 0.002, 0.000504, -3.216].map(formatValue)).toEqual(['0', '0.5', '0.12', '0.728', '41', '41.3', '1235', '99999', '1.23e5', '1e12', '0.002', '5.04e-4', '-3.22']);
  });

  it('shows times in UTC, with seconds when the step is shorter than a minute, with the date over a day', () => {
    const t = Date.UTC(2026, 11, 7, 14, 3, 0);
    expect(formatTime(t)).toBe('14:03Z');
    expect(formatTime(t + 15_000)).toBe('14:03:15Z');
    expect(formatTime(t, { stepMs: 15_000 })).toBe('14:03:00Z');
    expect(formatTime(t, { spanMs: 3 * 86_400_000 })).toBe('2026-12-07 14:03Z');
  });
});
