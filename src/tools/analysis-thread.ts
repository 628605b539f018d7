import { JobThread } from '../core/job-thread.js';
import { threadEntry } from '../core/threads.js';
import type { AnalysisJob, AnalysisJobs } from './analysis-jobs.js';

/**
 * Where the log tools' mining, burst detection and correlation run: one analysis thread
 * (analysis-worker.ts) shared by the process, under each call's signal, so the tool's deadline
 * ends the work (the thread is replaced) and the event loop keeps answering `/healthz` and other
 * calls meanwhile. One thread: jobs wait for each other as they waited for the event loop
 * before, and the machine's other core stays for the server's thread and the store's reader.
 */

type Request = { [K in AnalysisJob]: { job: K; input: Parameters<AnalysisJobs[K]>[0] } }[AnalysisJob];

let thread: JobThread<Request, unknown> | undefined;

export function runAnalysis<K extends AnalysisJob>(job: K, input: Parameters<AnalysisJobs[K]>[0], signal: AbortSignal): Promise<ReturnType<AnalysisJobs[K]>> {
  thread ??= new JobThread({ entry: threadEntry(import.meta.url, 'analysis-worker'), name: 'analysis' });
  return thread.run({ job, input } as Request, signal) as Promise<ReturnType<AnalysisJobs[K]>>;
}
