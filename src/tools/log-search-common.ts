import { z } from 'zod';
import { MAX_CURSOR_CHARS } from '../backends/elasticsearch/log-search.js';

/**
 * What elk_search_logs and logs_search (its form with a `source` argument) share, so the two
 * read the same arguments and answer in the same shape and words: the filter and paging inputs,
 * the hit and its bounds, the summary line, and the hint when nothing matched. Both answer
 * through the same LogSource code (logs/search-page.ts).
 */

/** A hit's message, and its other values, at most. */
export const HIT_MESSAGE_CHARS = 500;
export const HIT_VALUE_CHARS = 200;

export const NO_CONTROL = /^[^\u0000-\u001f\u007f]+$/;
const levelName = z.string().regex(/^[A-Za-z]{1,20}$/, 'a level name such as error, warn or info');

export const logFilterInput = {
  trace_id: z.string().min(1).max(128).regex(NO_CONTROL).optional().describe('Follow one request across services'),
  log_level: z.union([levelName, z.array(levelName).min(1).max(10)]).optional().describe('e.g. error or [error, warn]; any case'),
  query: z.string().min(1).max(512).regex(NO_CONTROL).optional().describe('Message words, all required; "phrase", -not, a|b, prefix*'),
};

export const logPageInput = {
  limit: z.number().int().min(1).max(100).default(20),
  sort: z.enum(['desc', 'asc']).default('desc'),
  cursor: z.string().min(1).max(MAX_CURSOR_CHARS).optional().describe('next_cursor of the previous call, same arguments'),
};

/** log_level as a sorted set of lowercase names: [Error, warn] and [warn, error] are one search, with one cursor. */
export function levelList(level: string | string[] | undefined): string[] | undefined {
  return level === undefined ? undefined : [...new Set([level].flat().map((l) => l.toLowerCase()))].sort();
}

export const searchHitOut = z.object({
  time: z.string(),
  index: z.string(),
  service: z.string().optional(),
  level: z.string().optional(),
  message: z.string().optional(),
  message_truncated: z.boolean().optional(),
  trace_id: z.string().optional(),
});

/** The page both search tools answer with, around their hit; each extends it with what it alone says (source, fields_used). */
export function searchPageOut<H extends z.ZodType>(hit: H) {
  return z.object({
    summary: z.string(),
    window: z.object({ start: z.string(), end: z.string(), server_now: z.string() }),
    total: z.number(),
    total_relation: z.enum(['eq', 'gte']),
    hits: z.array(hit),
    truncated: z.boolean(),
    next_cursor: z.string().optional(),
    hint: z.string().optional(),
    partial: z.boolean().optional(),
    notes: z.array(z.string()).optional(),
  });
}

export interface PageSummary {
  shown: number;
  offset: number;
  total: number;
  relation: 'eq' | 'gte';
  scope: string;
  filters: string;
  window: { start: string; end: string };
  more: boolean;
}

/** `logs 21-40 of 312 in logs-* where …, start to end; more with next_cursor`. */
export function pageSummary(p: PageSummary): string {
  const shown = p.shown ? `logs ${p.offset + 1}-${p.offset + p.shown} of ${p.total}${p.relation === 'gte' ? '+' : ''}` : `no logs (total ${p.total})`;
  return `${shown} in ${p.scope}${p.filters ? ` where ${p.filters}` : ''}, ${p.window.start} to ${p.window.end}${p.more ? '; more with next_cursor' : ''}`;
}

/** The filters a no-match hint weighs, in the order it names them. */
export type SearchFilter = 'service' | 'trace' | 'level' | 'query';

const LABEL: Record<SearchFilter, string> = { service: 'the service_name filter', trace: 'the trace_id filter', level: 'the log_level filter', query: 'the query' };

export interface NoMatchFacts {
  /** The index pattern or scope searched. */
  scope: string;
  /** The filters as one phrase (`service.name="api" and level in [error]`), '' without any. */
  filters: string;
  window: { start: string; end: string };
  /** Logs in the window before any filter. */
  inWindow: number;
  /** The newest log in the scope at any time (epoch ms), asked for when the window holds none. */
  newest?: number;
  /** Logs in the window with each filter alone dropped. */
  relaxed: { filter: SearchFilter; count: number }[];
  /** Services and levels the window holds, listed when those filters were given. */
  services: string[];
  levels: string[];
}

const fmt = (n: number) => n.toLocaleString('en-US');

/** What the window holds, what each filter alone removes, and which filter to relax first. */
export function noMatchHint(facts: NoMatchFacts): string {
  const { scope, window: win } = facts;
  const head = `No log in ${scope} has ${facts.filters || 'a time'} between ${win.start} and ${win.end}.`;
  if (facts.inWindow === 0) {
    return `${head} The window holds no logs at all${facts.newest !== undefined ? `; the newest log in ${scope} is from ${new Date(facts.newest).toISOString()}` : ''}: widen start_time/end_time.`;
  }
  const parts = facts.relaxed.map(({ filter, count }) => `${fmt(count)} without ${LABEL[filter]}`);
  const best = facts.relaxed.filter((c) => c.count > 0).sort((a, b) => b.count - a.count)[0];
  return [
    head,
    `The window holds ${fmt(facts.inWindow)} logs; ${parts.join('; ')}.`,
    best ? `Relax ${LABEL[best.filter]} first.` : 'Only dropping several filters together finds logs.',
    facts.services.length ? `Services in this window: ${facts.services.join(', ')}.` : '',
    facts.levels.length ? `Levels in this window: ${facts.levels.join(', ')}.` : '',
  ]
    .filter(Boolean)
    .join(' ');
}
