import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readStructuredCsv, scoreParsing } from '../../bench/loghub/evaluate.js';
import { TemplateMiner } from '../../src/analysis/templates/miner.js';

/**
 * A floor under the miner's accuracy on five Loghub systems (Khan-corrected labels), with the one
 * global configuration and no per-system masks. The full benchmark (11 systems, three label
 * variants, Drain3 side by side) is `npm run bench:loghub`; these floors sit a little under its
 * figures so that a change which loses accuracy fails here first.
 */
const FLOORS: Record<string, { ga: number; fga: number; pa: number }> = {
  HDFS: { ga: 0.99, fga: 0.99, pa: 0.55 },
  Hadoop: { ga: 0.98, fga: 0.94, pa: 0.55 },
  Linux: { ga: 0.92, fga: 0.97, pa: 0.9 },
  Android: { ga: 0.96, fga: 0.92, pa: 0.85 },
  Apache: { ga: 0.99, fga: 0.99, pa: 0.69 },
};

function fixture(system: string): { contents: string[]; truth: string[] } {
  const file = fileURLToPath(new URL(`../fixtures/loghub/${system}_2k.log_structured_corrected.csv`, import.meta.url));
  const rows = readStructuredCsv(readFileSync(file, 'utf8'));
  return { contents: rows.map((r) => r.Content), truth: rows.map((r) => r.EventTemplate) };
}

describe('template miner accuracy on Loghub-2k (corrected labels)', () => {
  for (const [system, floor] of Object.entries(FLOORS)) {
    it(`${system}: GA ≥ ${floor.ga}, FGA ≥ ${floor.fga}, PA ≥ ${floor.pa}`, () => {
      const { contents, truth } = fixture(system);
      expect(contents).toHaveLength(2000);
      const miner = new TemplateMiner();
      const handles = contents.map((c) => miner.add(c));
      const scores = scoreParsing(truth, handles.map((h) => miner.templateOf(h)));
      expect(scores.ga).toBeGreaterThanOrEqual(floor.ga);
      expect(scores.fga).toBeGreaterThanOrEqual(floor.fga);
      expect(scores.pa).toBeGreaterThanOrEqual(floor.pa);
    });
  }

  it('gives the same templates whatever the order of the lines', () => {
    const { contents } = fixture('Linux');
    const forward = new TemplateMiner();
    const fh = contents.map((c) => forward.add(c));
    const backward = new TemplateMiner();
    const bh = [...contents].reverse().map((c) => backward.add(c)).reverse();
    const a = fh.map((h) => forward.templateOf(h));
    const b = bh.map((h) => backward.templateOf(h));
    expect(scoreParsing(a, b).ga).toBe(1);
  });
});
