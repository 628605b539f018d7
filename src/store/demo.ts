import { generateSeed } from '../seed/generate.js';
import type { SeedManifest } from '../seed/manifest.js';
import { seedToIngest } from '../seed/to-ingest.js';
import type { IngestRecord } from '../ingest/record.js';
import type { LogStore } from './log-store.js';

/** The namespace of the demo datasets: `logs-<service>-demo`, so they are easy to tell apart and to drop. */
export const DEMO_NAMESPACE = 'demo';
const BATCH = 5000;

export interface DemoLoad {
  records: number;
  datasets: string[];
  window: { start: string; end: string };
  incident: { start: string; summary: string };
}

export function isDemoDataset(name: string): boolean {
  return name.endsWith(`-${DEMO_NAMESPACE}`);
}

/**
 * Writes the demo dataset — the `telemcp seed` generator's incident, distractors and traffic,
 * ending `now` — into an empty embedded store, so every log tool answers on a fresh machine
 * before any log has been ingested. Deterministic for a given `now` and seed. All or nothing:
 * the records are generated first (yielding to the event loop between batches, so a server
 * already answering, as stdio does, stays responsive) and written in one transaction, so a start
 * interrupted while loading leaves no partial demo behind and the next start loads it whole.
 */
export async function loadDemoData(store: LogStore, now: Date, seed = 42): Promise<DemoLoad> {
  const gen = generateSeed({ now, seed, namespace: DEMO_NAMESPACE });
  const batches: IngestRecord[][] = [[]];
  let manifest: SeedManifest;
  for (;;) {
    const step = gen.next();
    if (step.done) {
      manifest = step.value;
      break;
    }
    const record = seedToIngest(step.value);
    if (!record) continue;
    const batch = batches[batches.length - 1];
    batch.push(record);
    if (batch.length >= BATCH) {
      batches.push([]);
      await new Promise<void>((resolveTurn) => setImmediate(resolveTurn));
    }
  }
  const records = store.writeAll(batches).reduce((n, r) => n + r.stored, 0);
  return {
    records,
    datasets: manifest.logs.indices,
    window: manifest.window,
    incident: { start: manifest.incident.start, summary: manifest.incident.summary },
  };
}
