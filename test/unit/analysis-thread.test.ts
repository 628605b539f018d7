/**
 * The log tools' analysis runs in the analysis thread, not on the event loop: while a heavy
 * mining job runs, timers on the server's thread keep firing (what lets `/healthz` answer), a
 * deadline ends the job at once, and the next job still runs. No timing is asserted: only the
 * order in which things happen.
 */
import { describe, expect, it } from 'vitest';
import type { LogSample } from '../../src/backends/capabilities.js';
import { TelemcpError } from '../../src/core/errors.js';
import { runAnalysis } from '../../src/tools/analysis-thread.js';

/** Records whose messages share nothing: mining them is as slow as mining gets per record. */
function heavySample(records: number): LogSample {
  const word = (i: number, k: number) => `w${((i * 7919 + k * 104_729) % 1_000_003).toString(36).replace(/\d/g, (d) => 'abcdefghij'[Number(d)])}`;
  return {
    records: Array.from({ length: records }, (_, i) => ({ ts: 1_700_000_000_000 + i, message: `event ${Array.from({ length: 99 }, (_, k) => word(i, k)).join(' ')}`, service: 'svc', level: 'error' })),
    total: records,
    totalExact: true,
    strategy: 'spread',
    scope: 'test',
    notes: [],
    partial: false,
  };
}

describe('analysis thread', () => {
  it('mines off the event loop: timers fire while a mining job is still running', async () => {
    const signal = new AbortController().signal;
    // Start the thread first, so what follows measures the job, not the thread's start.
    await runAnalysis('samplePatterns', { sample: heavySample(10), topN: 1 }, signal);
    let done = false;
    let ticksWhileRunning = 0;
    const probe = setInterval(() => {
      if (!done) ticksWhileRunning++;
    }, 1);
    try {
      const result = await runAnalysis('samplePatterns', { sample: heavySample(5000), topN: 5 }, signal).finally(() => (done = true));
      expect(result.found).toBeGreaterThan(1);
    } finally {
      clearInterval(probe);
    }
    expect(ticksWhileRunning).toBeGreaterThan(0);
  });

  it('a deadline ends a running job at once with its reason, and the next job runs on a fresh thread', async () => {
    const controller = new AbortController();
    const reason = new TelemcpError('backend_timeout', 'logs_patterns did not finish within 1000 ms.');
    const running = runAnalysis('samplePatterns', { sample: heavySample(5000), topN: 5 }, controller.signal);
    const queued = runAnalysis('detectBursts', { series: { startMs: 0, bucketMs: 60_000, counts: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 40, 45, 50] } }, new AbortController().signal);
    setImmediate(() => controller.abort(reason));
    await expect(running).rejects.toBe(reason);
    const bursts = await queued;
    expect(bursts.ongoing?.status).toBe('ongoing');
  });

  it('an error in a job reaches the caller with its message', async () => {
    await expect(runAnalysis('detectBursts', { series: { startMs: 0, bucketMs: 0, counts: [1] } }, new AbortController().signal)).rejects.toThrow(/bucketMs/);
  });
});
