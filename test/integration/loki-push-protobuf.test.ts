/**
 * A Loki protobuf push (snappy block of a logproto.PushRequest, as Promtail and Alloy send it)
 * cross-checked on a real decoder: the same bytes go to VictoriaLogs' Loki-compatible push
 * (/insert/loki/api/v1/push, Go's protobuf and snappy) and to telemcp's ingest endpoint on a real
 * HTTP server with its embedded store. Read back from both:
 *  - VictoriaLogs holds exactly the lines, nanosecond times, labels and structured metadata the
 *    test encoded (so the test's encoder writes what a real implementation reads);
 *  - telemcp's store holds the same lines and times, and the records its JSON reader makes from
 *    what VictoriaLogs decoded (labels and metadata included), so its decoder reads what the real
 *    one reads, mapped by the same rules.
 * Each run pushes into a VictoriaLogs tenant of its own (AccountID), so no earlier run is read.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLokiPush } from '../../src/ingest/loki.js';
import type { IngestRecord } from '../../src/ingest/record.js';
import { openLogStore, type LogStoreReader } from '../../src/store/log-store.js';
import { labelSetText, lokiProtobufBody, type PushEntry } from '../helpers/loki-push-protobuf.js';
import { startServerInProcess, type InProcessServer } from '../helpers/server.js';
import { forceFlush, requireVlogsUrl } from '../helpers/vlogs-env.js';

const INGEST_KEY = `ing_${randomBytes(18).toString('hex')}`;
const RUN = `lpp${randomBytes(5).toString('hex')}`;
const TENANT = { AccountID: String(100_000 + randomInt(0, 1_000_000_000)), ProjectID: '0' };

/** Ten minutes ago, in nanoseconds, with sub-millisecond digits: recent enough for VictoriaLogs' retention. */
const BASE_NS = BigInt(Date.now() - 600_000) * 1_000_000n + 123_457n;
const at = (ms: number, extraNs = 0) => BASE_NS + BigInt(ms) * 1_000_000n + BigInt(extraNs);

interface Stream {
  labels: Record<string, string>;
  entries: PushEntry[];
}

