import { resolve } from 'node:path';
import type { App } from '../app.js';
import type { Logger } from '../core/logger.js';
import { loadDemoData, type DemoLoad } from '../store/demo.js';

export interface EmbeddedStart {
  file: string;
  records: number;
  datasets: number;
  demo?: DemoLoad;
}

/**
 * Brings the embedded store into service for `telemcp serve`: on first start (an empty store,
 * DEMO_DATA on) it loads the demo dataset so every log tool answers at once, then starts the
 * background retention. Undefined when the store is off.
 */
export async function startEmbeddedStore(app: App, log: Logger, now = new Date()): Promise<EmbeddedStart | undefined> {
  const store = app.rt.backends.store;
  if (!store) return undefined;
  const config = app.rt.config;
  let demo: DemoLoad | undefined;
  if (config.DEMO_DATA && store.datasets().length === 0) {
    demo = await loadDemoData(store, now);
    log.info({ records: demo.records, datasets: demo.datasets.length, incident_start: demo.incident.start }, 'embedded store was empty: demo dataset loaded');
  }
  store.startRetention({ days: config.RETENTION_DAYS, log });
  const datasets = store.datasets();
  return { file: resolve(store.file), records: datasets.reduce((n, d) => n + d.records, 0), datasets: datasets.length, ...(demo ? { demo } : {}) };
}

/** The banner's lines about the embedded store: where it is, what it holds, how to fill it. */
export function embeddedBannerLines(start: EmbeddedStart, url: string): string[] {
  const lines = [`embedded log store: ${start.file} — ${start.records.toLocaleString('en-US')} records in ${start.datasets} dataset(s) (log tools: source "embedded")`];
  if (start.demo) {
    lines.push(
      `  demo data loaded on first start: ${start.demo.records.toLocaleString('en-US')} records (datasets logs-*-demo, ${start.demo.window.start} .. ${start.demo.window.end})`,
      `  it holds an incident from ${start.demo.incident.start}: try incident_summary, logs_patterns or logs_bursts`,
      `  your own logs: telemcp ingest <file> (server stopped), or POST ${url}/_bulk, /loki/api/v1/push, /v1/logs with an ingest key`,
    );
  }
  return lines;
}
