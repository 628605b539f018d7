import { describe, expect, it } from 'vitest';
import { groupByTemplate } from '../../src/analysis/templates/group.js';

describe('groupByTemplate (distinct messages with counts → templates)', () => {
  it('mines weighted messages into templates, summing counts, widening first/last seen, adding up services', () => {
    const patterns = groupByTemplate([
      { message: 'timeout to fraud-service after 3000ms', count: 40, firstSeen: 2_000, lastSeen: 9_000, services: [{ name: 'payment-service', count: 40 }] },
      { message: 'timeout to fraud-service after 3021ms', count: 2, firstSeen: 1_000, lastSeen: 5_000, services: [{ name: 'payment-service', count: 1 }, { name: 'checkout', count: 1 }] },
      { message: 'card declined for order ord-19by54xb: insufficient_funds', count: 3 },
    ]);
    expect(patterns).toEqual([
      {
        pattern: 'timeout to fraud-service after <*>',
        count: 42,
        firstSeen: 1_000,
        lastSeen: 9_000,
        services: [
          { name: 'payment-service', count: 41 },
          { name: 'checkout', count: 1 },
        ],
        example: 'timeout to fraud-service after 3000ms',
        messages: ['timeout to fraud-service after 3000ms', 'timeout to fraud-service after 3021ms'],
      },
      { pattern: 'card declined for order ord-<*>: insufficient_funds', count: 3, services: [], example: 'card declined for order ord-19by54xb: insufficient_funds', messages: ['card declined for order ord-19by54xb: insufficient_funds'] },
    ]);
  });

  it('keeps the most recent traced sample of a template', () => {
    const [p] = groupByTemplate([
      { message: 'pool exhausted on db-1', count: 1, sample: { time: 5, traceId: undefined } },
      { message: 'pool exhausted on db-2', count: 1, sample: { time: 3, traceId: 'abc' } },
      { message: 'pool exhausted on db-3', count: 1, sample: { time: 9 } },
    ]);
    expect(p.sample).toEqual({ time: 3, traceId: 'abc' });
  });

  it('is empty for no messages and deterministic for ties', () => {
    expect(groupByTemplate([])).toEqual([]);
    const input = [
      { message: 'b happened', count: 1 },
      { message: 'a happened', count: 1 },
    ];
    expect(groupByTemplate(input).map((p) => p.pattern)).toEqual(['a happened', 'b happened']);
  });
});
