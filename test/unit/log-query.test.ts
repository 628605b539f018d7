import { describe, expect, it } from 'vitest';
import type { LogSourceCapabilities } from '../../src/backends/capabilities.js';
import { canonicalLevel, levelVariants } from '../../src/core/log-levels.js';
import { checkLogQuery, histogramBuckets, spreadQuotas } from '../../src/backends/log-query.js';
import { TelemcpError } from '../../src/core/errors.js';

const caps: LogSourceCapabilities = { pastWindows: true, traceIds: true, textSearch: true, labels: ['service', 'level'], maxSample: 100, maxHistogramBuckets: 60 };
const from = new Date('2026-03-10T10:00:00Z');
const to = new Date('2026-03-10T11:00:00Z');

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof TelemcpError) return err.code;
    throw err;
  }
  return 'ok';
}

describe('spreadQuotas', () => {
  it('takes everything when the slices hold no more than the limit', () => {
    expect(spreadQuotas([3, 0, 2], 10)).toEqual([3, 0, 2]);
  });

  it('gives every slice an equal share and hands what sparse slices leave to the full ones', () => {
    expect(spreadQuotas([100, 1, 0, 100], 21)).toEqual([10, 1, 0, 10]);
    expect(spreadQuotas([1000, 2, 2, 2], 100)).toEqual([94, 2, 2, 2]);
  });

  it('spaces the rounding remainder evenly over the full slices and always fills the limit', () => {
    expect(spreadQuotas([5, 5, 5, 5, 5, 5, 5, 5, 5, 5], 12)).toEqual([1, 1, 2, 1, 1, 1, 1, 2, 1, 1]);
    for (const [counts, limit] of [[[7, 3, 9, 0, 4], 11], [[1, 1, 1, 50], 5], [[400, 400], 3]] as const) {
      const quotas = spreadQuotas([...counts], limit);
      expect(quotas.reduce((a, b) => a + b, 0)).toBe(limit);
      quotas.forEach((q, i) => expect(q).toBeLessThanOrEqual(counts[i]));
    }
  });
});

describe('histogramBuckets', () => {
  it('cuts the window into buckets from its start, refusing more than the maximum with the width that fits', () => {
    expect(histogramBuckets({ from, to }, 60_000, caps)).toBe(60);
    expect(histogramBuckets({ from, to }, 7 * 60_000, caps)).toBe(9);
    expect(histogramBuckets({ from, to }, 7_200_000, caps)).toBe(1);
    expect(code(() => histogramBuckets({ from, to }, 59_999, caps))).toBe('invalid_input');
    expect(code(() => histogramBuckets({ from, to }, 0, caps))).toBe('invalid_input');
  });
});

describe('checkLogQuery', () => {
  it('needs a window that starts before it ends and bounded, non-empty filters', () => {
    expect(code(() => checkLogQuery({ from, to, services: ['a'], levels: ['warn'], traceIds: ['t'] }))).toBe('ok');
    expect(code(() => checkLogQuery({ from: to, to: from }))).toBe('invalid_input');
    expect(code(() => checkLogQuery({ from: new Date(Number.NaN), to }))).toBe('invalid_input');
    expect(code(() => checkLogQuery({ from, to, levels: [] }))).toBe('invalid_input');
    expect(code(() => checkLogQuery({ from, to, traceIds: [''] }))).toBe('invalid_input');
    expect(code(() => checkLogQuery({ from, to, services: Array.from({ length: 1001 }, (_, i) => `s${i}`) }))).toBe('invalid_input');
  });
});

describe('log levels', () => {
  it('reports one lowercase spelling per level', () => {
    expect(['WARNING', 'Warn', 'ERR', 'Error', 'Information', 'crit', 'EMERG', 'Notice'].map(canonicalLevel)).toEqual(['warn', 'warn', 'error', 'error', 'info', 'critical', 'emergency', 'notice']);
  });

  it('finds every spelling of an alias, whichever spelling is asked for', () => {
    expect(levelVariants(['informational'])).toEqual(expect.arrayContaining(['info', 'INFO', 'Information', 'informational']));
  });
});
