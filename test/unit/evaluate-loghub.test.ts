import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readStructuredCsv, scoreParsing } from '../../bench/loghub/evaluate.js';

describe('scoreParsing on hand-made inputs', () => {
  const truth = ['a <*>', 'a <*>', 'b', 'c <*>', 'c <*>', 'c <*>'];

  it('perfect prediction scores 1 everywhere', () => {
    expect(scoreParsing(truth, [...truth])).toEqual({
      ga: 1, fga: 1, pa: 1, fta: 1, lines: 6, truthTemplates: 3, predictedTemplates: 3,
    });
  });

  it('everything in one group: only a true group that is the whole input could be correct', () => {
    const s = scoreParsing(truth, truth.map(() => '<*>'));
    expect(s).toMatchObject({ ga: 0, fga: 0, pa: 0, fta: 0, truthTemplates: 3, predictedTemplates: 1 });
    // one true template, one predicted group holding all lines: all correct
    expect(scoreParsing(['x', 'x'], ['x', 'x'])).toMatchObject({ ga: 1, fga: 1, pa: 1, fta: 1 });
  });

  it('over-split: a true group cut in two loses all its lines for GA', () => {
    const pred = ['a <*>', 'a 1', 'b', 'c <*>', 'c <*>', 'c <*>'];
    const s = scoreParsing(truth, pred);
    expect(s.ga).toBeCloseTo(4 / 6, 10);
    expect(s.pa).toBeCloseTo(5 / 6, 10);
    // 2 of 4 predicted groups equal a true group; 3 true groups
    const p = 2 / 4, r = 2 / 3;
    expect(s.fga).toBeCloseTo((2 * p * r) / (p + r), 10);
    // FTA as in the Loghub-2.0 code: 'a <*>' still counts (its lines all have that true template),
    // though its group is incomplete; 'a 1' does not. 3 of 4 predicted, 3 of 3 true.
    const pt = 3 / 4, rt = 3 / 3;
    expect(s.fta).toBeCloseTo((2 * pt * rt) / (pt + rt), 10);
    expect(s.predictedTemplates).toBe(4);
  });

  it('under-grouping: two true groups merged count for nothing', () => {
    const s = scoreParsing(truth, ['m', 'm', 'm', 'c <*>', 'c <*>', 'c <*>']);
    expect(s.ga).toBeCloseTo(3 / 6, 10);
    const p = 1 / 2, r = 1 / 3;
    expect(s.fga).toBeCloseTo((2 * p * r) / (p + r), 10);
    expect(s.fta).toBeCloseTo((2 * p * r) / (p + r), 10);
  });

  it('right grouping with wrong template text: GA and FGA 1, PA and FTA below 1', () => {
    const pred = ['a <*>', 'a <*>', 'b', 'c 7', 'c 7', 'c 7'];
    const s = scoreParsing(truth, pred);
    expect(s.ga).toBe(1);
    expect(s.fga).toBe(1);
    expect(s.pa).toBeCloseTo(3 / 6, 10);
    expect(s.fta).toBeCloseTo(2 / 3, 10);
  });

  it('drops rows whose ground-truth template is empty, prediction included', () => {
    const s = scoreParsing(['a', '', 'b', '  '], ['a', 'a', 'b', 'zzz']);
    expect(s).toEqual({ ga: 1, fga: 1, pa: 1, fta: 1, lines: 2, truthTemplates: 2, predictedTemplates: 2 });
  });

  it('compares template strings exactly (inner whitespace matters)', () => {
    expect(scoreParsing(['x  y'], ['x y']).pa).toBe(0);
  });

  it('handles empty input and rejects length mismatches', () => {
    expect(scoreParsing([], [])).toEqual({
      ga: 0, fga: 0, pa: 0, fta: 0, lines: 0, truthTemplates: 0, predictedTemplates: 0,
    });
    expect(() => scoreParsing(['a'], [])).toThrow(/1 truth rows but 0 predicted/);
  });
});

describe('readStructuredCsv', () => {
  it('handles quoted fields with commas, doubled quotes, newlines, CRLF and a missing final newline', () => {
    const text = 'LineId,Content,EventTemplate\r\n1,"a, b","tag=""x"", y"\r\n2,"two\nlines",plain\n3,,"<*>"';
    expect(readStructuredCsv(text)).toEqual([
      { LineId: '1', Content: 'a, b', EventTemplate: 'tag="x", y' },
      { LineId: '2', Content: 'two\nlines', EventTemplate: 'plain' },
      { LineId: '3', Content: '', EventTemplate: '<*>' },
    ]);
  });

  it('returns no rows for an empty file or a header alone', () => {
    expect(readStructuredCsv('')).toEqual([]);
    expect(readStructuredCsv('LineId,EventTemplate\n')).toEqual([]);
  });
});

// Expected values copied from ../shared/benchmarks/loghub-2k/reference-results/drain_logparser_metrics.json
// (Drain from logpai/logparser @ db272234, "orig" = *_structured.csv, "khan" = *_structured_corrected.csv).
const REFERENCE = {
  HDFS: {
    orig: { GA: 0.9975, FGA: 0.8667, PA: 0.0, FTA: 0 },
    khan: { GA: 0.9975, FGA: 0.8667, PA: 0.6255, FTA: 0.6 },
  },
  Apache: {
    orig: { GA: 1.0, FGA: 1.0, PA: 0.6935, FTA: 0.5 },
    khan: { GA: 1.0, FGA: 1.0, PA: 0.6935, FTA: 0.5 },
  },
  Linux: {
    orig: { GA: 0.69, FGA: 0.9304, PA: 0.201, FTA: 0.3826 },
    khan: { GA: 0.876, FGA: 0.9474, PA: 0.172, FTA: 0.4211 },
  },
} as const;

const TOLERANCE = 1e-3;
const FIXTURES = fileURLToPath(new URL('../fixtures/loghub/', import.meta.url));
const templates = (file: string): string[] =>
  readStructuredCsv(readFileSync(FIXTURES + file, 'utf8')).map((r) => r.EventTemplate);

describe('reproduces the Drain reference scores on Loghub-2k', () => {
  const cases = Object.entries(REFERENCE).flatMap(([system, variants]) =>
    Object.entries(variants).map(([variant, expected]) => ({ system, variant, expected })),
  );
  it.each(cases)('$system $variant', ({ system, variant, expected }) => {
    const suffix = variant === 'orig' ? 'log_structured' : 'log_structured_corrected';
    const truth = templates(`${system}_2k.${suffix}.csv`);
    const predicted = templates(`${system}_2k.drain_pred.csv`);
    expect(truth).toHaveLength(2000);
    expect(predicted).toHaveLength(2000);
    const s = scoreParsing(truth, predicted);
    const got = { GA: s.ga, FGA: s.fga, PA: s.pa, FTA: s.fta };
    for (const k of ['GA', 'FGA', 'PA', 'FTA'] as const) {
      expect(Math.abs(got[k] - expected[k]), `${k}: got ${got[k]}, expected ${expected[k]}`).toBeLessThanOrEqual(TOLERANCE);
    }
  });

  it('Linux Khan labels keep 118 EventIds for 116 templates; grouping is by template', () => {
    const rows = readStructuredCsv(readFileSync(`${FIXTURES}Linux_2k.log_structured_corrected.csv`, 'utf8'));
    expect(new Set(rows.map((r) => r.EventId)).size).toBe(118);
    expect(new Set(rows.map((r) => r.EventTemplate)).size).toBe(116);
  });
});
