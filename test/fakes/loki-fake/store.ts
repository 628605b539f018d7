/**
 * The Loki contract fake's memory: per tenant, streams keyed by their label set, each holding
 * its entries in timestamp order (entries pushed with equal timestamps keep their push order).
 * As Loki's ingester does, an entry identical to one already in its stream (same timestamp and
 * same line) is accepted and dropped.
 */

export interface StoredEntry {
  ts: bigint;
  line: string;
  metadata: Record<string, string>;
}

export interface StoredStream {
  labels: Record<string, string>;
  /** Loki's label-set string `{a="x", b="y"}`, names sorted: the stream's identity and sort key. */
  key: string;
  entries: StoredEntry[];
}

/** Prometheus/Loki text form of a label set, names sorted, values Go-quoted. */
export function labelsString(labels: Record<string, string>): string {
  const names = Object.keys(labels).sort();
  return `{${names.map((n) => `${n}=${JSON.stringify(labels[n])}`).join(', ')}}`;
}

/**
 * Prometheus' labels.Compare, the order Loki sorts streams and series in: name by name, then
 * value by value, a label set that is a prefix of another first.
 */
export function compareLabels(a: Record<string, string>, b: Record<string, string>): number {
  const an = Object.keys(a).sort();
  const bn = Object.keys(b).sort();
  for (let i = 0; i < Math.min(an.length, bn.length); i += 1) {
    if (an[i] !== bn[i]) return an[i] < bn[i] ? -1 : 1;
    if (a[an[i]] !== b[bn[i]]) return a[an[i]] < b[bn[i]] ? -1 : 1;
  }
  return an.length - bn.length;
}

export class LokiStore {
  private readonly tenants = new Map<string, Map<string, StoredStream>>();

  streams(tenant: string): StoredStream[] {
    return [...(this.tenants.get(tenant)?.values() ?? [])];
  }

  append(tenant: string, labels: Record<string, string>, entries: StoredEntry[]): void {
    let streams = this.tenants.get(tenant);
    if (!streams) {
      streams = new Map();
      this.tenants.set(tenant, streams);
    }
    const key = labelsString(labels);
    let stream = streams.get(key);
    if (!stream) {
      stream = { labels: { ...labels }, key, entries: [] };
      streams.set(key, stream);
    }
    for (const e of entries) insert(stream.entries, e);
  }

  clear(): void {
    this.tenants.clear();
  }
}

/** Inserts after every entry with a timestamp ≤ the new one's, unless it is a duplicate. */
function insert(entries: StoredEntry[], e: StoredEntry): void {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (entries[mid].ts <= e.ts) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo - 1; i >= 0 && entries[i].ts === e.ts; i -= 1) if (entries[i].line === e.line) return;
  entries.splice(lo, 0, e);
}
