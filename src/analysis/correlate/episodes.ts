import type { Burst } from '../bursts/detect.js';
import type { Stream } from './events.js';
import type { CoMovement } from './lag.js';
import type { TraceJoin } from './traces.js';

/** One burst of one template, with the time of its first event (finer than the onset bucket). */
export interface StreamBurst {
  stream: Stream;
  burst: Burst;
  firstMs: number;
}

/** Error bursts that overlap in time. */
export interface Episode {
  items: StreamBurst[];
  onsetIndex: number;
  lastIndex: number;
  ongoing: boolean;
}

/** Bursts overlapping in time, or separated by at most `slack` buckets, form one episode. */
export function groupEpisodes(items: StreamBurst[], slack: number): Episode[] {
  const sorted = [...items].sort((a, b) => a.burst.onsetIndex - b.burst.onsetIndex || a.stream.id - b.stream.id);
  const episodes: Episode[] = [];
  for (const item of sorted) {
    const current = episodes.at(-1);
    if (current && item.burst.onsetIndex <= current.lastIndex + slack) {
      current.items.push(item);
      current.lastIndex = Math.max(current.lastIndex, item.burst.lastIndex);
      current.ongoing ||= item.burst.status === 'ongoing';
    } else {
      episodes.push({ items: [item], onsetIndex: item.burst.onsetIndex, lastIndex: item.burst.lastIndex, ongoing: item.burst.status === 'ongoing' });
    }
  }
  return episodes;
}

export interface LinkEvidence {
  /** Services each service's templates name. */
  named: Map<string, string[]>;
  traces: TraceJoin;
  coMovement(a: Stream, b: Stream): CoMovement;
}

export interface LinkRules {
  /** Fewest shared traces that tie two services together. */
  minSharedTraces: number;
  /** Correlation at which two series count as moving together. */
  minCorrelation: number;
  /** Onsets further apart than this (buckets) are not one cascade, however the series correlate. */
  maxOnsetGap: number;
}

/**
 * Splits an episode into groups of services tied by evidence — one names the other, their
 * errors share traces, or their series rise together — so two unrelated problems that merely
 * overlap in time are not blamed on one cause.
 */
export function linkedGroups(episode: Episode, links: LinkEvidence, rules: LinkRules): StreamBurst[][] {
  const byService = new Map<string, StreamBurst[]>();
  for (const item of episode.items) {
    const list = byService.get(item.stream.service) ?? [];
    list.push(item);
    byService.set(item.stream.service, list);
  }
  const services = [...byService.keys()].sort();
  const parent = new Map(services.map((s) => [s, s]));
  const root = (s: string): string => {
    let r = s;
    while (parent.get(r) !== r) r = parent.get(r)!;
    parent.set(s, r);
    return r;
  };
  const join = (a: string, b: string) => parent.set(root(a), root(b));
  const largest = (s: string) => byService.get(s)!.reduce((best, i) => (i.burst.count > best.burst.count ? i : best));
  for (const [i, a] of services.entries()) {
    for (const b of services.slice(i + 1)) {
      const named = links.named.get(a)?.includes(b) || links.named.get(b)?.includes(a);
      const traced = (links.traces.pair(a, b)?.shared ?? 0) >= rules.minSharedTraces;
      const ia = largest(a);
      const ib = largest(b);
      const together =
        Math.abs(ia.burst.onsetIndex - ib.burst.onsetIndex) <= rules.maxOnsetGap && links.coMovement(ia.stream, ib.stream).correlation >= rules.minCorrelation;
      if (named || traced || together) join(a, b);
    }
  }
  const groups = new Map<string, StreamBurst[]>();
  for (const s of services) {
    const r = root(s);
    groups.set(r, [...(groups.get(r) ?? []), ...byService.get(s)!]);
  }
  return [...groups.values()];
}
