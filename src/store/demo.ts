import type { IngestRecord } from '../ingest/record.js';
import type { StoreWriter } from './writer.js';

/** The namespace of the demo datasets: `logs-<service>-demo`, so they are easy to tell apart and to drop. */
export const DEMO_NAMESPACE = 'demo';

export function isDemoDataset(name: string): boolean {
  return name.endsWith(`-${DEMO_NAMESPACE}`);
}

/** What the demo dataset is about, for the banner and the log. */
export interface DemoDescription {
  datasets: string[];
  window: { start: string; end: string };
  incident: { start: string; summary: string };
}

/** The demo dataset, generated: its records in store-sized batches, and what it holds. */
export interface DemoData extends DemoDescription {
  batches: IngestRecord[][];
}

/**
 * Makes the demo dataset ending `now`, in DEMO_NAMESPACE. The store does not generate it (that is
 * `telemcp seed`'s generator, a layer above): whoever starts the store passes one in.
 */
export type DemoSource = (now: Date) => Promise<DemoData>;

export interface DemoLoad extends DemoDescription {
  records: number;
}

/**
 * Writes the demo dataset into the store, so every log tool answers on a fresh machine before
 * any log has been ingested. All or nothing: the batches go in one transaction, so a start
 * interrupted while loading (or a disk that fills) leaves no partial demo behind, and the next
 * start loads it whole.
 */
export async function loadDemo(writer: Pick<StoreWriter, 'writeAll'>, source: DemoSource, now: Date): Promise<DemoLoad> {
  const { batches, ...about } = await source(now);
  const records = (await writer.writeAll(batches)).reduce((n, r) => n + r.stored, 0);
  return { records, ...about };
}
