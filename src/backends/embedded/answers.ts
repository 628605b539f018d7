import { TelemcpError } from '../../core/errors.js';
import { sanitizeText } from '../../security/sanitize.js';
import type { StoredLog } from '../../store/log-store.js';
import type { FoundLogRecord, LogRecord } from '../capabilities.js';
import { RECORD_MESSAGE_CHARS, RECORD_VALUE_CHARS } from '../log-query.js';

/**
 * What the embedded source's calls share: the deadline check between the store's statements
 * (the store is synchronous, so a statement cannot be interrupted) and the bounding of records.
 */

export function checkAborted(signal: AbortSignal): void {
  if (signal.aborted) throw abortError(signal);
}

/** What an aborted call fails with: the signal's reason when it is a TelemcpError, else backend_timeout. */
export function abortError(signal: AbortSignal): TelemcpError {
  const reason = signal.reason as unknown;
  if (reason instanceof TelemcpError) return reason;
  return new TelemcpError('backend_timeout', 'The embedded store did not answer before the deadline.', { hint: 'Narrow the request (shorter time range, fewer datasets) and retry.' });
}

/** Bounded and stripped of control characters, as every record a source returns. */
export function toLogRecord(log: StoredLog): LogRecord {
  const value = (v: string) => sanitizeText(v, RECORD_VALUE_CHARS).text;
  const record: LogRecord = { ts: log.ts, message: sanitizeText(log.message, RECORD_MESSAGE_CHARS).text };
  if (log.service !== undefined) record.service = value(log.service);
  if (log.level !== undefined) record.level = value(log.level);
  if (log.traceId !== undefined) record.traceId = value(log.traceId);
  if (log.host !== undefined) record.host = value(log.host);
  return record;
}

/** A search hit: the record and the dataset holding it. */
export function toFoundRecord(log: StoredLog): FoundLogRecord {
  return { ...toLogRecord(log), index: log.dataset };
}
