import type { IngestRecord } from '../../ingest/record.js';
import type { IngestProtocol } from './failure.js';
import type { ParseJob, ParseResultOf } from './parse-jobs.js';

/** The ingest endpoints, as the `endpoint` label of the ingest metrics and audit records name them. */
export type IngestEndpoint = 'bulk' | 'loki_push' | 'otlp_logs';

/** What the store did with a request's records: those it refused, by their index in the request. */
export interface Written {
  stored: number;
  rejected: Map<number, string>;
}

/** Writes records durably (resolves once committed, in the store's writer thread); rejects when the store cannot take them. */
export type WriteRecords = (records: readonly IngestRecord[]) => Promise<Written>;

/** An answer in the endpoint's own protocol: sent as is. */
export interface Answer {
  status: number;
  body?: unknown;
  /** Default application/json for a body that is not a string. */
  contentType?: string;
  stored: number;
  rejected: number;
}

export interface EndpointRequest {
  /** `{index}` of `/{index}/_bulk`. */
  index?: string;
  /** Milliseconds since the request arrived (the bulk answer's `took`). */
  elapsedMs: () => number;
  /** The Content-Type header, for an endpoint that reads more than one encoding (Loki: JSON or protobuf). */
  contentType?: string;
  /** INGEST_MAX_BYTES, for a body the endpoint decompresses itself. */
  maxBytes: number;
  /** Epoch ms the body was complete: the time of records that carry none. */
  receivedAt: number;
  /** Parses the body (a large one in the parse thread, parse-thread.ts); the records come back here. */
  parse<J extends ParseJob>(job: J): Promise<ParseResultOf<J>>;
}

/** One data endpoint: how it refuses a content type it cannot read, and how it turns a body into records and an answer. */
export interface EndpointSpec {
  name: IngestEndpoint;
  protocol: IngestProtocol;
  /** Content-Encodings the endpoint undoes itself (Loki's `snappy`), passed through by the body reader. */
  selfDecoded?: readonly string[];
  contentTypeProblem(contentType: string | undefined): Pick<Answer, 'status' | 'body'> | undefined;
  handle(body: Buffer, write: WriteRecords, request: EndpointRequest): Promise<Answer>;
}
