/**
 * HTTP ingest on the server's own port, end to end over real HTTP against the real app and a real
 * SQLite store in a temporary DATA_DIR: what Filebeat, Fluent Bit, Vector, Logstash, Loki clients
 * and the OpenTelemetry Collector send (bodies, encodings, content types and credentials shaped as
 * those shippers send them), the handshakes they make first, the answers they expect, and the
 * security model around it (ingest-only keys, body caps during decompression, audit, metrics).
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../src/security/audit.js';
import { EmbeddedStore } from '../../src/backends/embedded/service.js';
import { STORE_FILE, openLogStore, type LogStoreReader, type StoredLog } from '../../src/store/log-store.js';
import { lokiProtobufBody } from '../helpers/loki-push-protobuf.js';
import { startServerInProcess, type InProcessServer } from '../helpers/server.js';

const INGEST_KEY = `ing_${randomBytes(18).toString('hex')}`;
const VIEWER_KEY = `vw_${randomBytes(18).toString('hex')}`;
const API_KEYS = `${INGEST_KEY}:ingest,${VIEWER_KEY}:elk_viewer`;
const keyId = (key: string) => `k_${createHash('sha256').update(key).digest('hex').slice(0, 8)}`;
/** Message text only ever sent inside records: no answer to anyone may contain it. */
const MARKER = `marker-${randomBytes(6).toString('hex')}`;
const SECRET_IN_LOG = `password=${randomBytes(8).toString('hex')}`;

const basic = (user: string, key: string) => `Basic ${Buffer.from(`${user}:${key}`).toString('base64')}`;
const apiKeyAuth = (id: string, key: string) => `ApiKey ${Buffer.from(`${id}:${key}`).toString('base64')}`;

interface Started {
  server: InProcessServer;
  dataDir: string;
  /** Where the store the ingest routes write lives. */
  storeDir: string;
  /** A store service of the test's own, swapped in for the app's. */
  own?: EmbeddedStore;
  /** A read-only connection to read back what was acknowledged, beside the writer thread (WAL). */
  reader?: LogStoreReader;
}

/**
 * The app with its embedded store: the ingest routes write through the app's store service
 * (its writer thread); for a small store, a service of the test's own over another directory
 * takes its place.
 */
async function start(settings: Record<string, string> = {}, opts: { store?: boolean; maxStoreBytes?: number } = {}): Promise<Started> {
  const dataDir = mkdtempSync(join(tmpdir(), 'telemcp-ingest-'));
  const server = await startServerInProcess({ API_KEYS, DATA_DIR: dataDir, EMBEDDED_STORE: opts.store === false ? 'off' : 'on', DEMO_DATA: 'false', ...settings });
  if (opts.maxStoreBytes === undefined) return { server, dataDir, storeDir: dataDir };
  const storeDir = join(dataDir, 'small');
  const own = new EmbeddedStore({ dataDir: storeDir, role: 'writer', demoData: false, retentionDays: 0, maxBytes: opts.maxStoreBytes });
  server.app.store = own;
  return { server, dataDir, storeDir, own };
}

async function stop(s: Started | undefined): Promise<void> {
  if (!s) return;
  await s.server.close();
  await s.own?.close();
  s.reader?.close();
}

/** Every answer any test received, to check none ever carries a key or a record's text. */
const answers: string[] = [];

interface Res {
  status: number;
  headers: Headers;
  text: string;
  json: () => unknown;
}

async function call(url: string, init: RequestInit = {}): Promise<Res> {
  const res = await fetch(url, init);
  const text = await res.text();
  answers.push(`${res.status} ${JSON.stringify([...res.headers])} ${text}`);
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) };
}

function ndjson(lines: unknown[]): string {
  return lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n';
}

/** What the store holds in these datasets; nothing when nothing was ever written (no store file yet). */
function storedIn(s: Started, scope: string): StoredLog[] {
  if (!s.reader && !existsSync(join(s.storeDir, STORE_FILE))) return [];
  s.reader ??= openLogStore({ dataDir: s.storeDir, readonly: true });
  return s.reader.searchPage({ from: 0, to: Date.now() + 86_400_000, scope }, { limit: 1000, order: 'asc' }).records;
}

function readAudit(dataDir: string): (AuditRecord & { ts: string })[] {
  const path = join(dataDir, 'audit.log');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AuditRecord & { ts: string });
}

const nowNs = (offsetMs = 0) => `${BigInt(Date.now() - offsetMs) * 1_000_000n}`;

