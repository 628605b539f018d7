/**
 * The ingest parse thread (src/server/ingest/parse-thread.ts) against the server's own thread:
 * every endpoint, on the same bodies (valid, partly invalid, unreadable), gives the same answer and
 * hands the store the same records whichever thread parsed them; records without a time get the
 * time the body arrived; a parse whose client went away, or a parser closed under a job, fails at
 * once and leaves no thread behind.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { TelemcpError } from '../../src/core/errors.js';
import type { IngestRecord } from '../../src/ingest/record.js';
import { bulkEndpoint } from '../../src/server/ingest/elasticsearch.js';
import type { Answer, EndpointSpec, WriteRecords } from '../../src/server/ingest/endpoint.js';
import { lokiEndpoint, otlpEndpoint } from '../../src/server/ingest/loki-otlp.js';
import { IngestParser } from '../../src/server/ingest/parse-thread.js';
import { packResult, SLICE, unpackResult } from '../../src/server/ingest/parse-wire.js';
import { lokiProtobufBody, snappyBlock } from '../helpers/loki-push-protobuf.js';

const RECEIVED_AT = Date.UTC(2026, 11, 7, 12);
const T0 = RECEIVED_AT - 3_600_000;
/** More records than one slice of the trip back, so the slicing is on the path. */
const MANY = SLICE * 2 + 17;

const inline = new IngestParser(Infinity);
const threaded = new IngestParser(0);
afterAll(() => Promise.all([inline.close(), threaded.close()]));

interface Case {
  name: string;
  spec: EndpointSpec;
  contentType?: string;
  index?: string;
  body: Buffer;
}

const message = (i: number) => `request ${i} finished status=${200 + (i % 5)} in ${i % 97} ms`;

function bulk(count: number, broken = false): Buffer {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    lines.push(JSON.stringify({ create: { _index: `logs-${i % 3}`, _id: `id-${i}` } }));
    // Every fifth document has no time (the body's arrival time), one is not JSON when broken.
    const doc = i % 5 === 0 ? { message: message(i) } : { '@timestamp': new Date(T0 + i).toISOString(), message: message(i), 'log.level': i % 2 ? 'error' : 'info' };
    lines.push(broken && i === 7 ? '{"message": ' : JSON.stringify(doc));
  }
  return Buffer.from(`${lines.join('\n')}\n`);
}

function lokiJson(count: number, broken = false): Buffer {
  const values = Array.from({ length: count }, (_, i) => (broken && i === 3 ? ['not-a-time', message(i)] : [String(BigInt(T0 + i) * 1_000_000n), message(i), { level: 'warn' }]));
  return Buffer.from(JSON.stringify({ streams: [{ stream: { service_name: 'checkout' }, values }, ...(broken ? [{ stream: {}, values: [] }] : [])] }));
}

function lokiProtobuf(count: number): Buffer {
  return lokiProtobufBody([{ labels: '{service_name="payment", env="prod"}', entries: Array.from({ length: count }, (_, i) => ({ ns: BigInt(T0 + i) * 1_000_000n, line: message(i), metadata: { level: 'error' } })) }]);
}

function otlp(count: number, broken = false): Buffer {
  const logRecords = Array.from({ length: count }, (_, i) => ({
    ...(i % 4 === 0 ? {} : { timeUnixNano: String(BigInt(T0 + i) * 1_000_000n) }),
    ...(broken && i === 5 ? { timeUnixNano: 'yesterday' } : {}),
    severityText: 'ERROR',
    body: { stringValue: message(i) },
  }));
  return Buffer.from(JSON.stringify({ resourceLogs: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'fraud' } }] }, scopeLogs: [{ logRecords }] }] }));
}

const CASES: Case[] = [
  { name: '_bulk', spec: bulkEndpoint, body: bulk(MANY) },
  { name: '_bulk with a broken document', spec: bulkEndpoint, body: bulk(MANY, true) },
  { name: '/{index}/_bulk without _index', spec: bulkEndpoint, index: 'app-logs', body: Buffer.from(`{"index":{"_id":"a"}}\n{"message":"one"}\n{"index":{"_id":"b"}}\n{"message":"two"}\n`) },
  { name: '_bulk that is not NDJSON', spec: bulkEndpoint, body: Buffer.from('{"create": {"_index": "x"}\n{"message"') },
  { name: 'Loki JSON', spec: lokiEndpoint, contentType: 'application/json', body: lokiJson(MANY) },
  { name: 'Loki JSON with invalid entries', spec: lokiEndpoint, contentType: 'application/json', body: lokiJson(50, true) },
  { name: 'Loki JSON that is not JSON', spec: lokiEndpoint, contentType: 'application/json', body: Buffer.from('{"streams": [') },
  { name: 'Loki protobuf', spec: lokiEndpoint, contentType: 'application/x-protobuf', body: lokiProtobuf(MANY) },
  { name: 'Loki protobuf that is not a PushRequest', spec: lokiEndpoint, contentType: 'application/x-protobuf', body: snappyBlock(Buffer.from('not protobuf at all, \xff\xff\xff')) },
  { name: 'Loki protobuf that is not snappy', spec: lokiEndpoint, contentType: 'application/x-protobuf', body: Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x02]) },
  { name: 'OTLP JSON', spec: otlpEndpoint, body: otlp(MANY) },
  { name: 'OTLP JSON with an invalid time', spec: otlpEndpoint, body: otlp(40, true) },
  { name: 'OTLP JSON that is not an object', spec: otlpEndpoint, body: Buffer.from('[1, 2, 3]') },
];

