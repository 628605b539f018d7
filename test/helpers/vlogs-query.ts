/** Records and answer types for test/integration/vlogs-query.test.ts (vlogs_query on the real VictoriaLogs). */
import type { IngestRecord } from '../../src/ingest/record.js';

/** This run's tag on every record it writes (the server keeps earlier runs' records). */
export const RUN = `r${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;

const MINUTE = 60_000;

export interface Seed {
  records: IngestRecord[];
  /** Records of service api (requests and timeouts). */
  api: number;
  /** Timeouts in the burst. */
  burst: number;
  /** Records in the hour before `now` (the server's default window, called within a minute of `now`). */
  lastHour: number;
  /** Records of service batch with a huge message and many fields. */
  huge: number;
}

/**
 * Four hours before `now` (a whole minute): a request of service api every minute, a burst of
 * 30 db timeouts a minute over the last 20 minutes, and 5 huge records of service batch.
 */
export function seedRecords(now: number): Seed {
  const records: IngestRecord[] = [];
  for (let m = 240; m >= 1; m--) {
    records.push({ ts: now - m * MINUTE, dataset: 'vlogs-query', service: 'api', level: 'info', message: `GET /users/${1000 + m} 200 in ${10 + (m % 7)}ms` });
  }
  let burst = 0;
  for (let m = 20; m >= 1; m--) {
    for (let k = 0; k < 30; k++) {
      records.push({ ts: now - m * MINUTE + k * 1000 + 500, dataset: 'vlogs-query', service: 'api', level: 'error', message: `db timeout after ${3000 + k}ms on shard ${k % 4}` });
      burst++;
    }
  }
  const huge = 5;
  for (let i = 0; i < huge; i++) records.push({ ts: now - (30 + i) * MINUTE + 250, dataset: 'vlogs-query', service: 'batch', level: 'warn', message: `huge payload ${i} ${'x'.repeat(10_000)}` });
  const lastHour = records.filter((r) => r.ts > now - 60 * MINUTE).length;
  return { records, api: 240 + burst, burst, lastHour, huge };
}

export interface VlogsQueryAnswer {
  summary: string;
  state: 'ok' | 'empty' | 'too_wide' | 'truncated';
  source: string;
  query: { logsql: string; start: string; end: string; limit: number; injected: string[] };
  total: number;
  lines_read: number;
  patterns_counted: 'exact' | 'in_lines_read';
  patterns: { template: string; count: number; share: number; services: { service: string; count: number }[]; levels: string[]; example: string }[];
  patterns_found: number;
  bursts: { bucket_seconds: number; typical_per_bucket: number; bursts: { status: string; onset: string; count: number }[]; truncated: boolean };
  lines: { time: string; message: string; service?: string; level?: string; fields?: Record<string, string> }[];
  hints?: string[];
  truncated: boolean;
}
