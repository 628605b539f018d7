import { join, resolve } from 'node:path';
import { TelemcpError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { loadDemo, type DemoLoad, type DemoSource } from '../../store/demo.js';
import { isDataDirInUse } from '../../store/lock.js';
import { STORE_FILE, type StoreSummary, type WriteResult } from '../../store/log-store.js';
import { StoreWriter } from '../../store/writer.js';
import type { Metrics } from '../../telemetry/metrics.js';
import type { StoreRole } from '../backends.js';
import { capability } from '../module.js';
import { ReaderThread } from './reader-thread.js';
import { storeView, type StoreView } from './store-view.js';
import { WorkerLogSource } from './worker-log-source.js';

const DAY_MS = 86_400_000;
const HOURLY = 3_600_000;

export interface EmbeddedStoreSettings {
  dataDir: string;
  role: StoreRole;
  /** CURSOR_SECRET, which signs search cursors. */
  cursorSecret?: string;
  /** DEMO_DATA: an empty store gets the demo dataset. */
  demoData: boolean;
  /** RETENTION_DAYS: records are deleted this long after they were stored; 0 keeps them. */
  retentionDays: number;
  /** How often retention runs after its first pass (default hourly). */
  retentionIntervalMs?: number;
  /** Counts what retention deletes. */
  metrics?: Metrics;
  /** The largest logs.db may grow to (tests of a full disk). */
  maxBytes?: number;
}

export interface StoreStartOptions {
  /** The demo dataset, for an empty store while DEMO_DATA is on (the CLI makes it from `telemcp seed`'s generator). */
  demo: DemoSource;
  log: Pick<Logger, 'info' | 'error'>;
  now?: Date;
}

/** What the writer found and did at start, for the banner. */
export interface StoreStart {
  file: string;
  /** What the store holds after the demo load and the first retention pass. */
  summary: StoreSummary;
  demo?: DemoLoad;
}

/**
 * The embedded store as a service, one per process that serves it. It owns the store's threads:
 * the reader thread, which the log source (LOG_SOURCE) and the read-only view (STORE_READER)
 * share, and in the process that writes the store (StoreRole `writer`: `telemcp serve` over
 * HTTP) the writer thread, which holds the DATA_DIR lock, takes HTTP ingest, loads the demo and
 * runs retention. Nothing is opened before it is needed: listing tools opens no file and takes
 * no lock. Tools get the view, never this. It lives with the backend rather than in store/
 * because its reader thread runs the log source (log-source.ts), which store/ may not import;
 * the store gives it the writer (store/writer.ts), the demo load and the retention pass.
 */
export class EmbeddedStore {
  readonly dataDir: string;
  readonly file: string;
  readonly logs: WorkerLogSource;
  readonly view: StoreView;
  private readonly reader: ReaderThread;
  private writer?: Promise<StoreWriter>;
  private retentionTimer?: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly settings: EmbeddedStoreSettings) {
    this.dataDir = resolve(settings.dataDir);
    this.file = join(this.dataDir, STORE_FILE);
    this.reader = new ReaderThread({
      dataDir: this.dataDir,
      cursorSecret: settings.cursorSecret,
      // The writer creates and upgrades the file: in its process nothing reads before it is open.
      ready: settings.role === 'writer' ? () => this.openWriter() : undefined,
    });
    this.logs = new WorkerLogSource(this.reader);
    this.view = storeView(this.reader);
  }

  /**
   * Brings the store into service in its writer: takes the lock (a second writer is refused
   * here, with the holder's pid), loads the demo dataset into an empty store, runs a first
   * retention pass before anything is counted (the banner tells what the store holds, not what
   * it held before the pass) and keeps retention running in the background.
   */
  async startWriter(opts: StoreStartOptions): Promise<StoreStart> {
    this.require('writer', 'start as the writer');
    const writer = await this.openWriter();
    let demo: DemoLoad | undefined;
    if (this.settings.demoData && (await writer.summary()).datasets.length === 0) {
      demo = await loadDemo(writer, opts.demo, opts.now ?? new Date());
      logDemo(opts.log, demo);
    }
    await this.startRetention(opts.log);
    return { file: this.file, summary: await writer.summary(), ...(demo ? { demo } : {}) };
  }

  /**
   * For the processes that only read the store (stdio servers, `telemcp call`): a store that is
   * missing or empty gets the demo dataset, as the writer gives it, so a first call has logs to
   * read. The lock is taken only for that load and released at once; when another process holds
   * it, that process is the writer and loads the demo itself.
   */
  async prepareForReaders(opts: StoreStartOptions): Promise<DemoLoad | undefined> {
    this.require('reader', 'prepare the store for readers');
    if (!this.settings.demoData) return undefined;
    try {
      if ((await this.view.summary(new AbortController().signal)).datasets.length > 0) return undefined;
    } catch {
      // A store of an older version cannot be read before it is upgraded: the writer below upgrades it.
    }
    let writer: StoreWriter;
    try {
      writer = await StoreWriter.open(this.dataDir, { maxBytes: this.settings.maxBytes });
    } catch (err) {
      if (isDataDirInUse(err)) return undefined;
      throw err;
    }
    try {
      if ((await writer.summary()).datasets.length > 0) return undefined;
      const demo = await loadDemo(writer, opts.demo, opts.now ?? new Date());
      logDemo(opts.log, demo);
      return demo;
    } finally {
      await writer.close();
    }
  }

  /**
   * Commits up to MAX_BATCH records through the writer thread: durable when this resolves, the
   * records the store refused reported by index with the reason. HTTP ingest writes here.
   */
  async ingest(records: Parameters<StoreWriter['write']>[0]): Promise<WriteResult> {
    this.require('writer', 'take writes');
    return (await this.openWriter()).write(records);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.retentionTimer);
    await this.reader.close();
    const writer = await this.writer?.catch(() => undefined);
    await writer?.close();
  }

  /** The writer thread, opened on first need; one that failed to open, or died since, is opened anew by the next caller. */
  private async openWriter(): Promise<StoreWriter> {
    for (;;) {
      if (this.closed) throw new TelemcpError('backend_unavailable', 'The embedded store is closed.', { hint: 'The server is shutting down; retry against a running one.' });
      const opening = (this.writer ??= StoreWriter.open(this.dataDir, { maxBytes: this.settings.maxBytes }));
      let writer: StoreWriter;
      try {
        writer = await opening;
      } catch (err) {
        if (this.writer === opening) this.writer = undefined;
        throw err;
      }
      if (writer.alive) return writer;
      if (this.writer === opening) this.writer = undefined;
    }
  }

  /** Prunes now and every interval until close; a failed pass is logged and retried at the next interval. */
  private async startRetention(log: StoreStartOptions['log']): Promise<void> {
    clearInterval(this.retentionTimer);
    const days = this.settings.retentionDays;
    if (days <= 0) return;
    const pass = async () => {
      if (this.closed) return;
      try {
        const result = await (await this.openWriter()).prune(Date.now() - days * DAY_MS);
        if (result.deleted === 0) return;
        log.info({ deleted: result.deleted, datasets: result.datasets.slice(0, 10), days }, 'retention deleted records stored longer ago than RETENTION_DAYS');
        this.settings.metrics?.retentionDeleted.inc(result.deleted);
      } catch (err) {
        // A pass cut short by close deleted nothing it did not report; only a running store's failure is news.
        if (!this.closed) log.error({ err }, 'retention failed; it runs again at the next interval');
      }
    };
    this.retentionTimer = setInterval(() => void pass(), this.settings.retentionIntervalMs ?? HOURLY).unref();
    await pass();
  }

  private require(role: StoreRole, what: string): void {
    if (this.settings.role !== role) throw new TelemcpError('internal_error', `This process is the embedded store's ${this.settings.role}; only its ${role} may ${what}.`);
  }
}

/** The embedded store service, for the composition root and the front doors that write (HTTP ingest); never for tools. */
export const STORE_SERVICE = capability<EmbeddedStore>('store-service');

function logDemo(log: StoreStartOptions['log'], demo: DemoLoad): void {
  log.info({ records: demo.records, datasets: demo.datasets.length, incident_start: demo.incident.start }, 'embedded store was empty: demo dataset loaded');
}
