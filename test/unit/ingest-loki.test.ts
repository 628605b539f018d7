import { describe, expect, it } from 'vitest';
import { nanosToMs } from '../../src/ingest/epoch-nanos.js';
import { lokiContentTypeProblem, lokiPushResponse, parseLokiPush, type LokiPushResult } from '../../src/ingest/loki.js';

function accepted(result: LokiPushResult) {
  if (!result.ok) throw new Error(`push refused: ${result.message}`);
  return result;
}

describe('pushes shaped as clients send them', () => {
  it("reads the Loki documentation's curl example", () => {
    const body = '{"streams": [{ "stream": { "foo": "bar2" }, "values": [ [ "1570818238000000000", "fizzbuzz" ] ] }]}';
    expect(accepted(parseLokiPush(body))).toEqual({ ok: true, errors: [], records: [{ ts: 1570818238000, dataset: 'loki', message: 'fizzbuzz', attrs: { foo: 'bar2' } }] });
  });

  it('a Promtail static_configs push (job, host, filename labels): job as dataset and service, level from the logfmt line', () => {
    const body = JSON.stringify({
      streams: [
        {
          stream: { job: 'varlogs', host: 'web-1', filename: '/var/log/app/app.log' },
          values: [
            ['1714557600123456789', 'ts=2024-05-01T10:00:00.123Z level=error msg="payment gateway timeout" order=42'],
            ['1714557601000000000', 'GET /health 200'],
          ],
        },
      ],
    });
    const { records } = accepted(parseLokiPush(body));
    expect(records).toEqual([
      { ts: 1714557600123, dataset: 'varlogs', service: 'varlogs', level: 'error', message: 'ts=2024-05-01T10:00:00.123Z level=error msg="payment gateway timeout" order=42', host: 'web-1', attrs: { filename: '/var/log/app/app.log' } },
      { ts: 1714557601000, dataset: 'varlogs', service: 'varlogs', message: 'GET /health 200', host: 'web-1', attrs: { filename: '/var/log/app/app.log' } },
    ]);
  });

  it('an Alloy Kubernetes push: service_name, detected_level, structured metadata with the trace id', () => {
    const body = JSON.stringify({
      streams: [
        {
          stream: { namespace: 'shop', pod: 'cart-7d9f8c6b5-x2x9q', container: 'cart', job: 'shop/cart', service_name: 'cart', detected_level: 'warn', instance: 'node-2' },
          values: [['1714557600000000000', '{"msg":"cache miss storm","keys":1200}', { trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', pod_ip: '10.42.0.17' }]],
        },
        { stream: { dataset: 'audit', app: 'gatekeeper' }, values: [['1714557600000000000', 'denied: pod has no resource limits', { severity: 'ERROR' }]] },
      ],
    });
    const { records } = accepted(parseLokiPush(body));
    expect(records[0]).toEqual({
      ts: 1714557600000,
      dataset: 'shop/cart',
      service: 'cart',
      level: 'warn',
      message: '{"msg":"cache miss storm","keys":1200}',
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      host: 'node-2',
      attrs: { pod_ip: '10.42.0.17', namespace: 'shop', pod: 'cart-7d9f8c6b5-x2x9q', container: 'cart', job: 'shop/cart' },
    });
    expect(records[1]).toEqual({ ts: 1714557600000, dataset: 'audit', service: 'gatekeeper', level: 'error', message: 'denied: pod has no resource limits' });
  });

  it('plain lines without a level label: the level where the layout learned from the stream’s lines puts it (logcat letters, syslog with none)', () => {
    const push = (job: string, lines: string[]) => ({ stream: { job }, values: lines.map((line, i) => [`171455760${i}000000000`, line]) });
    const body = JSON.stringify({
      streams: [
        push('android', ['03-17 16:13:38.811  1702  2395 D WindowManager: freezing', '03-17 16:13:38.819  1702  8671 W PowerManagerService: slow', '03-17 16:13:38.820  1702  8671 E PowerManagerService: failed']),
        push('syslog', ['Jun 14 15:16:01 combo logrotate: ALERT exited abnormally with [1]', 'Jun 14 15:16:02 combo sshd[19937]: check pass; user unknown', 'Jun 14 15:16:03 combo sshd[19937]: session opened']),
      ],
    });
    const { records } = accepted(parseLokiPush(body, { receivedAt: Date.parse('2024-06-01T00:00:00Z') }));
    expect(records.map((r) => [r.dataset, r.level])).toEqual([
      ['android', 'debug'],
      ['android', 'warn'],
      ['android', 'error'],
      ['syslog', undefined],
      ['syslog', undefined],
      ['syslog', undefined],
    ]);
    // The entry keeps the time it was pushed with, as Loki does.
    expect(records[0].ts).toBe(1714557600000);
  });

  it('reads a body given as bytes (invalid UTF-8 as U+FFFD) or already parsed', () => {
    const bytes = Buffer.concat([Buffer.from('{"streams":[{"stream":{"job":"a"},"values":[["1714557600000000000","caf'), Buffer.from([0xc3]), Buffer.from('"]]}]}')]);
    expect(accepted(parseLokiPush(bytes)).records[0].message).toBe('caf\uFFFD');
    expect(accepted(parseLokiPush({ streams: [{ stream: { job: 'a' }, values: [['1714557600000000000', 'x']] }] })).records).toHaveLength(1);
  });

  it('cuts nanoseconds to milliseconds as text, beyond 2^53', () => {
    expect(nanosToMs('1714557600123999999')).toBe(1714557600123);
    expect(nanosToMs('999999')).toBeUndefined();
    expect(nanosToMs('17145576001239999990')).toBeUndefined();
    expect(nanosToMs('1.5e18')).toBeUndefined();
  });
});

describe('invalid input, precisely', () => {
  it('keeps the valid entries and names every invalid one by stream and value index', () => {
    const body = JSON.stringify({
      streams: [
        {
          stream: { job: 'api' },
          values: [
            ['1714557600000000000', 'good one'],
            [1714557600000000000, 'number timestamp'],
            ['yesterday', 'word timestamp'],
            ['1714557600000000000', 42],
            ['1714557600000000000', 'bad metadata', { retries: 3 }],
            ['1714557600000000000'],
            'not an array',
          ],
        },
        { stream: {}, values: [['1714557600000000000', 'no labels']] },
        { stream: { job: 'x' }, values: 'nope' },
        { stream: { job: 7 }, values: [] },
      ],
    });
    const result = accepted(parseLokiPush(body));
    expect(result.records.map((r) => r.message)).toEqual(['good one']);
    expect(result.errors).toEqual([
      { stream: 0, value: 1, reason: 'streams[0].values[1][0]: the timestamp must be a string of Unix epoch nanoseconds, got number' },
      { stream: 0, value: 2, reason: 'streams[0].values[2][0]: "yesterday" is not a Unix epoch in nanoseconds' },
      { stream: 0, value: 3, reason: 'streams[0].values[3][1]: the log line must be a string, got number' },
      { stream: 0, value: 4, reason: 'streams[0].values[4][2]: structured metadata must be an object of string values' },
      { stream: 0, value: 5, reason: 'streams[0].values[5] must be [timestamp, line] or [timestamp, line, structured metadata]' },
      { stream: 0, value: 6, reason: 'streams[0].values[6] must be [timestamp, line] or [timestamp, line, structured metadata]' },
      { stream: 1, reason: 'streams[1].stream has no labels; at least one label pair is required per stream' },
      { stream: 2, reason: 'streams[2].values must be an array of [timestamp, line] entries' },
      { stream: 3, reason: 'streams[3].stream must be an object of string label values' },
    ]);
    const response = lokiPushResponse(result);
    expect(response.status).toBe(400);
    expect('body' in response && response.body.split('\n')).toEqual([...result.errors.slice(0, 9).map((e) => e.reason), '1 entries were accepted']);
  });

  it('refuses an empty line, and makes a dataset label scope-safe', () => {
    const result = accepted(parseLokiPush({ streams: [{ stream: { dataset: 'a,b*c' }, values: [['1714557600000000000', '   '], ['1714557600000000000', 'ok']] }] }));
    expect(result.errors).toEqual([{ stream: 0, value: 0, reason: 'streams[0].values[0][1]: the log line is empty' }]);
    expect(result.records[0].dataset).toBe('a-b-c');
  });

  it('answers 204 when every entry was taken', () => {
    expect(lokiPushResponse(parseLokiPush({ streams: [] }))).toEqual({ status: 204 });
  });

  it('refuses a body that is not a push: not JSON (with the JSON hint), no streams array', () => {
    const notJson = parseLokiPush(Buffer.from([0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50]));
    expect(notJson).toMatchObject({ ok: false, status: 400, message: expect.stringContaining('Content-Type: application/json') });
    expect(parseLokiPush('{"stream":[]}')).toEqual({ ok: false, status: 400, message: 'the push body must be an object with a "streams" array' });
    expect(lokiPushResponse(notJson)).toMatchObject({ status: 400, body: expect.stringContaining('not JSON') });
  });

  it('refuses a push over the entry limit as a whole', () => {
    const body = { streams: [{ stream: { job: 'a' }, values: [['1', 'a'], ['2', 'b'], ['3', 'c']] }] };
    expect(parseLokiPush(body, { maxRecords: 2 })).toEqual({ ok: false, status: 413, message: 'the push holds 3 entries, more than 2; send smaller batches' });
  });

  it('answers 415 to a content type that is neither JSON nor protobuf, naming both', () => {
    expect(lokiContentTypeProblem('text/plain')).toEqual({ status: 415, body: expect.stringMatching(/application\/json.*application\/x-protobuf/) });
    expect(lokiContentTypeProblem('application/x-protobuf')).toBeUndefined();
    expect(lokiContentTypeProblem('application/json; charset=utf-8')).toBeUndefined();
    expect(lokiContentTypeProblem(undefined)).toBeUndefined();
  });
});
