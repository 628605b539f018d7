import { z } from 'zod';
import { MINUTE_MS } from '../../core/time.js';
import type { MessagePattern } from '../../analysis/templates/fold-counts.js';
import type { CountedMessage } from '../../analysis/templates/fold-counts.js';
import { detectBursts, type Burst } from '../../analysis/bursts/detect.js';
import { sanitizeText } from '../../security/sanitize.js';

/**
 * elk_detect_errors's answer from what its LogSource gathered (detect-errors-on-source.ts), the
 * same whichever backend answered: the rise from the error histogram, the top patterns with a
 * traced sample each, samples, the summary line and the next steps.
 */

/** Samples the answer shows, at most. */
export const MAX_SAMPLES = 5;
/** Buckets of errors_over_time, and of the finer histogram the rise is detected on. */
export const OVER_TIME_BUCKETS = 60;
export const DETECTION_BUCKETS = 720;

/** One error log as a sample: each value as read, absent when the log had none. */
export interface SampleDoc {
  time?: number;
  traceId?: string;
  service?: string;
  level?: string;
  message?: string;
}

export const sampleOut = z.object({
  timestamp: z.string(),
  service: z.string().optional(),
  log_level: z.string().optional(),
  message: z.string(),
  trace_id: z.string().optional(),
});

export interface ErrorEvidence {
  /** The index pattern or dataset scope read. */
  scope: string;
  window: { start: string; end: string; server_now: string };
  totalErrors: number;
  byService: { service: string; count: number }[];
  /** Patterns, most frequent first, each with its traced sample when one was found. */
  patterns: MessagePattern<SampleDoc>[];
  /** The newest errors, newest first. */
  recentDocs: SampleDoc[];
  /** The fine error histogram bursts are detected on. */
  detection?: { startMs: number; bucketMs: number; interval: string; counts: number[] };
  overTime: { interval: string; start: string; counts: number[] };
  hasTraceField: boolean;
  fieldsUsed: Record<string, string>;
  /** How the patterns' counts were read: see Exactness. */
  counts: Exactness;
  /** Errors in no pattern's count (exact/lower_bound), or not read (estimate). */
  uncounted: number;
  notes: string[];
  partial: boolean;
}

/**
 * `exact`: every error counted per message by the backend; `lower_bound`: `uncounted` errors are
 * in no count (past the cap on distinct messages, messages too long for the keyword field, failed
 * shards); `estimate`: counts scaled up from a sample, `uncounted` errors never read.
 */
export type Exactness = 'exact' | 'lower_bound' | 'estimate';

/** How the answer labels counts that were read, not scaled: exact when they hold every error of a complete answer. */
export function exactness(totalErrors: number, counted: number, partial: boolean): { counts: Exactness; uncounted: number } {
  const uncounted = Math.max(0, totalErrors - counted);
  return { counts: uncounted === 0 && !partial ? 'exact' : 'lower_bound', uncounted };
}

