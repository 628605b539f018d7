import { randomInt } from 'node:crypto';
import { TelemcpError } from '../core/errors.js';
import type { IngestRecord } from '../ingest/record.js';
import type { StoreConnection } from './connection.js';
import { errorCode } from './errors.js';
import { SEQ_MASK, keyRange } from './keys.js';
import { toRow, type Row } from './rows.js';
import { SEQ_BITS, SLOT_MS } from './schema.js';

/**
 * How records get into the store: a batch is one transaction, committed and synced before
 * write() returns (which is what makes acknowledging it safe), its records keyed by time
 * (schema.ts), indexed for text search, and added to the per-slot counts and dataset summaries
 * in the same transaction. Bad records are refused one by one, never the batch.
 */

/** The most records one write commits: a larger batch would hold the writer too long. */
export const MAX_BATCH = 10_000;

export interface WriteResult {
  /** Records committed (durable). */
  stored: number;
  /** Stored records whose message was cut to 32 KiB. */
  truncated: number;
  /** Records refused, by their index in the batch; the others are stored. */
  rejected: { index: number; reason: string }[];
}

/** One logs_rollup row's worth of a batch: its records in one slot with one set of labels ('' for none). */
interface SlotCount {
  slot: number;
  dataset: string;
  service: string;
  level: string;
  host: string;
  n: number;
}

export class RecordWriter {
  /**
   * The next key's sequence number. Records of one millisecond take successive numbers, so they
   * keep the order they were written in; it starts at random so that a restarted writer does not
   * hand out the numbers of the records already stored for the same milliseconds (re-ingesting a
   * file), and a number already taken is replaced by the next free one (freeSeq).
   */
  private seq = randomInt(SEQ_MASK + 1);

  constructor(
    private readonly conn: StoreConnection,
    /** The clock records are stamped `stored_at` with. */
    private readonly now: () => number,
  ) {}

  write(records: readonly IngestRecord[]): WriteResult {
    if (records.length > MAX_BATCH) {
      throw new TelemcpError('invalid_input', `A batch of ${records.length} records is more than the ${MAX_BATCH} one write may hold.`, { hint: `Write at most ${MAX_BATCH} records at a time.` });
    }
    const rows: { row: Row; index: number }[] = [];
    const rejected: WriteResult['rejected'] = [];
    records.forEach((record, index) => {
      const row = toRow(record);
      if (typeof row === 'string') rejected.push({ index, reason: row });
      else rows.push({ row, index });
    });
    let stored = rows;
    if (rows.length) {
      const full = this.conn.guard(() => this.insert(rows));
      if (full.size) {
        stored = rows.filter((r) => !full.has(r.index));
        for (const index of full) rejected.push({ index, reason: `more than ${SEQ_MASK + 1} records in one millisecond` });
        rejected.sort((a, b) => a.index - b.index);
      }
    }
    return { stored: stored.length, truncated: stored.filter((r) => r.row.cut).length, rejected };
  }

  /** Every batch in one transaction: all of them are stored, or (on any failure) none. */
  writeAll(batches: ReadonlyArray<readonly IngestRecord[]>): WriteResult[] {
    // Each batch's own transaction becomes a savepoint inside this one.
    return this.conn.guard(() => this.conn.db.transaction(() => batches.map((b) => this.write(b))).immediate());
  }

