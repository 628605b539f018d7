import { describe, expect, it, vi } from 'vitest';
import * as snappyjs from 'snappyjs';
import { lokiPushResponse, parseLokiPush, type LokiPushResult } from '../../src/ingest/loki.js';
import { MAX_LABEL_SET_CHARS, parseLabelSet, parseLokiProtobufPush } from '../../src/ingest/loki-protobuf.js';
import { decompressSnappyBlock } from '../../src/ingest/snappy-block.js';
import { encodePushRequest, labelSetText, lokiProtobufBody, snappyBlock, type PushStream } from '../helpers/loki-push-protobuf.js';

// A spy on snappyjs' decompressor, to show what is refused before it runs.
vi.mock('snappyjs', async (importOriginal) => {
  const original = await importOriginal<typeof import('snappyjs')>();
  return { ...original, uncompress: vi.fn(original.uncompress) };
});

const MAX_BYTES = 1024 * 1024;
const parse = (body: Uint8Array, opts: { maxRecords?: number; maxBytes?: number } = {}) => parseLokiProtobufPush(body, { maxBytes: MAX_BYTES, receivedAt: Date.UTC(2024, 4, 1), ...opts });

function accepted(result: LokiPushResult) {
  if (!result.ok) throw new Error(`push refused: ${result.message}`);
  return result;
}

/** Streams with their labels as an object: sent as JSON and as protobuf, they must give the same records. */
type LabelledStream = { labels: Record<string, string>; entries: PushStream['entries'] };

function asJson(streams: LabelledStream[]) {
  return { streams: streams.map((s) => ({ stream: s.labels, values: s.entries.map((e) => (e.metadata ? [String(e.ns), e.line, e.metadata] : [String(e.ns), e.line])) })) };
}

const asProtobuf = (streams: LabelledStream[]) => lokiProtobufBody(streams.map((s) => ({ labels: labelSetText(s.labels), entries: s.entries })));

/** A small deterministic generator, so a failing corruption case can be replayed. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Hand-made protobuf, for bodies the encoder cannot produce (raw bytes, missing or odd fields). */
function varint(value: number | bigint): Buffer {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    out.push(Number(v & 0x7fn) | (v > 0x7fn ? 0x80 : 0));
    v >>= 7n;
  } while (v > 0n);
  return Buffer.from(out);
}
const bytesField = (field: number, payload: Buffer | string) => {
  const bytes = Buffer.from(payload);
  return Buffer.concat([varint((field << 3) | 2), varint(bytes.length), bytes]);
};
const varintField = (field: number, value: number | bigint) => Buffer.concat([varint(field << 3), varint(value)]);
/** PushRequest{streams: [StreamAdapter{labels, entries}]} from hand-made entries. */
const oneStream = (labels: string, ...entries: Buffer[]) => bytesField(1, Buffer.concat([bytesField(1, labels), ...entries.map((e) => bytesField(2, e))]));
const timestamp = (seconds: number | bigint, nanos = 0) => bytesField(1, Buffer.concat([varintField(1, seconds), ...(nanos ? [varintField(2, nanos)] : [])]));

