/**
 * The VictoriaLogs of the test environment (scripts/test-env.d/50-vlogs.sh) and the helpers of
 * test/helpers/vlogs-env.ts: the real server at the pinned version, records written through its
 * JSON-lines and Loki push APIs read back exactly, and /select/logsql/hits counting per bucket.
 *
 * Every record carries a run id of its own (the server keeps earlier runs' records while it stays
 * up) and a timestamp inside a fixed past window, so the expected answers are exact.
 */
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type HitsResponse,
  type JsonRecord,
  type ValuesResponse,
  type VlRecord,
  forceFlush,
  ingestJsonLines,
  logsql,
  lokiTimestamp,
  pushLoki,
  requireVlogsUrl,
  selectJson,
  vlTimestamp,
} from '../helpers/vlogs-env.js';

/** The version scripts/test-env.d/50-vlogs.sh builds. */
const VERSION = '1.52.2';
const MINUTE = 60_000;
/** A fixed past window (10 minutes); all the records of this file are stamped inside it. */
const WINDOW_START = Date.parse('2025-03-14T09:00:00.000Z');
const WINDOW_END = WINDOW_START + 10 * MINUTE;

function newRun(): string {
  return randomBytes(6).toString('hex');
}

/** The records sorted by time, then message: the query endpoint answers in no particular order. */
function byTime(records: VlRecord[]): VlRecord[] {
  return [...records].sort((a, b) => Date.parse(a._time) - Date.parse(b._time) || (a._msg < b._msg ? -1 : a._msg > b._msg ? 1 : 0));
}

