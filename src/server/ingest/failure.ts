import type { FastifyReply } from 'fastify';
import { TelemcpError } from '../../core/errors.js';
import { otlpErrorStatus } from '../../ingest/otlp.js';
import { redactString } from '../../core/redact.js';

/** The wire protocol an ingest route speaks, which decides the shape of every answer it gives. */
export type IngestProtocol = 'elasticsearch' | 'loki' | 'otlp';

/** A refused ingest request: an HTTP status, telemcp's code for it, and what to do. */
export class IngestFailure extends Error {
  readonly hint?: string;
  readonly retryAfter?: number;
  /** Elasticsearch's error `type`, when the status alone does not say it. */
  readonly esType?: string;

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    opts: { hint?: string; retryAfter?: number; esType?: string } = {},
  ) {
    super(message);
    this.hint = opts.hint;
    this.retryAfter = opts.retryAfter;
    this.esType = opts.esType;
  }
}

export function toIngestFailure(err: unknown): IngestFailure {
  if (err instanceof IngestFailure) return err;
  if (err instanceof TelemcpError) return new IngestFailure(err.status, err.code, err.message, { hint: err.hint, retryAfter: err.retryAfter });
  return new IngestFailure(500, 'internal_error', 'Internal error while ingesting.', { hint: 'Retry; if it persists, check the server log for the request id.' });
}

const ES_TYPES: Record<number, string> = {
  400: 'illegal_argument_exception',
  401: 'security_exception',
  403: 'security_exception',
  404: 'resource_not_found_exception',
  406: 'media_type_header_exception',
  413: 'illegal_argument_exception',
  415: 'illegal_argument_exception',
  429: 'es_rejected_execution_exception',
  503: 'unavailable_exception',
};

/** google.rpc.Code for an HTTP status, as OTLP/HTTP's Status body carries it. */
const RPC_CODES: Record<number, number> = { 400: 3, 401: 16, 403: 7, 404: 5, 413: 3, 415: 3, 429: 8, 500: 13, 503: 14 };

/** Elasticsearch's shape for a request that fails as a whole. */
export function esErrorBody(status: number, type: string, reason: string) {
  return { error: { root_cause: [{ type, reason }], type, reason }, status };
}

/** Every answer on an Elasticsearch route names the product: clients since 7.14 check it (on 2xx) before trusting the server. */
export function elasticsearchReply(reply: FastifyReply): FastifyReply {
  return reply.header('x-elastic-product', 'Elasticsearch');
}

/** The failure in the protocol's own error shape; the telemcp code leads the text so operators can look it up. */
export function sendIngestFailure(reply: FastifyReply, protocol: IngestProtocol, failure: IngestFailure): FastifyReply {
  // Messages may quote what the caller sent; hints are the server's own words and name auth schemes redaction would mask.
  const text = `${redactString(`${failure.code}: ${failure.message}`)}${failure.hint ? ` ${failure.hint}` : ''}`;
  if (failure.retryAfter !== undefined) reply.header('retry-after', String(failure.retryAfter));
  // The unread rest of a refused body is dropped with the connection instead of being read to no purpose.
  if (failure.status === 413) reply.header('connection', 'close');
  reply.code(failure.status);
  if (protocol === 'elasticsearch') {
    return elasticsearchReply(reply).send(esErrorBody(failure.status, failure.esType ?? ES_TYPES[failure.status] ?? 'exception', text));
  }
  if (protocol === 'otlp') return reply.header('content-type', 'application/json').send({ ...otlpErrorStatus(text), code: RPC_CODES[failure.status] ?? 2 });
  return reply.header('content-type', 'text/plain; charset=utf-8').send(`${text}\n`);
}
