/**
 * The embedded store as a service (backends/embedded/service.ts) over real SQLite files: tools
 * get a view that can only read, in the writer process too; HTTP ingest commits in the store's
 * writer thread, never on the server's; the writer's start loads the demo into an empty store
 * and runs retention; a reader loads the demo only when no writer holds the DATA_DIR.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { buildBackends } from '../../src/backends/backends.js';
import { STORE_READER } from '../../src/backends/embedded/module.js';
import { EmbeddedStore, STORE_SERVICE } from '../../src/backends/embedded/service.js';
import { createLogger } from '../../src/core/logger.js';
import type { IngestRecord } from '../../src/ingest/record.js';
import { isDemoDataset, type DemoSource } from '../../src/store/demo.js';
import { LOCK_FILE } from '../../src/store/lock.js';
import { STORE_FILE, openLogStore } from '../../src/store/log-store.js';
import { Metrics } from '../../src/telemetry/metrics.js';
import { testConfig } from '../helpers/config.js';
import { startServerInProcess } from '../helpers/server.js';

const DAY = 86_400_000;
const silent = createLogger('silent');
const forever = () => new AbortController().signal;

const dirs: string[] = [];
const dataDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'telemcp-store-service-'));
  dirs.push(dir);
  return dir;
};

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const records = (n: number, dataset = 'app', message = (i: number) => `request ${i} done`): IngestRecord[] =>
  Array.from({ length: n }, (_, i) => ({ ts: Date.now() - 60_000 + i, dataset, service: 'api', level: 'info', message: message(i) }));

/** A small demo dataset: the store's start takes any DemoSource; the real one (cli/demo-data.ts) takes seconds to generate. */
const tinyDemo: DemoSource = async (now) => ({
  batches: [records(30, 'logs-checkout-demo'), records(20, 'logs-payment-demo')],
  datasets: ['logs-checkout-demo', 'logs-payment-demo'],
  window: { start: new Date(now.getTime() - 3_600_000).toISOString(), end: now.toISOString() },
  incident: { start: now.toISOString(), summary: 'a tiny incident' },
});

const held = (summary: { datasets: { records: number }[] }) => summary.datasets.reduce((n, d) => n + d.records, 0);

/** The lock file another live telemcp process (this test's parent) would leave in `dir`. */
function lockedByAnotherProcess(dir: string): void {
  writeFileSync(join(dir, LOCK_FILE), `${JSON.stringify({ pid: process.ppid, startedAt: new Date().toISOString(), host: hostname(), token: 'another-process' })}\n`);
}

describe('the read-only view tools get', () => {
  it('has no way to write, in the writer process too, and reads what the writer committed', async () => {
    const backends = buildBackends(testConfig({ EMBEDDED_STORE: 'on', DEMO_DATA: 'false' }), undefined, 'writer');
    try {
      const view = backends.first(STORE_READER)!;
      const service = backends.first(STORE_SERVICE)!;
      // @ts-expect-error The view's type has no write: a tool cannot even name one.
      expect(view.write).toBeUndefined();
      // At run time it is a frozen object with the two reads and nothing else: not the service, not a store cast down.
      expect(Object.keys(view).sort()).toEqual(['demoDatasets', 'summary']);
      expect(Object.isFrozen(view)).toBe(true);
      expect(view).not.toBe(service);
      for (const method of ['write', 'writeAll', 'prune', 'ingest', 'close']) expect(method in view, method).toBe(false);
      expect(() => Object.assign(view, { write: () => undefined })).toThrow(TypeError);

      expect((await service.ingest(records(7))).stored).toBe(7);
      expect((await view.summary(forever())).datasets).toMatchObject([{ name: 'app', records: 7 }]);
    } finally {
      await backends.close();
    }
  });
});

describe('HTTP ingest goes through the store writer thread', () => {
  it("keeps the server's event loop answering while the write waits for the store, and acknowledges once committed", async () => {
    const INGEST_KEY = `ing_${randomBytes(12).toString('hex')}`;
    const server = await startServerInProcess({ EMBEDDED_STORE: 'on', DEMO_DATA: 'false', API_KEYS: `${INGEST_KEY}:ingest` });
    const bulk = (index: string, n: number) =>
      fetch(`${server.url}/_bulk`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson', 'X-API-Key': INGEST_KEY },
        body: `${Array.from({ length: n }, (_, i) => `{"index":{"_index":"${index}"}}\n{"message":"line ${i}","@timestamp":"${new Date().toISOString()}"}`).join('\n')}\n`,
      });
    let blocker: Database.Database | undefined;
    try {
      expect((await bulk('logs-first', 1)).status).toBe(200);
      // Another connection takes the store's write lock, as a long transaction would: the next commit must wait for it.
      blocker = new Database(join(server.app.rt.config.DATA_DIR, STORE_FILE));
      blocker.exec('BEGIN IMMEDIATE');
      const bytesBefore = await ingestedBytes(server.app.rt.metrics);
      let settled = false;
      const waiting = bulk('logs-waiting', 50).then((res) => {
        settled = true;
        return res;
      });
      // The body has been read once its bytes are counted; the write is sent right after. On the
      // server's thread, that write would hold this very thread until SQLite gives up (5 s, then 429).
      while ((await ingestedBytes(server.app.rt.metrics)) === bytesBefore) await new Promise((r) => setTimeout(r, 5));
      const health = await fetch(`${server.url}/healthz`);
      expect(health.status).toBe(200);
      expect(settled).toBe(false);
      blocker.exec('COMMIT');
      const res = await waiting;
      expect(res.status).toBe(200);
      expect(((await res.json()) as { errors: boolean; items: unknown[] }).items).toHaveLength(50);
      expect((await server.app.store!.view.summary(forever())).datasets).toMatchObject([{ name: 'logs-first', records: 1 }, { name: 'logs-waiting', records: 50 }]);
    } finally {
      blocker?.close();
      await server.close();
    }
  });
});

