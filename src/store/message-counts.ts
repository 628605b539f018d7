import type Database from 'better-sqlite3';

/**
 * The embedded store's counts per distinct (message, service, level): one GROUP BY over the
 * filter's records, most frequent first, so a cap keeps the groups that matter most. The query
 * reads the records themselves (the per-slot counts know no messages); it runs in the store's
 * reader thread like every read (backends/embedded/reader-worker.ts).
 */

/** Where a filter's records are read from: queries.ts's FROM … WHERE … over `logs`, and its parameters. */
export interface RecordAccess {
  sql: string;
  params: unknown[];
}

export interface StoreMessageGroup {
  message: string;
  service: string | null;
  level: string | null;
  count: number;
  firstMs: number;
  lastMs: number;
}

/**
 * The `limit` most frequent groups, read one row at a time so `keep` can stop early (a bound
 * on the text held) without the rest ever being built as objects. Ties are ordered as every
 * source orders them, so a cap cuts at the same place.
 */
export function messageGroups(access: RecordAccess, prepare: (sql: string) => Database.Statement, limit: number, keep: (g: StoreMessageGroup) => boolean): void {
  const sql =
    'SELECT logs.message AS message, logs.service AS service, logs.level AS level, count(*) AS count, min(logs.ts) AS firstMs, max(logs.ts) AS lastMs ' +
    `${access.sql} GROUP BY logs.message, logs.service, logs.level ORDER BY count DESC, message, service, level LIMIT ?`;
  for (const row of prepare(sql).iterate(...access.params, limit) as Iterable<StoreMessageGroup>) {
    if (!keep(row)) break;
  }
}
