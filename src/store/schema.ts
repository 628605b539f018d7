import type Database from 'better-sqlite3';
import { TelemcpError } from '../core/errors.js';
import { MAX_TS } from './rows.js';

/**
 * The embedded store's tables. `PRAGMA user_version` is the schema version: each migration
 * runs once, in its own transaction, and a file written by a newer telemcp is refused rather
 * than misread.
 */

/** A record's columns, the same in both versions: version 2 changes how `id` is chosen. */
const LOG_COLUMNS = `(
  id INTEGER PRIMARY KEY,
  ts INTEGER NOT NULL,
  dataset TEXT NOT NULL,
  service TEXT,
  level TEXT,
  message TEXT NOT NULL,
  trace_id TEXT,
  host TEXT,
  attrs TEXT
);`;

/**
 * Version 1, as the store's first version wrote it (version 2 rebuilds it). The FTS5 index over
 * `message` has external content, keeping each message once, in `logs`. `datasets` summarises
 * what each dataset holds, so resolving a scope pattern never scans the logs.
 */
const V1 = `
CREATE TABLE logs ${LOG_COLUMNS}
CREATE INDEX logs_ts ON logs (ts, dataset, service, level, host);
CREATE INDEX logs_dataset_ts ON logs (dataset, ts);
CREATE INDEX logs_service_ts ON logs (service, ts);
CREATE INDEX logs_level_ts ON logs (level, ts);
CREATE INDEX logs_trace_id ON logs (trace_id) WHERE trace_id IS NOT NULL;
CREATE VIRTUAL TABLE logs_fts USING fts5 (message, content = 'logs', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2');
CREATE TRIGGER logs_fts_insert AFTER INSERT ON logs BEGIN
  INSERT INTO logs_fts (rowid, message) VALUES (new.id, new.message);
END;
CREATE TRIGGER logs_fts_delete AFTER DELETE ON logs BEGIN
  INSERT INTO logs_fts (logs_fts, rowid, message) VALUES ('delete', old.id, old.message);
END;
CREATE TABLE datasets (
  name TEXT PRIMARY KEY,
  records INTEGER NOT NULL,
  first_ts INTEGER NOT NULL,
  last_ts INTEGER NOT NULL
) WITHOUT ROWID;
`;

/**
 * Records are keyed by time: id = ts · 2^20 + a sequence number, so the table itself is in time
 * order and a window is one range of ids. That replaces the time index (a window is read from
 * the table, newest first or oldest first, without sorting), and it lets the FTS index answer a
 * window by itself: its rowids are the same ids, so "matches of a word in this window, newest
 * first" and "how many" are a range of its doclists, never a lookup per match.
 */
export const SEQ_BITS = 20;
/**
 * Width of a logs_rollup slot. Counts over a window add up the slots inside it and read records
 * only in the slots a bucket edge cuts (the smaller side of each). Narrow slots mean more count
 * rows (one per dataset × service × level × host present), wide ones more records read at each
 * cut: the 500 slices of a spread sample over 4 h are 28.8 s wide, so 60 s slots would be cut
 * nearly all, while 10 s slots still hold ~15 records for each count row on the bench's data.
 */
export const SLOT_MS = 10_000;

/**
 * Version 2: the keyed table above, with
 *  - logs_rollup: records per 10 s slot × dataset × service × level × host (null stored as
 *    ''), kept in the writing transaction, so counts, histograms and breakdowns over a million
 *    records read thousands of count rows instead of the records, and stay exact;
 *  - the FTS5 index written by the store's own statements instead of triggers: an FTS5 insert
 *    run by a trigger flushes FTS5's pending terms at the trigger's statement boundary, writing
 *    one tiny segment per record to be merged later (bench/embedded: 5x the cost of the same
 *    inserts made directly, which is why the triggers are gone);
 *  - trace ids in the FTS index, as its second column, instead of a b-tree index: a trace id
 *    is one more token of a record the index tokenizes anyway (no measurable cost), where the
 *    b-tree index took random inserts all over a file-sized tree (+5 µs a record); and a trace
 *    is then found within a window like a word;
 *  - no time, dataset, service or level indexes: the key orders by time, and the counts replace
 *    what the label indexes were for.
 * Version 1 records are carried over with keys made from their times (those before 1970 or
 * after 2248, which version 2 refuses, are dropped), and the FTS index, counts and dataset
 * summaries are rebuilt from them.
 */
