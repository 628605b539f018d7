import { TelemcpError } from '../core/errors.js';
import type { LogLabel } from '../core/log-labels.js';
import type { IngestRecord } from '../ingest/record.js';
import type { StoreConnection } from './connection.js';
import { buildFilter, inList, type Filter, type StoreQuery } from './filter.js';
import { readDatasets } from './info.js';
import { SEQ_MASK, clamp, keyRange, keysOf, type Span } from './keys.js';
import { messageGroups, type StoreMessageGroup } from './message-counts.js';
import type { Row } from './rows.js';
import { SEQ_BITS, SLOT_MS } from './schema.js';

/**
 * The store's reads: bounded statements on the time-ordered keys, the per-slot counts and the
 * FTS index (schema.ts says how they fit together). Counts are exact; records come in key
 * order, resumable by key while records keep arriving.
 */

/** The most records one searchPage returns. */
const MAX_PAGE = 1000;

/** A stored record, as searchPage returns it: unsanitised, the caller bounds what it shows. */
export interface StoredLog extends IngestRecord {
  /** Its place among the records of its millisecond: (ts, id) is unique and orders the store. */
  id: number;
}

/** Keyset position: the (ts, id) of the last record of the previous page. */
export interface PageKey {
  ts: number;
  id: number;
}

export interface SearchPageOptions {
  limit: number;
  order: 'desc' | 'asc';
  after?: PageKey;
}

export interface LogPage {
  records: StoredLog[];
  /** Present when more records follow: pass it as `after` for the next page. */
  next?: PageKey;
  scope: string;
  notes: string[];
}

/** Counts of one bucket (and one label value, or null for records outside the values asked for). */
export interface BucketCount {
  bucket: number;
  value: string | null;
  count: number;
}

const COLUMNS: Record<LogLabel, string> = { service: 'service', level: 'level', host: 'host' };
/** Qualified, so they read the same from logs alone and from logs joined to its FTS index. */
const RECORD_COLUMNS = `logs.id & ${SEQ_MASK} AS id, logs.ts AS ts, logs.dataset AS dataset, logs.service AS service, logs.level AS level, logs.message AS message, logs.trace_id AS trace_id, logs.host AS host, logs.attrs AS attrs`;
/** More bucket edges than this (tiny buckets over a long window) and the records are counted directly. */
const MAX_CUTS = 100_000;

/** A record as the store's statements read it: the written row's columns, with its id. */
type RecordRow = Omit<Row, 'cut'> & { id: number };

/**
 * Where a filter's records are read from, for keys within a range: the FROM … WHERE … text, its
 * parameters, the key to order by, and the record time as an expression.
 */
interface Access {
  sql: string;
  params: unknown[];
  key: string;
  ts: string;
}

/** What counts are grouped by (without one, nothing): a label's values among `values` (others null), or all of its values. */
interface Group {
  label: LogLabel;
  values?: string[];
}

/** Counts per group value (null: no value, or one outside the values asked for). */
type Counts = Map<string | null, number>;

function addCount(counts: Counts, value: string | null, n: number): void {
  if (n !== 0) counts.set(value, (counts.get(value) ?? 0) + n);
}

/** The part of a rollup slot between two cuts: in piece `piece` of the window, or outside it (-1). */
interface Segment {
  from: number;
  to: number;
  piece: number;
}

export class StoreQueries {
  constructor(private readonly conn: StoreConnection) {}

  /** The query as SQL conditions; invalid_input for a malformed scope. */
  filter(query: StoreQuery): Filter {
    return buildFilter(query, () => readDatasets(this.conn).map((d) => d.name));
  }

  count(f: Filter): number {
    const span = clamp(f.from, f.to);
    if (f.none || !span) return 0;
    return this.conn.guard(() => {
      if (rollupable(f)) return sum(this.rollupCounts(f, span, [])[0]);
      // Only exclusions: the window's count less the records holding an excluded word, neither read record by record.
      if (f.exclude !== undefined && ftsMatch(f) === undefined && f.traces === '') return this.count({ ...f, exclude: undefined }) - this.count({ ...f, exclude: undefined, include: f.exclude });
      const a = this.access(f, keysOf(span), false);
      return (this.conn.statement(`SELECT count(*) AS n ${a.sql}`).get(...a.params) as { n: number }).n;
    });
  }

