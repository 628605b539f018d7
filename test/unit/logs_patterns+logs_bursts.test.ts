import { describe, expect, it } from 'vitest';
import { logsBursts } from '../../src/tools/logs/logs_bursts.js';
import { logsPatterns } from '../../src/tools/logs/logs_patterns.js';
import { logsSearch } from '../../src/tools/logs/logs_search.js';

/** Message words and levels follow one rule on every log tool: no control characters (logs_search's). */
describe('logs_patterns and logs_bursts take message words and levels as logs_search does', () => {
  const controls = ['timeout\nDROP', 'error\r\n', 'a\u0000b', 'x\u007f'];

  it.each(controls)('%j is refused as query and log_level', (value) => {
    expect(logsPatterns.input.safeParse({ query: value }).success).toBe(false);
    expect(logsPatterns.input.safeParse({ log_level: value }).success).toBe(false);
    expect(logsBursts.input.safeParse({ log_level: value }).success).toBe(false);
    expect(logsSearch.input.safeParse({ query: value }).success).toBe(false);
  });

  it('plain words and levels still pass', () => {
    expect(logsPatterns.input.safeParse({ query: '"connection refused" -debug', log_level: 'error' }).success).toBe(true);
    expect(logsBursts.input.safeParse({ log_level: 'any' }).success).toBe(true);
  });
});