/** Shaped as the shippers send them; values with quotes, backslashes, tabs and non-ASCII text. */
const STREAMS: Stream[] = [
  {
    labels: { job: 'checkout', host: 'web-1', filename: '/var/log/checkout/app.log', run: RUN },
    entries: [
      { ns: at(0), line: 'ts=2024-05-01T10:00:00.123Z level=error msg="payment gateway timeout" order=42' },
      { ns: at(1, 1), line: 'ts=2024-05-01T10:00:00.124Z level=info msg="retry scheduled" order=42' },
      { ns: at(2, 999_999), line: 'ts=2024-05-01T10:00:00.125Z level=warn msg="café crème: naïve “quotes” \\ back"' },
    ],
  },
  {
    labels: { service_name: 'cart', namespace: 'shop', container: 'cart', detected_level: 'warn', instance: 'node-2', run: RUN },
    entries: [
      { ns: at(10), line: '{"msg":"cache miss storm","keys":1200}', metadata: { trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', pod_ip: '10.42.0.17' } },
      { ns: at(11, 500_000), line: '{"msg":"cache warmed"}', metadata: { pod_ip: '10.42.0.17' } },
    ],
  },
  {
    labels: { app: 'quoter', note: 'say "hi" \\ back\ttab', run: RUN },
    entries: [{ ns: at(20, 42), line: 'GET /quote 200 "ok"', metadata: { user: 'zoë', severity: 'ERROR' } }],
  },
];

const SENT = STREAMS.flatMap((s) => s.entries.map((e) => ({ ...e, labels: s.labels })));

/** A record as VictoriaLogs' /select/logsql/query returns it. */
type VlRecord = Record<string, string>;

/** `_time` (RFC3339 with up to nine fraction digits) as epoch nanoseconds. */
function vlNanos(time: string): bigint {
  const m = /^(.*?)(?:\.(\d{1,9}))?Z$/.exec(time);
  if (!m) throw new Error(`unexpected _time ${time}`);
  return BigInt(Date.parse(`${m[1]}Z`)) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

const VL_OWN_FIELDS = new Set(['_msg', '_time', '_stream', '_stream_id']);
const LABEL_NAMES = new Set(STREAMS.flatMap((s) => Object.keys(s.labels)));

/** What VictoriaLogs holds for a line: its time, labels and metadata (fields named as no label is). */
function vlView(r: VlRecord) {
  const labels: Record<string, string> = {};
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(r)) {
    if (VL_OWN_FIELDS.has(key)) continue;
    (LABEL_NAMES.has(key) ? labels : metadata)[key] = value;
  }
  return { line: r._msg, ns: vlNanos(r._time), labels, metadata, stream: r._stream };
}

const withoutId = ({ id: _id, ...record }: IngestRecord & { id?: number }): IngestRecord => record;
const byTimeAndLine = (a: IngestRecord, b: IngestRecord) => a.ts - b.ts || a.message.localeCompare(b.message);

describe('a Loki protobuf push reads the same on VictoriaLogs and on telemcp', () => {
  let vlogsUrl: string;
  let server: InProcessServer;
  let reader: LogStoreReader | undefined;
  let onVlogs: ReturnType<typeof vlView>[];
  let onTelemcp: IngestRecord[];

  beforeAll(async () => {
    vlogsUrl = requireVlogsUrl();
    const body = lokiProtobufBody(STREAMS.map((s) => ({ labels: labelSetText(s.labels), entries: s.entries })));

    // disable_message_parsing: VictoriaLogs would otherwise unpack a JSON line into fields; Loki keeps the line as sent.
    const vl = await fetch(`${vlogsUrl}/insert/loki/api/v1/push?disable_message_parsing=1`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf', ...TENANT }, body });
    if (!vl.ok) throw new Error(`VictoriaLogs refused the push: ${vl.status} ${await vl.text()}`);
    await forceFlush(vlogsUrl);
    const form = new URLSearchParams({ query: `run:=${RUN} | sort by (_time)`, start: new Date(Number(BASE_NS / 1_000_000n) - 60_000).toISOString(), end: new Date(Date.now() + 60_000).toISOString() });
    const query = await fetch(`${vlogsUrl}/select/logsql/query`, { method: 'POST', headers: TENANT, body: form });
    const text = await query.text();
    if (!query.ok) throw new Error(`VictoriaLogs query failed: ${query.status} ${text.slice(0, 300)}`);
    onVlogs = text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => vlView(JSON.parse(l) as VlRecord));

    server = await startServerInProcess({ API_KEYS: `${INGEST_KEY}:ingest`, EMBEDDED_STORE: 'on', DEMO_DATA: 'false' });
    const res = await fetch(`${server.url}/loki/api/v1/push`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf', 'X-API-Key': INGEST_KEY }, body });
    expect(res.status, await res.text()).toBe(204);
    reader = openLogStore({ dataDir: server.app.rt.config.DATA_DIR, readonly: true });
    onTelemcp = reader
      .searchPage({ from: 0, to: Date.now() + 86_400_000 }, { limit: 1000, order: 'asc' })
      .records.map(withoutId)
      .sort(byTimeAndLine);
  });

  afterAll(async () => {
    reader?.close();
    await server?.close();
  });

  it('VictoriaLogs decoded exactly what was encoded: lines, nanosecond times, labels, metadata', () => {
    const expected = SENT.map((e) => ({ line: e.line, ns: e.ns, labels: e.labels, metadata: e.metadata ?? {} }));
    expect(onVlogs.map(({ stream: _stream, ...v }) => v)).toEqual(expected);
    // Its stream is the label set: every label name is a stream field.
    for (const v of onVlogs) for (const name of Object.keys(v.labels)) expect(v.stream).toContain(`${name}=`);
  });

  it('telemcp stored the same lines at the same times (to the millisecond it keeps)', () => {
    const fromVlogs = onVlogs.map((v) => [v.line, Number(v.ns / 1_000_000n)]);
    expect(onTelemcp.map((r) => [r.message, r.ts])).toEqual(fromVlogs);
  });

  it('telemcp stored the records its JSON reader makes of what VictoriaLogs decoded: the same labels and metadata', () => {
    // VictoriaLogs' view as a JSON push: one stream per label set, its lines in time order.
    const streams = new Map<string, { stream: Record<string, string>; values: [string, string, Record<string, string>][] }>();
    for (const v of onVlogs) {
      const stream = streams.get(v.stream) ?? { stream: v.labels, values: [] };
      stream.values.push([String(v.ns), v.line, v.metadata]);
      streams.set(v.stream, stream);
    }
    const fromJson = parseLokiPush({ streams: [...streams.values()] });
    if (!fromJson.ok) throw new Error(fromJson.message);
    expect(fromJson.errors).toEqual([]);
    expect(onTelemcp).toEqual([...fromJson.records].sort(byTimeAndLine));
    // And the mapping did what the header of src/ingest/loki.ts says.
    expect(onTelemcp.map((r) => [r.dataset, r.service, r.host, r.level, r.traceId])).toEqual([
      ['checkout', 'checkout', 'web-1', 'error', undefined],
      ['checkout', 'checkout', 'web-1', 'info', undefined],
      ['checkout', 'checkout', 'web-1', 'warn', undefined],
      ['cart', 'cart', 'node-2', 'warn', '4bf92f3577b34da6a3ce929d0e0e4736'],
      ['cart', 'cart', 'node-2', 'warn', undefined],
      ['quoter', 'quoter', undefined, 'error', undefined],
    ]);
    expect(onTelemcp[5].attrs).toEqual({ note: 'say "hi" \\ back\ttab', user: 'zoë', run: RUN });
  });
});