  bucketCounts(f: Filter, start: number, bucketMs: number, by?: { label: LogLabel; values: string[] }): BucketCount[] {
    const span = clamp(f.from, f.to);
    if (f.none || !span) return [];
    return this.conn.guard(() => {
      // The edges between buckets: start + k·bucketMs within (from, to]. Callers start at the window's start or before it.
      const cuts: number[] = [];
      const first = Math.floor((span.from - start) / bucketMs) + 1;
      for (let c = start + first * bucketMs; c <= span.to && cuts.length <= MAX_CUTS; c += bucketMs) cuts.push(c);
      if (rollupable(f) && bucketMs >= SLOT_MS && cuts.length <= MAX_CUTS) {
        const out: BucketCount[] = [];
        this.rollupCounts(f, span, cuts, by).forEach((counts, piece) => {
          const bucket = Math.floor(((piece === 0 ? span.from : cuts[piece - 1]) - start) / bucketMs);
          for (const [value, count] of counts) if (count) out.push({ bucket, value, count });
        });
        return out;
      }
      const group = groupSql(by, 'raw');
      const count = (within: Span) => {
        const a = this.access(f, keysOf(within), by !== undefined);
        const sql = `SELECT (${a.ts} - CAST(? AS INTEGER)) / CAST(? AS INTEGER) AS bucket, ${group.sql} AS value, count(*) AS count ${a.sql} GROUP BY bucket, value`;
        return this.conn.statement(sql).all(start, bucketMs, ...group.params, ...a.params) as BucketCount[];
      };
      if (!rollupable(f)) return count(span);
      // Buckets narrower than a slot: the records are read, but only in the runs of slots holding a match.
      const out: BucketCount[] = [];
      for (const run of this.slotsWithMatches(f, span)) out.push(...count(run));
      return out;
    });
  }

