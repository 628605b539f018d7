/**
 * The miner's worst case: whatever the lines, its work stays linear in lines × tokens. Work is
 * counted by the miner itself (TemplateMiner.work: each token keyed, clustered, rendered,
 * matched past the shape limit or read back for slot values), not timed, so the bound holds on
 * any machine. The inputs (test/helpers/adversarial-logs.ts) are random but seeded; the time
 * they take is measured by bench/loghub/worst-case.ts.
 */
import { describe, expect, it } from 'vitest';
import { TemplateMiner, type MinerOptions } from '../../src/analysis/templates/miner.js';
import { ADVERSARIAL_INPUTS, minedTokens, mixed, threeEnumerations } from '../helpers/adversarial-logs.js';
import { rng } from '../helpers/random.js';

/**
 * Steps per token of input, at most: each token of a new shape is keyed once, clustered in at
 * most 4 passes of 3 steps, rendered once per variant and read back for slot values from at
 * most 16 samples; past the shape limit a line is compared with at most 64 templates.
 */
const STEPS_PER_TOKEN = 100;

/** Mines the lines, reads everything a caller can, and returns the work per token of input. */
function workPerToken(lines: readonly string[], opts?: MinerOptions): number {
  const miner = new TemplateMiner(opts);
  const handles = lines.map((l, i) => miner.add(l, i));
  for (const h of handles) miner.templateOf(h);
  const templates = miner.templates();
  expect(templates.reduce((n, t) => n + t.count, 0) + miner.overflow).toBe(lines.length);
  return miner.work / lines.reduce((n, l) => n + minedTokens(l), 0);
}

describe('template miner worst case: work linear in lines × tokens', () => {
  it("the issue's three enumerations (115 peers from 14, 142 and 270) mine at once into one template", () => {
    const lines = threeEnumerations();
    const miner = new TemplateMiner();
    for (const l of lines) miner.add(l);
    const [t, ...rest] = miner.templates();
    expect(rest).toEqual([]);
    expect(t.count).toBe(3);
    expect(t.template.startsWith('rack-sync: Warning: could not reach peers <*> <*>')).toBe(true);
    expect(workPerToken(lines)).toBeLessThanOrEqual(STEPS_PER_TOKEN);
  });

  it.each(ADVERSARIAL_INPUTS)('$name', ({ lines, line, opts }) => {
    const r = rng(20_261_207 + lines);
    const input = Array.from({ length: lines }, () => line(r));
    expect(workPerToken(input, opts)).toBeLessThanOrEqual(STEPS_PER_TOKEN);
  });

  it('the work per token does not grow with the number of lines', () => {
    const r = rng(7);
    const small = Array.from({ length: 500 }, () => mixed(r));
    const large = Array.from({ length: 4000 }, () => mixed(r));
    expect(workPerToken(large)).toBeLessThanOrEqual(2 * workPerToken(small));
  });
});
