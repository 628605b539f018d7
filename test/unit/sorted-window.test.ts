/**
 * The baseline's sliding window (src/analysis/bursts/sorted-window.ts) must give exactly the
 * median and MAD that sorting the window afresh gives, whatever the order of the moves.
 */
import { describe, expect, it } from 'vitest';
import { SortedWindow, madOfSorted, medianOfSorted } from '../../src/analysis/bursts/sorted-window.js';
import { median } from '../../src/analysis/bursts/stats.js';
import { poisson, rng } from '../helpers/random.js';

const naiveMad = (values: number[], centre: number) => median(values.map((v) => Math.abs(v - centre)));

describe('SortedWindow', () => {
  it('equals a fresh sort on forward moves, jumps back and jumps ahead, with ties, zeros and fractions', () => {
    const draw = poisson(3);
    const pick = rng(4);
    const values = Array.from({ length: 2000 }, (_, i) => (i % 97 < 20 ? 0 : i % 5 === 0 ? draw(40) : i % 7 === 0 ? pick() * 3 : draw(2)));
    const window = new SortedWindow(values);
    let to = 3;
    for (let k = 0; k < 3000; k++) {
      const r = pick();
      to = r < 0.8 ? Math.min(values.length, to + 1) : r < 0.9 ? Math.max(1, to - Math.floor(pick() * 50)) : Math.min(values.length, to + Math.floor(pick() * 80));
      const width = 1 + Math.floor(pick() * 40);
      const from = Math.max(0, to - width);
      const expected = values.slice(from, to).sort((a, b) => a - b);
      const got = window.at(from, to);
      expect(got).toEqual(expected);
      const centre = medianOfSorted(got);
      expect(centre).toBe(median(expected));
      expect(madOfSorted(got, centre)).toBe(naiveMad(expected, centre));
    }
  });

  it('gives 0 for an empty window, as the median of nothing is', () => {
    expect(medianOfSorted([])).toBe(0);
    expect(madOfSorted([], 0)).toBe(0);
  });
});
