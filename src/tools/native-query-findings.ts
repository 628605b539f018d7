import { z } from 'zod';
import { gridFor } from '../analysis/correlate/events.js';
import type { LogRecord } from '../backends/capabilities.js';
import { sanitizeText } from '../security/sanitize.js';
import { runAnalysis } from './analysis-thread.js';
import { burstOut, toBurstOut } from './logs/burst-output.js';

/**
 * What the native query tools (vlogs_query, loki_query) make of the lines a raw query returns,
 * so an agent that runs one still gets findings: the exact total, the patterns of the lines
 * read, bursts over exact counts per bucket of the whole window, a few lines, and the state
 * their hints explain. Each tool's guard supplies the reads; only the wording of the hints and
 * what a line carries beside its message differ per backend.
 */

/** Matches above this many times the lines read make a "too wide" answer. */
const TOO_WIDE_FACTOR = 10;
/** Characters of a sample line's message, the cut mark included. */
const SAMPLE_MESSAGE_CHARS = 500;

export type QueryState = 'ok' | 'empty' | 'too_wide' | 'truncated';

export const iso = (ms: number): string => new Date(ms).toISOString();

/** What a guard approved for a query of lines: its window and line limit, and the reads. */
export interface ApprovedLines<Row extends { record: LogRecord }> {
  start: number;
  end: number;
  limit: number;
  /** The newest `limit` lines. */
  lines(signal: AbortSignal): Promise<Row[]>;
  /** Every match of the window, exact. */
  count(signal: AbortSignal): Promise<number>;
  /** Exact matches per bucket of `bucketMs` from `startMs`. */
  histogram(startMs: number, bucketMs: number, buckets: number, signal: AbortSignal): Promise<number[]>;
}

const sampleLine = z.object({ time: z.string(), message: z.string(), service: z.string().optional(), level: z.string().optional() });

/** The output fields of the findings, for the tools' schemas; `extra` is what a line carries beside its message. */
export function findingsShape<E extends z.ZodRawShape>(extra: E) {
  return {
    total: z.number(),
    lines_read: z.number(),
    patterns_counted: z.enum(['exact', 'in_lines_read']),
    patterns: z.array(
      z.object({
        template: z.string(),
        count: z.number(),
        share: z.number(),
        first_seen: z.string().optional(),
        last_seen: z.string().optional(),
        services: z.array(z.object({ service: z.string(), count: z.number() })),
        levels: z.array(z.string()),
        example: z.string(),
      }),
    ),
    patterns_found: z.number(),
    bursts: z.object({ bucket_seconds: z.number(), typical_per_bucket: z.number(), bursts: z.array(burstOut), truncated: z.boolean() }),
    lines: z.array(sampleLine.extend(extra)),
  };
}

export interface FindingsOptions<Row> {
  topPatterns: number;
  sampleLines: number;
  /** What the answer calls a match: VictoriaLogs keeps records, Loki lines. */
  noun: 'records' | 'lines';
  /** What a sample line carries beside its message (`fields`, `labels`), empty when nothing. */
  lineExtra: (row: Row) => Record<string, unknown>;
  hints: (state: QueryState, total: number) => string[];
}

/** The findings of a query of lines, summary first; every count but the patterns' (see patterns_counted) covers the whole window. */
export async function linesFindings<Row extends { record: LogRecord }>(a: ApprovedLines<Row>, opts: FindingsOptions<Row>, signal: AbortSignal) {
  const grid = gridFor(a.start, a.end);
  const [read, total, counts] = await Promise.all([a.lines(signal), a.count(signal), a.histogram(grid.startMs, grid.bucketMs, grid.buckets, signal)]);
  const records = read.map((l) => l.record);
  const sample = { records, total: records.length, totalExact: true, strategy: 'newest' as const, scope: '*', partial: false, notes: [] };
  const [mined, found] = await Promise.all([
    records.length ? runAnalysis('samplePatterns', { sample, topN: opts.topPatterns }, signal) : Promise.resolve({ patterns: [], found: 0 }),
    runAnalysis('detectBursts', { series: { startMs: grid.startMs, bucketMs: grid.bucketMs, counts } }, signal),
  ]);
  const patterns = mined.patterns.map(({ values: _v, trace_id: _t, ...p }) => p);
  const exact = records.length >= total;
  const state: QueryState = total === 0 ? 'empty' : total > TOO_WIDE_FACTOR * a.limit ? 'too_wide' : exact ? 'ok' : 'truncated';
  const lines = read.slice(0, opts.sampleLines).map((row) => {
    const r = row.record;
    const extra = opts.lineExtra(row);
    return {
      time: iso(r.ts),
      message: sanitizeText(r.message, SAMPLE_MESSAGE_CHARS - 1).text,
      ...(r.service !== undefined ? { service: r.service } : {}),
      ...(r.level !== undefined ? { level: r.level } : {}),
      ...(Object.keys(extra).length ? extra : {}),
    };
  });
  const top = patterns[0];
  const ongoing = found.ongoing;
  const summary = [
    `${total} ${opts.noun} match between ${iso(a.start)} and ${iso(a.end)} (exact); read the newest ${records.length}.`,
    top ? `${mined.found} patterns${exact ? '' : ` in the ${records.length} lines read`}; top: "${sanitizeText(top.template, 160).text}" ×${top.count}.` : '',
    ongoing
      ? `Ongoing burst since ${iso(ongoing.onsetMs)}: ${ongoing.count} ${opts.noun}, ${ongoing.ratio}× the baseline.`
      : found.bursts.length
        ? `${found.bursts.length} burst(s), the last from ${iso(found.bursts.at(-1)!.onsetMs)}, resolved.`
        : total
          ? `No burst (about ${found.level} per ${grid.bucketMs / 1000}s bucket).`
          : '',
    state === 'empty' ? 'Nothing matched: see hints.' : state === 'too_wide' ? 'Too wide to read in full: see hints to narrow.' : '',
  ]
    .filter(Boolean)
    .join(' ');
  const hints = opts.hints(state, total);
  return {
    summary,
    state,
    findings: {
      total,
      lines_read: records.length,
      patterns_counted: exact ? ('exact' as const) : ('in_lines_read' as const),
      patterns,
      patterns_found: mined.found,
      bursts: { bucket_seconds: grid.bucketMs / 1000, typical_per_bucket: found.level, bursts: found.bursts.map(toBurstOut), truncated: found.truncated },
      lines,
    },
    hints,
    truncated: !exact || read.length > lines.length,
  };
}