  topValues(f: Filter, label: LogLabel, limit: number): { value: string; count: number }[] {
    const span = clamp(f.from, f.to);
    if (f.none || !span) return [];
    return this.conn.guard(() => {
      if (rollupable(f)) {
        const counts = [...this.rollupCounts(f, span, [], { label })[0]].flatMap(([value, count]) => (value === null || count <= 0 ? [] : [{ value, count }]));
        return counts.sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0)).slice(0, limit);
      }
      const column = COLUMNS[label];
      const a = this.access(f, keysOf(span), true);
      const sql = `SELECT logs.${column} AS value, count(*) AS count ${a.sql} AND logs.${column} IS NOT NULL GROUP BY logs.${column} ORDER BY count DESC, value LIMIT ?`;
      return this.conn.statement(sql).all(...a.params, limit) as { value: string; count: number }[];
    });
  }

  messageGroups(f: Filter, limit: number, keep: (g: StoreMessageGroup) => boolean): void {
    const span = clamp(f.from, f.to);
    if (f.none || !span) return;
    this.conn.guard(() => messageGroups(this.access(f, keysOf(span), true), (sql) => this.conn.statement(sql), limit, keep));
  }

  newest(f: Filter, limit: number, window = { from: f.from, to: f.to }): StoredLog[] {
    const span = clamp(window.from, window.to);
    if (f.none || !span) return [];
    return this.records(f, keysOf(span), 'DESC', limit);
  }

  searchPage(query: StoreQuery, opts: SearchPageOptions): LogPage {
    if (!Number.isInteger(opts.limit) || opts.limit < 1 || opts.limit > MAX_PAGE) {
      throw new TelemcpError('invalid_input', `limit ${opts.limit} is outside 1-${MAX_PAGE}.`, { hint: `Ask for at most ${MAX_PAGE} records per page and follow next.` });
    }
    if (opts.after && !(Number.isSafeInteger(opts.after.ts) && Number.isSafeInteger(opts.after.id))) {
      throw new TelemcpError('invalid_input', 'The page position is not a (ts, id) pair of integers.', { hint: 'Pass back the next value of the previous page unchanged.' });
    }
    const f = this.filter(query);
    const meta = { scope: f.scope, notes: f.notes };
    const span = clamp(f.from, f.to);
    if (f.none || !span) return { records: [], ...meta };
    const desc = opts.order === 'desc';
    // [fromTs, fromSeq, toTs, toSeq]: the position cuts the key range just past itself (seq ± 1 carries into the next millisecond by the arithmetic).
    const keys = keysOf(span);
    if (opts.after && desc && opts.after.ts <= span.to) keys.splice(2, 2, opts.after.ts, opts.after.id - 1);
    if (opts.after && !desc && opts.after.ts >= span.from) keys.splice(0, 2, opts.after.ts, opts.after.id + 1);
    // One more than the page tells whether another page follows.
    const rows = this.records(f, keys, desc ? 'DESC' : 'ASC', opts.limit + 1);
    const records = rows.slice(0, opts.limit);
    const last = records[records.length - 1];
    return rows.length > opts.limit ? { records, next: { ts: last.ts, id: last.id }, ...meta } : { records, ...meta };
  }

  /** Matching records within the key range, in key order, at most limit. */
  private records(f: Filter, keys: unknown[], dir: 'ASC' | 'DESC', limit: number): StoredLog[] {
    const a = this.access(f, keys, true);
    return (this.conn.guard(() => this.conn.statement(`SELECT ${RECORD_COLUMNS} ${a.sql} ORDER BY ${a.key} ${dir} LIMIT ?`).all(...a.params, limit)) as RecordRow[]).map(toStoredLog);
  }

  /**
   * How a filter's records within a key range are read:
   *  - with words or trace ids to look up, from the FTS index's matches in the key range (its
   *    rowids are the keys), joined to the records only when a label, the exact trace id or a
   *    record field is needed: counting a word per bucket reads the index alone;
   *  - with trace ids the index cannot find (no letter or digit in one), the key range's
   *    records, words checked per record;
   *  - otherwise the key range's records, words to exclude as one set of the range's matches.
   */
  private access(f: Filter, keys: unknown[], needRecords: boolean): Access {
    const match = ftsMatch(f);
    if (match !== undefined) {
      const join = needRecords || f.labels !== '' || f.traces !== '';
      return {
        sql: `FROM logs_fts${join ? ' JOIN logs ON logs.id = logs_fts.rowid' : ''} WHERE logs_fts MATCH ? AND ${keyRange('logs_fts.rowid')}${f.labels}${f.traces}`,
        params: [match, ...keys, ...f.labelParams, ...f.traceParams],
        key: 'logs_fts.rowid',
        ts: join ? 'logs.ts' : `(logs_fts.rowid >> ${SEQ_BITS})`,
      };
    }
    if (f.traces !== '') {
      const text = f.exclude === undefined ? '' : ' AND NOT EXISTS (SELECT 1 FROM logs_fts WHERE logs_fts MATCH ? AND logs_fts.rowid = logs.id)';
      return {
        sql: `FROM logs WHERE ${keyRange('logs.id')}${f.labels}${f.traces}${text}`,
        params: [...keys, ...f.labelParams, ...f.traceParams, ...(f.exclude === undefined ? [] : [f.exclude])],
        key: 'logs.id',
        ts: 'logs.ts',
      };
    }
    if (f.exclude !== undefined) {
      return {
        sql: `FROM logs WHERE ${keyRange('logs.id')}${f.labels} AND logs.id NOT IN (SELECT rowid FROM logs_fts WHERE logs_fts MATCH ? AND ${keyRange('rowid')})`,
        params: [...keys, ...f.labelParams, f.exclude, ...keys],
        key: 'logs.id',
        ts: 'logs.ts',
      };
    }
    return { sql: `FROM logs WHERE ${keyRange('logs.id')}${f.labels}`, params: [...keys, ...f.labelParams], key: 'logs.id', ts: 'logs.ts' };
  }

  /**
   * Counts of a filter without trace ids or words (rollupable) in each piece of the span, the
   * span being cut at `cuts` (ascending, each within (from, to]): piece i runs from cut i−1 (or
   * the span's start) to just before cut i (or the span's end). A slot of logs_rollup that lies
   * in one piece adds its counts as they are. A slot that a cut or the span's edge runs through
   * is split into segments, and its records are counted per segment, but not all of them: the
   * longest segment inside the span is the slot's count less the others, when those others
   * (segments outside the span included) are shorter than what is inside. So at most half a
   * slot's records are read per cut, whatever the window, and the counts stay exact.
   */
  private rollupCounts(f: Filter, span: Span, cuts: number[], group?: Group): Counts[] {
    const out: Counts[] = Array.from({ length: cuts.length + 1 }, () => new Map());
    const slotGroup = groupSql(group, 'rollup');
    // Grouped by slot alone, the rows come in key order and need no sort.
    const rows = this.conn.statement(`SELECT slot, ${slotGroup.sql} AS value, sum(n) AS n FROM logs_rollup WHERE slot BETWEEN ? AND ?${f.labels} GROUP BY slot${group ? ', value' : ''}`).all(
      ...slotGroup.params,
      Math.floor(span.from / SLOT_MS),
      Math.floor(span.to / SLOT_MS),
      ...f.labelParams,
    ) as { slot: number; value: string | null; n: number }[];
    const slots = new Map<number, Counts>();
    for (const r of rows) {
      let counts = slots.get(r.slot);
      if (!counts) slots.set(r.slot, (counts = new Map()));
      addCount(counts, r.value, r.n);
    }
    const recordGroup = groupSql(group, 'raw');
    const segmentCounts = this.conn.statement(`SELECT ${recordGroup.sql} AS value, count(*) AS n FROM logs WHERE ${keyRange('id')}${f.labels} GROUP BY value`);
    const countSegment = (s: Segment) => segmentCounts.all(...recordGroup.params, s.from, 0, s.to, SEQ_MASK, ...f.labelParams) as { value: string | null; n: number }[];
    // The piece holding time t: how many cuts are at or before it.
    const pieceOf = (t: number) => {
      let lo = 0;
      let hi = cuts.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cuts[mid] <= t) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    for (const [slot, counts] of slots) {
      const start = slot * SLOT_MS;
      const end = start + SLOT_MS - 1;
      const piece = pieceOf(start);
      if (start >= span.from && end <= span.to && pieceOf(end) === piece) {
        for (const [value, n] of counts) addCount(out[piece], value, n);
        continue;
      }
      const edges = [start];
      for (let i = piece; i < cuts.length && cuts[i] <= end; i++) if (cuts[i] > start) edges.push(cuts[i]);
      if (span.from > start && span.from <= end) edges.push(span.from);
      if (span.to < end && span.to >= start) edges.push(span.to + 1);
      edges.sort((a, b) => a - b);
      const segments: Segment[] = [];
      edges.forEach((from, i) => {
        const to = (i + 1 < edges.length ? edges[i + 1] : end + 1) - 1;
        if (to >= from) segments.push({ from, to, piece: from >= span.from && to <= span.to ? pieceOf(from) : -1 });
      });
      const inside = segments.filter((s) => s.piece >= 0);
      const longest = inside.reduce((a, s) => (s.to - s.from > a.to - a.from ? s : a), inside[0]);
      const insideMs = inside.reduce((a, s) => a + s.to - s.from + 1, 0);
      const derive = SLOT_MS - (longest.to - longest.from + 1) < insideMs;
      const counted: Counts = new Map();
      for (const s of segments) {
        if (derive ? s === longest : s.piece < 0) continue;
        for (const { value, n } of countSegment(s)) {
          if (s.piece >= 0) addCount(out[s.piece], value, n);
          addCount(counted, value, n);
        }
      }
      if (derive) for (const [value, n] of counts) addCount(out[longest.piece], value, n - (counted.get(value) ?? 0));
    }
    return out;
  }

  /** The parts of the span whose slots hold a record of the (rollupable) filter: consecutive such slots make one part. */
  private slotsWithMatches(f: Filter, span: Span): Span[] {
    const slots = this.conn.statement(`SELECT DISTINCT slot FROM logs_rollup WHERE slot BETWEEN ? AND ?${f.labels} ORDER BY slot`)
      .pluck()
      .all(Math.floor(span.from / SLOT_MS), Math.floor(span.to / SLOT_MS), ...f.labelParams) as number[];
    const runs: Span[] = [];
    for (const slot of slots) {
      const last = runs[runs.length - 1];
      const start = Math.max(span.from, slot * SLOT_MS);
      const end = Math.min(span.to, slot * SLOT_MS + SLOT_MS - 1);
      if (last && last.to + 1 === start) last.to = end;
      else runs.push({ from: start, to: end });
    }
    return runs;
  }
}