const V2 = `
CREATE TABLE logs_v2 ${LOG_COLUMNS}
INSERT INTO logs_v2 (id, ts, dataset, service, level, message, trace_id, host, attrs)
  SELECT (ts << ${SEQ_BITS}) + row_number() OVER (PARTITION BY ts ORDER BY id) - 1, ts, dataset, service, level, message, trace_id, host, attrs
  FROM logs WHERE ts BETWEEN 0 AND ${MAX_TS};
DROP TRIGGER logs_fts_insert;
DROP TRIGGER logs_fts_delete;
DROP TABLE logs_fts;
DROP TABLE logs;
ALTER TABLE logs_v2 RENAME TO logs;
CREATE VIRTUAL TABLE logs_fts USING fts5 (message, trace_id, content = 'logs', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2');
INSERT INTO logs_fts (logs_fts) VALUES ('rebuild');
CREATE TABLE logs_rollup (
  slot INTEGER NOT NULL,
  dataset TEXT NOT NULL,
  service TEXT NOT NULL,
  level TEXT NOT NULL,
  host TEXT NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY (slot, dataset, service, level, host)
) WITHOUT ROWID;
INSERT INTO logs_rollup (slot, dataset, service, level, host, n)
  SELECT ts / ${SLOT_MS}, dataset, coalesce(service, ''), coalesce(level, ''), coalesce(host, ''), count(*) FROM logs GROUP BY 1, 2, 3, 4, 5;
DELETE FROM datasets;
INSERT INTO datasets (name, records, first_ts, last_ts) SELECT dataset, count(*), min(ts), max(ts) FROM logs GROUP BY dataset;
`;

/**
 * Version 3:
 *  - `stored_at`: when each record was written (epoch ms). Retention counts from it, not from
 *    the record's own time, so a log from 2005 loaded today is kept as long as one from today.
 *    Records of earlier versions take the time of the upgrade: nothing already stored becomes
 *    due at once. Its index is appended at its end by every write (a batch shares one value),
 *    which costs far less than the random inserts the label indexes used to.
 *  - `store_meta`: what retention deleted (totals and the last pass), so every deletion is
 *    reported, across restarts.
 *  - demo datasets (`*-demo`) of earlier versions are dropped: their load was not atomic, so a
 *    start interrupted while loading left a partial demo for ever; the next start loads a
 *    complete one (in one transaction now), as it does on an empty store.
 */
function v3(upgradedAt: number): string {
  return `
ALTER TABLE logs ADD COLUMN stored_at INTEGER NOT NULL DEFAULT ${Math.floor(upgradedAt)};
CREATE INDEX logs_stored_at ON logs (stored_at);
CREATE TABLE store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
INSERT INTO logs_fts (logs_fts, rowid, message, trace_id) SELECT 'delete', id, message, trace_id FROM logs WHERE dataset LIKE '%-demo';
DELETE FROM logs_rollup WHERE dataset LIKE '%-demo';
DELETE FROM logs WHERE dataset LIKE '%-demo';
DELETE FROM datasets WHERE name LIKE '%-demo';
`;
}

const MIGRATIONS: ReadonlyArray<(now: number) => string> = [() => V1, () => V2, v3];
const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * WAL lets readers go on while a batch is written; synchronous=FULL syncs the WAL on every
 * commit, so a write that returned survives kill -9 and power loss. The journal mode is
 * stored in the file; the rest is per connection.
 */
export function configure(db: Database.Database, readonly: boolean): void {
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = OFF');
  db.pragma('temp_store = MEMORY');
  db.pragma('cache_size = -32768');
  if (readonly) return;
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  // A large batch grows the WAL; once checkpointed it is cut back to this instead of staying large.
  db.pragma('journal_size_limit = 67108864');
}

export function migrate(db: Database.Database, file: string, now = Date.now()): void {
  const version = schemaVersion(db);
  checkKnown(version, file);
  for (let v = version; v < SCHEMA_VERSION; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v](now));
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}

/** A reader cannot migrate: the file must already be at this version. */
export function checkReadable(db: Database.Database, file: string): void {
  const version = schemaVersion(db);
  checkKnown(version, file);
  if (version < SCHEMA_VERSION) {
    throw new TelemcpError('backend_unavailable', `The embedded store ${file} has schema version ${version}; this telemcp reads version ${SCHEMA_VERSION}.`, {
      hint: 'Start the telemcp server on this DATA_DIR once: it upgrades the store.',
    });
  }
}

function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function checkKnown(version: number, file: string): void {
  if (version > SCHEMA_VERSION) {
    throw new TelemcpError('backend_unavailable', `The embedded store ${file} was written by a newer telemcp (schema version ${version}; this one knows ${SCHEMA_VERSION}).`, {
      hint: 'Run the newer telemcp on this DATA_DIR, or give this one another DATA_DIR.',
    });
  }
}
