import { parseBulk, type BulkParseResult } from '../../ingest/bulk.js';
import { parseLokiPush, type LokiPushResult } from '../../ingest/loki.js';
import { parseLokiProtobufPush } from '../../ingest/loki-protobuf.js';
import { parseOtlpLogs, type OtlpLogsResult } from '../../ingest/otlp.js';

/**
 * What parsing an ingest body takes, as data, so it runs the same in the server's thread or in
 * the parse thread (parse-thread.ts): the body, and what the request adds to it. `receivedAt` is
 * read on the server's thread when the body is complete, so a job that waited in the thread's
 * queue stamps its undated records with the time the push arrived, not the time it was parsed.
 */
export type ParseJob =
  | { kind: 'bulk'; body: Uint8Array; receivedAt: number; defaultIndex?: string }
  | { kind: 'loki_json'; body: Uint8Array; receivedAt: number }
  | { kind: 'loki_protobuf'; body: Uint8Array; receivedAt: number; maxBytes: number }
  | { kind: 'otlp'; body: Uint8Array; receivedAt: number };

export interface ParseResults {
  bulk: BulkParseResult;
  loki_json: LokiPushResult;
  loki_protobuf: LokiPushResult;
  otlp: OtlpLogsResult;
}

export type ParseKind = ParseJob['kind'];
export type ParseResultOf<J extends ParseJob> = ParseResults[J['kind']];

/** The job's parser on its body; pure, so both threads give the same records and answers. */
export function parseIngestBody<J extends ParseJob>(job: J): ParseResultOf<J> {
  return parse(job) as ParseResultOf<J>;
}

function parse(job: ParseJob): ParseResults[ParseKind] {
  switch (job.kind) {
    case 'bulk':
      return parseBulk(job.body, job.defaultIndex === undefined ? { receivedAt: job.receivedAt } : { receivedAt: job.receivedAt, defaultIndex: job.defaultIndex });
    case 'loki_json':
      return parseLokiPush(job.body, { receivedAt: job.receivedAt });
    case 'loki_protobuf':
      return parseLokiProtobufPush(job.body, { maxBytes: job.maxBytes, receivedAt: job.receivedAt });
    case 'otlp':
      return parseOtlpLogs(job.body, { receivedAt: job.receivedAt });
  }
}