  /**
   * One transaction: the records in key order, their messages and trace ids into the FTS
   * index, then the batch's slot counts and dataset summaries. Key order matters to FTS5: a
   * rowid lower than the one before makes it flush its pending terms into a segment of their own
   * (bench/embedded: an unsorted batch of the seed's interleaved requests cost 1.8x). The batch's
   * tail past every stored key is indexed by one statement; only records before it (which may
   * find their key taken) are indexed one by one: an ECS file whose batches overlap by a few
   * milliseconds went from one statement per record to a handful. Returns the records that
   * found no free key.
   */
  private insert(rows: { row: Row; index: number }[]): Set<number> {
    const insert = this.conn.statement(
      `INSERT INTO logs (id, ts, dataset, service, level, message, trace_id, host, attrs, stored_at) VALUES ((CAST(? AS INTEGER) << ${SEQ_BITS}) + CAST(? AS INTEGER), ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const index = this.conn.statement(`INSERT INTO logs_fts (rowid, message, trace_id) VALUES ((CAST(? AS INTEGER) << ${SEQ_BITS}) + CAST(? AS INTEGER), ?, ?)`);
    const indexFrom = this.conn.statement('INSERT INTO logs_fts (rowid, message, trace_id) SELECT id, message, trace_id FROM logs WHERE id >= ?');
    const lastKey = this.conn.statement('SELECT max(id) FROM logs').safeIntegers(true).pluck();
    const count = this.conn.statement(
      'INSERT INTO logs_rollup (slot, dataset, service, level, host, n) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET n = n + excluded.n',
    );
    const summarise = this.conn.statement(
      `INSERT INTO datasets (name, records, first_ts, last_ts) VALUES (?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET records = records + excluded.records, first_ts = min(first_ts, excluded.first_ts), last_ts = max(last_ts, excluded.last_ts)`,
    );
    const sorted = [...rows].sort((a, b) => a.row.ts - b.row.ts || a.index - b.index);
    const storedAt = Math.floor(this.now());
    // Records of one millisecond take successive numbers in the order they came.
    const seqs = sorted.map(() => {
      const seq = this.seq;
      this.seq = (this.seq + 1) & SEQ_MASK;
      return seq;
    });
    // IMMEDIATE takes the write lock up front, so the batch never fails half-way on a lock upgrade.
    return this.conn.db
      .transaction(() => {
        const full = new Set<number>();
        const last = lastKey.get() as bigint | null;
        const lastTs = last === null ? -1 : Number(last >> BigInt(SEQ_BITS));
        const lastSeq = last === null ? -1 : Number(last & BigInt(SEQ_MASK));
        const after = (ts: number, seq: number, thanTs: number, thanSeq: number) => ts > thanTs || (ts === thanTs && seq > thanSeq);
        // The tail: the sorted records from `tail` on, whose keys are past every stored key and
        // rise (a sequence number wrapping within a millisecond ends it). Those keys cannot be
        // taken. Records arriving in time order are all tail; a batch starting a little before
        // the previous one ended (requests logged out of order) is all tail but its first few.
        let tail = sorted.length;
        while (tail > 0 && after(sorted[tail - 1].row.ts, seqs[tail - 1], lastTs, lastSeq) && (tail === sorted.length || after(sorted[tail].row.ts, seqs[tail], sorted[tail - 1].row.ts, seqs[tail - 1]))) tail--;
        // The head's keys as they end up (a taken one is replaced), the highest of them kept.
        let headTs = -1;
        let headSeq = -1;
        const put = (i: number, free: boolean): boolean => {
          const { row: r, index: at } = sorted[i];
          let seq: number | undefined = seqs[i];
          for (;;) {
            try {
              insert.run(r.ts, seq, r.ts, r.dataset, r.service, r.level, r.message, r.trace_id, r.host, r.attrs, storedAt);
              break;
            } catch (err) {
              if (free || errorCode(err) !== 'SQLITE_CONSTRAINT_PRIMARYKEY') throw err;
              seq = this.freeSeq(r.ts);
              if (seq === undefined) {
                full.add(at);
                return false;
              }
            }
          }
          if (!free) index.run(r.ts, seq, r.message, r.trace_id);
          if (i < tail && after(r.ts, seq, headTs, headSeq)) [headTs, headSeq] = [r.ts, seq];
          return true;
        };
        for (let i = 0; i < tail; i++) put(i, false);
        if (tail < sorted.length) {
          // With every head key below the tail's first, the tail's keys are the only ones from
          // there on: they go in as they are and one statement indexes them all, in key order.
          const bulk = after(sorted[tail].row.ts, seqs[tail], headTs, headSeq);
          for (let i = tail; i < sorted.length; i++) put(i, bulk);
          if (bulk) indexFrom.run((BigInt(sorted[tail].row.ts) << BigInt(SEQ_BITS)) + BigInt(seqs[tail]));
        }
        const slots = new Map<string, SlotCount>();
        const perDataset = new Map<string, { records: number; first: number; last: number }>();
        // Neighbours in time mostly share their slot and labels: those add to the previous count without a key lookup.
        let c: SlotCount | undefined;
        for (const { row: r, index: at } of sorted) {
          if (full.size && full.has(at)) continue;
          const slot = Math.floor(r.ts / SLOT_MS);
          const service = r.service ?? '';
          const level = r.level ?? '';
          const host = r.host ?? '';
          if (c && c.slot === slot && c.dataset === r.dataset && c.service === service && c.level === level && c.host === host) c.n++;
          else {
            const key = `${slot}\u0000${r.dataset}\u0000${service}\u0000${level}\u0000${host}`;
            c = slots.get(key);
            if (c) c.n++;
            else slots.set(key, (c = { slot, dataset: r.dataset, service, level, host, n: 1 }));
          }
          const s = perDataset.get(r.dataset);
          if (s) {
            s.records++;
            s.last = r.ts;
          } else perDataset.set(r.dataset, { records: 1, first: r.ts, last: r.ts });
        }
        for (const c of slots.values()) count.run(c.slot, c.dataset, c.service, c.level, c.host, c.n);
        for (const [name, s] of perDataset) summarise.run(name, s.records, s.first, s.last);
        return full;
      })
      .immediate();
  }

  /**
   * A sequence number free in this millisecond: after the highest one taken (the record keeps
   * its place after the others), else before the lowest, else the first gap; none when all 2^20
   * are taken.
   */
  private freeSeq(ts: number): number | undefined {
    const ends = this.conn.statement(`SELECT (max(id) & ${SEQ_MASK}) + 1 AS above, (min(id) & ${SEQ_MASK}) - 1 AS below FROM logs WHERE ${keyRange('id')}`).get(ts, 0, ts, SEQ_MASK) as {
      above: number;
      below: number;
    };
    if (ends.above <= SEQ_MASK) return ends.above;
    if (ends.below >= 0) return ends.below;
    const gap = this.conn.statement(
      `SELECT (a.id & ${SEQ_MASK}) + 1 FROM logs AS a WHERE ${keyRange('a.id')} AND NOT EXISTS (SELECT 1 FROM logs AS b WHERE b.id = a.id + 1) AND (a.id & ${SEQ_MASK}) < ${SEQ_MASK} LIMIT 1`,
    )
      .pluck()
      .get(ts, 0, ts, SEQ_MASK) as number | undefined;
    return gap;
  }
}
