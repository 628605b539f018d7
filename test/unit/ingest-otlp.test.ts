import { describe, expect, it } from 'vitest';
import { anyValue, otlpContentTypeProblem, otlpErrorStatus, otlpId, otlpLogsResponse, parseOtlpLogs, type OtlpLogsResult } from '../../src/ingest/otlp.js';

const RECEIVED = Date.parse('2024-06-01T00:00:00Z');
const str = (key: string, value: string) => ({ key, value: { stringValue: value } });

function accepted(result: OtlpLogsResult) {
  if (!result.ok) throw new Error(`export refused: ${result.message}`);
  return result;
}

// What the OpenTelemetry Collector's otlphttp exporter sends with `encoding: json`: a Java
// service's logback appender record and a filelog receiver record, int64s as strings.
const COLLECTOR_EXPORT = {
  resourceLogs: [
    {
      resource: {
        attributes: [str('service.name', 'checkout'), str('service.namespace', 'shop'), str('host.name', 'node-2'), str('k8s.pod.name', 'checkout-5d8f7b9c4-abcde'), { key: 'process.pid', value: { intValue: '4242' } }],
      },
      scopeLogs: [
        {
          scope: { name: 'io.opentelemetry.logback-appender-1.0', version: '2.3.0-alpha' },
          logRecords: [
            {
              timeUnixNano: '1714557600123456789',
              observedTimeUnixNano: '1714557600130000000',
              severityNumber: 17,
              severityText: 'ERROR',
              body: { stringValue: 'charge failed: card declined' },
              attributes: [str('exception.type', 'java.lang.IllegalStateException'), { key: 'thread.id', value: { intValue: '42' } }, { key: 'retry', value: { boolValue: false } }],
              flags: 1,
              traceId: '5B8EFFF798038103D269B633813FC60C',
              spanId: 'EEE19B7EC3C1B174',
            },
          ],
        },
        {
          scope: { name: 'github.com/open-telemetry/opentelemetry-collector-contrib/receiver/filelogreceiver' },
          logRecords: [
            {
              timeUnixNano: '0',
              observedTimeUnixNano: '1714557601000000000',
              body: { stringValue: '2024-05-01 10:00:01 WARN pool almost exhausted' },
              attributes: [str('log.file.name', 'checkout.log')],
              traceId: '',
              spanId: '',
            },
          ],
        },
      ],
      schemaUrl: 'https://opentelemetry.io/schemas/1.24.0',
    },
  ],
};