/** A store that refuses every 13th record of a batch, so the answers that merge the store's refusals are compared too. */
function recordingStore(): { written: IngestRecord[]; write: WriteRecords } {
  const written: IngestRecord[] = [];
  const write: WriteRecords = async (records) => {
    const rejected = new Map<number, string>();
    records.forEach((record, i) => (i % 13 === 12 ? rejected.set(i, 'refused by the test store') : written.push(record)));
    return { stored: records.length - rejected.size, rejected };
  };
  return { written, write };
}

async function handle(parser: IngestParser, c: Case, signal = new AbortController().signal): Promise<{ answer: Answer; written: IngestRecord[] }> {
  const store = recordingStore();
  const answer = await c.spec.handle(c.body, store.write, {
    index: c.index,
    elapsedMs: () => 3,
    contentType: c.contentType,
    maxBytes: 32 * 1024 * 1024,
    receivedAt: RECEIVED_AT,
    parse: (job) => parser.parse(job, signal),
  });
  return { answer, written: store.written };
}

describe('parsing in the parse thread', () => {
  it.each(CASES)('$name: the same answer and records as in the server thread', async (c) => {
    const here = await handle(inline, c);
    const there = await handle(threaded, c);
    expect(there.answer).toEqual(here.answer);
    expect(there.written).toEqual(here.written);
  });

  it('answers every case as the endpoint does (the comparison is not between two empty answers)', async () => {
    const statuses = await Promise.all(CASES.map(async (c) => (await handle(threaded, c)).answer.status));
    expect(statuses).toEqual([200, 200, 200, 200, 400, 400, 400, 400, 400, 400, 200, 200, 400]);
    const { written } = await handle(threaded, CASES[0]);
    expect(written.length).toBe(MANY - Math.floor(MANY / 13));
  });

  it('stamps records without a time with the time the body arrived, not the time it was parsed', async () => {
    const { written } = await handle(threaded, CASES[0]);
    const undated = written.filter((r) => r.message === message(0) || r.message === message(5));
    expect(undated.map((r) => r.ts)).toEqual([RECEIVED_AT, RECEIVED_AT]);
    const { written: otlpWritten } = await handle(threaded, CASES[10]);
    expect(otlpWritten.find((r) => r.message === message(4))?.ts).toBe(RECEIVED_AT);
  });
});

describe('a parse that is no longer wanted', () => {
  it("fails with the signal's reason when the client goes away, and the next parse gets a fresh thread", async () => {
    const parser = new IngestParser(0);
    try {
      const gone = new AbortController();
      const reason = new TelemcpError('invalid_input', 'The client closed the connection before the body was parsed; nothing was stored.');
      const parsing = parser.parse({ kind: 'loki_json', body: lokiJson(MANY), receivedAt: RECEIVED_AT }, gone.signal);
      gone.abort(reason);
      await expect(parsing).rejects.toBe(reason);
      await expect(parser.parse({ kind: 'loki_json', body: lokiJson(3), receivedAt: RECEIVED_AT }, new AbortController().signal)).resolves.toMatchObject({ ok: true, errors: [] });
    } finally {
      await parser.close();
    }
  });

  it('fails what is running or queued with a retryable 503 when the server closes, and ends the thread', async () => {
    const parser = new IngestParser(0);
    const signal = new AbortController().signal;
    const running = parser.parse({ kind: 'bulk', body: bulk(MANY), receivedAt: RECEIVED_AT }, signal);
    const queued = parser.parse({ kind: 'bulk', body: bulk(10), receivedAt: RECEIVED_AT }, signal);
    const failed = [running, queued].map((job) => expect(job).rejects.toMatchObject({ code: 'backend_unavailable', retryAfter: 5 }));
    await parser.close();
    await Promise.all(failed);
    await expect(parser.parse({ kind: 'bulk', body: bulk(10), receivedAt: RECEIVED_AT }, signal)).rejects.toMatchObject({ code: 'backend_unavailable' });
  });
});

describe('the trip back from the parse thread', () => {
  it('rebuilds long arrays from their slices in order and keeps everything else', async () => {
    for (const length of [0, 1, SLICE, SLICE + 1, SLICE * 3]) {
      const result = { ok: true, records: Array.from({ length }, (_, i) => ({ ts: i, message: `m${i}`, attrs: { n: i } })), errors: ['e'], rejected: 2 };
      const packed = packResult(result);
      expect(Object.keys(packed.slices)).toEqual(length > SLICE ? ['records'] : []);
      expect(await unpackResult(packed)).toEqual(result);
    }
  });
});
