/**
 * How long the log tools' analysis holds the server's event loop: each analysis job on a sample
 * of real log lines, run the way the tools ran it before (in this thread) and the way they run it
 * now (runAnalysis: the analysis thread), with the event loop's delay recorded meanwhile
 * (perf_hooks.monitorEventLoopDelay, 1 ms resolution, plus a 1 ms timer whose lateness is kept).
 *
 *   node --import tsx bench/analysis/event-loop.ts
 *
 * RECORDS (default 5000, the tools' largest sample), CALLS (default 10, after 2 warm-up).
 * Messages are the Loghub-2k lines of all 11 systems (LOGHUB_DIR as in bench/loghub), one record a
 * second, services and levels in turn, every tenth record traced.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { LogSample } from '../../src/backends/capabilities.js';
import { ANALYSIS_JOBS, type AnalysisJob, type AnalysisJobs } from '../../src/tools/analysis-jobs.js';
import { runAnalysis } from '../../src/tools/analysis-thread.js';
import { loadDatasets } from '../loghub/datasets.js';

const RECORDS = Number(process.env.RECORDS ?? 5000);
const CALLS = Number(process.env.CALLS ?? 10);
const WARMUP = 2;
const T0 = Date.UTC(2026, 10, 21, 8);
const SERVICES = ['checkout', 'payment', 'fraud', 'inventory'];
const LEVELS = ['error', 'warn', 'error', 'info'];

function sample(): LogSample {
  const messages = loadDatasets().flatMap((d) => d.contents);
  const records = Array.from({ length: RECORDS }, (_, i) => ({
    ts: T0 + i * 1000,
    message: messages[(i * 7) % messages.length],
    service: SERVICES[i % SERVICES.length],
    level: LEVELS[i % LEVELS.length],
    ...(i % 10 === 0 ? { traceId: `t${i}` } : {}),
  }));
  return { records, total: RECORDS, totalExact: true, strategy: 'spread', scope: 'bench', notes: [], partial: false };
}

interface Held {
  /** The longest the event loop was held, ms. */
  max: number;
  /** The call from start to answer, ms (median). */
  p50: number;
}

/** Runs `call` CALLS times after WARMUP, recording how late a 1 ms timer fires meanwhile. */
async function measure(call: () => Promise<unknown>): Promise<Held> {
  for (let i = 0; i < WARMUP; i++) await call();
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  let late = 0;
  let expected = performance.now() + 1;
  const timer = setInterval(() => {
    const now = performance.now();
    late = Math.max(late, now - expected);
    expected = now + 1;
  }, 1);
  histogram.enable();
  const took: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const started = performance.now();
    await call();
    took.push(performance.now() - started);
    // One turn between calls, so back-to-back in-thread calls are not measured as one.
    await new Promise((resolve) => setImmediate(resolve));
  }
  histogram.disable();
  clearInterval(timer);
  took.sort((a, b) => a - b);
  return { max: Math.max(late, histogram.max / 1e6), p50: took[Math.floor(took.length / 2)] };
}

async function main(): Promise<void> {
  const s = sample();
  const window = { windowStartMs: T0, windowEndMs: T0 + RECORDS * 1000 };
  const jobs: { name: string; job: AnalysisJob; input: Parameters<AnalysisJobs[AnalysisJob]>[0] }[] = [
    { name: `samplePatterns (logs_patterns), ${RECORDS} records`, job: 'samplePatterns', input: { sample: s, topN: 15 } },
    { name: `templateBursts (logs_bursts), ${RECORDS} records`, job: 'templateBursts', input: { sample: s, histogram: { start: T0, counts: new Array(Math.ceil(RECORDS / 60)).fill(60) }, bucketMs: 60_000, top: 5 } },
    { name: `correlateIncident (logs_correlate), ${RECORDS} records`, job: 'correlateIncident', input: { sample: s, ...window } },
    { name: `summarizeIncident (incident_summary), ${RECORDS}`, job: 'summarizeIncident', input: { sample: s, ...window } },
  ];
  const signal = new AbortController().signal;
  console.log(`analysis jobs and the event loop: node ${process.version}, ${RECORDS} records of Loghub-2k messages, ${CALLS} calls after ${WARMUP} warm-up\n`);
  console.log(`${'job'.padEnd(52)} ${'in this thread'.padStart(24)}   ${'analysis thread'.padStart(24)}`);
  console.log(`${''.padEnd(52)} ${'held max / call p50 ms'.padStart(24)}   ${'held max / call p50 ms'.padStart(24)}`);
  for (const { name, job, input } of jobs) {
    const run = ANALYSIS_JOBS[job] as (input: unknown) => unknown;
    const here = await measure(async () => run(input));
    const there = await measure(() => runAnalysis(job, input as never, signal));
    const cell = (h: Held) => `${h.max.toFixed(1)} / ${h.p50.toFixed(1)}`.padStart(24);
    console.log(`${name.padEnd(52)} ${cell(here)}   ${cell(there)}`);
  }
}

await main();