/** A Filebeat 8 event as the filestream input and add_host_metadata produce it. */
function filebeatEvent(i: number, message: string) {
  return {
    '@timestamp': new Date(Date.now() - 60_000 + i).toISOString(),
    log: { offset: 1024 * i, file: { path: '/var/log/checkout/app.log' } },
    message,
    input: { type: 'filestream' },
    ecs: { version: '8.0.0' },
    host: { name: 'web-1', hostname: 'web-1', architecture: 'x86_64', os: { family: 'debian', name: 'Debian GNU/Linux', kernel: '6.1.0-18-amd64' } },
    agent: { type: 'filebeat', version: '8.17.0', name: 'web-1', id: 'b2f3c7d0-6f0e-4e43-9d0c-7d0a2f5d1e11', ephemeral_id: '2f7c0b7e-1a43-4f7e-9b7c-0c1f3b3c1a55' },
    'log.level': i % 2 ? 'error' : 'info',
    service: { name: 'checkout' },
  };
}

let main: Started;

beforeAll(async () => {
  main = await start();
});

afterAll(async () => {
  await stop(main);
});

describe('Elasticsearch handshake', () => {
  it('GET / answers cluster info with version 8.17.0 and X-Elastic-Product; HEAD / answers 200', async () => {
    const res = await call(`${main.server.url}/`, { headers: { 'X-API-Key': INGEST_KEY } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-elastic-product')).toBe('Elasticsearch');
    const info = res.json() as { version: { number: string; build_flavor: string }; tagline: string; cluster_uuid: string };
    expect(info.version.number).toBe('8.17.0');
    expect(info.version.build_flavor).toBe('default');
    expect(info.tagline).toBe('You Know, for Search');
    const head = await call(`${main.server.url}/`, { method: 'HEAD', headers: { Authorization: basic('elastic', INGEST_KEY) } });
    expect(head.status).toBe(200);
    expect(head.headers.get('x-elastic-product')).toBe('Elasticsearch');
    expect(head.text).toBe('');
  });

  it('GET /_license is an active basic license (Filebeat and Logstash check it)', async () => {
    const res = await call(`${main.server.url}/_license?human=false`, { headers: { Authorization: apiKeyAuth('filebeat', INGEST_KEY) } });
    expect(res.status).toBe(200);
    expect((res.json() as { license: { status: string; type: string } }).license).toMatchObject({ status: 'active', type: 'basic' });
  });

  it('GET /_cluster/health is green (Vector healthcheck)', async () => {
    const res = await call(`${main.server.url}/_cluster/health`, { headers: { Authorization: `Bearer ${INGEST_KEY}` } });
    expect(res.status).toBe(200);
    expect((res.json() as { status: string }).status).toBe('green');
  });

  it('templates and ILM policies read as absent and installs are acknowledged (and dropped)', async () => {
    const headers = { 'X-API-Key': INGEST_KEY, 'content-type': 'application/json' };
    for (const path of ['/_index_template/filebeat-8.17.0', '/_ilm/policy/filebeat', '/_component_template/logs-settings', '/_template/logstash']) {
      const absent = await call(`${main.server.url}${path}`, { headers });
      expect(absent.status, path).toBe(404);
      expect(absent.headers.get('x-elastic-product')).toBe('Elasticsearch');
      const head = await call(`${main.server.url}${path}`, { method: 'HEAD', headers });
      expect(head.status, path).toBe(404);
      const put = await call(`${main.server.url}${path}`, { method: 'PUT', headers, body: JSON.stringify({ index_patterns: ['filebeat-*'], template: { settings: { 'index.lifecycle.name': 'filebeat' } } }) });
      expect(put.status, path).toBe(200);
      expect(put.json()).toEqual({ acknowledged: true });
    }
    const cat = await call(`${main.server.url}/_cat/templates/filebeat-8.17.0?format=json`, { headers });
    expect(cat.status).toBe(200);
    expect(cat.json()).toEqual([]);
  });

  it('only the implemented paths exist: anything else stays 404 for an ingest key, and nothing reads data back', async () => {
    for (const [method, path] of [
      ['GET', '/_search'],
      ['POST', '/filebeat-8.17.0/_search'],
      ['GET', '/filebeat-8.17.0/_doc/1'],
      ['GET', '/_nodes/stats'],
    ] as const) {
      const res = await call(`${main.server.url}${path}`, { method, headers: { 'X-API-Key': INGEST_KEY } });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
  });
});

describe('POST /_bulk', () => {
  it('takes a Filebeat batch (gzip, application/json, create actions, ApiKey auth) and answers per item after the durable write', async () => {
    const events = Array.from({ length: 50 }, (_, i) => filebeatEvent(i, `${MARKER} checkout request ${i} finished`));
    const body = ndjson(events.flatMap((e) => [{ create: { _index: 'filebeat-8.17.0' } }, e]));
    const res = await call(`${main.server.url}/_bulk`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json; charset=UTF-8',
        'content-encoding': 'gzip',
        accept: 'application/json',
        'user-agent': 'Elastic-filebeat/8.17.0 (linux; amd64; 0123456789abcdef; 2024-12-11 00:00:00 +0000 UTC)',
        'x-elastic-product-origin': 'beats',
        authorization: apiKeyAuth('filebeat-web-1', INGEST_KEY),
      },
      body: gzipSync(body),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-elastic-product')).toBe('Elasticsearch');
    const answer = res.json() as { took: number; errors: boolean; items: { create: { status: number; _index: string; result: string } }[] };
    expect(answer.errors).toBe(false);
    expect(typeof answer.took).toBe('number');
    expect(answer.items).toHaveLength(50);
    expect(answer.items.every((it) => it.create.status === 201 && it.create.result === 'created' && it.create._index === 'filebeat-8.17.0')).toBe(true);
    // Acknowledged means stored: read back from the store right after the answer.
    const stored = storedIn(main, 'filebeat-8.17.0');
    expect(stored).toHaveLength(50);
    expect(stored[0]).toMatchObject({ dataset: 'filebeat-8.17.0', service: 'checkout', host: 'web-1' });
    expect(stored.filter((r) => r.level === 'error')).toHaveLength(25);
    expect(stored.every((r) => r.message.includes(MARKER))).toBe(true);
  });

  it('takes a Fluent Bit batch (application/x-ndjson, index actions with _type, Basic auth, Logstash_Format index)', async () => {
    const index = 'logstash-2025.03.01';
    const docs = [
      { '@timestamp': '2025-03-01T10:00:00.000Z', log: `${MARKER} GET /health 200 ${SECRET_IN_LOG}`, stream: 'stdout', kubernetes: { pod_name: 'api-7d9', namespace_name: 'shop', container_name: 'api', labels: { app: 'api' } } },
      { '@timestamp': '2025-03-01T10:00:01.000Z', log: `${MARKER} ERROR upstream timed out`, stream: 'stderr', kubernetes: { pod_name: 'api-7d9', namespace_name: 'shop', container_name: 'api', labels: { app: 'api' } } },
    ];
    const body = ndjson(docs.flatMap((d) => [{ index: { _index: index, _type: '_doc' } }, d]));
    const res = await call(`${main.server.url}/_bulk`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson', authorization: basic('fluent', INGEST_KEY), 'user-agent': 'Fluent-Bit' },
      body,
    });
    expect(res.status).toBe(200);
    const answer = res.json() as { errors: boolean; items: { index: { status: number } }[] };
    expect(answer.errors).toBe(false);
    expect(answer.items.map((i) => i.index.status)).toEqual([201, 201]);
    const stored = storedIn(main, index);
    expect(stored).toHaveLength(2);
    expect(stored.map((r) => r.service)).toEqual(['api', 'api']);
    expect(stored[1].level).toBe('error');
  });

  it('POST /{index}/_bulk uses the path index as the default _index (Vector, deflate-compressed)', async () => {
    const body = ndjson([{ index: {} }, { message: `${MARKER} vector line`, timestamp: new Date().toISOString(), host: 'vec-1' }]);
    const res = await call(`${main.server.url}/vector-2025.03.01/_bulk?timeout=60s`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson', 'content-encoding': 'deflate', 'X-API-Key': INGEST_KEY },
      body: deflateSync(body),
    });
    expect(res.status).toBe(200);
    expect((res.json() as { items: { index: { _index: string; status: number } }[] }).items[0].index).toMatchObject({ _index: 'vector-2025.03.01', status: 201 });
    expect(storedIn(main, 'vector-2025.03.01')).toHaveLength(1);
  });

  it('answers each refused item with its own error and stores the others', async () => {
    const body = ndjson([
      { index: { _index: 'logs-mixed' } },
      { message: `${MARKER} good one`, '@timestamp': new Date().toISOString() },
      { delete: { _index: 'logs-mixed', _id: 'x' } },
      { index: { _index: 'Logs-Upper' } },
      { message: `${MARKER} bad index` },
      { create: { _index: 'logs-mixed' } },
      '{"message": "not json',
      { update: { _index: 'logs-mixed', _id: 'y' } },
      { doc: { a: 1 } },
      { create: { _index: 'logs-mixed', _id: 'keep-2' } },
      { message: `${MARKER} good two`, '@timestamp': new Date().toISOString() },
    ]);
    const res = await call(`${main.server.url}/_bulk?filter_path=errors,items.*.error,items.*.status`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson', 'X-API-Key': INGEST_KEY },
      body,
    });
    expect(res.status).toBe(200);
    const answer = res.json() as { errors: boolean; items: Record<string, { status: number; _id?: string; error?: { type: string } }>[] };
    expect(answer.errors).toBe(true);
    const flat = answer.items.map((item) => Object.entries(item)[0]);
    expect(flat.map(([action, r]) => [action, r.status, r.error?.type])).toEqual([
      ['index', 201, undefined],
      ['delete', 400, 'illegal_argument_exception'],
      ['index', 400, 'invalid_index_name_exception'],
      ['create', 400, 'document_parsing_exception'],
      ['update', 400, 'illegal_argument_exception'],
      ['create', 201, undefined],
    ]);
    expect(flat[5][1]._id).toBe('keep-2');
    expect(storedIn(main, 'logs-mixed').map((r) => r.message)).toEqual([`${MARKER} good one`, `${MARKER} good two`]);
  });

  it('refuses a body with no action as Elasticsearch does (400), and an unsupported Content-Type with 406', async () => {
    const empty = await call(`${main.server.url}/_bulk`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson', 'X-API-Key': INGEST_KEY }, body: '\n' });
    expect(empty.status).toBe(400);
    expect((empty.json() as { error: { type: string } }).error.type).toBe('action_request_validation_exception');
    const form = await call(`${main.server.url}/_bulk`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'X-API-Key': INGEST_KEY }, body: 'a=b' });
    expect(form.status).toBe(406);
    expect((form.json() as { error: { type: string } }).error.type).toBe('media_type_header_exception');
  });

  it('refuses an unsupported Content-Encoding with 415 and a corrupt gzip body with 400', async () => {
    const br = await call(`${main.server.url}/_bulk`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson', 'content-encoding': 'br', 'X-API-Key': INGEST_KEY }, body: 'xx' });
    expect(br.status).toBe(415);
    const corrupt = await call(`${main.server.url}/_bulk`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip', 'X-API-Key': INGEST_KEY }, body: 'not gzip at all' });
    expect(corrupt.status).toBe(400);
    expect((corrupt.json() as { status: number }).status).toBe(400);
  });
});

describe('POST /loki/api/v1/push', () => {
  it('stores a JSON push and answers 204 (Bearer auth, gzip)', async () => {
    const push = {
      streams: [
        { stream: { job: 'loki-app', app: 'payments', level: 'error', host: 'node-3' }, values: [[nowNs(2000), `${MARKER} card declined`], [nowNs(1000), `${MARKER} retry scheduled`, { trace_id: '4bf92f3577b34da6a3ce929d0e0e4736' }]] },
      ],
    };
    const res = await call(`${main.server.url}/loki/api/v1/push`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', authorization: `Bearer ${INGEST_KEY}`, 'X-Scope-OrgID': 'tenant-1' },
      body: gzipSync(JSON.stringify(push)),
    });
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    const stored = storedIn(main, 'loki-app');
    expect(stored).toHaveLength(2);
    expect(stored[0]).toMatchObject({ service: 'payments', level: 'error', host: 'node-3' });
    expect(stored[1].traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });

  it('keeps the valid entries of a partly invalid push and answers 400 with the reasons', async () => {
    const push = { streams: [{ stream: { job: 'loki-partial' }, values: [[nowNs(), `${MARKER} fine`], [12345, 'numeric timestamp'], [nowNs(), '']] }] };
    const res = await call(`${main.server.url}/loki/api/v1/push`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: basic('tenant-1', INGEST_KEY) }, body: JSON.stringify(push) });
    expect(res.status).toBe(400);
    expect(res.text).toContain('must be a string of Unix epoch nanoseconds');
    expect(res.text).toContain('the log line is empty');
    expect(res.text).toContain('1 entries were accepted');
    expect(storedIn(main, 'loki-partial').map((r) => r.message)).toEqual([`${MARKER} fine`]);
  });

  it('reads the level of plain lines where the layout learned from the stream puts it (Android logcat letters)', async () => {
    const lines = ['03-17 16:13:38.811  1702  2395 D WindowManager: freezing', '03-17 16:13:38.819  1702  8671 W PowerManagerService: slow', `03-17 16:13:38.820  1702  8671 E PowerManagerService: ${MARKER} failed`];
    const push = { streams: [{ stream: { job: 'loki-logcat' }, values: lines.map((line, i) => [nowNs(3000 - i), line]) }] };
    const res = await call(`${main.server.url}/loki/api/v1/push`, { method: 'POST', headers: { 'content-type': 'application/json', 'X-API-Key': INGEST_KEY }, body: JSON.stringify(push) });
    expect(res.status).toBe(204);
    expect(storedIn(main, 'loki-logcat').map((r) => r.level)).toEqual(['debug', 'warn', 'error']);
  });

  it('takes a snappy-compressed protobuf push as Promtail sends it, with Content-Encoding snappy or gzip too; refuses the framed format 400 and other types 415', async () => {
    const push = (line: string) => lokiProtobufBody([{ labels: '{job="loki-proto", level="error"}', entries: [{ ns: BigInt(nowNs()), line: `${MARKER} ${line}` }] }]);
    const url = `${main.server.url}/loki/api/v1/push`;
    const proto = { 'content-type': 'application/x-protobuf', 'X-API-Key': INGEST_KEY };
    expect((await call(url, { method: 'POST', headers: proto, body: push('promtail') })).status).toBe(204);
    expect((await call(url, { method: 'POST', headers: { ...proto, 'content-encoding': 'snappy' }, body: push('grafana') })).status).toBe(204);
    expect((await call(url, { method: 'POST', headers: { ...proto, 'content-encoding': 'gzip' }, body: gzipSync(push('gzipped')) })).status).toBe(204);
    expect(storedIn(main, 'loki-proto').map((r) => [r.message, r.level])).toEqual(['promtail', 'grafana', 'gzipped'].map((l) => [`${MARKER} ${l}`, 'error']));
    const framed = await call(url, { method: 'POST', headers: { ...proto, 'content-encoding': 'snappy' }, body: Buffer.from([0xff, 0x06, 0, 0, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59]) });
    expect(framed.status).toBe(400);
    expect(framed.text).toMatch(/snappy framed .* send the block format/);
    const other = await call(url, { method: 'POST', headers: { 'content-type': 'application/msgpack', 'X-API-Key': INGEST_KEY }, body: Buffer.from([0x80]) });
    expect(other.status).toBe(415);
    expect(other.text).toMatch(/application\/x-protobuf/);
  });
});

