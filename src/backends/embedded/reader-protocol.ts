import { TelemcpError, type ErrorCode } from '../../core/errors.js';
import type { CountByOptions, HistogramOptions, LogQuery, LogSearchOptions, SampleOptions } from '../capabilities.js';

/**
 * The messages between WorkerLogSource (the server's thread) and reader-worker.ts. Queries,
 * answers and their Dates cross by structured clone; errors cannot keep their class, so they
 * cross as data and are rebuilt on the server's side with the same code, message and hint.
 */

/** How the reader thread opens the store and signs cursors. */
export interface ReaderSettings {
  dataDir: string;
  name: string;
  cursorSecret: string;
}

export type ReaderCall =
  | { method: 'sample'; args: [LogQuery, SampleOptions] }
  | { method: 'histogram'; args: [LogQuery, HistogramOptions] }
  | { method: 'countBy'; args: [LogQuery, CountByOptions] }
  | { method: 'search'; args: [LogQuery, LogSearchOptions] };

/** A call, or `close`: close the store and end the thread. */
export type ReaderRequest = ({ id: number } & ReaderCall) | { close: true };

export type ReaderReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: WireError };

type WireError =
  | { telemcp: true; code: ErrorCode; message: string; hint?: string; retryAfter?: number; details?: Record<string, unknown> }
  | { telemcp: false; name: string; message: string; stack?: string };

export function toWireError(err: unknown): WireError {
  if (err instanceof TelemcpError) {
    return { telemcp: true, code: err.code, message: err.message, hint: err.hint, retryAfter: err.retryAfter, details: err.details };
  }
  if (err instanceof Error) return { telemcp: false, name: err.name, message: err.message, stack: err.stack };
  return { telemcp: false, name: 'Error', message: String(err) };
}

/** The error as the in-process source would have thrown it; anything else still becomes internal_error in invoke. */
export function fromWireError(wire: WireError): Error {
  if (wire.telemcp) return new TelemcpError(wire.code, wire.message, { hint: wire.hint, retryAfter: wire.retryAfter, details: wire.details });
  const err = new Error(wire.message);
  err.name = wire.name;
  if (wire.stack) err.stack = wire.stack;
  return err;
}