describe('OTLP/HTTP JSON logs', () => {
  it('reads a Collector otlphttp export: service, host, level, trace id, attributes, time from timeUnixNano', () => {
    const { records, rejected } = accepted(parseOtlpLogs(JSON.stringify(COLLECTOR_EXPORT), { receivedAt: RECEIVED }));
    expect(rejected).toBe(0);
    expect(records[0]).toEqual({
      ts: 1714557600123,
      dataset: 'otel-checkout',
      service: 'checkout',
      level: 'error',
      message: 'charge failed: card declined',
      traceId: '5b8efff798038103d269b633813fc60c',
      host: 'node-2',
      attrs: {
        'exception.type': 'java.lang.IllegalStateException',
        'thread.id': 42,
        retry: false,
        'span.id': 'eee19b7ec3c1b174',
        'service.namespace': 'shop',
        'k8s.pod.name': 'checkout-5d8f7b9c4-abcde',
        'process.pid': 4242,
        'otel.scope.name': 'io.opentelemetry.logback-appender-1.0',
        'otel.scope.version': '2.3.0-alpha',
      },
    });
  });

  it('falls back to observedTimeUnixNano, and reads the level from the body when there is no severity', () => {
    const { records } = accepted(parseOtlpLogs(COLLECTOR_EXPORT, { receivedAt: RECEIVED }));
    expect(records[1]).toMatchObject({ ts: 1714557601000, level: 'warn', message: '2024-05-01 10:00:01 WARN pool almost exhausted', service: 'checkout' });
    expect(records[1].traceId).toBeUndefined();
    expect(records[1].attrs).not.toHaveProperty('span.id');
  });

  it('a record without a time takes the one its plain-text body states, where the layout learned from the resource’s bodies puts it', () => {
    const bodies = ['081109 203615 148 INFO dfs.DataNode: receiving block', '081109 203807 222 WARN dfs.DataNode: slow block', 'no stamp in this body'];
    const body = { resourceLogs: [{ resource: { attributes: [str('service.name', 'hdfs')] }, scopeLogs: [{ logRecords: bodies.map((b) => ({ body: { stringValue: b } })) }] }] };
    const { records } = accepted(parseOtlpLogs(body, { receivedAt: RECEIVED }));
    expect(records.map((r) => [r.ts, r.level, r.attrs?.['telemcp.time_inferred']])).toEqual([
      [Date.parse('2008-11-09T20:36:15Z'), 'info', undefined],
      [Date.parse('2008-11-09T20:38:07Z'), 'warn', undefined],
      [RECEIVED, undefined, 'ingest_time'],
    ]);
    expect(records[0].message).toBe(bodies[0]);
  });

  it('uses the time of receipt when a record has no time at all, and says so', () => {
    const { records } = accepted(parseOtlpLogs({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'x' } }] }] }] }, { receivedAt: RECEIVED }));
    expect(records).toEqual([{ ts: RECEIVED, dataset: 'otel', message: 'x', attrs: { 'telemcp.time_inferred': 'ingest_time' } }]);
  });

  it('maps severityNumber ranges and severityText spellings to canonical levels', () => {
    const levels = [
      [{ severityNumber: 1 }, 'trace'],
      [{ severityNumber: 7 }, 'debug'],
      [{ severityNumber: 9 }, 'info'],
      [{ severityNumber: 14 }, 'warn'],
      [{ severityNumber: 20 }, 'error'],
      [{ severityNumber: 21 }, 'fatal'],
      [{ severityText: 'Information', severityNumber: 9 }, 'info'],
      [{ severityText: 'WARNING' }, 'warn'],
      [{ severityNumber: 0 }, undefined],
    ] as const;
    const logRecords = levels.map(([severity]) => ({ timeUnixNano: '1714557600000000000', body: { stringValue: 'm' }, ...severity }));
    const { records } = accepted(parseOtlpLogs({ resourceLogs: [{ scopeLogs: [{ logRecords }] }] }));
    expect(records.map((r) => r.level)).toEqual(levels.map(([, level]) => level));
  });

  it('turns a map or array body into bounded JSON text, and flattens map attributes', () => {
    const body = { kvlistValue: { values: [str('event', 'login'), { key: 'user', value: { kvlistValue: { values: [str('id', 'u1'), { key: 'roles', value: { arrayValue: { values: [{ stringValue: 'admin' }, { intValue: 7 }] } } }] } } }] } };
    const attributes = [{ key: 'http', value: { kvlistValue: { values: [{ key: 'status_code', value: { intValue: 503 } }, { key: 'ratio', value: { doubleValue: 0.25 } }] } } }, { key: 'big', value: { intValue: '9223372036854775807' } }];
    const { records } = accepted(parseOtlpLogs({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ timeUnixNano: 1714557600000000000, body, attributes }] }] }] }));
    expect(records[0].message).toBe('{"event":"login","user":{"id":"u1","roles":["admin",7]}}');
    expect(records[0].attrs).toEqual({ 'http.status_code': 503, 'http.ratio': 0.25, big: '9223372036854775807' });
    expect(records[0].ts).toBe(1714557600000);
  });

  it('never leaves a message empty: an event without a body reads as its name, else its attributes', () => {
    const logRecords = [
      { timeUnixNano: '1714557600000000000', eventName: 'browser.page_view', attributes: [str('url.path', '/cart')] },
      { timeUnixNano: '1714557600000000000', attributes: [str('url.path', '/cart')] },
      { timeUnixNano: '1714557600000000000', body: { stringValue: '' } },
    ];
    const { records } = accepted(parseOtlpLogs({ resourceLogs: [{ scopeLogs: [{ logRecords }] }] }));
    expect(records.map((r) => r.message)).toEqual(['browser.page_view', '{"url.path":"/cart"}', '(empty log record)']);
    expect(records[0].attrs).toEqual({ 'url.path': '/cart', 'event.name': 'browser.page_view' });
  });

  it('takes the dataset from a telemcp.dataset resource attribute, else otel-<service.name> made index-safe', () => {
    const dataset = (attributes: unknown[]) => accepted(parseOtlpLogs({ resourceLogs: [{ resource: { attributes }, scopeLogs: [{ logRecords: [{ body: { stringValue: 'x' } }] }] }] })).records[0].dataset;
    expect(dataset([str('service.name', 'checkout'), str('telemcp.dataset', 'payments')])).toBe('payments');
    expect(dataset([str('service.name', 'unknown_service:Node JS')])).toBe('otel-unknown_service-node-js');
    expect(dataset([])).toBe('otel');
    expect(dataset([str('telemcp.dataset', ' team,a* ')])).toBe('team-a-');
  });

  it('reads trace ids as hex, base64 (protobuf-JSON encoders) or none (all zeros)', () => {
    expect(otlpId('5B8EFFF798038103D269B633813FC60C', 16)).toBe('5b8efff798038103d269b633813fc60c');
    expect(otlpId(Buffer.from('5b8efff798038103d269b633813fc60c', 'hex').toString('base64'), 16)).toBe('5b8efff798038103d269b633813fc60c');
    expect(otlpId('00000000000000000000000000000000', 16)).toBeUndefined();
    expect(otlpId('not-an-id', 16)).toBeUndefined();
    expect(anyValue({ intValue: 5 })).toBe(5);
  });
});

