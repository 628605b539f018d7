import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Backends } from '../backends/backends.js';
import type { Config } from '../config/load.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { AnyTool, Caller } from './tool.js';

/**
 * The query cache (issue 14, seed 002): answers of tools that read a remote backend over a time
 * window, kept for a while so a repeated investigation does not ask the backend again. Keys are
 * built from what decides the answer: the tool, the caller's role and what it may see, the
 * parsed input, and the window with its relative ends moved onto a step, so two `now-1h` calls a
 * few seconds apart share one entry. How long an answer is kept depends on how recent the
 * window's end is: a window ending now changes with every new record, a closed one in the past
 * hardly at all. Errors and partial answers are never kept.
 */

/** A tool's window as its call resolves it, with the source it reads. */
export interface CacheWindow {
  /** Unix ms. */
  from: number;
  to: number;
  /** Whether each end was written relative to now (`now-1h`, or left to a default that is). */
  fromRelative: boolean;
  toRelative: boolean;
  /** The source (instance) the call reads, resolved: the default one named, so tenants never share a key. */
  source: string;
}

/** What a policy may look at to resolve a call's window, as the tool would. */
export interface CacheEnv {
  backends: Backends;
  config: Config;
  now: Date;
}

/** A tool's opt-in (`cache:` on defineTool): which arguments are its window, and how it resolves them. */
export interface CachePolicy<I> {
  /** The input fields holding the window's ends: the key holds the resolved ends instead. */
  timeFields: readonly string[];
  /** The call's window; undefined for "do not cache this call" (the embedded store, an instant query). */
  window(input: I, env: CacheEnv): CacheWindow | undefined;
  /** A tighter bound on how long its answers are kept (what they hold expires sooner, like a cursor's point in time). */
  maxTtlMs?: number;
}

