import type { App } from '../app.js';
import type { Logger } from '../core/logger.js';
import type { DemoLoad } from '../store/demo.js';
import { describeRetentionPass, type RetentionReport } from '../store/retention.js';
import { seedDemoData } from './demo-data.js';

/** What the banner tells about the embedded store. */
export interface EmbeddedStart {
  file: string;
  records: number;
  datasets: number;
  demo?: DemoLoad;
  retentionDays: number;
  retention: RetentionReport;
}

/**
 * Starts the embedded store in its writer (`telemcp serve` over HTTP): the store service takes
 * the DATA_DIR lock, loads the demo dataset into an empty store and runs retention
 * (backends/embedded/service.ts); this gives it the demo and says what the store holds.
 * Undefined when the store is off.
 */
export async function startEmbeddedStore(app: App, log: Logger, now = new Date()): Promise<EmbeddedStart | undefined> {
  if (!app.store) return undefined;
  const start = await app.store.startWriter({ demo: seedDemoData, log, now });
  return {
    file: start.file,
    records: start.summary.datasets.reduce((n, d) => n + d.records, 0),
    datasets: start.summary.datasets.length,
    ...(start.demo ? { demo: start.demo } : {}),
    retentionDays: app.rt.config.RETENTION_DAYS,
    retention: start.summary.retention,
  };
}

/**
 * For the processes that only read the store (stdio servers, `telemcp call`): an empty store
 * gets the demo dataset, as `serve` gives it, unless a writer runs beside them (the service says how).
 */
export async function prepareReadersStore(app: App, log: Logger, now = new Date()): Promise<DemoLoad | undefined> {
  return app.store?.prepareForReaders({ demo: seedDemoData, log, now });
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
