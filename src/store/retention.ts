import type Database from 'better-sqlite3';
import type { StoreConnection } from './connection.js';
import { SEQ_BITS, SLOT_MS } from './schema.js';

/**
 * Retention counts from when a record was stored (`stored_at`), never from its own time: a log
 * from 2005 loaded today is as new to the store as one written today, and deleting it at the
 * next start would lose what a user just loaded. What each pass deletes is kept in
 * `store_meta`, so the banner, telemcp_status and the metrics can report every deletion.
 */

export interface RetentionPass {
  /** Epoch ms the pass ended. */
  at: number;
  deleted: number;
  /** Records deleted per dataset, most first. */
  datasets: { name: string; deleted: number }[];
}

export interface RetentionReport {
  /** Records deleted by retention since the store was created (or upgraded to version 3). */
  deletedTotal: number;
  /** The last pass that deleted anything. */
  lastPass?: RetentionPass;
}

export interface PruneResult {
  deleted: number;
  chunks: number;
  /** Records deleted per dataset, most first. */
  datasets: { name: string; deleted: number }[];
}

type Statements = (sql: string) => Database.Statement;

/** Retention deletes this many rows per transaction, then lets queries and writes run. */
const PRUNE_CHUNK = 5000;

const CHUNK = 'SELECT id FROM temp.prune_chunk';
const LABELS = `coalesce(service, '') AS service, coalesce(level, '') AS level, coalesce(host, '') AS host`;
/** A slot's key range, as keyRange in keys.ts: the slot's first and last millisecond. */
const SLOT_KEYS = `id BETWEEN (CAST(? AS INTEGER) << ${SEQ_BITS}) AND ((CAST(? AS INTEGER) + 1) << ${SEQ_BITS}) - 1`;

/** The temporary table one chunk's ids are collected in; created once per writing connection. */
export function preparePruning(db: Database.Database): void {
  db.exec('CREATE TEMP TABLE IF NOT EXISTS prune_chunk (id INTEGER PRIMARY KEY)');
}

/** Deletes what retention finds due, one pass at a time, and keeps the report of what it deleted. */
export class Pruner {
  private pruning?: Promise<PruneResult>;

  constructor(
    private readonly conn: StoreConnection,
    private readonly now: () => number,
  ) {}

  /**
   * Deletes records stored before `storedBefore` (epoch ms), `chunkRows` per transaction,
   * yielding between chunks so that writes and reads waiting on this thread run in between. A
   * second caller waits for the running pass instead of deleting alongside it.
   */
  async prune(storedBefore: number, chunkRows = PRUNE_CHUNK): Promise<PruneResult> {
    if (this.pruning) return this.pruning;
    this.pruning = this.run(storedBefore, chunkRows);
    try {
      return await this.pruning;
    } finally {
      this.pruning = undefined;
    }
  }

  report(): RetentionReport {
    return this.conn.guard(() => readRetentionReport((sql) => this.conn.statement(sql)));
  }

  private async run(storedBefore: number, chunkRows: number): Promise<PruneResult> {
    const statement = (sql: string) => this.conn.statement(sql);
    const perDataset = new Map<string, number>();
    let deleted = 0;
    let chunks = 0;
    for (;;) {
      const chunk = this.conn.guard(() => pruneStoredChunk(this.conn.db, statement, storedBefore, chunkRows));
      let n = 0;
      for (const [name, count] of chunk) {
        perDataset.set(name, (perDataset.get(name) ?? 0) + count);
        n += count;
      }
      deleted += n;
      if (n > 0) chunks++;
      if (n < chunkRows) break;
      await new Promise((r) => setImmediate(r));
      if (this.conn.closed) break;
    }
    const datasets = [...perDataset].map(([name, n]) => ({ name, deleted: n })).sort((a, b) => b.deleted - a.deleted || a.name.localeCompare(b.name));
    if (deleted > 0 && !this.conn.closed) this.conn.guard(() => recordRetentionPass(this.conn.db, statement, { at: this.now(), deleted, datasets }));
    return { deleted, chunks, datasets };
  }
}

/**
 * One transaction: the `chunkRows` records stored longest ago, before `storedBefore`, leave the
 * table, the FTS index, the slot counts and the dataset summaries together. Returns what it
 * deleted per dataset (empty when nothing was due).
 */