describe('refusals and answers', () => {
  it('rejects bad records, keeps the rest, and answers a partial success with the count as an int64 string', () => {
    const body = {
      resourceLogs: [
        {
          scopeLogs: [
            {
              logRecords: [{ timeUnixNano: '1714557600000000000', body: { stringValue: 'kept' } }, 'not a record', { timeUnixNano: 'yesterday', body: { stringValue: 'bad time' } }, { observedTimeUnixNano: { n: 1 }, body: { stringValue: 'bad observed' } }],
            },
          ],
        },
      ],
    };
    const result = accepted(parseOtlpLogs(body));
    expect(result.records.map((r) => r.message)).toEqual(['kept']);
    expect(result.rejected).toBe(3);
    expect(result.errors).toEqual([
      'resourceLogs[0].scopeLogs[0].logRecords[1]: not a LogRecord object',
      'resourceLogs[0].scopeLogs[0].logRecords[2]: timeUnixNano must be a decimal count of nanoseconds since the epoch',
      'resourceLogs[0].scopeLogs[0].logRecords[3]: observedTimeUnixNano must be a decimal count of nanoseconds since the epoch',
    ]);
    expect(otlpLogsResponse(result.rejected, result.errors)).toEqual({ partialSuccess: { rejectedLogRecords: '3', errorMessage: result.errors.join('; ') } });
  });

  it('answers a full success with an empty response, also for an empty request', () => {
    const empty = accepted(parseOtlpLogs('{}'));
    expect(empty.records).toEqual([]);
    expect(otlpLogsResponse(empty.rejected)).toEqual({});
  });

  it('refuses an unreadable body as a whole with a google.rpc.Status', () => {
    const notJson = parseOtlpLogs(Buffer.from([0x0a, 0x8f, 0x01, 0x0a, 0x30]));
    expect(notJson).toMatchObject({ ok: false, status: 400, message: expect.stringContaining('encoding: json') });
    expect(parseOtlpLogs('{"resourceLogs":{}}')).toEqual({ ok: false, status: 400, message: '"resourceLogs" must be an array' });
    expect(parseOtlpLogs('[]')).toMatchObject({ ok: false, status: 400 });
    expect(otlpErrorStatus('bad')).toEqual({ code: 3, message: 'bad' });
  });

  it('refuses a request over the record limit as a whole', () => {
    const logRecords = Array.from({ length: 3 }, () => ({ body: { stringValue: 'x' } }));
    expect(parseOtlpLogs({ resourceLogs: [{ scopeLogs: [{ logRecords }] }] }, { maxRecords: 2 })).toEqual({ ok: false, status: 413, message: 'the request holds 3 log records, more than 2; send smaller batches' });
  });

  it('answers protobuf with 415 and the JSON hint', () => {
    expect(otlpContentTypeProblem('application/x-protobuf')).toEqual({ status: 415, body: { code: 3, message: expect.stringContaining('Content-Type: application/json') } });
    expect(otlpContentTypeProblem('application/json')).toBeUndefined();
    expect(otlpContentTypeProblem(undefined)).toBeUndefined();
  });
});