export function errorsAnswer(e: ErrorEvidence, input: { service_name?: string; top_n: number }) {
  const { window: win, totalErrors, byService, patterns, notes, partial } = e;
  // The current burst if errors are still up, else the largest one of the window.
  const bursts = e.detection ? detectBursts({ startMs: e.detection.startMs, bucketMs: e.detection.bucketMs, counts: e.detection.counts }) : undefined;
  const burst = bursts?.ongoing ?? bursts?.bursts.reduce<Burst | undefined>((best, b) => (!best || b.excess >= best.excess ? b : best), undefined);
  const risingSince = burst ? new Date(burst.onsetMs).toISOString() : null;
  const detInterval = e.detection?.interval ?? e.overTime.interval;
  const rise = burst ? { baseline: burst.baseline, peak: burst.peakCount, ongoing: burst.status === 'ongoing' } : undefined;

  const top = patterns.slice(0, input.top_n).map((p) => ({
    message: p.pattern,
    count: p.count,
    ...(p.firstSeen !== undefined ? { first_seen: new Date(p.firstSeen).toISOString() } : {}),
    ...(p.lastSeen !== undefined ? { last_seen: new Date(p.lastSeen).toISOString() } : {}),
    services: p.services.slice(0, 5).map((s) => s.name),
    ...(p.sample?.traceId ? { trace_id: p.sample.traceId } : {}),
    example: sanitizeText(p.example, 300).text,
  }));
  const samples = pickSamples(patterns, e.recentDocs);
  const forService = input.service_name ? ` for ${input.service_name}` : '';
  const summary = totalErrors
    ? `${totalErrors} error(s) in ${e.scope}${forService} from ${win.start} to ${win.end}; ` +
      `${byService.length ? `most from ${byService[0].service} (${byService[0].count}); ` : ''}` +
      `${top.length ? `top pattern "${top[0].message}" (${top[0].count})` : 'no message field'}` +
      `${risingSince ? `; rising since ${risingSince}` : ''}`
    : `No error-level logs in ${e.scope}${forService} from ${win.start} to ${win.end}.`;

  return {
    summary,
    window: win,
    total_errors: totalErrors,
    errors_by_service: byService,
    top_error_messages: top,
    errors_over_time: e.overTime,
    rising_since: risingSince,
    ...(rise && burst
      ? {
          rise: {
            interval: detInterval,
            baseline_per_interval: Math.round(rise.baseline * 10) / 10,
            peak_per_interval: rise.peak,
            peak_at: new Date(burst.peakMs).toISOString(),
            ongoing: rise.ongoing,
          },
        }
      : {}),
    samples,
    recommendation: recommend(
      totalErrors,
      top,
      byService,
      rise && risingSince ? { since: risingSince, ...rise, interval: detInterval } : undefined,
      input,
      e.hasTraceField,
      e.detection?.bucketMs ?? MINUTE_MS,
    ),
    fields_used: e.fieldsUsed,
    counts: e.counts,
    ...(e.uncounted > 0 ? { uncounted: e.uncounted } : {}),
    ...(notes.length ? { notes } : {}),
    ...(partial ? { partial } : {}),
  };
}

/** Sampled documents as counted messages, one per (message, service, level): what a sample says when no count per message can be had. */
export function sampleCounts(docs: SampleDoc[]): CountedMessage<SampleDoc>[] {
  const byKey = new Map<string, CountedMessage<SampleDoc>>();
  for (const d of docs) {
    if (d.message === undefined) continue;
    const key = JSON.stringify([d.message, d.service ?? null, d.level ?? null]);
    let g = byKey.get(key);
    if (!g) byKey.set(key, (g = { message: d.message, ...(d.service !== undefined ? { service: d.service } : {}), ...(d.level !== undefined ? { level: d.level } : {}), count: 0 }));
    g.count += 1;
    if (d.time !== undefined) {
      g.firstMs = Math.min(g.firstMs ?? d.time, d.time);
      g.lastMs = Math.max(g.lastMs ?? d.time, d.time);
    }
    if (!g.sample || (!g.sample.traceId && d.traceId) || (Boolean(g.sample.traceId) === Boolean(d.traceId) && (d.time ?? -Infinity) > (g.sample.time ?? -Infinity))) g.sample = d;
  }
  return [...byKey.values()];
}

/**
 * Lends each counted message the best of the sampled documents carrying exactly that message (a
 * traced one, then the newest), so a pattern read from counts still shows a trace id.
 */
export function withSamples(groups: readonly CountedMessage<SampleDoc>[], docs: readonly SampleDoc[]): CountedMessage<SampleDoc>[] {
  const best = new Map<string, SampleDoc>();
  for (const d of docs) {
    if (d.message === undefined) continue;
    const seen = best.get(d.message);
    if (!seen || (!seen.traceId && d.traceId) || (Boolean(seen.traceId) === Boolean(d.traceId) && (d.time ?? -Infinity) > (seen.time ?? -Infinity))) best.set(d.message, d);
  }
  return groups.map((g) => {
    const sample = best.get(g.message);
    return sample && !g.sample ? { ...g, sample } : g;
  });
}