export function cacheByWindow<I>(
  timeFields: readonly (keyof I & string)[],
  window: (input: I, env: CacheEnv) => CacheWindow | undefined,
  opts: { maxTtlMs?: number } = {},
): CachePolicy<I> {
  return { timeFields, window, ...opts };
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/**
 * Steps relative ends are aligned to, smallest first. A step is a 200th of the window (the finest
 * a tool's histogram gets is about a 60th), so moving an end by less than a step changes an
 * answer by less than one bucket's edge; at least 10 s so a burst of calls shares an entry, at
 * most 5 min so a day-long window is never more than 5 min behind.
 */
const STEPS_MS = [10 * SECOND, 15 * SECOND, 30 * SECOND, MINUTE, 2 * MINUTE, 5 * MINUTE];
const WINDOW_FRACTION = 200;

export function stepFor(windowMs: number): number {
  return STEPS_MS.find((s) => s >= windowMs / WINDOW_FRACTION) ?? STEPS_MS[STEPS_MS.length - 1];
}

/** An end closed within the last hour may still gain late records (shipper lag): kept a minute. */
const RECENT_TTL_MS = MINUTE;
const CLOSED_TTL_MS = 10 * MINUTE;

/**
 * How long an answer computed at `computedAt` stays true enough to serve. An end within one
 * step of now: until the current step ends (a relative window's key moves on then anyway). An
 * end within the last hour: a minute. Older: ten minutes. None longer than maxTtlMs.
 */
export function ttlFor(to: number, stepMs: number, computedAt: number, maxTtlMs: number): number {
  const ttl = to > computedAt - stepMs ? stepMs - (computedAt % stepMs) : to > computedAt - HOUR ? RECENT_TTL_MS : CLOSED_TTL_MS;
  return Math.min(ttl, maxTtlMs);
}

/** JSON with object keys sorted at every level, so equal inputs give equal keys whatever their order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** A call the cache may answer: its key, and what its answer's lifetime is measured from. */
export interface CachePlan {
  tool: string;
  key: string;
  /** When the call resolved its window: what cached_at says, and what the TTL counts from. */
  now: number;
  to: number;
  stepMs: number;
  /** The tool's own bound on the TTL, if it has one. */
  maxTtlMs?: number;
}

/**
 * The key of a call: tool, role, what the role may read, the source, the parsed input (defaults
 * applied) without its time arguments, and the window's ends, relative ones aligned down to the
 * step. Whether each end was relative is in the key too: `now-1h` and the same instant written
 * out are different questions (the first answer's window is up to a step later).
 */
export function planOf(tool: string, timeFields: readonly string[], input: Record<string, unknown>, role: string, config: Config, w: CacheWindow, now: number): CachePlan {
  const stepMs = stepFor(Math.max(0, w.to - w.from));
  const align = (ms: number, relative: boolean) => (relative ? Math.floor(ms / stepMs) * stepMs : ms);
  const rest = Object.fromEntries(Object.entries(input).filter(([k]) => !timeFields.includes(k)));
  const identity = {
    tool,
    role,
    // What config lets any caller read; a role decides the rest (the tools it may call, which answers name).
    scope: { allowed_index_patterns: config.ALLOWED_INDEX_PATTERNS },
    source: w.source,
    window: { from: align(w.from, w.fromRelative), to: align(w.to, w.toRelative), relative: [w.fromRelative, w.toRelative] },
    input: rest,
  };
  const key = createHash('sha256').update(canonicalJson(identity)).digest('hex');
  return { tool, key, now, to: w.to, stepMs };
}

interface Entry {
  /** The answer as the pipeline sends it (scrubbed), without cached_at. */
  json: string;
  computedAt: number;
  /** The first instant it may no longer be served. */
  expiresAt: number;
}

/**
 * An answer ready to send, scrubbed and serialised: the pipeline sends it as it is. `cache` says
 * how it was had, for the audit record.
 */
export class PreparedAnswer {
  constructor(
    readonly data: unknown,
    readonly json: string,
    readonly cache: 'hit' | 'miss',
  ) {}
}

/** An answer that says it is incomplete (shards failed, a source timed out) is never kept. */
function isComplete(data: unknown): data is Record<string, unknown> {
  return data !== null && typeof data === 'object' && !Array.isArray(data) && (data as { partial?: unknown }).partial !== true;
}

/** cached_at right after the summary, where the model reads first. */
function withCachedAt(data: Record<string, unknown>, computedAt: number): Record<string, unknown> {
  const { summary, ...rest } = data;
  const cached_at = new Date(computedAt).toISOString();
  return summary === undefined ? { cached_at, ...rest } : { summary, cached_at, ...rest };
}

export interface QueryCacheOptions {
  maxBytes: number;
  maxTtlMs: number;
  metrics?: Metrics;
  /** The clock TTLs and windows are measured with (tests move it). */
  now?: () => number;
}

export class QueryCache {
  private readonly entries: LRUCache<string, Entry>;
  /** Calls under way, by key: an identical call arriving meanwhile waits for the first one's answer. */
  private readonly flights = new Map<string, Promise<Entry | undefined>>();
  private readonly now: () => number;

  constructor(private readonly opts: QueryCacheOptions) {
    this.now = opts.now ?? Date.now;
    this.entries = new LRUCache<string, Entry>({
      maxSize: opts.maxBytes,
      sizeCalculation: (e) => Math.max(1, Buffer.byteLength(e.json, 'utf8')),
      // Checked against the clock on every read: an entry is never served a millisecond past its TTL.
      ttlResolution: 0,
      perf: { now: () => this.now() },
      allowStale: false,
      updateAgeOnGet: false,
    });
    opts.metrics?.observeQueryCache(() => {
      this.entries.purgeStale();
      return { entries: this.entries.size, bytes: this.entries.calculatedSize };
    });
  }

  /** The call's plan, or undefined when the tool does not opt in or this call is not to be cached. */
  plan(tool: AnyTool, input: unknown, caller: Caller, env: { backends: Backends; config: Config }): CachePlan | undefined {
    const policy = tool.cache as CachePolicy<unknown> | undefined;
    if (!policy || input === null || typeof input !== 'object') return undefined;
    const now = this.now();
    let window: CacheWindow | undefined;
    try {
      window = policy.window(input, { ...env, now: new Date(now) });
    } catch {
      // A window or source the call got wrong: the handler reports it, and errors are never cached.
      return undefined;
    }
    return window && { ...planOf(tool.name, policy.timeFields, input as Record<string, unknown>, caller.role, env.config, window, now), maxTtlMs: policy.maxTtlMs };
  }

  /**
   * The kept answer of this call, the answer of an identical call under way, or `compute`'s
   * (scrubbed) answer, kept when complete. Never keeps an error: a failing compute rejects and
   * leaves nothing behind.
   */
  async serve(plan: CachePlan, compute: () => Promise<unknown>, signal?: AbortSignal): Promise<PreparedAnswer> {
    // Looked up and registered without an await in between, so identical calls find each other.
    const flight = this.flights.get(plan.key);
    const kept = this.fresh(plan.key) ?? (flight && (await flight));
    if (kept) {
      this.opts.metrics?.queryCacheHits.labels(plan.tool).inc();
      const data = withCachedAt(JSON.parse(kept.json) as Record<string, unknown>, kept.computedAt);
      return new PreparedAnswer(data, JSON.stringify(data), 'hit');
    }
    // A call that waited for an identical one past its own deadline or cancellation reads nothing more.
    if (signal?.aborted) throw signal.reason;
    this.opts.metrics?.queryCacheMisses.labels(plan.tool).inc();
    // Only the first of identical calls leads; one that found the leader failing computes alone.
    const leads = !this.flights.has(plan.key);
    let settle: (entry: Entry | undefined) => void = () => {};
    if (leads) this.flights.set(plan.key, new Promise<Entry | undefined>((resolve) => (settle = resolve)));
    let stored: Entry | undefined;
    try {
      const data = await compute();
      const json = JSON.stringify(data);
      if (isComplete(data)) stored = this.keep(plan, json);
      return new PreparedAnswer(data, json, 'miss');
    } finally {
      if (leads) {
        settle(stored);
        this.flights.delete(plan.key);
      }
    }
  }

  /** lru-cache serves an entry up to and including its TTL's last millisecond; the TTL is a bound here. */
  private fresh(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && this.now() >= entry.expiresAt) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private keep(plan: CachePlan, json: string): Entry | undefined {
    const ttl = ttlFor(plan.to, plan.stepMs, plan.now, Math.min(this.opts.maxTtlMs, plan.maxTtlMs ?? Infinity)) - (this.now() - plan.now);
    if (ttl <= 0) return undefined;
    const entry: Entry = { json, computedAt: plan.now, expiresAt: this.now() + ttl };
    this.entries.set(plan.key, entry, { ttl });
    // An answer larger than the whole cache is not kept (lru-cache refuses it silently).
    return this.entries.has(plan.key) ? entry : undefined;
  }
}

/** The cache a config asks for; none when QUERY_CACHE_MAX_BYTES is 0. */
export function queryCacheFor(config: Config, metrics?: Metrics): QueryCache | undefined {
  if (config.QUERY_CACHE_MAX_BYTES === 0) return undefined;
  return new QueryCache({ maxBytes: config.QUERY_CACHE_MAX_BYTES, maxTtlMs: config.QUERY_CACHE_MAX_TTL_MS, metrics });
}
