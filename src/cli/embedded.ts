import { resolve } from 'node:path';
import type { App } from '../app.js';
import { embeddedStoreOn } from '../settings.js';
import type { Config } from '../config/load.js';
import type { Logger } from '../core/logger.js';
import { loadDemoData, type DemoLoad } from '../store/demo.js';
import { LazyStoreReader } from '../store/lazy-reader.js';
import { isDataDirInUse } from '../store/lock.js';
import { openLogStore } from '../store/log-store.js';
import { describeRetentionPass, type RetentionReport } from '../store/retention.js';

export interface EmbeddedStart {
  file: string;
  records: number;
  datasets: number;
  demo?: DemoLoad;
  retentionDays: number;
  retention: RetentionReport;
}

/**
 * Brings the embedded store into service in its writer (`telemcp serve` over HTTP): on first
 * start (an empty store, DEMO_DATA on) it loads the demo dataset so every log tool answers at
 * once, then runs a first retention pass before anything is counted (the banner tells what the
 * store holds, not what it held before the pass) and keeps retention running in the background.
 * Undefined when the store is off.
 */
export async function startEmbeddedStore(app: App, log: Logger, now = new Date()): Promise<EmbeddedStart | undefined> {
  const store = app.storeWriter;
  if (!store) return undefined;
  const config = app.rt.config;
  let demo: DemoLoad | undefined;
  if (config.DEMO_DATA && store.datasets().length === 0) {
    demo = await loadDemoData(store, now);
    log.info({ records: demo.records, datasets: demo.datasets.length, incident_start: demo.incident.start }, 'embedded store was empty: demo dataset loaded');
  }
  await store.startRetention({ days: config.RETENTION_DAYS, log, onPass: (pass) => app.rt.metrics.retentionDeleted.inc(pass.deleted) });
  const datasets = store.datasets();
  return {
    file: resolve(store.file),
    records: datasets.reduce((n, d) => n + d.records, 0),
    datasets: datasets.length,
    ...(demo ? { demo } : {}),
    retentionDays: config.RETENTION_DAYS,
    retention: store.retention(),
  };
}

/**
 * For the processes that only read the store (stdio servers, `telemcp call`): a store that is
 * missing or empty gets the demo dataset, as `serve` gives it, so a first call has logs to read.
 * The lock is taken only for that load and released at once; when another process holds it,
 * that process is the writer and loads the demo itself.
 */
export async function prepareReadersStore(config: Config, log: Logger, now = new Date()): Promise<DemoLoad | undefined> {
  if (!embeddedStoreOn(config) || !config.DEMO_DATA) return undefined;
  const reader = new LazyStoreReader(config.DATA_DIR);
  try {
    if (reader.datasets().length > 0) return undefined;
  } catch {
    // A store of an older version cannot be read before it is upgraded: the writer below upgrades it.
  } finally {
    reader.close();
  }
  let writer;
  try {
    writer = openLogStore({ dataDir: config.DATA_DIR });
  } catch (err) {
    if (isDataDirInUse(err)) return undefined;
    throw err;
  }
  try {
    if (writer.datasets().length > 0) return undefined;
    const demo = await loadDemoData(writer, now);
    log.info({ records: demo.records, datasets: demo.datasets.length, incident_start: demo.incident.start }, 'embedded store was empty: demo dataset loaded');
    return demo;
  } finally {
    writer.close();
  }
}

/** The banner's lines about the embedded store: where it is, what it holds, what retention did, how to fill it. */
export function embeddedBannerLines(start: EmbeddedStart, url: string): string[] {
  const lines = [`embedded log store: ${start.file} — ${start.records.toLocaleString('en-US')} records in ${start.datasets} dataset(s) (log tools: source "embedded")`];
  lines.push(`  ${retentionLine(start.retentionDays, start.retention)}`);
  if (start.demo) {
    lines.push(
      `  demo data loaded on first start: ${start.demo.records.toLocaleString('en-US')} records (datasets logs-*-demo, ${start.demo.window.start} .. ${start.demo.window.end})`,
      `  it holds an incident from ${start.demo.incident.start}: try incident_summary, logs_patterns or logs_bursts`,
      `  your own logs: telemcp ingest <file> (server stopped), or POST ${url}/_bulk, /loki/api/v1/push, /v1/logs with an ingest key`,
    );
  }
  return lines;
}

function retentionLine(days: number, report: RetentionReport): string {
  const policy = days > 0 ? `retention: records are deleted ${days} day(s) after they were stored (RETENTION_DAYS; a record's own time does not count)` : 'retention: off (RETENTION_DAYS=0), records are kept until deleted by hand';
  if (report.deletedTotal === 0) return `${policy}; none deleted so far`;
  return `${policy}; ${report.deletedTotal.toLocaleString('en-US')} deleted so far${report.lastPass ? `; last pass ${describeRetentionPass(report.lastPass)}` : ''}`;
}
