import { describe, expect, it } from 'vitest';
import { foldCounts, type CountedMessage } from '../../src/analysis/templates/fold-counts.js';
import { MessageTally } from '../../src/backends/message-counts.js';

/** 3,600 distinct timeouts (one line each), a pattern of 40 lines over 4 messages, one lone line. */
function groups(): CountedMessage[] {
  const out: CountedMessage[] = [];
  for (let n = 0; n < 3600; n++) out.push({ message: `Timeout after ${1000 + n} ms calling db-${n % 4}`, service: n % 5 ? 'payment' : 'checkout', level: 'error', count: 1, firstMs: 1000 + n, lastMs: 1000 + n });
  for (let k = 0; k < 4; k++) out.push({ message: `card declined for order ${k}`, service: 'checkout', level: k % 2 ? 'warn' : 'error', count: 10, firstMs: 50 + k, lastMs: 9000 + k });
  out.push({ message: 'disk full', count: 1, firstMs: 7, lastMs: 7 });
  return out;
}

describe('foldCounts (counts per distinct message → templates with exact counts)', () => {
  it('sums the counts of a template\'s messages, whatever their number, with services, levels and first/last seen', () => {
    const { templates, found } = foldCounts(groups());
    expect(found).toBe(3);
    expect(templates.map((t) => [t.pattern, t.count, t.distinct])).toEqual([
      ['Timeout after <*> ms calling db-<*>', 3600, 3600],
      ['card declined for order <*>', 40, 4],
      ['disk full', 1, 1],
    ]);
    const [timeouts, declines] = templates;
    expect(timeouts).toMatchObject({ firstSeen: 1000, lastSeen: 4599, services: [{ name: 'payment', count: 2880 }, { name: 'checkout', count: 720 }], levels: [{ name: 'error', count: 3600 }] });
    expect(timeouts.messages).toHaveLength(1000);
    expect(declines).toMatchObject({ firstSeen: 50, lastSeen: 9003, levels: [{ name: 'error', count: 20 }, { name: 'warn', count: 20 }], example: 'card declined for order 0' });
    expect(templates.reduce((n, t) => n + t.count, 0)).toBe(3641);
  });

  it('gives the same templates whatever order the groups come in, and splits a message counted per service into none', () => {
    const list = groups();
    const reversed = foldCounts([...list].reverse());
    expect(reversed).toEqual(foldCounts(list));
    const split = foldCounts([
      { message: 'pool exhausted', service: 'a', count: 3 },
      { message: 'pool exhausted', service: 'b', count: 2 },
    ]);
    expect(split.templates).toMatchObject([{ pattern: 'pool exhausted', count: 5, distinct: 1, services: [{ name: 'a', count: 3 }, { name: 'b', count: 2 }] }]);
  });

  it('keeps counting past the miner\'s shape limit: the overflow is one template, the counts still add up', () => {
    // 30,000 shapes: more than the miner keeps (20,000), so the last ones overflow.
    const many: CountedMessage[] = Array.from({ length: 30_000 }, (_, n) => ({ message: `${'w'.repeat(1 + (n % 7))}${n.toString(36).replace(/\d/g, 'q')} only ${'z'.repeat(1 + Math.floor(n / 7) % 5)}`, count: 2 }));
    const { templates } = foldCounts(many, { top: 100_000, maxMessages: 1 });
    expect(templates.find((t) => t.pattern === '<*>')?.count).toBeGreaterThan(0);
    expect(templates.reduce((n, t) => n + t.count, 0)).toBe(60_000);
  });

  it('lends a template the best sample of its messages: a traced one, then the newest', () => {
    const { templates } = foldCounts([
      { message: 'x failed 1', count: 1, sample: { time: 5 } },
      { message: 'x failed 2', count: 1, sample: { time: 3, traceId: 't-old' } },
      { message: 'x failed 3', count: 1, sample: { time: 4, traceId: 't-new' } },
    ]);
    expect(templates[0].sample).toEqual({ time: 4, traceId: 't-new' });
  });
});

describe('MessageTally (a backend\'s groups as the answer\'s)', () => {
  it('merges groups that differ only in control characters or level spelling, most frequent first', () => {
    const tally = new MessageTally();
    tally.add({ message: 'disk \u001b[31mfull', service: 'api', level: 'ERROR', count: 2, firstMs: 5, lastMs: 9 });
    tally.add({ message: 'disk full', service: 'api', level: 'err', count: 3, firstMs: 1, lastMs: 7 });
    tally.add({ message: 'disk full', service: null, level: null, count: 4, firstMs: 2, lastMs: 2 });
    expect(tally.groups()).toEqual([
      { message: 'disk full', service: 'api', level: 'error', count: 5, firstMs: 1, lastMs: 9 },
      { message: 'disk full', count: 4, firstMs: 2, lastMs: 2 },
    ]);
    expect(tally.counted).toBe(9);
  });
});