function pruneStoredChunk(db: Database.Database, statement: Statements, storedBefore: number, chunkRows: number): Map<string, number> {
  const collect = statement(`INSERT INTO temp.prune_chunk (id) SELECT id FROM logs WHERE stored_at < ? ORDER BY stored_at LIMIT ?`);
  const clear = statement('DELETE FROM temp.prune_chunk');
  const perDataset = statement(`SELECT dataset, count(*) AS n FROM logs WHERE id IN (${CHUNK}) GROUP BY dataset`);
  const unindex = statement(`INSERT INTO logs_fts (logs_fts, rowid, message, trace_id) SELECT 'delete', id, message, trace_id FROM logs WHERE id IN (${CHUNK})`);
  const uncount = statement(
    `UPDATE logs_rollup SET n = logs_rollup.n - d.n
     FROM (SELECT ts / ${SLOT_MS} AS slot, dataset, ${LABELS}, count(*) AS n FROM logs WHERE id IN (${CHUNK}) GROUP BY 1, 2, 3, 4, 5) AS d
     WHERE logs_rollup.slot = d.slot AND logs_rollup.dataset = d.dataset AND logs_rollup.service = d.service AND logs_rollup.level = d.level AND logs_rollup.host = d.host`,
  );
  const dropCounts = statement(
    `DELETE FROM logs_rollup WHERE n <= 0 AND (slot, dataset, service, level, host) IN
     (SELECT DISTINCT ts / ${SLOT_MS}, dataset, coalesce(service, ''), coalesce(level, ''), coalesce(host, '') FROM logs WHERE id IN (${CHUNK}))`,
  );
  const remove = statement(`DELETE FROM logs WHERE id IN (${CHUNK})`);
  const edgeSlots = statement('SELECT min(slot) AS first, max(slot) AS last FROM logs_rollup WHERE dataset = ?');
  const slotTimes = statement(`SELECT min(ts) AS first, max(ts) AS last FROM logs WHERE ${SLOT_KEYS} AND dataset = ?`);
  const shrink = statement('UPDATE datasets SET records = records - ?, first_ts = coalesce(?, first_ts), last_ts = coalesce(?, last_ts) WHERE name = ?');
  const drop = statement('DELETE FROM datasets WHERE records <= 0');
  return db
    .transaction(() => {
      clear.run();
      collect.run(Math.floor(storedBefore), chunkRows);
      const deleted = new Map((perDataset.all() as { dataset: string; n: number }[]).map((r) => [r.dataset, r.n]));
      if (deleted.size === 0) return deleted;
      unindex.run();
      uncount.run();
      dropCounts.run();
      remove.run();
      clear.run();
      for (const [dataset, n] of deleted) {
        const edges = edgeSlots.get(dataset) as { first: number | null; last: number | null };
        const first = edges.first === null ? null : (slotTimes.get(edges.first * SLOT_MS, edges.first * SLOT_MS + SLOT_MS - 1, dataset) as { first: number | null }).first;
        const last = edges.last === null ? null : (slotTimes.get(edges.last * SLOT_MS, edges.last * SLOT_MS + SLOT_MS - 1, dataset) as { last: number | null }).last;
        shrink.run(n, first, last, dataset);
      }
      drop.run();
      return deleted;
    })
    .immediate();
}

const TOTAL_KEY = 'retention_deleted_total';
const LAST_KEY = 'retention_last_pass';

/** Adds a pass that deleted records to the report kept in the store. */
function recordRetentionPass(db: Database.Database, statement: Statements, pass: RetentionPass): void {
  const put = statement('INSERT INTO store_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
  db.transaction(() => {
    const total = readRetentionReport(statement).deletedTotal + pass.deleted;
    put.run(TOTAL_KEY, String(total));
    put.run(LAST_KEY, JSON.stringify(pass));
  }).immediate();
}

function readRetentionReport(statement: Statements): RetentionReport {
  const rows = statement('SELECT key, value FROM store_meta WHERE key IN (?, ?)').all(TOTAL_KEY, LAST_KEY) as { key: string; value: string }[];
  const values = new Map(rows.map((r) => [r.key, r.value]));
  const last = values.get(LAST_KEY);
  return { deletedTotal: Number(values.get(TOTAL_KEY) ?? 0), ...(last ? { lastPass: JSON.parse(last) as RetentionPass } : {}) };
}

/** "2026-12-07T02:00:00.000Z: 12,000 from old (11,000), app (1,000)" — the first three datasets named. */
export function describeRetentionPass(pass: RetentionPass): string {
  const named = pass.datasets.slice(0, 3).map((d) => `${d.name} (${d.deleted.toLocaleString('en-US')})`);
  const more = pass.datasets.length > 3 ? `, +${pass.datasets.length - 3} more dataset(s)` : '';
  return `${new Date(pass.at).toISOString()}: ${pass.deleted.toLocaleString('en-US')} from ${named.join(', ')}${more}`;
}
