import { TelemcpError } from '../../core/errors.js';
import { JobThread } from '../../core/job-thread.js';
import { threadEntry } from '../../core/threads.js';
import { parseIngestBody, type ParseJob, type ParseResultOf } from './parse-jobs.js';
import { unpackResult, type PackedResult } from './parse-wire.js';

/**
 * Bodies smaller than this are parsed in the server's thread: the hop to the parse thread and
 * back (a copy each way and a wake-up) costs about what parsing them does, and holds the event
 * loop no longer than a millisecond or two (bench/ingest/event-loop.ts measured both).
 */
export const PARSE_INLINE_BELOW = 64 * 1024;

/**
 * Where HTTP ingest parses bodies: one thread (parse-worker.ts) for the server, so a 10 MB push
 * (tens of thousands of records, up to a second of JSON or protobuf decoding) never holds
 * `/healthz`, `/readyz` or a tool call; the records come back here for the store's writer as
 * before, a slice a turn (parse-wire.ts). One thread, not a pool: pushes wait for each other in arrival order, as they waited for
 * the event loop before, and the machine's other core stays for the server's thread and the
 * store's writer thread (two cores on the machine this was built on).
 *
 * A parse cannot be interrupted: when a request's signal fires (its client went away) the parse
 * fails at once and its thread is terminated, the next push starts a fresh one. close() (the
 * server closing) fails what is queued or running with a retryable 503 and ends the thread.
 */
export class IngestParser {
  private readonly thread = new JobThread<ParseJob, PackedResult>({
    entry: threadEntry(import.meta.url, 'parse-worker'),
    name: 'ingest parser',
    lostError: (cause) => new TelemcpError('internal_error', 'The ingest parse thread stopped unexpectedly; nothing was stored.', { hint: 'Retry; if it persists, check the server log.', cause }),
    closedError: () => new TelemcpError('backend_unavailable', 'The server is shutting down; nothing was stored.', { hint: 'Retry against a running server.', retryAfter: 5 }),
  });

  /** `inlineBelow`: body size (bytes) under which a body is parsed in this thread; Infinity parses every body here. */
  constructor(private readonly inlineBelow = PARSE_INLINE_BELOW) {}

  async parse<J extends ParseJob>(job: J, signal: AbortSignal): Promise<ParseResultOf<J>> {
    if (job.body.length < this.inlineBelow) return parseIngestBody(job);
    return (await unpackResult(await this.thread.run(job, signal))) as ParseResultOf<J>;
  }

  /** Fails what is queued or running, and ends the thread. */
  close(): Promise<void> {
    return this.thread.close();
  }
}
