/**
 * A large push is parsed off the server's event loop (src/server/ingest/parse-thread.ts): over real
 * HTTP against the real app and store, a `/healthz` sent once the push's body is in is answered
 * before the push's records reach the store, and a push whose client goes away mid-parse stores
 * nothing, is put on record, and leaves the server answering the next push. Ordering only, never
 * durations.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmbeddedStore } from '../../src/backends/embedded/service.js';
import type { AuditRecord } from '../../src/security/audit.js';
import { startServerInProcess, type InProcessServer } from '../helpers/server.js';

const KEY = `ing_${randomBytes(18).toString('hex')}`;
/** Loki JSON entries in the large push: about 10 MB, hundreds of milliseconds of parsing. */
const ENTRIES = 60_000;

let server: InProcessServer;
let dataDir: string;
/** What happened, in order: `healthz` answered, `store` first asked to write. */
const events: string[] = [];

function lokiPush(entries: number): string {
  const t0 = BigInt(Date.now() - 3_600_000) * 1_000_000n;
  const values = Array.from({ length: entries }, (_, i) => [String(t0 + BigInt(i) * 1_000_000n), `request ${i} to /api/v1/orders/${i % 9973} finished status=200 in ${i % 997} ms region=eu-west-${i % 3} user=u${i % 313}`]);
  return JSON.stringify({ streams: [{ stream: { service_name: 'checkout', env: 'bench' }, values }] });
}

/** Resolves once the server has read a body on the Loki route (the metric counts it just before parsing). */
async function bodyRead(before: number): Promise<void> {
  for (;;) {
    const metric = await server.app.rt.metrics.ingestBytes.get();
    const read = metric.values.filter((v) => v.labels.endpoint === 'loki_push').reduce((n, v) => n + v.value, 0);
    if (read > before) return;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

async function lokiBytesSoFar(): Promise<number> {
  const metric = await server.app.rt.metrics.ingestBytes.get();
  return metric.values.filter((v) => v.labels.endpoint === 'loki_push').reduce((n, v) => n + v.value, 0);
}

const push = (body: string, signal?: AbortSignal) =>
  fetch(`${server.url}/loki/api/v1/push`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body, signal });

function audit(): AuditRecord[] {
  const path = join(dataDir, 'audit.log');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AuditRecord);
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'telemcp-parse-thread-'));
  server = await startServerInProcess({ API_KEYS: `${KEY}:ingest`, DATA_DIR: dataDir, EMBEDDED_STORE: 'on', DEMO_DATA: 'false' });
  const store = server.app.store;
  if (!store) throw new Error('the app started without its embedded store: EMBEDDED_STORE=on should have opened one');
  // The routes' view of the store, noting when it is first asked to write.
  server.app.store = {
    dataDir: store.dataDir,
    ingest: (records: Parameters<EmbeddedStore['ingest']>[0]) => {
      events.push('store');
      return store.ingest(records);
    },
    close: () => store.close(),
  } as unknown as EmbeddedStore;
});

afterAll(async () => {
  await server?.close();
});

describe('a large push and the event loop', () => {
  it('answers /healthz, sent once the push is being parsed, before the push reaches the store', async () => {
    events.length = 0;
    const before = await lokiBytesSoFar();
    const pushed = push(lokiPush(ENTRIES)).then(async (res) => {
      events.push('push');
      return { status: res.status, text: await res.text() };
    });
    await bodyRead(before);
    const health = await fetch(`${server.url}/healthz`);
    events.push(`healthz ${health.status}`);
    expect((await pushed).status).toBe(204);
    expect(events[0]).toBe('healthz 200');
    expect(events.slice(1)).toEqual([...events.slice(1, -1).map(() => 'store'), 'push']);
    expect(events).toContain('store');
  });

  it('stores nothing for a push whose client goes away mid-parse, audits it, and takes the next push', async () => {
    events.length = 0;
    const before = await lokiBytesSoFar();
    const gone = new AbortController();
    const pushed = push(lokiPush(ENTRIES), gone.signal).catch((err: Error) => err.name);
    await bodyRead(before);
    gone.abort();
    expect(await pushed).toBe('AbortError');
    // The server puts the abandoned push on record once its parse has been dropped.
    for (let i = 0; !audit().some((r) => r.phase === 'after' && r.code === 'invalid_input'); i++) {
      if (i > 5000) throw new Error('the abandoned push was never audited');
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    expect(events).toEqual([]);
    expect(audit().filter((r) => r.phase === 'after').at(-1)).toMatchObject({ decision: 'denied', status: 400, code: 'invalid_input', records_stored: 0 });
    const next = await push(lokiPush(10));
    expect(next.status).toBe(204);
    expect(events).toEqual(['store']);
  });
});
