import { TemplateMiner } from './miner.js';

/** One distinct message (e.g. a terms-aggregation bucket) with what is known about it. */
export interface MessageGroup<S = unknown> {
  message: string;
  count: number;
  /** Epoch milliseconds. */
  firstSeen?: number;
  lastSeen?: number;
  services?: { name: string; count: number }[];
  /** A representative document, preferably one carrying a trace id. */
  sample?: S & { time?: number; traceId?: string };
}

export interface MessagePattern<S = unknown> {
  /** The template: the messages' shared text, variables as `<*>`. */
  pattern: string;
  count: number;
  firstSeen?: number;
  lastSeen?: number;
  services: { name: string; count: number }[];
  /** The raw message of the biggest group, as a concrete example. */
  example: string;
  /** The distinct messages the template holds, biggest first. */
  messages: string[];
  sample?: S & { time?: number; traceId?: string };
}

function betterSample<S extends { time?: number; traceId?: string }>(a: S | undefined, b: S | undefined): S | undefined {
  if (!a) return b;
  if (!b) return a;
  if (Boolean(a.traceId) !== Boolean(b.traceId)) return a.traceId ? a : b;
  return (b.time ?? -Infinity) > (a.time ?? -Infinity) ? b : a;
}

/**
 * Mines distinct messages (weighted by their counts) into templates and merges what is known
 * about each: counts summed, first/last seen widened, services added up, the most recent traced
 * sample kept. Sorted by count, then template, so the result is deterministic.
 */
export function groupByTemplate<S>(groups: readonly MessageGroup<S>[]): MessagePattern<S>[] {
  const miner = new TemplateMiner();
  const handles = groups.map((g) => miner.add(g.message, undefined, g.count));
  const byTemplate = new Map<string, MessagePattern<S> & { members: MessageGroup<S>[]; serviceCounts: Map<string, number> }>();
  groups.forEach((g, i) => {
    const pattern = miner.templateOf(handles[i]);
    let p = byTemplate.get(pattern);
    if (!p) byTemplate.set(pattern, (p = { pattern, count: 0, services: [], example: g.message, messages: [], members: [], serviceCounts: new Map() }));
    p.count += g.count;
    p.members.push(g);
    if (g.firstSeen !== undefined) p.firstSeen = p.firstSeen === undefined ? g.firstSeen : Math.min(p.firstSeen, g.firstSeen);
    if (g.lastSeen !== undefined) p.lastSeen = p.lastSeen === undefined ? g.lastSeen : Math.max(p.lastSeen, g.lastSeen);
    for (const s of g.services ?? []) p.serviceCounts.set(s.name, (p.serviceCounts.get(s.name) ?? 0) + s.count);
    p.sample = betterSample(p.sample, g.sample);
  });
  return [...byTemplate.values()]
    .map(({ members, serviceCounts, ...p }) => {
      const ordered = [...members].sort((a, b) => b.count - a.count || (a.message < b.message ? -1 : 1));
      return {
        ...p,
        example: ordered[0].message,
        messages: ordered.map((m) => m.message),
        services: [...serviceCounts].map(([name, count]) => ({ name, count })).sort((a, b) => b.count - a.count || a.name.localeCompare(b.name)),
      };
    })
    .sort((a, b) => b.count - a.count || a.pattern.localeCompare(b.pattern));
}