async function ingestedBytes(metrics: Metrics): Promise<number> {
  return (await metrics.ingestBytes.get()).values.reduce((n, v) => n + v.value, 0);
}

describe('the writer starts the store: lock, demo load, retention', () => {
  it('loads the demo into an empty store, all of it, and says so', async () => {
    const dir = dataDir();
    const service = new EmbeddedStore({ dataDir: dir, role: 'writer', demoData: true, retentionDays: 7 });
    try {
      const start = await service.startWriter({ demo: tinyDemo, log: silent });
      expect(start.file).toBe(join(dir, STORE_FILE));
      expect(start.demo).toMatchObject({ records: 50, datasets: ['logs-checkout-demo', 'logs-payment-demo'], incident: { summary: 'a tiny incident' } });
      expect(start.summary.datasets.map((d) => [d.name, d.records])).toEqual([
        ['logs-checkout-demo', 30],
        ['logs-payment-demo', 20],
      ]);
      // The writer holds the DATA_DIR for as long as it runs.
      expect(existsSync(join(dir, LOCK_FILE))).toBe(true);
      // The view learns the demo datasets from the reader thread's answers, for the log tools' demo_data.
      await service.view.summary(forever());
      expect([...service.view.demoDatasets()].sort()).toEqual(['logs-checkout-demo', 'logs-payment-demo']);
    } finally {
      await service.close();
    }
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it('loads no demo into a store that holds logs, and runs a first retention pass before it answers', async () => {
    const dir = dataDir();
    let clock = Date.now() - 10 * DAY;
    const direct = openLogStore({ dataDir: dir, now: () => clock });
    direct.write(records(40, 'old'));
    clock = Date.now();
    direct.write(records(5, 'recent'));
    direct.close();

    const metrics = new Metrics();
    const service = new EmbeddedStore({ dataDir: dir, role: 'writer', demoData: true, retentionDays: 7, metrics });
    try {
      const start = await service.startWriter({ demo: tinyDemo, log: silent });
      expect(start.demo).toBeUndefined();
      expect(start.summary.datasets).toMatchObject([{ name: 'recent', records: 5 }]);
      expect(start.summary.retention).toMatchObject({ deletedTotal: 40, lastPass: { deleted: 40, datasets: [{ name: 'old', deleted: 40 }] } });
      expect((await metrics.retentionDeleted.get()).values[0].value).toBe(40);
    } finally {
      await service.close();
    }
  });

  it('refuses to start beside another writer of the DATA_DIR, naming it', async () => {
    const dir = dataDir();
    lockedByAnotherProcess(dir);
    const service = new EmbeddedStore({ dataDir: dir, role: 'writer', demoData: true, retentionDays: 7 });
    try {
      await expect(service.startWriter({ demo: tinyDemo, log: silent })).rejects.toThrow(new RegExp(`in use by another telemcp process \\(pid ${process.ppid}`));
    } finally {
      await service.close();
    }
  });
});

describe('a reader process prepares the store', () => {
  it('loads the demo into an empty store when no writer runs, and takes no lock for good', async () => {
    const dir = dataDir();
    const service = new EmbeddedStore({ dataDir: dir, role: 'reader', demoData: true, retentionDays: 7 });
    try {
      expect(await service.prepareForReaders({ demo: tinyDemo, log: silent })).toMatchObject({ records: 50 });
      expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
      expect(held(await service.view.summary(forever()))).toBe(50);
      // A second start finds logs and loads nothing.
      expect(await service.prepareForReaders({ demo: tinyDemo, log: silent })).toBeUndefined();
      // A reader takes no writes.
      await expect(service.ingest(records(1))).rejects.toMatchObject({ code: 'internal_error' });
    } finally {
      await service.close();
    }
  });

  it('leaves the demo to the writer when one holds the DATA_DIR', async () => {
    const dir = dataDir();
    lockedByAnotherProcess(dir);
    const service = new EmbeddedStore({ dataDir: dir, role: 'reader', demoData: true, retentionDays: 7 });
    try {
      expect(await service.prepareForReaders({ demo: tinyDemo, log: silent })).toBeUndefined();
      expect(existsSync(join(dir, STORE_FILE))).toBe(false);
      expect(await service.view.summary(forever())).toEqual({ datasets: [], retention: { deletedTotal: 0 } });
      expect(service.view.demoDatasets().some(isDemoDataset)).toBe(false);
    } finally {
      await service.close();
    }
  });
});