/** A filter the per-slot counts can answer: labels only. */
function rollupable(f: Filter): boolean {
  return f.traces === '' && f.include === undefined && f.exclude === undefined;
}

/** The FTS5 expression of what a filter looks up: its words and trace ids, less the excluded words; undefined when it looks nothing up. */
function ftsMatch(f: Filter): string | undefined {
  const find = [f.include, f.traceMatch].filter((e) => e !== undefined);
  if (find.length === 0) return undefined;
  const all = find.length === 1 ? find[0] : `(${find.join(') AND (')})`;
  return f.exclude === undefined ? all : `(${all}) NOT (${f.exclude})`;
}

function sum(counts: Counts): number {
  let n = 0;
  for (const c of counts.values()) n += c;
  return n;
}

/**
 * The group value as SQL over logs (`raw`) or logs_rollup (`rollup`, where a missing label is
 * ''): NULL without a group; the label when among the values asked for, else NULL; or the label
 * itself (NULL when missing) when every value is asked for.
 */
function groupSql(group: Group | undefined, table: 'raw' | 'rollup'): { sql: string; params: unknown[] } {
  if (!group) return { sql: 'NULL', params: [] };
  const column = table === 'raw' ? `logs.${COLUMNS[group.label]}` : COLUMNS[group.label];
  if (group.values) {
    const list = inList(column, group.values);
    return { sql: `CASE WHEN ${list.sql} THEN ${column} END`, params: list.params };
  }
  return { sql: table === 'raw' ? column : `NULLIF(${column}, '')`, params: [] };
}

function toStoredLog(r: RecordRow): StoredLog {
  const log: StoredLog = { id: r.id, ts: r.ts, dataset: r.dataset, message: r.message };
  if (r.service !== null) log.service = r.service;
  if (r.level !== null) log.level = r.level;
  if (r.trace_id !== null) log.traceId = r.trace_id;
  if (r.host !== null) log.host = r.host;
  if (r.attrs !== null) log.attrs = JSON.parse(r.attrs) as StoredLog['attrs'];
  return log;
}
