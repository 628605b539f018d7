import { lokiContentTypeProblem, lokiPushEncoding, lokiPushResponse } from '../../ingest/loki.js';
import { otlpContentTypeProblem, otlpErrorStatus, otlpLogsResponse } from '../../ingest/otlp.js';
import type { EndpointSpec } from './endpoint.js';

const TEXT = 'text/plain; charset=utf-8';

/**
 * `POST /loki/api/v1/push`, JSON or snappy-compressed protobuf (by Content-Type; Loki ignores a
 * `Content-Encoding: snappy`, which some clients send with protobuf, and so does this route). As
 * Loki does: 204 when every entry was taken; otherwise 400 with the reasons as text, the valid
 * entries stored all the same (a client does not retry a 400, so nothing valid is lost and nothing
 * is stored twice).
 */
export const lokiEndpoint: EndpointSpec = {
  name: 'loki_push',
  protocol: 'loki',
  selfDecoded: ['snappy'],
  contentTypeProblem: (contentType) => lokiContentTypeProblem(contentType),
  async handle(body, write, request) {
    const { receivedAt } = request;
    const result = await request.parse(
      lokiPushEncoding(request.contentType) === 'protobuf' ? { kind: 'loki_protobuf', body, receivedAt, maxBytes: request.maxBytes } : { kind: 'loki_json', body, receivedAt },
    );
    if (!result.ok) return { ...lokiPushResponse(result), contentType: TEXT, stored: 0, rejected: 0 };
    const written = await write(result.records);
    const storeErrors = [...written.rejected.values()].map((reason) => ({ stream: -1, reason: `an entry was not stored: ${reason}` }));
    const errors = [...result.errors, ...storeErrors];
    const answer = lokiPushResponse({ ok: true, records: result.records.filter((_, i) => !written.rejected.has(i)), errors });
    if (answer.status === 204) return { status: 204, stored: written.stored, rejected: 0 };
    return { status: answer.status, body: answer.body, contentType: TEXT, stored: written.stored, rejected: errors.length };
  },
};

/**
 * `POST /v1/logs`, OTLP/HTTP with the JSON encoding (protobuf: 415). 200 with `{}`, or with
 * `partialSuccess` counting what the parser or the store rejected (the spec's "do not retry");
 * a body that cannot be read is a 400 with a google.rpc.Status.
 */
export const otlpEndpoint: EndpointSpec = {
  name: 'otlp_logs',
  protocol: 'otlp',
  contentTypeProblem: (contentType) => otlpContentTypeProblem(contentType),
  async handle(body, write, request) {
    const result = await request.parse({ kind: 'otlp', body, receivedAt: request.receivedAt });
    if (!result.ok) return { status: result.status, body: otlpErrorStatus(result.message), stored: 0, rejected: 0 };
    const written = await write(result.records);
    const rejected = result.rejected + written.rejected.size;
    const reasons = [...result.errors, ...[...written.rejected.values()].map((reason) => `a log record was not stored: ${reason}`)];
    return { status: 200, body: otlpLogsResponse(rejected, reasons), stored: written.stored, rejected };
  },
};
