import type { IngestRecord } from '../ingest/record.js';
import { generateSeed } from '../seed/generate.js';
import type { SeedManifest } from '../seed/manifest.js';
import { seedToIngest } from '../seed/to-ingest.js';
import { DEMO_NAMESPACE, type DemoData } from '../store/demo.js';

const BATCH = 5000;

/**
 * The embedded store's demo dataset: the `telemcp seed` generator's incident, distractors and
 * traffic, ending `now`, in the demo namespace. Deterministic for a given `now` and seed. The
 * records are generated in this thread, yielding to the event loop between batches, so a server
 * already answering (stdio answers initialize meanwhile) stays responsive. It is made here
 * because the store may not import seed (eslint.config.js): the CLI hands it to the store's start.
 */
export async function seedDemoData(now: Date, seed = 42): Promise<DemoData> {
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
  return {
    batches,
    datasets: manifest.logs.indices,
    window: manifest.window,
    incident: { start: manifest.incident.start, summary: manifest.incident.summary },
  };
}
