import { serveJobs } from '../../core/job-thread.js';
import { parseIngestBody, type ParseJob } from './parse-jobs.js';
import { packResult } from './parse-wire.js';

/** The ingest parse thread parse-thread.ts starts: parses each body it is sent, the result packed for the trip back. */
serveJobs((job: ParseJob) => packResult(parseIngestBody(job)));
