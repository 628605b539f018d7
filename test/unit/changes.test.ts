/**
 * What changed across the series of a PromQL result (src/analysis/metrics/changes.ts and the
 * detection it rests on, detect-changes.ts and scale.ts): rises and drops against the preceding
 * window and a day earlier, found by the log burst detector itself; ranked, bounded.
 *
 * On data nobody here wrote:
 *  - real series recorded from a real Prometheus 3 and node exporter (test/fixtures/metrics/real,
 *    see its README): steady ones give no change, changes planted into them are found at their
 *    exact step with their factor and direction;
 *  - the Loghub-2k logs (test/fixtures/loghub): lines per bucket as a count_over_time or rate
 *    series give the same onsets as detectBursts on the same counts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readStructuredCsv, type StructuredRow } from '../../bench/loghub/evaluate.js';
import { detectBursts } from '../../src/analysis/bursts/detect.js';
import { DAY_MS } from '../../src/analysis/bursts/series.js';
import { gridFor } from '../../src/analysis/correlate/events.js';
import { metricChanges, type MetricSeries } from '../../src/analysis/metrics/changes.js';
import { findChanges, MAX_DETECT_BUCKETS, mayBurst, type Point } from '../../src/analysis/metrics/detect-changes.js';
import { scaleFor } from '../../src/analysis/metrics/scale.js';
import { describeChange, summariseSeries } from '../../src/analysis/metrics/series-summary.js';
import { poisson, rng } from '../helpers/random.js';

const T0 = Date.UTC(2026, 11, 7, 12, 0, 0);
const MINUTE = 60_000;
const STEP = 15_000;
const pointsOf = (n: number, at: (i: number) => number, step = MINUTE, start = T0): Point[] => Array.from({ length: n }, (_, i) => ({ t: start + i * step, v: at(i) }));


describe('metricChanges: ranking and bounds', () => {
  const draw = rng(1);
  const steady = (level: number) => pointsOf(180, () => level * (1 + 0.1 * (draw() - 0.5)));
  const stepped = (level: number, factor: number, at: number) => pointsOf(180, (i) => level * (i >= at ? factor : 1) * (1 + 0.1 * (draw() - 0.5)));

  it('ranks the series by how much they changed, bounded to top, and counts the rest', () => {
    const series: MetricSeries[] = [
      { labels: { pod: 'a' }, points: steady(0.5) },
      { labels: { pod: 'b' }, points: stepped(0.12, 6, 120) },
      { labels: { pod: 'c' }, points: steady(1e9) },
      { labels: { pod: 'd' }, points: stepped(41, 0, 150) },
      { labels: { pod: 'e' }, points: stepped(3, 2, 100) },
      { labels: { pod: 'f' }, points: pointsOf(180, () => NaN) },
      { labels: { pod: 'g' }, points: stepped(200, 0.1, 90) },
    ];
    const out = metricChanges(series, { stepMs: MINUTE, top: 3 });
    expect(out).toMatchObject({ analysed: 7, changed: 4, no_data: 1, truncated: true, baseline: 'preceding', resolution_ms: MINUTE });
    // ÷10 (g) is a larger change than ×6 (b); a fall to zero (d) the largest there is.
    expect(out.series.map((s) => s.labels.pod)).toEqual(['d', 'g', 'b']);
    expect(out.series.map((s) => s.index)).toEqual([3, 6, 1]);
    const [d, g, b] = out.series;
    expect(d.changes).toMatchObject([{ at: T0 + 150 * MINUTE, direction: 'drop', after: 0, still: true }]);
    expect(d.sentence).toMatch(/^fell to 0 at 14:30Z \(was 4\d(\.\d+)?\), still down$/);
    expect(b.changes).toMatchObject([{ at: T0 + 120 * MINUTE, direction: 'rise', kind: 'step', still: true }]);
    expect(b.changes[0].factor).toBeGreaterThan(5.4);
    expect(b.changes[0].factor).toBeLessThan(6.6);
    expect(g.changes).toMatchObject([{ at: T0 + 90 * MINUTE, direction: 'drop' }]);
    expect(g.changes[0].factor).toBeCloseTo(0.1, 1);
    expect(out.method).toContain('preceding 30 steps');
    expect(metricChanges(series, { stepMs: MINUTE, top: 10 }).series).toHaveLength(4);
  });

  it('keeps equal changes in input order', () => {
    const same = () => pointsOf(100, (i) => (i >= 60 ? 4 : 1));
    const out = metricChanges([0, 1, 2, 3].map((k) => ({ labels: { k: String(k) }, points: same() })), { stepMs: MINUTE, top: 3 });
    expect(out.series.map((s) => s.labels.k)).toEqual(['0', '1', '2']);
  });

  it('bounds the changes per series: those still in force, then the largest, told oldest first', () => {
    const pts = pointsOf(400, (i) => (i % 50 === 25 ? 10 + (i % 7) : i >= 390 ? 5 : 1));
    const { changes, truncated } = findChanges({ points: pts }, { stepMs: MINUTE, maxChanges: 3 });
    expect(truncated).toBe(true);
    expect(changes).toHaveLength(3);
    expect(changes.at(-1)).toMatchObject({ at: T0 + 390 * MINUTE, still: true });
    expect(changes.map((c) => c.at)).toEqual([...changes.map((c) => c.at)].sort((a, b) => a - b));
  });

  it('rejects what is not a series on a step', () => {
    expect(() => findChanges({ points: pointsOf(10, () => 1) }, { stepMs: 0 })).toThrow(RangeError);
    expect(() => findChanges({ points: pointsOf(10, (i) => i - 5) }, { stepMs: MINUTE, countUnit: 1 })).toThrow(RangeError);
    expect(() => findChanges({ points: [{ t: 0, v: 1 }, { t: 1e15, v: 1 }] }, { stepMs: 1 })).toThrow(RangeError);
  });
});

describe('metricChanges: baselines', () => {
  it('keeps the onset of a change under way when the window starts, from the preceding steps', () => {
    const all = pointsOf(120, (i) => (i >= 50 ? 8 : 2));
    const preceding = all.slice(0, 60);
    const points = all.slice(60);
    const { changes } = findChanges({ points, preceding }, { stepMs: MINUTE });
    expect(changes).toMatchObject([{ at: T0 + 50 * MINUTE, direction: 'rise', before_window: true, still: true, before: 2, after: 8 }]);
    const [told] = metricChanges([{ labels: {}, points, preceding }], { stepMs: MINUTE }).series;
    expect(told.sentence).toBe('rose 4× at 12:50Z (before the window; 2 → 8), still up');
    // Without the lookback the window starts high and nothing in it changed.
    expect(findChanges({ points }, { stepMs: MINUTE }).changes).toEqual([]);
    // A change over before the window is not reported.
    const over = pointsOf(120, (i) => (i >= 20 && i < 30 ? 8 : 2));
    expect(findChanges({ points: over.slice(60), preceding: over.slice(0, 60) }, { stepMs: MINUTE }).changes).toEqual([]);
  });

  it('explains a daily ramp by the same window a day earlier, and still finds an incident on top of it', () => {
    const dailyCounts = (seed: number) => {
      const draw = poisson(seed);
      return Array.from({ length: 180 }, (_, i) => draw(i >= 60 ? 30 : 10));
    };
    const yesterday = pointsOf(180, ((c) => (i) => c[i])(dailyCounts(11)), MINUTE, T0 - DAY_MS);
    const today = dailyCounts(12);
    const ramp = pointsOf(180, (i) => today[i]);
    expect(findChanges({ points: ramp }, { stepMs: MINUTE, countUnit: 1 }).changes.map((c) => (c.at - T0) / MINUTE)).toEqual([60]);
    const seasonal = findChanges({ points: ramp, dayEarlier: yesterday }, { stepMs: MINUTE, countUnit: 1 });
    expect(seasonal).toMatchObject({ changes: [], baseline: 'preceding_and_day_earlier' });
    const incident = pointsOf(180, (i) => today[i] + (i >= 150 ? 40 : 0));
    expect(findChanges({ points: incident, dayEarlier: yesterday }, { stepMs: MINUTE, countUnit: 1 }).changes).toMatchObject([{ at: T0 + 150 * MINUTE, direction: 'rise', still: true }]);
  });
});

describe('metricChanges: the transform into count-like units', () => {
  it('dismisses, without running the detector, only series where it could find nothing', () => {
    const next = rng(7);
    for (let k = 0; k < 400; k++) {
      const level = [0, 0.5, 3, 40, 900][k % 5];
      const jump = next() < 0.5 ? 1 + 3 * next() : 1;
      const counts = Array.from({ length: 80 }, (_, i) => Math.round(level * (1 + 0.6 * (next() - 0.5)) * (i >= 50 ? jump : 1) + (next() < 0.05 ? 10 * next() : 0)));
      if (!mayBurst(counts)) expect(detectBursts({ startMs: 0, bucketMs: MINUTE, counts }).bursts).toEqual([]);
    }
  });

  it('maps a Poisson count series to units of about one event, whatever it is scaled by', () => {
    const draw = poisson(3);
    const counts = Array.from({ length: 600 }, () => draw(50));
    for (const scale of [1, 1 / 60, 1e-6, 1e9]) {
      const s = scaleFor(counts.map((c) => c * scale));
      expect(s.kind).toBe('ratio');
      expect(s.unit / scale).toBeGreaterThan(0.6);
      expect(s.unit / scale).toBeLessThan(1.6);
    }
  });

  it('finds the exact step in series longer than the detector compares step by step', () => {
    const n = 11_000;
    const draw = rng(9);
    const base = (i: number) => 0.3 * (1 + 0.2 * (draw() - 0.5)) + 0 * i;
    const stepAt = 7_777;
    const stepped = findChanges({ points: pointsOf(n, (i) => base(i) * (i >= stepAt ? 5 : 1), STEP) }, { stepMs: STEP });
    expect(stepped.resolutionMs).toBe(STEP * Math.ceil(n / MAX_DETECT_BUCKETS));
    expect(stepped.changes).toMatchObject([{ at: T0 + stepAt * STEP, direction: 'rise', still: true }]);
    const spikeAt = 4_321;
    const spiked = findChanges({ points: pointsOf(n, (i) => (i === spikeAt ? 3 : base(i)), STEP) }, { stepMs: STEP });
    expect(spiked.changes).toMatchObject([{ at: T0 + spikeAt * STEP, kind: 'spike', peak: { t: T0 + spikeAt * STEP, v: 3 } }]);
    const dropAt = 10_001;
    const dropped = findChanges({ points: pointsOf(n, (i) => (i >= dropAt ? 0 : base(i)), STEP) }, { stepMs: STEP });
    expect(dropped.changes).toMatchObject([{ at: T0 + dropAt * STEP, direction: 'drop', after: 0, still: true }]);
  });

  it('reports a rise and the fall back to where it was as one change, over when it fell back', () => {
    const { changes } = findChanges({ points: pointsOf(120, (i) => (i >= 40 && i < 80 ? 30 : 10)) }, { stepMs: MINUTE });
    expect(changes).toMatchObject([{ at: T0 + 40 * MINUTE, direction: 'rise', until: T0 + 80 * MINUTE, still: false }]);
    const fell = findChanges({ points: pointsOf(120, (i) => (i >= 40 && i < 80 ? 0 : 10)) }, { stepMs: MINUTE }).changes;
    expect(fell).toMatchObject([{ at: T0 + 40 * MINUTE, direction: 'drop', until: T0 + 80 * MINUTE, still: false, after: 0 }]);
    // Falling back to a third of the old level is a drop of its own.
    const lower = findChanges({ points: pointsOf(160, (i) => (i >= 40 && i < 80 ? 30 : i >= 80 ? 3 : 10)) }, { stepMs: MINUTE }).changes;
    expect(lower.map((c) => [(c.at - T0) / MINUTE, c.direction])).toEqual([
      [40, 'rise'],
      [80, 'drop'],
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// Real series from a real Prometheus (test/fixtures/metrics/real/README.md).

interface Matrix {
  status: string;
  data: { resultType: 'matrix'; result: { metric: Record<string, string>; values: [number, string][] }[] };
}

const REAL_DIR = fileURLToPath(new URL('../fixtures/metrics/real/', import.meta.url));
const parseValue = (s: string): number => (s === '+Inf' ? Infinity : s === '-Inf' ? -Infinity : Number(s));
function loadReal(): { file: string; labels: Record<string, string>; points: Point[] }[] {
  return readdirSync(REAL_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .flatMap((file) => {
      const body = JSON.parse(readFileSync(REAL_DIR + file, 'utf8')) as Matrix;
      expect(body.status).toBe('success');
      return body.data.result.map((r) => ({ file, labels: r.metric, points: r.values.map(([t, v]) => ({ t: Math.round(t * 1000), v: parseValue(v) })) }));
    });
}

const median = (points: Point[]) => {
  const v = points.map((p) => p.v).sort((a, b) => a - b);
  return v[v.length >> 1];
};
const inferStepOf = (points: Point[]) => points[1].t - points[0].t;

const REAL = loadReal();
const REAL_STEP = 10_000;
const named = (file: string, match: Record<string, string>) => {
  const found = REAL.filter((s) => s.file === `${file}.json` && Object.entries(match).every(([k, v]) => s.labels[k] === v));
  expect(found, `${file} ${JSON.stringify(match)}`).toHaveLength(1);
  return found[0];
};
/** Series of processes and counters nothing happened to while recording (README): node exporter's own process, the scrape rate, the TSDB. */
const STEADY = [
  named('cpu_seconds_rate', { job: 'node' }),
  named('resident_memory_bytes', { job: 'node' }),
  named('go_goroutines', { job: 'node' }),
  named('go_goroutines', { job: 'prometheus' }),
  named('go_gc_duration_seconds', { quantile: '0.25' }),
  named('go_gc_duration_seconds', { quantile: '0.5' }),
  named('http_requests_rate', { handler: '/metrics' }),
  named('mem_available_bytes', {}),
  named('tsdb_head_series', {}),
];
/** The load README describes: /api/v1/query from 0 to ~25/s, from LOAD_START for three minutes. */
const LOAD_START = 1_796_653_210_867;
const LOAD_END = 1_796_653_390_615;
const shuffled = (points: Point[], seed: number): Point[] => {
  const next = rng(seed);
  const values = points.map((p) => p.v);
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [values[i], values[j]] = [values[j], values[i]];
  }
  return points.map((p, i) => ({ t: p.t, v: values[i] }));
};

