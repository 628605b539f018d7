import type { StoreConnection } from './connection.js';
import type { RetentionReport } from './retention.js';

/** What the store says about itself: its file and settings, and what each dataset holds (from the summaries every write keeps). */

export interface DatasetSummary {
  name: string;
  records: number;
  firstTs: number;
  lastTs: number;
}

export interface StoreInfo {
  file: string;
  schemaVersion: number;
  /** `wal` for a store this telemcp wrote. */
  journalMode: string;
  /** This connection's: `full` when it writes, so a committed batch survives a crash. */
  synchronous: 'off' | 'normal' | 'full' | 'extra';
}

/** What the store holds and what retention deleted: what the banner, telemcp_status and telemcp ingest report. */
export interface StoreSummary {
  datasets: DatasetSummary[];
  retention: RetentionReport;
}

const SYNCHRONOUS = ['off', 'normal', 'full', 'extra'] as const;

export function readInfo(conn: StoreConnection): StoreInfo {
  return conn.guard(() => ({
    file: conn.file,
    schemaVersion: conn.db.pragma('user_version', { simple: true }) as number,
    journalMode: conn.db.pragma('journal_mode', { simple: true }) as string,
    synchronous: SYNCHRONOUS[conn.db.pragma('synchronous', { simple: true }) as number],
  }));
}

export function readDatasets(conn: StoreConnection): DatasetSummary[] {
  const rows = conn.guard(() => conn.statement('SELECT name, records, first_ts, last_ts FROM datasets ORDER BY name').all()) as { name: string; records: number; first_ts: number; last_ts: number }[];
  return rows.map((r) => ({ name: r.name, records: r.records, firstTs: r.first_ts, lastTs: r.last_ts }));
}
