import { MAX_TS } from './rows.js';
import { SEQ_BITS } from './schema.js';

/**
 * A record's key is ts · 2^SEQ_BITS + a sequence number (schema.ts), so a time window is one
 * range of keys. What the writing and the reading statements share about that range.
 */

export const SEQ_MASK = 2 ** SEQ_BITS - 1;

/**
 * `key` within [fromTs·2^20 + fromSeq, toTs·2^20 + toSeq], four parameters. better-sqlite3 binds
 * numbers as REAL, which cannot hold a key exactly: every one is cast before the arithmetic.
 */
export const keyRange = (key: string) => `${key} BETWEEN (CAST(? AS INTEGER) << ${SEQ_BITS}) + CAST(? AS INTEGER) AND (CAST(? AS INTEGER) << ${SEQ_BITS}) + CAST(? AS INTEGER)`;

/** Whole milliseconds, inclusive, within what the store can hold. */
export interface Span {
  from: number;
  to: number;
}

export function clamp(from: number, to: number): Span | undefined {
  const span = { from: Math.max(0, Math.ceil(from)), to: Math.min(MAX_TS, Math.floor(to)) };
  return span.from <= span.to ? span : undefined;
}

/** The key range of a span's records, as keyRange's parameters. */
export const keysOf = (s: Span) => [s.from, 0, s.to, SEQ_MASK];
