import { serveJobs } from '../core/job-thread.js';
import { ANALYSIS_JOBS, type AnalysisJob } from './analysis-jobs.js';

/** The analysis thread analysis-thread.ts starts: runs the named job on its input. */
serveJobs(({ job, input }: { job: AnalysisJob; input: never }) => ANALYSIS_JOBS[job](input));