describe('real Prometheus series (test/fixtures/metrics/real)', () => {
  it('are what the README says: range queries at a 10 s step, 200 points or so each', () => {
    expect(REAL.length).toBeGreaterThanOrEqual(20);
    for (const s of REAL) {
      expect(s.points.length).toBeGreaterThan(150);
      expect(inferStepOf(s.points)).toBe(REAL_STEP);
    }
  });

  it.each(STEADY.map((s) => [`${s.file} ${JSON.stringify(s.labels)}`, s] as const))('steady, no change: %s', (_, s) => {
    const summary = summariseSeries(s.points, { stepMs: REAL_STEP });
    expect({ changes: summary.changes, sentence: describeChange(summary) }).toMatchObject({ changes: 0 });
    expect(describeChange(summary)).toMatch(/^(steady around|constant at|rising|falling)/);
  });

  it('noise alone: the steady series and the slow-moving ones, their values shuffled in time, have no change', () => {
    // Shuffling keeps the values and destroys any order: what is left is the series' own noise.
    // (A series with an event, shuffled, is a mixture of two levels, and runs of the high one are changes.)
    const noise = [...STEADY, named('go_gc_duration_seconds', { quantile: '0.0' }), named('go_gc_duration_seconds', { quantile: '0.75' }), named('resident_memory_bytes', { job: 'prometheus' })];
    for (const s of noise) {
      for (const seed of [17, 18, 19, 20, 21]) {
        const points = shuffled(s.points, seed);
        const { changes } = findChanges({ points }, { stepMs: REAL_STEP });
        expect({ series: `${s.file} ${JSON.stringify(s.labels)}`, seed, changes }).toEqual({ series: `${s.file} ${JSON.stringify(s.labels)}`, seed, changes: [] });
      }
    }
  });

  it.each(STEADY.filter((s) => median(s.points) > 0).map((s) => [`${s.file} ${JSON.stringify(s.labels)}`, s] as const))('a change planted into %s is found at its exact step, with its factor and direction', (_, s) => {
    const at = 140;
    const plant = (f: (v: number, i: number) => number) => s.points.map((p, i) => ({ t: p.t, v: f(p.v, i) }));
    const only = (points: Point[]) => {
      const { changes } = findChanges({ points }, { stepMs: REAL_STEP });
      expect(changes).toHaveLength(1);
      return changes[0];
    };
    const t = s.points[at].t;
    for (const factor of [6, 0.2]) {
      const c = only(plant((v, i) => (i >= at ? v * factor : v)));
      expect(c).toMatchObject({ at: t, direction: factor > 1 ? 'rise' : 'drop', kind: 'step', still: true });
      expect(c.factor! / factor).toBeGreaterThan(0.85);
      expect(c.factor! / factor).toBeLessThan(1.15);
    }
    const zero = only(plant((v, i) => (i >= at ? 0 : v)));
    expect(zero).toMatchObject({ at: t, direction: 'drop', after: 0, factor: 0, still: true });
    expect(describeChange(summariseSeries(plant((v, i) => (i >= at ? 0 : v)), { stepMs: REAL_STEP }))).toMatch(/^fell to 0 at 14:\d\d:\d0Z \(was [^)]+\), still down$/);
    const spike = only(plant((v, i) => (i === at ? v * 6 : v)));
    expect(spike).toMatchObject({ at: t, direction: 'rise', kind: 'spike', steps: 1, still: false, peak: { t, v: s.points[at].v * 6 } });
  });

  it('finds the real load put on Prometheus, in its requests and its CPU, from its first steps to a minute after it stopped (rate over 1m)', () => {
    for (const s of [named('http_requests_rate', { handler: '/api/v1/query' }), named('cpu_seconds_rate', { job: 'prometheus' })]) {
      const { changes } = findChanges({ points: s.points }, { stepMs: REAL_STEP });
      const load = changes.find((c) => c.at >= LOAD_START - 60_000 && c.at <= LOAD_END);
      expect(load, s.file).toMatchObject({ direction: 'rise', kind: 'step', still: false });
      expect(load!.at).toBeGreaterThanOrEqual(LOAD_START);
      expect(load!.at).toBeLessThanOrEqual(LOAD_START + 2 * REAL_STEP);
      expect(load!.until!).toBeGreaterThan(LOAD_END);
      expect(load!.until!).toBeLessThanOrEqual(LOAD_END + 60_000 + 2 * REAL_STEP);
      // Nothing else happened to Prometheus' CPU.
      if (s.file === 'cpu_seconds_rate.json') expect(changes).toHaveLength(1);
    }
    const ranked = metricChanges(
      REAL.filter((s) => s.file === 'http_requests_rate.json' || s.file === 'cpu_seconds_rate.json'),
      { stepMs: REAL_STEP, unit: '/s' },
    );
    expect(ranked.changed).toBe(2);
    expect(ranked.series.map((s) => s.labels.handler ?? s.labels.job)).toEqual(['/api/v1/query', 'prometheus']);
    expect(ranked.series[0].sentence).toMatch(/^rose from 0 to \d+(\.\d+)?\/s at 14:20:[23]0Z for 4 min, over by 14:24:\d0Z/);
  });

  it('reports the all-zero series of a real node as such', () => {
    for (const mode of ['irq', 'nice']) {
      const s = named('node_cpu_rate', { mode });
      expect(describeChange(summariseSeries(s.points, { stepMs: REAL_STEP }))).toBe('0 throughout');
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Loghub-2k: log lines per bucket as the metric a PromQL count_over_time (or rate) would give.

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: string): string => n.padStart(2, '0');
const month = (name: string): string => two(String(MONTHS.indexOf(name) + 1));
/** Each system's line time (UTC as written; a year where the log has none), from its corrected ground truth. */
const LOGHUB_TIME: Record<string, (r: StructuredRow) => number> = {
  Apache: (r) => {
    const [, mon, day, clock, year] = r.Time.split(/\s+/);
    return Date.parse(`${year}-${month(mon)}-${two(day)}T${clock}Z`);
  },
  BGL: (r) => Number(r.Timestamp) * 1000,
  HDFS: (r) => {
    const d = r.Date.padStart(6, '0');
    const t = r.Time.padStart(6, '0');
    return Date.parse(`20${d.slice(0, 2)}-${d.slice(2, 4)}-${d.slice(4)}T${t.slice(0, 2)}:${t.slice(2, 4)}:${t.slice(4)}Z`);
  },
  HPC: (r) => Number(r.Time) * 1000,
  Hadoop: (r) => Date.parse(`${r.Date}T${r.Time.slice(0, 8)}Z`),
  Spark: (r) => Date.parse(`20${r.Date.replaceAll('/', '-')}T${r.Time}Z`),
  Windows: (r) => Date.parse(`${r.Date}T${r.Time}Z`),
  Zookeeper: (r) => Date.parse(`${r.Date}T${r.Time.slice(0, 8)}Z`),
  Linux: (r) => Date.parse(`2005-${month(r.Month)}-${two(r.Date)}T${r.Time}Z`),
  OpenSSH: (r) => Date.parse(`2005-${month(r.Date)}-${two(r.Day)}T${r.Time}Z`),
  Android: (r) => Date.parse(`2017-${r.Date}T${r.Time.slice(0, 8)}Z`),
};

function loghubCounts(system: string): { startMs: number; bucketMs: number; counts: number[] } {
  const file = fileURLToPath(new URL(`../fixtures/loghub/${system}_2k.log_structured_corrected.csv`, import.meta.url));
  const times = readStructuredCsv(readFileSync(file, 'utf8')).map(LOGHUB_TIME[system]);
  expect(times.every(Number.isFinite)).toBe(true);
  // The buckets a log tool would choose for the span (about 180, on whole minutes, hours, …).
  const grid = gridFor(Math.min(...times), Math.max(...times));
  const counts = new Array<number>(grid.buckets).fill(0);
  for (const t of times) counts[Math.min(grid.buckets - 1, Math.floor((t - grid.startMs) / grid.bucketMs))]++;
  return { startMs: grid.startMs, bucketMs: grid.bucketMs, counts };
}

describe('one answer across logs and metrics: Loghub-2k lines per bucket', () => {
  it.each(Object.keys(LOGHUB_TIME))('%s: the metric rises are the log bursts, at the same steps', (system) => {
    const series = loghubCounts(system);
    const { startMs, bucketMs, counts } = series;
    const onsets = detectBursts(series, { maxBursts: 20 }).bursts.map((b) => b.onsetIndex);
    const index = (ms: number) => (ms - startMs) / bucketMs;
    const asMetric = (scale: number, countUnit: number) => {
      const points = counts.map((c, i) => ({ t: startMs + i * bucketMs, v: c * scale }));
      const [found] = metricChanges([{ labels: { system }, points }], { stepMs: bucketMs, countUnit, maxChangesPerSeries: 50 }).series;
      const changes = found?.changes ?? [];
      return {
        rises: changes.filter((c) => c.direction === 'rise').map((c) => index(c.at)),
        // A log burst that brings the count back up after a drop is, for the metric, that drop's end.
        returns: changes.filter((c) => c.direction === 'drop' && c.until !== null).map((c) => index(c.until!)),
      };
    };
    // count_over_time gives the counts themselves; rate(…[bucket]) gives counts per second.
    for (const [scale, unit] of [
      [1, 1],
      [1000 / bucketMs, 1000 / bucketMs],
    ]) {
      const { rises, returns } = asMetric(scale, unit);
      expect({ system, scale, extra: rises.filter((i) => !onsets.includes(i)) }).toEqual({ system, scale, extra: [] });
      expect({ system, scale, missed: onsets.filter((i) => !rises.includes(i) && !returns.includes(i)) }).toEqual({ system, scale, missed: [] });
    }
    expect(onsets.length).toBeGreaterThan(0);
  });
});

describe('findChanges: a gauge that drifts has not changed; one that jumps has', () => {
  // Gauges of a few whole units (active requests, queue depth) riding a daily wave: ±50% over
  // 24 h, ±15% noise, rounded. The values flicker between neighbours as the wave crosses them;
  // read against the preceding 30 minutes, each crossing looked like a 1.5× step.
  const DAY_STEPS = 24 * 60;
  const waves = (count: number, seed: number) => {
    const draw = rng(seed);
    return Array.from({ length: count }, (_, s) => {
      const level = 1.5 + (3 * s) / count;
      const phase = draw() * 2 * Math.PI;
      return pointsOf(DAY_STEPS, (i) => Math.round(level * (1 + 0.5 * Math.sin((2 * Math.PI * i) / DAY_STEPS + phase)) * (0.85 + 0.3 * draw())));
    });
  };

  it('reports no change for the daily wave of small whole-number gauges, and says the trend', () => {
    const series = waves(60, 7);
    const changed = series.filter((points) => findChanges({ points }, { stepMs: MINUTE }).changes.length > 0);
    // A flicker in a trough (1 → 2 for three minutes) may still pass as a spike; a step never does.
    expect(changed.length).toBeLessThanOrEqual(3);
    for (const points of changed) expect(findChanges({ points }, { stepMs: MINUTE }).changes.every((c) => c.steps <= 5)).toBe(true);
    const rising = pointsOf(360, (i) => Math.round(3 * (1 + 0.5 * Math.sin((2 * Math.PI * (i - 90)) / DAY_STEPS)) * (0.85 + 0.3 * rng(3)())));
    expect(summariseSeries(rising, { stepMs: MINUTE }).trend.direction).toBe('rising');
  });

  it('still finds a jump on the same wave, and whole-number steps without noise', () => {
    const [wave] = waves(1, 11);
    const jumped = wave.map((p, i) => ({ t: p.t, v: i >= 600 && i < 720 ? p.v * 3 : p.v }));
    const rises = findChanges({ points: jumped }, { stepMs: MINUTE }).changes.filter((c) => c.direction === 'rise');
    expect(rises).toMatchObject([{ at: T0 + 600 * MINUTE, kind: 'step', still: false }]);
    expect(Math.abs(rises[0].until! - (T0 + 720 * MINUTE))).toBeLessThanOrEqual(5 * MINUTE);
    // Replicas 1 → 2, and a target down for two scrapes: one quantum, nothing flickering before.
    expect(findChanges({ points: pointsOf(120, (i) => (i >= 90 ? 2 : 1)) }, { stepMs: MINUTE }).changes).toMatchObject([{ at: T0 + 90 * MINUTE, direction: 'rise', before: 1, after: 2, still: true }]);
    expect(findChanges({ points: pointsOf(120, (i) => (i === 70 || i === 71 ? 0 : 1)) }, { stepMs: MINUTE }).changes).toMatchObject([{ at: T0 + 70 * MINUTE, direction: 'drop', kind: 'spike' }]);
  });

  it('keeps a change where a line explains nothing: a flat gauge that starts to climb', () => {
    const draw = rng(5);
    const points = pointsOf(240, (i) => (i < 150 ? 100 : 100 + 8 * (i - 150)) + 2 * (draw() - 0.5));
    const [change] = findChanges({ points }, { stepMs: MINUTE }).changes;
    expect(change).toMatchObject({ direction: 'rise', still: true });
    expect((change.at - T0) / MINUTE).toBeGreaterThanOrEqual(150);
    expect((change.at - T0) / MINUTE).toBeLessThanOrEqual(165);
  });
});
