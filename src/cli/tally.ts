/** Distinct keys counted; a file with more (ids in the service field) lumps the rest together. */
const MAX_DISTINCT = 1000;
export const OTHER_KEY = '(other)';

/** Counts per key with a bounded number of keys, so a file of any size keeps a bounded map. */
export class Tally {
  private readonly counts = new Map<string, number>();

  add(key: string, n = 1): void {
    const k = this.counts.has(key) || this.counts.size < MAX_DISTINCT ? key : OTHER_KEY;
    this.counts.set(k, (this.counts.get(k) ?? 0) + n);
  }

  /** Adds another tally's counts (a file's into the run's total). */
  merge(other: Tally): void {
    for (const [key, n] of other.counts) this.add(key, n);
  }

  /** The `n` largest counts, largest first, ties by key. */
  top(n: number): Record<string, number> {
    return Object.fromEntries([...this.counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, n));
  }
}