describe('protobuf pushes give the records JSON pushes give', () => {
  it('a Promtail static_configs push (job, host, filename labels; level from the logfmt line)', () => {
    const streams = [
      {
        labels: { job: 'varlogs', host: 'web-1', filename: '/var/log/app/app.log' },
        entries: [
          { ns: 1714557600123456789n, line: 'ts=2024-05-01T10:00:00.123Z level=error msg="payment gateway timeout" order=42' },
          { ns: 1714557601000000000n, line: 'GET /health 200' },
        ],
      },
    ];
    const records = accepted(parse(asProtobuf(streams))).records;
    expect(records).toEqual(accepted(parseLokiPush(asJson(streams), { receivedAt: Date.UTC(2024, 4, 1) })).records);
    expect(records[0]).toEqual({
      ts: 1714557600123,
      dataset: 'varlogs',
      service: 'varlogs',
      level: 'error',
      message: 'ts=2024-05-01T10:00:00.123Z level=error msg="payment gateway timeout" order=42',
      host: 'web-1',
      attrs: { filename: '/var/log/app/app.log' },
    });
  });

  it('an Alloy Kubernetes push: service_name, detected_level, structured metadata with the trace id, two streams', () => {
    const streams: LabelledStream[] = [
      {
        labels: { namespace: 'shop', pod: 'cart-7d9f8c6b5-x2x9q', container: 'cart', job: 'shop/cart', service_name: 'cart', detected_level: 'warn', instance: 'node-2' },
        entries: [{ ns: 1714557600000000000n, line: '{"msg":"cache miss storm","keys":1200}', metadata: { trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', pod_ip: '10.42.0.17' } }],
      },
      { labels: { dataset: 'audit', app: 'gatekeeper' }, entries: [{ ns: 1714557600000000000n, line: 'denied: pod has no resource limits', metadata: { severity: 'ERROR' } }] },
    ];
    const records = accepted(parse(asProtobuf(streams))).records;
    expect(records).toEqual(accepted(parseLokiPush(asJson(streams))).records);
    expect(records.map((r) => [r.dataset, r.service, r.level, r.traceId])).toEqual([
      ['shop/cart', 'cart', 'warn', '4bf92f3577b34da6a3ce929d0e0e4736'],
      ['audit', 'gatekeeper', 'error', undefined],
    ]);
  });

  it('reads timestamps with nanoseconds to the millisecond, as JSON reads "<ns>" strings', () => {
    const entries = [1714557600123999999n, 1714557600000000001n, 1n * 1_000_000n, 9_999_999_999_999_999_999n].map((ns, i) => ({ ns, line: `line ${i}` }));
    const result = accepted(parse(asProtobuf([{ labels: { job: 'a' }, entries }])));
    expect(result.records.map((r) => r.ts)).toEqual([1714557600123, 1714557600000, 1, 9_999_999_999_999]);
    expect(result.errors).toEqual([]);
  });

  it('keeps invalid UTF-8 in a line as U+FFFD, as the JSON reader does', () => {
    const entry = Buffer.concat([timestamp(1714557600), bytesField(2, Buffer.from([0x63, 0x61, 0x66, 0xc3]))]);
    expect(accepted(parse(snappyBlock(oneStream('{job="a"}', entry)))).records[0].message).toBe('caf\uFFFD');
  });

  it('skips the fields clients do not send or telemcp does not read (format, hash, parsed) and unknown ones', () => {
    const entry = Buffer.concat([timestamp(1714557600), bytesField(2, 'hello'), bytesField(4, Buffer.concat([bytesField(1, 'k'), bytesField(2, 'v')])), varintField(9, 1)]);
    const stream = Buffer.concat([bytesField(1, '{job="a"}'), bytesField(2, entry), varintField(3, 0xffffffffffffn)]);
    const push = Buffer.concat([bytesField(1, stream), bytesField(2, 'loki'), bytesField(15, 'future')]);
    expect(accepted(parse(snappyBlock(push))).records).toEqual([{ ts: 1714557600000, dataset: 'a', service: 'a', message: 'hello' }]);
  });

  it('keeps a label or metadata name __proto__ as an attribute, never as a prototype', () => {
    const body = lokiProtobufBody([{ labels: '{job="a", __proto__="x"}', entries: [{ ns: 1714557600000000000n, line: 'l', metadata: Object.fromEntries([['__proto__', 'y'], ['polluted', 'no']]) }] }]);
    const [record] = accepted(parse(body)).records;
    expect(Object.getPrototypeOf(record.attrs)).toBe(Object.prototype);
    expect(record.attrs).toEqual(expect.objectContaining({ polluted: 'no' }));
    expect(Object.getOwnPropertyDescriptor(record.attrs, '__proto__')?.value).toBe('y');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('the label set text', () => {
  it('reads Prometheus-printed sets and odd spacing', () => {
    expect(parseLabelSet('{app="api", level="error"}')).toEqual({ ok: true, labels: { app: 'api', level: 'error' } });
    expect(parseLabelSet(' \t{  a =  "1" ,b="2",\n c= "3"}  ')).toEqual({ ok: true, labels: { a: '1', b: '2', c: '3' } });
    expect(parseLabelSet('{_x9="", Y_="v"}')).toEqual({ ok: true, labels: { _x9: '', Y_: 'v' } });
    expect(parseLabelSet('{}')).toEqual({ ok: true, labels: {} });
  });

  it("reads Go's escapes: simple ones, \\x and octal bytes spelling UTF-8, \\u, \\U, and LogQL's backtick strings", () => {
    const parsed = parseLabelSet('{q="say \\"hi\\"", b="back\\\\slash", ws="a\\tb\\nc\\r", bell="\\a\\b\\f\\v", x="\\x41\\xc3\\xa9", o="\\101\\303\\251", u="\\u00e9\\U0001F600", raw=`C:\\path "as is"`, bad="\\xff"}');
    expect(parsed).toEqual({
      ok: true,
      labels: { q: 'say "hi"', b: 'back\\slash', ws: 'a\tb\nc\r', bell: '\x07\b\f\v', x: 'Aé', o: 'Aé', u: 'é😀', raw: 'C:\\path "as is"', bad: '\uFFFD' },
    });
    // What the test encoder (JSON quoting, a subset of Go's) prints is read back exactly.
    const labels = { path: 'C:\\tmp\\"x"', multi: 'line1\nline2', uni: 'ünï 😀', ctl: '\u0001' };
    expect(parseLabelSet(labelSetText(labels))).toEqual({ ok: true, labels });
  });

  it.each([
    ['a="b"', 'expected { at character 1'],
    ['{a=b}', 'expected a quoted value at character 4'],
    ['{a="b"', 'expected , or } at character 7'],
    ['{a="b}', 'a quoted value is not closed at character 4'],
    ['{a!="b"}', 'expected = (a label set has no other matchers) at character 3'],
    ['{a=~"b"}', 'expected = (a label set has no other matchers) at character 3'],
    ['{a="b",}', 'expected a label name at character 8'],
    ['{1a="b"}', 'expected a label name at character 2'],
    ['{a-b="c"}', 'expected = (a label set has no other matchers) at character 3'],
    ['{a="b"} |= "x"', 'unexpected text after } at character 9'],
    ['{a="b", a="c"}', 'duplicate label name a at character 14'],
    ['{a="\\q"}', 'unknown escape \\q at character 5'],
    ["{a=\"\\'\"}", "unknown escape \\' at character 5"],
    ['{a="\\x4"}', '\\x needs 2 hex digits at character 5'],
    ['{a="\\ud800"}', '\\ud800 is not a Unicode character at character 5'],
    ['{a="\\400"}', 'an octal escape needs three digits up to \\377 at character 5'],
    ['{a="two\nlines"}', 'a quoted value holds a raw newline at character 8'],
    ['{a=`b}', 'a quoted value is not closed at character 4'],
    ['', 'expected { at character 1'],
  ])('refuses %j: %s', (text, why) => {
    expect(parseLabelSet(text)).toEqual({ ok: false, reason: `error parsing labels '${text}' with error: ${why}` });
  });

  it('refuses a label set longer than the bound without reading it, and quotes at most 80 characters of any', () => {
    const long = `{a="${'x'.repeat(MAX_LABEL_SET_CHARS)}"}`;
    expect(parseLabelSet(long)).toEqual({ ok: false, reason: `the label set is ${long.length} characters, more than ${MAX_LABEL_SET_CHARS}` });
    const bad = `{a="${'y'.repeat(200)}`;
    const result = parseLabelSet(bad);
    expect(!result.ok && result.reason).toBe(`error parsing labels '${bad.slice(0, 80)}…' with error: a quoted value is not closed at character 4`);
  });
});

describe('refusals, as Loki gives them (plain-text 400, valid entries kept)', () => {
  it('names each refused stream and entry; the rest is stored; the answer lists the reasons', () => {
    const body = lokiProtobufBody([
      { labels: '{job="api"}', entries: [{ ns: 1714557600000000000n, line: 'good one' }, { ns: 1714557600000000000n, line: '  ' }, { ns: 0n, line: 'epoch zero' }, { ns: 500_000n, line: 'half a millisecond' }] },
      { labels: '{job=api}', entries: [{ ns: 1714557600000000000n, line: 'bad labels' }] },
      { labels: '{}', entries: [{ ns: 1714557600000000000n, line: 'no labels' }] },
    ]);
    const result = accepted(parse(body));
    expect(result.records.map((r) => r.message)).toEqual(['good one']);
    expect(result.errors).toEqual([
      { stream: 0, value: 1, reason: 'streams[0].entries[1].line: the log line is empty' },
      { stream: 0, value: 2, reason: 'streams[0].entries[2].timestamp (0s 0ns) is not a time after 1970-01-01T00:00:00.001Z and before 2286-11-20' },
      { stream: 0, value: 3, reason: 'streams[0].entries[3].timestamp (0s 500000ns) is not a time after 1970-01-01T00:00:00.001Z and before 2286-11-20' },
      { stream: 1, reason: "streams[1]: error parsing labels '{job=api}' with error: expected a quoted value at character 6" },
      { stream: 2, reason: 'streams[2].labels has no labels; at least one label pair is required per stream' },
    ]);
    const answer = lokiPushResponse(result);
    expect(answer).toEqual({ status: 400, body: [...result.errors.map((e) => e.reason), '1 entries were accepted'].join('\n') });
  });

  it('refuses an entry without a timestamp, or with nanos or seconds out of range', () => {
    const line = bytesField(2, 'x');
    const body = oneStream('{job="a"}', line, Buffer.concat([timestamp(1714557600, -1), line]), Buffer.concat([timestamp(10_000_000_000), line]), Buffer.concat([timestamp(-5), line]), Buffer.concat([timestamp(1714557600, 999_999_999), line]));
    const result = accepted(parse(snappyBlock(body)));
    expect(result.errors.map((e) => e.reason)).toEqual([
      'streams[0].entries[0].timestamp (missing) is not a time after 1970-01-01T00:00:00.001Z and before 2286-11-20',
      'streams[0].entries[1].timestamp (1714557600s -1ns) is not a time after 1970-01-01T00:00:00.001Z and before 2286-11-20',
      'streams[0].entries[2].timestamp (10000000000s 0ns) is not a time after 1970-01-01T00:00:00.001Z and before 2286-11-20',
      'streams[0].entries[3].timestamp (-5s 0ns) is not a time after 1970-01-01T00:00:00.001Z and before 2286-11-20',
    ]);
    expect(result.records.map((r) => r.ts)).toEqual([1714557600999]);
  });

  it('reads absent fields as protobuf defaults: no line is an empty line, a nameless metadata pair an empty name', () => {
    const body = oneStream('{job="a"}', timestamp(1714557600), Buffer.concat([timestamp(1714557601), bytesField(2, 'x'), bytesField(3, bytesField(2, 'v'))]));
    const result = accepted(parse(snappyBlock(body)));
    expect(result.errors.map((e) => e.reason)).toEqual(['streams[0].entries[0].line: the log line is empty']);
    expect(result.records).toEqual([accepted(parseLokiPush({ streams: [{ stream: { job: 'a' }, values: [['1714557601000000000', 'x', { '': 'v' }]] }] })).records[0]]);
  });

  it('refuses a push over the entry limit as a whole, with the exact count across streams', () => {
    const entries = (n: number) => Array.from({ length: n }, (_, i) => ({ ns: 1714557600000000000n + BigInt(i), line: `l${i}` }));
    const body = lokiProtobufBody([
      { labels: '{job="a"}', entries: entries(2) },
      { labels: '{job=bad}', entries: entries(3) },
    ]);
    expect(parse(body, { maxRecords: 4 })).toEqual({ ok: false, status: 413, message: 'the push holds 5 entries, more than 4; send smaller batches' });
    expect(accepted(parse(body, { maxRecords: 5 })).records).toHaveLength(2);
  });

  it('answers 204 to an empty push', () => {
    expect(lokiPushResponse(parse(lokiProtobufBody([])))).toEqual({ status: 204 });
  });
});

describe('hostile and damaged bodies: never a crash, always a clear 400 or 413', () => {
  const valid = asProtobuf([
    { labels: { job: 'api', host: 'web-1' }, entries: Array.from({ length: 40 }, (_, i) => ({ ns: 1714557600000000000n + BigInt(i) * 1_000_000n, line: `GET /orders/${i} 200 ${'x'.repeat(i * 7)}`, metadata: { trace_id: `${i}`.padStart(32, '0') } })) },
  ]);

  it('refuses a snappy bomb from its preamble, before decompressing or allocating anything', () => {
    vi.mocked(snappyjs.uncompress).mockClear();
    // Preamble: 2^32 - 1 bytes; then one literal byte.
    const bomb = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x41]);
    expect(parse(bomb)).toEqual({
      ok: false,
      status: 413,
      message: `the body declares 4294967295 bytes once decompressed, more than ${MAX_BYTES} (INGEST_MAX_BYTES); send smaller batches (Promtail batchsize, Alloy loki.write batch_size)`,
    });
    const justOver = Buffer.concat([Buffer.from([0x81, 0x80, 0x40]), valid.subarray(3)]);
    expect(parse(justOver)).toMatchObject({ ok: false, status: 413 });
    expect(snappyjs.uncompress).not.toHaveBeenCalled();
  });

  it('refuses copies that reach past the declared length (a small body keeping the CPU busy) before decompressing', () => {
    vi.mocked(snappyjs.uncompress).mockClear();
    // Declares 8 bytes: a 4-byte literal, then 10,000 copies of 64 bytes each.
    const copies = Buffer.alloc(30_000);
    for (let i = 0; i < copies.length; i += 3) copies.set([0xfe, 0x04, 0x00], i);
    const body = Buffer.concat([Buffer.from([0x08, 0x0c]), Buffer.from('abcd'), copies]);
    expect(parse(body)).toEqual({ ok: false, status: 400, message: 'the body is not valid snappy block data: the data decodes to more than the 8 bytes its preamble declares; a protobuf push is a snappy block of a logproto.PushRequest' });
    expect(snappyjs.uncompress).not.toHaveBeenCalled();
  });

  it('refuses every truncation of a valid body with a 400 naming what is wrong', () => {
    const reasons = new Set<string>();
    for (let cut = 0; cut < valid.length; cut++) {
      const result = parse(valid.subarray(0, cut));
      expect(result, `cut at ${cut}`).toMatchObject({ ok: false, status: 400 });
      if (!result.ok) reasons.add(result.message.replace(/\d+/g, 'N'));
    }
    expect([...reasons].sort()).toEqual([
      'the body does not start with a snappy block preamble (a varint length); a protobuf push is a snappy block of a logproto.PushRequest',
      'the body is not valid snappy block data: a copy is cut off at byte N; a protobuf push is a snappy block of a logproto.PushRequest',
      'the body is not valid snappy block data: a literal of N bytes at byte N runs past the end of the body; a protobuf push is a snappy block of a logproto.PushRequest',
      "the body is not valid snappy block data: a literal's length is cut off at byte N; a protobuf push is a snappy block of a logproto.PushRequest",
      'the body is not valid snappy block data: the data decodes to N bytes, not the N its preamble declares (truncated?); a protobuf push is a snappy block of a logproto.PushRequest',
    ]);
  });

  it('refuses every truncation of the protobuf inside a valid snappy block with a 400', () => {
    const proto = encodePushRequest([{ labels: '{job="api"}', entries: [{ ns: 1714557600123456789n, line: 'one', metadata: { k: 'v' } }, { ns: 1714557600123456789n, line: 'two' }] }]);
    for (let cut = 1; cut < proto.length; cut++) {
      const result = parse(snappyBlock(proto.subarray(0, cut)));
      // A cut between two whole entries leaves a valid push of fewer entries; any other is refused.
      if (result.ok) expect(result.records.map((r) => r.message), `cut at ${cut}`).toEqual(['one']);
      else expect(result, `cut at ${cut}`).toMatchObject({ status: 400, message: expect.stringMatching(/^the push body is not a valid protobuf logproto\.PushRequest \(.+\)$/) });
    }
  });

  it('survives 2,000 random corruptions (each a valid answer: records, or a 400 saying why)', () => {
    const random = prng(20240501);
    let refused = 0;
    for (let n = 0; n < 2000; n++) {
      const body = Buffer.from(valid);
      const flips = 1 + Math.floor(random() * 4);
      for (let f = 0; f < flips; f++) body[Math.floor(random() * body.length)] = Math.floor(random() * 256);
      const result = parse(body);
      if (result.ok) {
        for (const r of result.records) expect(r.message.length).toBeGreaterThan(0);
      } else {
        refused++;
        expect([400, 413]).toContain(result.status);
        expect(result.message.length).toBeGreaterThan(20);
      }
    }
    expect(refused).toBeGreaterThan(0);
  });

  it('refuses a framed-format body, a protobuf that is not a PushRequest, wrong wire types and field 0', () => {
    const framed = Buffer.concat([Buffer.from([0xff, 0x06, 0x00, 0x00]), Buffer.from('sNaPpY'), Buffer.from([0x01, 0x05, 0x00, 0x00, 0x00, 0x00, 0x41])]);
    expect(parse(framed)).toMatchObject({ ok: false, status: 400, message: expect.stringContaining('this is the snappy framed (stream) format; send the block format') });
    expect(parse(snappyBlock(Buffer.from('{"streams":[]}')))).toMatchObject({ ok: false, status: 400, message: expect.stringContaining('not a valid protobuf logproto.PushRequest') });
    expect(parse(snappyBlock(Buffer.from([0x08, 0x01])))).toEqual({ ok: false, status: 400, message: 'the push body is not a valid protobuf logproto.PushRequest (PushRequest.streams has wire type 0, not 2)' });
    expect(parse(snappyBlock(Buffer.from([0x0a, 0x02, 0x10, 0x01])))).toEqual({ ok: false, status: 400, message: 'the push body is not a valid protobuf logproto.PushRequest (StreamAdapter.entries has wire type 0, not 2)' });
    expect(parse(snappyBlock(Buffer.from([0x00, 0x00])))).toEqual({ ok: false, status: 400, message: 'the push body is not a valid protobuf logproto.PushRequest (field number 0 in the PushRequest)' });
    expect(parse(snappyBlock(Buffer.from([0x0a, 0x05, 0x0a, 0x01, 0x41])))).toMatchObject({ ok: false, status: 400, message: expect.stringContaining('not a valid protobuf') });
  });
});

describe('snappy blocks', () => {
  it('decompresses what snappyjs compresses: empty, short, long literals (multi-byte lengths) and repeats', () => {
    const random = prng(7);
    const noise = Buffer.from(Array.from({ length: 70_000 }, () => Math.floor(random() * 256)));
    for (const data of [Buffer.alloc(0), Buffer.from('a'), noise, Buffer.from('abc'.repeat(50_000)), Buffer.concat([noise.subarray(0, 5000), Buffer.alloc(100_000)])]) {
      const result = decompressSnappyBlock(snappyjs.compress(data), MAX_BYTES);
      expect(result.ok && result.data.equals(data)).toBe(true);
    }
  });

  it('takes a body of exactly the cap and refuses one byte more', () => {
    const data = Buffer.alloc(4096, 0x61);
    expect(decompressSnappyBlock(snappyjs.compress(data), 4096)).toMatchObject({ ok: true });
    expect(decompressSnappyBlock(snappyjs.compress(data), 4095)).toEqual({ ok: false, tooLarge: true, reason: 'the body declares 4096 bytes once decompressed, more than 4095' });
  });

  it('refuses copies reaching before the start, offset 0, and preambles over 32 bits', () => {
    // 8 bytes: literal "ab", then a copy of 6 with offset 3 (only 2 bytes decoded so far).
    expect(decompressSnappyBlock(Buffer.from([0x08, 0x04, 0x61, 0x62, 0x09, 0x03]), 100)).toEqual({ ok: false, tooLarge: false, reason: 'the body is not valid snappy block data: a copy at byte 6 reaches back 3 bytes, outside the 2 decoded so far' });
    expect(decompressSnappyBlock(Buffer.from([0x08, 0x04, 0x61, 0x62, 0x09, 0x00]), 100)).toMatchObject({ ok: false, reason: expect.stringContaining('reaches back 0 bytes') });
    expect(decompressSnappyBlock(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x1f]), 100)).toMatchObject({ ok: false, tooLarge: false, reason: expect.stringContaining('preamble') });
    expect(decompressSnappyBlock(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), 100)).toMatchObject({ ok: false, tooLarge: false });
  });
});