describe('POST /v1/logs (OTLP/HTTP JSON)', () => {
  const otlp = (records: unknown[]) => ({
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'Cart' } }, { key: 'host.name', value: { stringValue: 'pod-9' } }] },
        scopeLogs: [{ scope: { name: 'io.opentelemetry.java', version: '2.1.0' }, logRecords: records }],
      },
    ],
  });

  it('stores the records and answers 200 {}', async () => {
    const body = otlp([
      { timeUnixNano: nowNs(500), severityNumber: 17, severityText: 'ERROR', body: { stringValue: `${MARKER} cart total mismatch` }, traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174' },
      { observedTimeUnixNano: nowNs(100), severityNumber: 9, body: { stringValue: `${MARKER} cart saved` } },
    ]);
    const res = await call(`${main.server.url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', 'X-API-Key': INGEST_KEY }, body: gzipSync(JSON.stringify(body)) });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({});
    const stored = storedIn(main, 'otel-cart');
    expect(stored).toHaveLength(2);
    expect(stored[0]).toMatchObject({ service: 'Cart', host: 'pod-9', level: 'error', traceId: '5b8efff798038103d269b633813fc60c' });
  });

  it('a record without a time takes the one its plain-text body states, in the layout learned from the resource’s bodies', async () => {
    const bodies = ['081109 203615 148 INFO dfs.DataNode: receiving block', `081109 203807 222 WARN dfs.DataNode: ${MARKER} slow block`];
    const body = otlp(bodies.map((b) => ({ body: { stringValue: b } })));
    body.resourceLogs[0].resource.attributes = [{ key: 'service.name', value: { stringValue: 'hdfs-bodies' } }];
    const res = await call(`${main.server.url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json', 'X-API-Key': INGEST_KEY }, body: JSON.stringify(body) });
    expect(res.status).toBe(200);
    expect(storedIn(main, 'otel-hdfs-bodies').map((r) => [new Date(r.ts).toISOString(), r.level, r.attrs?.['telemcp.time_inferred']])).toEqual([
      ['2008-11-09T20:36:15.000Z', 'info', undefined],
      ['2008-11-09T20:38:07.000Z', 'warn', undefined],
    ]);
  });

  it('answers partialSuccess for rejected records and keeps the rest', async () => {
    const body = otlp([{ timeUnixNano: 'yesterday', body: { stringValue: 'bad time' } }, { timeUnixNano: nowNs(), body: { stringValue: `${MARKER} ok record` } }]);
    body.resourceLogs[0].resource.attributes = [{ key: 'service.name', value: { stringValue: 'partial-svc' } }];
    const res = await call(`${main.server.url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${INGEST_KEY}` }, body: JSON.stringify(body) });
    expect(res.status).toBe(200);
    const answer = res.json() as { partialSuccess: { rejectedLogRecords: string; errorMessage: string } };
    expect(answer.partialSuccess.rejectedLogRecords).toBe('1');
    expect(answer.partialSuccess.errorMessage).toContain('timeUnixNano');
    expect(storedIn(main, 'otel-partial-svc').map((r) => r.message)).toEqual([`${MARKER} ok record`]);
  });

  it('answers a body that is not JSON 400 with a google.rpc.Status, and protobuf 415', async () => {
    const bad = await call(`${main.server.url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json', 'X-API-Key': INGEST_KEY }, body: '{"resourceLogs": [' });
    expect(bad.status).toBe(400);
    expect(bad.json()).toMatchObject({ code: 3 });
    const proto = await call(`${main.server.url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf', 'X-API-Key': INGEST_KEY }, body: Buffer.from([0x0a, 0x00]) });
    expect(proto.status).toBe(415);
    expect((proto.json() as { message: string }).message).toMatch(/encoding: json/);
  });
});

describe('keys and roles', () => {
  it('answers 401 without a key, with a wrong key, and with a key in the query string, in each protocol', async () => {
    const bulk = await call(`${main.server.url}/_bulk?api_key=${INGEST_KEY}`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: ndjson([{ index: { _index: 'logs-x' } }, { message: MARKER }]) });
    expect(bulk.status).toBe(401);
    expect((bulk.json() as { error: { type: string } }).error.type).toBe('security_exception');
    const wrong = await call(`${main.server.url}/`, { headers: { Authorization: basic('elastic', `${INGEST_KEY}x`) } });
    expect(wrong.status).toBe(401);
    const loki = await call(`${main.server.url}/loki/api/v1/push`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'ApiKey bm90LWEta2V5' }, body: '{"streams":[]}' });
    expect(loki.status).toBe(401);
    expect(loki.text).toMatch(/^authentication_failed/);
    const otlp = await call(`${main.server.url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(otlp.status).toBe(401);
    expect(otlp.json()).toMatchObject({ code: 16 });
  });

  it('answers 403 to a viewer key on every ingest endpoint and handshake, and stores nothing', async () => {
    const headers = { 'X-API-Key': VIEWER_KEY, 'content-type': 'application/json' };
    const bulk = await call(`${main.server.url}/_bulk`, { method: 'POST', headers, body: ndjson([{ index: { _index: 'logs-viewer' } }, { message: MARKER }]) });
    expect(bulk.status).toBe(403);
    expect(bulk.json()).toMatchObject({ status: 403, error: { type: 'security_exception' } });
    expect((bulk.json() as { error: { reason: string } }).error.reason).toMatch(/^permission_denied/);
    const loki = await call(`${main.server.url}/loki/api/v1/push`, { method: 'POST', headers, body: JSON.stringify({ streams: [{ stream: { job: 'logs-viewer' }, values: [[nowNs(), MARKER]] }] }) });
    expect(loki.status).toBe(403);
    const otlp = await call(`${main.server.url}/v1/logs`, { method: 'POST', headers, body: '{}' });
    expect(otlp.status).toBe(403);
    expect(otlp.json()).toMatchObject({ code: 7 });
    const root = await call(`${main.server.url}/`, { headers });
    expect(root.status).toBe(403);
    expect(storedIn(main, 'logs-viewer')).toHaveLength(0);
  });

  it('answers 403 to an ingest key on the tools (REST and MCP)', async () => {
    const rest = await call(`${main.server.url}/mcp/execute`, { method: 'POST', headers: { 'content-type': 'application/json', 'X-API-Key': INGEST_KEY }, body: JSON.stringify({ tool_name: 'telemcp_status', input: {} }) });
    expect(rest.status).toBe(403);
    expect((rest.json() as { error: { code: string } }).error.code).toBe('permission_denied');
    const tools = await call(`${main.server.url}/mcp/tools`, { headers: { 'X-API-Key': INGEST_KEY } });
    expect((tools.json() as { tools: unknown[] }).tools).toEqual([]);
  });

  it('refuses a browser origin on the ingest endpoints too', async () => {
    const res = await call(`${main.server.url}/_bulk`, { method: 'POST', headers: { 'X-API-Key': INGEST_KEY, origin: 'https://evil.example', 'content-type': 'application/x-ndjson' }, body: ndjson([{ index: { _index: 'logs-evil' } }, { message: MARKER }]) });
    expect(res.status).toBe(403);
    expect(storedIn(main, 'logs-evil')).toHaveLength(0);
  });
});

describe('body limits (INGEST_MAX_BYTES, enforced while inflating)', () => {
  let small: Started;
  beforeAll(async () => {
    small = await start({ INGEST_MAX_BYTES: String(256 * 1024) });
  });
  afterAll(async () => {
    await stop(small);
  });

  it('answers 413 to a body over the cap, declared or chunked', async () => {
    const line = ndjson([{ index: { _index: 'logs-big' } }, { message: 'x'.repeat(1000) }]);
    const big = line.repeat(300);
    const declared = await call(`${small.server.url}/_bulk`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson', 'X-API-Key': INGEST_KEY }, body: big });
    expect(declared.status).toBe(413);
    expect((declared.json() as { status: number }).status).toBe(413);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 40; i++) controller.enqueue(new TextEncoder().encode(line.repeat(10)));
        controller.close();
      },
    });
    const chunked = await call(`${small.server.url}/loki/api/v1/push`, { method: 'POST', headers: { 'content-type': 'application/json', 'X-API-Key': INGEST_KEY }, body: stream, duplex: 'half' } as RequestInit & { duplex: 'half' });
    expect(chunked.status).toBe(413);
    expect(storedIn(small, 'logs-big')).toHaveLength(0);
  });

  it('answers 413 to a gzip bomb without inflating it whole', async () => {
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20), { level: 9 });
    expect(bomb.length).toBeLessThan(256 * 1024);
    const before = process.memoryUsage().rss;
    const res = await call(`${small.server.url}/_bulk`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip', 'X-API-Key': INGEST_KEY }, body: bomb });
    expect(res.status).toBe(413);
    expect((res.json() as { error: { reason: string } }).error.reason).toMatch(/once decompressed/);
    // 64 MiB inflated whole would show; the cap stops it after 256 KiB and one zlib chunk.
    expect(process.memoryUsage().rss - before).toBeLessThan(48 * 1024 * 1024);
    const otlpBomb = await call(`${small.server.url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', 'X-API-Key': INGEST_KEY }, body: bomb });
    expect(otlpBomb.status).toBe(413);
    expect(otlpBomb.json()).toMatchObject({ code: 3 });
  });
});

