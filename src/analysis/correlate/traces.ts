import { median } from '../bursts/stats.js';
import type { LogEvent } from './events.js';

export interface TracePair {
  /** Traces holding errors of both services. */
  shared: number;
  /** Median over those traces of (first error of the second service) − (first error of the first), ms. */
  lagMs: number;
}

export interface TraceJoin {
  /** Traces holding errors of the analysed templates (at most MAX_TRACES are followed). */
  traces: number;
  /** Of those, traces with errors in more than one service. */
  crossService: number;
  perService: Map<string, number>;
  /** Traces where the service's errors sit next to another service's. */
  withOthers: Map<string, number>;
  /** Traces whose first error is this service's, ahead of every other service by more than the tolerance. */
  firstIn: Map<string, number>;
  pair(first: string, second: string): TracePair | undefined;
  /** Trace ids spanning the most services, earliest first: the ones worth following. */
  sample: string[];
  /** More traces than MAX_TRACES: the first ones were followed. */
  truncated: boolean;
}

/** Enough traces for stable medians; the join's memory stays bounded whatever the event count. */
const MAX_TRACES = 20_000;
const MAX_SERVICES_PER_TRACE = 16;
const MAX_LAG_SAMPLES = 1001;
const SAMPLE_TRACES = 3;

interface PairAcc {
  shared: number;
  lags: number[];
}

/**
 * Joins error events by trace id: for every trace the first error of each service, then for
 * every pair of services how many traces they share and which one's error comes first. One
 * pass over the events plus work per followed trace (services² with at most 16 services).
 */
export function joinTraces(events: readonly LogEvent[], isMember: (e: LogEvent) => boolean, toleranceMs: number): TraceJoin {
  const traces = new Map<string, Map<string, number>>();
  let truncated = false;
  for (const e of events) {
    if (!e.traceId || !isMember(e)) continue;
    let firstErrors = traces.get(e.traceId);
    if (!firstErrors) {
      if (traces.size >= MAX_TRACES) {
        truncated = true;
        continue;
      }
      traces.set(e.traceId, (firstErrors = new Map()));
    }
    const seen = firstErrors.get(e.service);
    if (seen === undefined) {
      if (firstErrors.size < MAX_SERVICES_PER_TRACE) firstErrors.set(e.service, e.ts);
    } else if (e.ts < seen) firstErrors.set(e.service, e.ts);
  }

  const perService = new Map<string, number>();
  const withOthers = new Map<string, number>();
  const firstIn = new Map<string, number>();
  const pairs = new Map<string, PairAcc>();
  let crossService = 0;
  let sample: { id: string; services: number; start: number }[] = [];
  for (const [id, firstErrors] of traces) {
    const ordered = [...firstErrors].sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]));
    for (const [service] of ordered) perService.set(service, (perService.get(service) ?? 0) + 1);
    if (ordered.length < 2) continue;
    crossService += 1;
    for (const [service] of ordered) withOthers.set(service, (withOthers.get(service) ?? 0) + 1);
    if (ordered[1][1] - ordered[0][1] > toleranceMs) firstIn.set(ordered[0][0], (firstIn.get(ordered[0][0]) ?? 0) + 1);
    for (let i = 0; i < ordered.length; i++) {
      for (let j = i + 1; j < ordered.length; j++) {
        const [a, b] = ordered[i][0] < ordered[j][0] ? [ordered[i], ordered[j]] : [ordered[j], ordered[i]];
        const key = `${a[0]}\u0000${b[0]}`;
        let acc = pairs.get(key);
        if (!acc) pairs.set(key, (acc = { shared: 0, lags: [] }));
        acc.shared += 1;
        if (acc.lags.length < MAX_LAG_SAMPLES) acc.lags.push(b[1] - a[1]);
      }
    }
    sample.push({ id, services: ordered.length, start: ordered[0][1] });
    if (sample.length > SAMPLE_TRACES * 4) sample = bestTraces(sample);
  }
  const medians = new Map([...pairs].map(([key, acc]) => [key, { shared: acc.shared, lagMs: median(acc.lags) }]));
  return {
    traces: traces.size,
    crossService,
    perService,
    withOthers,
    firstIn,
    pair(first, second) {
      if (first === second) return undefined;
      const forward = first < second;
      const p = medians.get(forward ? `${first}\u0000${second}` : `${second}\u0000${first}`);
      return p && { shared: p.shared, lagMs: forward ? p.lagMs : -p.lagMs };
    },
    sample: bestTraces(sample).map((t) => t.id),
    truncated,
  };
}

function bestTraces<T extends { id: string; services: number; start: number }>(traces: T[]): T[] {
  return [...traces].sort((a, b) => b.services - a.services || a.start - b.start || a.id.localeCompare(b.id)).slice(0, SAMPLE_TRACES);
}
