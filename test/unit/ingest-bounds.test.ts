import { describe, expect, it } from 'vitest';
import { AttrCollector, DROPPED_ATTRS_ATTR, MAX_ATTR_BYTES, MAX_ATTR_KEYS, MAX_ATTR_VALUE_BYTES, capText } from '../../src/ingest/bounds.js';

/**
 * The collector counts sizes without building JSON (a fast path for plain ASCII); these check it
 * against the JSON it stands for, key by key, on values that take the slow path too.
 */
const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');

/** What the collector keeps, computed the slow way: each entry's `"key":value,` bytes from JSON.stringify. */
function reference(entries: [string, string | number | boolean][]): { kept: string[]; dropped: number } {
  let bytes = 2;
  const kept: string[] = [];
  let dropped = 0;
  for (const [key, raw] of entries) {
    if (kept.includes(key)) continue;
    const value = typeof raw === 'string' ? capText(raw, MAX_ATTR_VALUE_BYTES) : raw;
    const size = utf8(JSON.stringify(key)) + utf8(JSON.stringify(value)) + 2;
    if (kept.length >= MAX_ATTR_KEYS - 2 || bytes + size > MAX_ATTR_BYTES - 96) {
      dropped++;
      continue;
    }
    bytes += size;
    kept.push(key);
  }
  return { kept, dropped };
}

const SAMPLES = ['plain text', 'a "quoted" word', 'back\\slash', 'tab\there', 'line\nbreak', 'café', '日本語のログ', 'emoji 🚀', '\u0001control', 'DEL\u007f', 'x'.repeat(300)];

describe('AttrCollector size accounting', () => {
  it('keeps exactly the attributes whose JSON fits, whatever characters they hold', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 50; round++) {
      const entries: [string, string | number | boolean][] = [];
      const count = 5 + Math.floor(random() * 70);
      for (let i = 0; i < count; i++) {
        const key = `${SAMPLES[Math.floor(random() * SAMPLES.length)].slice(0, 20)}.${i % 40}`;
        const pick = random();
        entries.push([key, pick < 0.7 ? SAMPLES[Math.floor(random() * SAMPLES.length)].repeat(1 + Math.floor(random() * 8)) : pick < 0.85 ? Math.floor(random() * 1e6) / 7 : pick < 0.95]);
      }
      const attrs = new AttrCollector();
      for (const [key, value] of entries) attrs.add(key, value);
      const result = attrs.result() ?? {};
      const expected = reference(entries);
      expect(Object.keys(result).filter((k) => k !== DROPPED_ATTRS_ATTR)).toEqual(expected.kept);
      expect(result[DROPPED_ATTRS_ATTR]).toBe(expected.dropped || undefined);
      expect(utf8(JSON.stringify(result))).toBeLessThanOrEqual(MAX_ATTR_BYTES);
    }
  });

  it('gives nested keys of repeated documents the same dotted names, first value first', () => {
    for (let i = 0; i < 3; i++) {
      const attrs = new AttrCollector(new Set(['log.level']));
      attrs.addAll({ log: { level: 'info', logger: `c.f.Bar${i}` }, 'log.logger': 'flat loses', service: { node: { name: 'n-1' } }, tags: ['a', 'b'], ok: true, n: 1.5 });
      expect(attrs.result()).toEqual({ 'log.logger': `c.f.Bar${i}`, 'service.node.name': 'n-1', tags: '["a","b"]', ok: true, n: 1.5 });
    }
  });
});
