import { describe, expect, it } from 'vitest';
import { pastWatermark } from '../../src/tools/elk/elk_nodes_stats.js';

const GB = 1024 ** 3;

describe('disk watermarks', () => {
  it.each([
    ['85%', 86, 100 * GB, true],
    ['85%', 84.9, 1 * GB, false],
    ['0.9', 90, 1, true],
    ['0.9', 89, 1, false],
    ['1gb', 99, 0.5 * GB, true], // absolute values are the FREE space that must remain
    ['1gb', 99, 2 * GB, false],
    ['500MB', 10, 400 * 1024 ** 2, true],
    ['nonsense', 99, 0, false],
  ])('%s with %s%% used and %s bytes free → %s', (watermark, used, free, past) => {
    expect(pastWatermark(watermark as string, used as number, free as number)).toBe(past);
  });
});
