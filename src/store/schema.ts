import type Database from 'better-sqlite3';
import { TelemcpError } from '../core/errors.js';

/**
 * The embedded store's tables. `PRAGMA user_version` is the schema version: each migration
 * runs once, in its own transaction, and a file written by a newer telemcp is refused rather
 * than misread.
 */

/**
 * Version 1. The time index carries the labels too, so counting a window per bucket and per
 * label reads that index alone instead of a million table rows. Rows are never updated
 * (retention only deletes), so the FTS5 index over `message` follows `logs` through insert and
 * delete triggers, inside the writing transaction; its external content keeps each message
 * once, in `logs`. `datasets` summarises what each dataset holds, so resolving a scope
 * pattern never scans the logs.
 */
const V1 = `
CREATE TABLE logs (
  id INTEGER PRIMARY KEY,
  ts INTEGER NOT NULL,
  dataset TEXT NOT NULL,
  service TEXT,
  level TEXT,
  message TEXT NOT NULL,
  trace_id TEXT,
  host TEXT,
  attrs TEXT
);
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

const MIGRATIONS: readonly string[] = [V1];
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

export function migrate(db: Database.Database, file: string): void {
  const version = schemaVersion(db);
  checkKnown(version, file);
  for (let v = version; v < SCHEMA_VERSION; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]);
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