function sampleOf(d: SampleDoc, fallbackMessage?: string): z.infer<typeof sampleOut> | undefined {
  const message = d.message ?? fallbackMessage;
  if (message === undefined || d.time === undefined) return undefined;
  const clip = (v: string | undefined, max = 200) => (v === undefined ? undefined : sanitizeText(v, max).text);
  return {
    timestamp: new Date(d.time).toISOString(),
    ...(d.service !== undefined ? { service: clip(d.service) } : {}),
    ...(d.level !== undefined ? { log_level: clip(d.level, 40) } : {}),
    message: sanitizeText(message, 500).text,
    ...(d.traceId !== undefined ? { trace_id: clip(d.traceId) } : {}),
  };
}

/** One sample per top pattern (its traced document), then the most recent errors, at most five. */
function pickSamples(patterns: MessagePattern<SampleDoc>[], recent: SampleDoc[]): z.infer<typeof sampleOut>[] {
  const out: z.infer<typeof sampleOut>[] = [];
  const seen = new Set<string>();
  const add = (s: z.infer<typeof sampleOut> | undefined) => {
    if (!s || out.length >= MAX_SAMPLES) return;
    const key = `${s.timestamp}|${s.trace_id ?? ''}|${s.message}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(s);
  };
  for (const p of patterns) if (p.sample) add(sampleOf(p.sample, p.example));
  for (const d of recent) add(sampleOf(d));
  return out;
}

/** Keyword hints for the commonest failure shapes; elk_recommend_fix has the full rule library. */
const SIGNATURES: [RegExp, string][] = [
  [/timed? ?out|timeout|deadline exceeded/i, 'Timeouts: check the latency and health of the dependency named in the message and its connection pool before raising timeouts.'],
  [/connection refused|econnrefused|connect(ion)? reset|unreachable/i, 'Connection failures: check that the target service is up and reachable (endpoints, DNS, network policy).'],
  [/pool (is )?exhausted|too many connections|no (available|free) connection/i, 'Pool exhaustion: compare pool size with concurrency and look for leaked or slow connections.'],
  [/out ?of ?memory|oom|heap space/i, 'Memory exhaustion: check container limits, heap settings and recent load.'],
  [/certificate|x509|tls|ssl/i, 'TLS errors: check certificate validity, chain and hostnames on both sides.'],
  [/\b5\d\d\b|<\*> (status|code)|returned <\*>|bad gateway|service unavailable/i, 'Upstream 5xx: follow the trace_id to the upstream service and inspect its errors in the same minute.'],
];

function recommend(
  total: number,
  top: { message: string; count: number; trace_id?: string; services: string[] }[],
  byService: { service: string; count: number }[],
  rise: { since: string; baseline: number; peak: number; ongoing: boolean; interval: string } | undefined,
  input: { service_name?: string },
  hasTraceField: boolean,
  detMs: number,
): string[] {
  if (total === 0) {
    return [
      input.service_name
        ? `No errors for ${input.service_name} in this window: widen start_time, or check the service name with elk_search_logs (no service_name filter).`
        : 'No error-level logs in this window: widen start_time, or look at warnings with elk_search_logs log_level=warn.',
    ];
  }
  const out: string[] = [];
  const first = top[0];
  if (first) {
    out.push(
      first.trace_id
        ? `Validate the most frequent error ("${first.message}", ${first.count}x) with its trace_id ${first.trace_id} across services: elk_search_logs trace_id=${first.trace_id}, without service_name.`
        : `Validate the most frequent error ("${first.message}", ${first.count}x) across services: elk_search_logs with query set to its fixed words${hasTraceField ? '' : ' (these logs carry no trace id)'}.`,
    );
  }
  if (rise) {
    const per = detMs === MINUTE_MS ? 'minute' : rise.interval;
    out.push(
      `Errors rose from ~${Math.round(rise.baseline * 10) / 10} to ${rise.peak} per ${per} at ${rise.since}${rise.ongoing ? ' and are still elevated' : ''}: look for deploys, config changes or dependency incidents at that minute.`,
    );
  }
  if (byService.length > 1 && byService[0].count >= 0.6 * total) out.push(`${byService[0].service} produces ${Math.round((100 * byService[0].count) / total)}% of errors: start there; errors elsewhere may be downstream symptoms.`);
  const hints = new Set<string>();
  for (const p of top.slice(0, 3)) for (const [re, hint] of SIGNATURES) if (re.test(p.message)) hints.add(hint);
  out.push(...[...hints].slice(0, 2));
  return out;
}
