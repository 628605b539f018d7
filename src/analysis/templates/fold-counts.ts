import { TemplateMiner } from './miner.js';

/**
 * Templates with exact counts from a source's counts per distinct message (LogSource
 * messageCounts): each distinct message is mined once, weighted by its count, so a template's
 * count is the sum of its messages' counts, whatever the number of lines behind them, and nothing
 * is scaled up from a sample.
 */

/** A template over distinct messages, with what is known about them together. */
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

/** One distinct message as counted: a MessageCount, optionally with a document to show for it. */
export interface CountedMessage<S = unknown> {
  message: string;
  service?: string;
  level?: string;
  count: number;
  firstMs?: number;
  lastMs?: number;
  /** A document of this message, preferably one carrying a trace id. */
  sample?: S & { time?: number; traceId?: string };
}

export interface FoldedTemplate<S = unknown> extends MessagePattern<S> {
  /** Records per level, most first. */
  levels: { name: string; count: number }[];
  /** Distinct messages the template holds (`messages` lists at most FoldOptions.maxMessages of them). */
  distinct: number;
  /** For each `<*>` (in order, at most three), the values seen most often. */
  values: string[][];
}

export interface FoldOptions {
  /** Templates returned, the most frequent (default: all). */
  top?: number;
  /** Messages listed per template, the most frequent (default 1,000): enough to look documents up by. */
  maxMessages?: number;
}

const DEFAULT_MAX_MESSAGES = 1000;
const MAX_VALUE_SLOTS = 3;
interface Tally<S> {
  id: number;
  /** The miner's handle of the template's most frequent message, for its text. */
  handle: number;
  count: number;
  firstSeen?: number;
  lastSeen?: number;
  services: Map<string, number>;
  levels: Map<string, number>;
  members: { message: string; count: number }[];
  sample?: S & { time?: number; traceId?: string };
}

/**
 * Folds counted messages into templates, most frequent first (ties: template text). Messages
 * are mined in a fixed order (most frequent first, then by text), so the same counts give the
 * same templates whichever backend counted them and in whatever order it listed them. The counts
 * add up: the templates' counts sum to the groups' counts.
 */
export function foldCounts<S>(groups: readonly CountedMessage<S>[], opts: FoldOptions = {}): { templates: FoldedTemplate<S>[]; found: number } {
  const byMessage = new Map<string, CountedMessage<S>[]>();
  for (const g of groups) {
    const list = byMessage.get(g.message);
    if (list) list.push(g);
    else byMessage.set(g.message, [g]);
  }
  const distinct = [...byMessage].map(([message, list]) => ({ message, list, count: list.reduce((n, g) => n + g.count, 0) }));
  distinct.sort((a, b) => b.count - a.count || (a.message < b.message ? -1 : a.message > b.message ? 1 : 0));

  const miner = new TemplateMiner();
  const handles = distinct.map((d) => miner.add(d.message, undefined, d.count));
  const tallies = new Map<number, Tally<S>>();
  distinct.forEach((d, i) => {
    const id = miner.templateIdOf(handles[i]);
    let t = tallies.get(id);
    // Messages past the miner's shape limit share one id and template (`<*>`): still counted, as one template.
    if (!t) tallies.set(id, (t = { id, handle: handles[i], count: 0, services: new Map(), levels: new Map(), members: [] }));
    t.count += d.count;
    t.members.push({ message: d.message, count: d.count });
    for (const g of d.list) {
      if (g.firstMs !== undefined) t.firstSeen = Math.min(t.firstSeen ?? g.firstMs, g.firstMs);
      if (g.lastMs !== undefined) t.lastSeen = Math.max(t.lastSeen ?? g.lastMs, g.lastMs);
      if (g.service !== undefined) t.services.set(g.service, (t.services.get(g.service) ?? 0) + g.count);
      if (g.level !== undefined) t.levels.set(g.level, (t.levels.get(g.level) ?? 0) + g.count);
      t.sample = betterSample(t.sample, g.sample);
    }
  });

  const values = new Map<number, string[][]>();
  for (const s of miner.templates()) values.set(s.id, s.slots.slice(0, MAX_VALUE_SLOTS).map((slot) => slot.values.map((v) => v.value)));
  const maxMessages = opts.maxMessages ?? DEFAULT_MAX_MESSAGES;
  const ranked = [...tallies.values()].map((t) => ({ t, pattern: miner.templateOf(t.handle) }));
  ranked.sort((a, b) => b.t.count - a.t.count || (a.pattern < b.pattern ? -1 : a.pattern > b.pattern ? 1 : 0));
  const templates = ranked.slice(0, opts.top ?? ranked.length).map(({ t, pattern }): FoldedTemplate<S> => {
    // Members were added most frequent first, so they are in order already.
    const slots = values.get(t.id) ?? [];
    return {
      pattern,
      count: t.count,
      ...(t.firstSeen !== undefined ? { firstSeen: t.firstSeen } : {}),
      ...(t.lastSeen !== undefined ? { lastSeen: t.lastSeen } : {}),
      services: ranking(t.services),
      levels: ranking(t.levels),
      example: t.members[0].message,
      messages: t.members.slice(0, maxMessages).map((m) => m.message),
      distinct: t.members.length,
      values: slots.some((v) => v.length) ? slots : [],
      ...(t.sample ? { sample: t.sample } : {}),
    };
  });
  return { templates, found: tallies.size };
}

function ranking(counts: Map<string, number>): { name: string; count: number }[] {
  return [...counts].map(([name, count]) => ({ name, count })).sort((a, b) => b.count - a.count || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** A traced document over an untraced one, then the newer. */
function betterSample<T extends { time?: number; traceId?: string }>(a: T | undefined, b: T | undefined): T | undefined {
  if (!a) return b;
  if (!b) return a;
  if (Boolean(a.traceId) !== Boolean(b.traceId)) return a.traceId ? a : b;
  return (b.time ?? -Infinity) > (a.time ?? -Infinity) ? b : a;
}
