import type { Breakdowns } from './series.js';
import { median, round } from './stats.js';

export interface ValueContribution {
  value: string;
  /** Events above this value's own baseline during the burst. */
  excess: number;
  /** Its part of the label's total excess, 0–1. */
  share: number;
}

export interface LabelContribution {
  label: string;
  /** Share of the excess carried by the top value: near 1, one value (one host, one service) explains the burst. */
  concentration: number;
  /** The values that together carry most of the excess, largest first. */
  values: ValueContribution[];
}

const COVERED_SHARE = 0.8;
const MAX_VALUES = 5;

/**
 * Which values of each label account for a burst: each value's excess over its own baseline
 * (median of the same window that set the burst's baseline), so a host that is always busy
 * does not look guilty just for being big. Labels are ordered by concentration.
 */
export function contributorsOf(breakdowns: Breakdowns, baselineFrom: number, onset: number, last: number): LabelContribution[] {
  const out: LabelContribution[] = [];
  for (const [label, values] of Object.entries(breakdowns)) {
    const excesses: { value: string; excess: number }[] = [];
    for (const [value, counts] of Object.entries(values)) {
      const base = median(counts.slice(baselineFrom, onset));
      let excess = 0;
      for (let j = onset; j <= last; j++) excess += Math.max(0, counts[j] - base);
      if (excess > 0) excesses.push({ value, excess });
    }
    const total = excesses.reduce((sum, e) => sum + e.excess, 0);
    if (!total) continue;
    excesses.sort((a, b) => b.excess - a.excess || a.value.localeCompare(b.value));
    const listed: ValueContribution[] = [];
    let covered = 0;
    for (const e of excesses) {
      if (covered >= COVERED_SHARE || listed.length === MAX_VALUES) break;
      covered += e.excess / total;
      listed.push({ value: e.value, excess: round(e.excess, 1), share: round(e.excess / total) });
    }
    out.push({ label, concentration: listed[0].share, values: listed });
  }
  return out.sort((a, b) => b.concentration - a.concentration || a.label.localeCompare(b.label));
}