describe('when the store cannot take the records', () => {
  let off: Started;
  let full: Started;
  beforeAll(async () => {
    [off, full] = await Promise.all([start({}, { store: false }), start({}, { maxStoreBytes: 256 * 1024 })]);
  });
  afterAll(async () => {
    await Promise.all([stop(off), stop(full)]);
  });

  it('answers 503 backend_unavailable with the hint when the embedded store is off, in each protocol', async () => {
    const bulk = await call(`${off.server.url}/_bulk`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson', 'X-API-Key': INGEST_KEY }, body: ndjson([{ index: { _index: 'logs-off' } }, { message: MARKER }]) });
    expect(bulk.status).toBe(503);
    expect((bulk.json() as { error: { reason: string } }).error.reason).toMatch(/^backend_unavailable: The embedded store is off.*EMBEDDED_STORE/);
    const loki = await call(`${off.server.url}/loki/api/v1/push`, { method: 'POST', headers: { 'content-type': 'application/json', 'X-API-Key': INGEST_KEY }, body: '{"streams":[]}' });
    expect(loki.status).toBe(503);
    expect(loki.text).toContain('EMBEDDED_STORE');
    const otlp = await call(`${off.server.url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json', 'X-API-Key': INGEST_KEY }, body: '{}' });
    expect(otlp.status).toBe(503);
    expect(otlp.json()).toMatchObject({ code: 14 });
  });

  it('answers a full disk with 429 es_rejected_execution_exception on _bulk (shippers retry) and 503 on Loki and OTLP', async () => {
    const doc = (i: number) => ({ message: `${MARKER} ${i} ${randomBytes(900).toString('base64')}`, '@timestamp': new Date().toISOString() });
    const body = ndjson(Array.from({ length: 600 }, (_, i) => [{ index: { _index: 'logs-full' } }, doc(i)]).flat());
    const res = await call(`${full.server.url}/_bulk`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson', 'X-API-Key': INGEST_KEY }, body });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBeTruthy();
    const error = (res.json() as { error: { type: string; reason: string } }).error;
    expect(error.type).toBe('es_rejected_execution_exception');
    expect(error.reason).toMatch(/disk is full/);
    expect(error.reason).toContain('DATA_DIR');
    expect(res.text).not.toContain(full.dataDir);
    const push = { streams: [{ stream: { job: 'logs-full' }, values: Array.from({ length: 600 }, (_, i) => [nowNs(), doc(i).message]) }] };
    const loki = await call(`${full.server.url}/loki/api/v1/push`, { method: 'POST', headers: { 'content-type': 'application/json', 'X-API-Key': INGEST_KEY }, body: JSON.stringify(push) });
    expect(loki.status).toBe(503);
    expect(loki.headers.get('retry-after')).toBeTruthy();
  });
});

describe('rate limit', () => {
  let limited: Started;
  beforeAll(async () => {
    // A tool-call budget of 1 would refuse the second request: ingest keys have their own.
    limited = await start({ INGEST_RATE_LIMIT_PER_MINUTE: '2', RATE_LIMIT_PER_MINUTE: '1' });
  });
  afterAll(async () => {
    await stop(limited);
  });

  it('answers 429 with Retry-After once the key has used its ingest budget, which is apart from tool calls\' budget', async () => {
    const send = () => call(`${limited.server.url}/_bulk`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson', 'X-API-Key': INGEST_KEY }, body: ndjson([{ index: { _index: 'logs-rl' } }, { message: MARKER }]) });
    expect((await send()).status).toBe(200);
    expect((await send()).status).toBe(200);
    const third = await send();
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((third.json() as { error: { type: string } }).error.type).toBe('es_rejected_execution_exception');
    expect(storedIn(limited, 'logs-rl')).toHaveLength(2);
  });
});

describe('audit and metrics', () => {
  it('audits every ingest request before and after, with counts and never a key or a record', async () => {
    const audit = readAudit(main.dataDir);
    const ingest = audit.filter((r) => r.tool === '(ingest)');
    const bulkAfter = ingest.filter((r) => r.phase === 'after' && r.endpoint === '/_bulk' && r.decision === 'allowed');
    expect(bulkAfter.length).toBeGreaterThanOrEqual(3);
    expect(bulkAfter.some((r) => r.records_stored === 50 && r.records_rejected === 0 && (r.request_bytes ?? 0) > 0)).toBe(true);
    expect(bulkAfter.every((r) => r.caller === keyId(INGEST_KEY) && r.role === 'ingest' && r.event === 'ingest' && r.transport === 'http_ingest')).toBe(true);
    const mixed = bulkAfter.find((r) => r.records_rejected === 4);
    expect(mixed).toMatchObject({ status: 200, records_stored: 2 });
    for (const after of ingest.filter((r) => r.phase === 'after' && r.decision === 'allowed')) {
      expect(ingest.some((r) => r.phase === 'before' && r.request_id === after.request_id)).toBe(true);
    }
    expect(ingest.some((r) => r.endpoint === '/loki/api/v1/push' && r.status === 204 && r.records_stored === 2)).toBe(true);
    expect(ingest.some((r) => r.endpoint === '/v1/logs' && r.status === 200 && r.records_stored === 1 && r.records_rejected === 1)).toBe(true);
    const denied = ingest.filter((r) => r.decision === 'denied' && r.status === 403 && r.caller === keyId(VIEWER_KEY));
    expect(denied.length).toBeGreaterThanOrEqual(4);
    const text = readFileSync(join(main.dataDir, 'audit.log'), 'utf8');
    for (const secret of [INGEST_KEY, VIEWER_KEY, MARKER, SECRET_IN_LOG]) expect(text).not.toContain(secret);
  });

  it('counts records stored and rejected per endpoint, with no user-chosen label values', async () => {
    const res = await call(`${main.server.url}/metrics`);
    const sample = (name: string, labels: string) => Number(new RegExp(`^${name}\\{${labels}\\} (\\S+)$`, 'm').exec(res.text)?.[1] ?? NaN);
    expect(sample('telemcp_ingest_records_total', 'endpoint="bulk",result="stored"')).toBeGreaterThanOrEqual(55);
    expect(sample('telemcp_ingest_records_total', 'endpoint="bulk",result="rejected"')).toBeGreaterThanOrEqual(4);
    expect(sample('telemcp_ingest_records_total', 'endpoint="loki_push",result="stored"')).toBeGreaterThanOrEqual(3);
    expect(sample('telemcp_ingest_records_total', 'endpoint="otlp_logs",result="rejected"')).toBeGreaterThanOrEqual(1);
    expect(sample('telemcp_ingest_requests_total', 'endpoint="bulk",status="200"')).toBeGreaterThanOrEqual(4);
    expect(sample('telemcp_ingest_bytes_total', 'endpoint="bulk"')).toBeGreaterThan(0);
    expect(res.text).not.toContain('filebeat-8.17.0');
    expect(res.text).not.toContain('loki-app');
  });

  it('no answer ever carried a key or a record text', () => {
    expect(answers.length).toBeGreaterThan(40);
    for (const answer of answers) {
      for (const secret of [INGEST_KEY, VIEWER_KEY, MARKER, SECRET_IN_LOG]) expect(answer).not.toContain(secret);
    }
  });
});