describe('VictoriaLogs test environment', () => {
  let vl: string;

  beforeAll(() => {
    vl = requireVlogsUrl();
  });

  it(`is the real VictoriaLogs ${VERSION}, healthy`, async () => {
    const health = await fetch(`${vl}/health`);
    expect(health.status).toBe(200);
    const metrics = await (await fetch(`${vl}/metrics`)).text();
    // VictoriaLogs reports its build through VictoriaMetrics' lib/buildinfo (the -X of 50-vlogs.sh).
    const line = metrics.split('\n').find((l) => l.startsWith('vm_app_version{'));
    expect(line, 'vm_app_version in /metrics').toBeDefined();
    expect(line).toContain(`version="victoria-logs-v${VERSION}"`);
    expect(line).toContain(`short_version="v${VERSION}"`);
    // Its own series exist: a VictoriaMetrics on this port would have no vl_ metrics. (Not
    // vl_rows_ingested_total: a fresh server has none until its first ingestion.)
    expect(metrics).toMatch(/^vl_http_requests_total\{path="\/insert\/jsonline"\} \d+$/m);
    // What scripts/test-env.sh printed (scripts/test.sh exports it as TEST_VICTORIALOGS_VERSION).
    if (process.env.TEST_VICTORIALOGS_VERSION !== undefined) expect(process.env.TEST_VICTORIALOGS_VERSION).toBe(VERSION);
  });

  it('JSON lines: a LogsQL query finds exactly the ingested records, with their fields and stream', async () => {
    const run = newRun();
    const at = (ms: number) => new Date(WINDOW_START + ms).toISOString();
    const records: JsonRecord[] = [
      { ts: at(1_000), message: 'payment accepted for order 17', 'service.name': 'checkout', 'log.level': 'info', trace_id: 'aa01', run },
      { ts: at(1_500), message: 'card declined for order 18', 'service.name': 'checkout', 'log.level': 'error', trace_id: 'aa02', run },
      { ts: at(2 * MINUTE + 250), message: 'inventory reserved', 'service.name': 'inventory', 'log.level': 'info', trace_id: 'bb01', run },
      { ts: at(3 * MINUTE), message: 'inventory timeout talking to db', 'service.name': 'inventory', 'log.level': 'error', trace_id: 'bb02', run },
      { ts: at(9 * MINUTE + 59_999), message: 'retry scheduled', 'service.name': 'checkout', 'log.level': 'warn', trace_id: 'aa03', run },
    ];
    // Outside the queried window (one just before it, one exactly at its exclusive end), and one
    // of another run inside it: none may be returned.
    const decoys: JsonRecord[] = [
      { ts: at(-1), message: 'too early', 'service.name': 'checkout', 'log.level': 'error', trace_id: 'zz01', run },
      { ts: at(10 * MINUTE), message: 'too late', 'service.name': 'checkout', 'log.level': 'error', trace_id: 'zz02', run },
      { ts: at(5 * MINUTE), message: 'another run', 'service.name': 'checkout', 'log.level': 'error', trace_id: 'zz03', run: newRun() },
    ];
    await ingestJsonLines(vl, [...records, ...decoys], { timeField: 'ts', msgField: 'message', streamFields: ['service.name'] });
    await forceFlush(vl);

    const window = { start: WINDOW_START, end: WINDOW_END };
    const got = byTime(await logsql(vl, `run:=${run}`, window));
    expect(got).toHaveLength(records.length);
    expect(
      got.map((r) => ({
        time: Date.parse(r._time),
        msg: r._msg,
        service: r['service.name'],
        level: r['log.level'],
        trace: r.trace_id,
        stream: r._stream,
        run: r.run,
      })),
    ).toEqual(
      records.map((r) => ({
        time: Date.parse(r.ts as string),
        msg: r.message,
        service: r['service.name'],
        level: r['log.level'],
        trace: r.trace_id,
        stream: `{service.name="${r['service.name'] as string}"}`,
        run,
      })),
    );
    // The time and message fields were renamed, not copied.
    for (const r of got) expect(Object.keys(r).sort()).toEqual(['_msg', '_stream', '_stream_id', '_time', 'log.level', 'run', 'service.name', 'trace_id']);

    // A field filter, a bare word (searches _msg only), and a stream filter.
    expect((await logsql(vl, `run:=${run} log.level:=error`, window)).map((r) => r.trace_id).sort()).toEqual(['aa02', 'bb02']);
    expect((await logsql(vl, `run:=${run} inventory`, window)).map((r) => r.trace_id).sort()).toEqual(['bb01', 'bb02']);
    expect((await logsql(vl, `run:=${run} checkout`, window)).map((r) => r.trace_id)).toEqual([]);
    expect((await logsql(vl, `{service.name="checkout"} run:=${run}`, window)).map((r) => r.trace_id).sort()).toEqual(['aa01', 'aa02', 'aa03']);
    // limit keeps the newest.
    expect((await logsql(vl, `run:=${run}`, { ...window, limit: 2 })).map((r) => r.trace_id).sort()).toEqual(['aa03', 'bb02']);

    const levels = await selectJson<ValuesResponse>(vl, 'field_values', `run:=${run}`, { ...window, field: 'log.level' });
    expect(levels.values.sort((a, b) => (a.value < b.value ? -1 : 1))).toEqual([
      { value: 'error', hits: 2 },
      { value: 'info', hits: 2 },
      { value: 'warn', hits: 1 },
    ]);
  });

  it('Loki push: the records are found, with their labels as stream fields and structured metadata as fields', async () => {
    const run = newRun();
    const t0 = WINDOW_START + 4 * MINUTE;
    await pushLoki(vl, [
      {
        stream: { app: 'web', env: 'prod', run },
        values: [
          [lokiTimestamp(t0), 'GET /cart 200'],
          [lokiTimestamp(t0 + 1_250), 'GET /pay 502', { trace_id: 'cc01', user: 'u7' }],
        ],
      },
      { stream: { app: 'db', env: 'prod', run }, values: [[lokiTimestamp(t0 + 30_000), 'slow query on orders']] },
    ]);
    await forceFlush(vl);

    const window = { start: WINDOW_START, end: WINDOW_END };
    const got = byTime(await logsql(vl, `run:=${run}`, window));
    const web = `{app="web",env="prod",run="${run}"}`;
    const db = `{app="db",env="prod",run="${run}"}`;
    // _stream_id: 48 hex digits (tenant + stream hash), the same for the records of one stream.
    const ids = got.map(({ _stream_id }) => _stream_id);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{48}$/);
    expect(ids[0]).toBe(ids[1]);
    expect(ids[2]).not.toBe(ids[0]);
    expect(got.map(({ _stream_id: _, ...rest }) => rest)).toEqual([
      { _time: vlTimestamp(t0), _msg: 'GET /cart 200', _stream: web, app: 'web', env: 'prod', run },
      { _time: vlTimestamp(t0 + 1_250), _msg: 'GET /pay 502', _stream: web, app: 'web', env: 'prod', run, trace_id: 'cc01', user: 'u7' },
      { _time: vlTimestamp(t0 + 30_000), _msg: 'slow query on orders', _stream: db, app: 'db', env: 'prod', run },
    ]);
    // A stream selector on the labels.
    expect((await logsql(vl, `{app="web"} run:=${run}`, window)).map((r) => r._msg).sort()).toEqual(['GET /cart 200', 'GET /pay 502']);

    const streams = await selectJson<ValuesResponse>(vl, 'streams', `run:=${run}`, window);
    expect(streams.values.sort((a, b) => b.hits - a.hits)).toEqual([
      { value: web, hits: 2 },
      { value: db, hits: 1 },
    ]);
    const streamFields = await selectJson<ValuesResponse>(vl, 'stream_field_names', `run:=${run}`, window);
    expect(streamFields.values.map((v) => v.value).sort()).toEqual(['app', 'env', 'run']);
  });

  it('/select/logsql/hits counts per bucket exactly what was ingested', async () => {
    const run = newRun();
    // Per minute of the window: 3, 0, 2, 0, 1 records (at odd offsets inside each minute).
    const perMinute = [3, 0, 2, 0, 1];
    const records: JsonRecord[] = perMinute.flatMap((n, minute) =>
      Array.from({ length: n }, (_, i) => ({
        _time: new Date(WINDOW_START + minute * MINUTE + 7_000 + i * 13_001).toISOString(),
        _msg: `tick ${minute}.${i}`,
        level: i === 0 ? 'error' : 'info',
        run,
      })),
    );
    await ingestJsonLines(vl, records);
    await forceFlush(vl);

    const range = { start: WINDOW_START, end: WINDOW_START + perMinute.length * MINUTE };
    const hits = await selectJson<HitsResponse>(vl, 'hits', `run:=${run}`, { ...range, step: '1m' });
    // With start and end given, empty buckets are answered as zeros.
    expect(hits).toEqual({
      hits: [
        {
          fields: {},
          timestamps: perMinute.map((_, m) => vlTimestamp(WINDOW_START + m * MINUTE)),
          values: perMinute,
          total: 6,
        },
      ],
    });

    // Grouped by a field: one series per value.
    const byLevel = await selectJson<HitsResponse>(vl, 'hits', `run:=${run}`, { ...range, step: '1m', field: 'level' });
    const series = Object.fromEntries(byLevel.hits.map((h) => [h.fields.level, { values: h.values, total: h.total }]));
    expect(series).toEqual({
      error: { values: [1, 0, 1, 0, 1], total: 3 },
      info: { values: [2, 0, 1, 0, 0], total: 3 },
    });

    // Nothing matches: no series at all.
    expect(await selectJson<HitsResponse>(vl, 'hits', `run:=${newRun()}`, { ...range, step: '1m' })).toEqual({ hits: [] });
  });
});
