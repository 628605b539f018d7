import { describe, expect, it } from 'vitest';
import { compileLogFormat } from '../../src/analysis/templates/log-format.js';
import { compileTimeFormat } from '../../src/analysis/templates/time-format.js';
import { MAX_ATTR_BYTES, MAX_ATTR_KEYS, MAX_MESSAGE_BYTES, TRUNCATED_MARKER } from '../../src/ingest/bounds.js';
import { MAX_LINES_PER_RECORD, createFileRecordAssembler, detectFileFormat, parseFileLines, type FileRecordOptions } from '../../src/ingest/file-records.js';
import type { IngestRecord } from '../../src/ingest/record.js';
import { parseSyslogLine } from '../../src/ingest/syslog.js';
import { JAVA_STACK_LOG } from '../helpers/log-samples.js';

const ms = (iso: string): number => Date.parse(iso);
const RECEIVED = ms('2024-06-01T00:00:00Z');
const base = { dataset: 'app', receivedAt: RECEIVED, defaultYear: 2024 } as const;
const DATES = { now: RECEIVED, year: 2024 };
const parse = (text: string, opts: Partial<FileRecordOptions> = {}) => parseFileLines(text.split('\n'), { format: 'auto', ...base, ...opts });

describe('plain text with multi-line stack traces', () => {
  it('joins a Java stack trace to the record it belongs to', () => {
    const { format, records, bad } = parse(JAVA_STACK_LOG, { service: 'shop' });
    expect(format).toBe('plain');
    expect(bad).toEqual([]);
    expect(records).toHaveLength(3);
    expect(records[1]).toMatchObject({ ts: ms('2024-05-01T10:00:01.500Z'), level: 'error', service: 'shop', dataset: 'app' });
    expect(records[1].message.split('\n')).toEqual([
      '[http-nio-8080-exec-3] c.e.shop.Payment - charge failed',
      'java.lang.IllegalStateException: card declined',
      '\tat com.example.shop.Payment.charge(Payment.java:88)',
      '\tat com.example.shop.Checkout.pay(Checkout.java:41)',
      'Caused by: java.net.SocketTimeoutException: Read timed out',
      '\tat java.base/java.net.SocketInputStream.read(SocketInputStream.java:168)',
      '\t... 12 more',
    ]);
    expect(records.map((r) => r.level)).toEqual(['info', 'error', 'warn']);
  });

  it('joins a Python traceback, including the exception line that ends it', () => {
    const text = [
      '2024-05-01T10:00:00+02:00 ERROR app.worker: job 7 failed',
      'Traceback (most recent call last):',
      '  File "/srv/app/worker.py", line 31, in run',
      '    result = handler(job)',
      '  File "/srv/app/jobs.py", line 12, in handler',
      '    raise ValueError("bad payload")',
      'ValueError: bad payload',
      '2024-05-01T10:00:05+02:00 INFO app.worker: job 8 done',
    ].join('\n');
    const { records } = parse(text);
    expect(records).toHaveLength(2);
    expect(records[0].ts).toBe(ms('2024-05-01T08:00:00Z'));
    expect(records[0].message).toMatch(/^app\.worker: job 7 failed\nTraceback \(most recent call last\):\n {2}File .*\nValueError: bad payload$/s);
    expect(records[1].message).toBe('app.worker: job 8 done');
  });

  it('starts a record at a timestamped line even right after a traceback, and at an indented first line', () => {
    const text = ['  indented first line', 'Traceback (most recent call last):', '  File "w.py", line 1, in <module>', '2024-05-01T10:00:00Z INFO next record', 'KeyError: 1'].join('\n');
    const { records } = parse(text, { format: 'plain' });
    expect(records.map((r) => r.message)).toEqual(['  indented first line\nTraceback (most recent call last):\n  File "w.py", line 1, in <module>', 'next record\nKeyError: 1']);
  });

  it('normalises offsets to UTC: +05:30, -08:00, Z, and a zone-less time as UTC', () => {
    const text = [
      '2024-05-01T15:30:00+05:30 INFO a',
      '2024-05-01T02:00:00-08:00 INFO b',
      '2024-05-01T10:00:00.250Z INFO c',
      '2024-05-01 10:00:00 INFO d',
      '[2024-05-01T12:00:00+0200] INFO e',
    ].join('\n');
    expect(parse(text).records.map((r) => r.ts)).toEqual([
      ms('2024-05-01T10:00:00Z'),
      ms('2024-05-01T10:00:00Z'),
      ms('2024-05-01T10:00:00.250Z'),
      ms('2024-05-01T10:00:00Z'),
      ms('2024-05-01T10:00:00Z'),
    ]);
  });

  it('keeps every line of an untimed file as its own record (no timestamp to join on), times marked inferred', () => {
    const { records } = parse('Starting server\nListening on :8080\nERROR bind failed', { format: 'plain' });
    expect(records.map((r) => r.message)).toEqual(['Starting server', 'Listening on :8080', 'bind failed']);
    expect(records.map((r) => r.ts)).toEqual([RECEIVED, RECEIVED, RECEIVED]);
    expect(records[0].attrs).toEqual({ 'telemcp.time_inferred': 'ingest_time' });
    expect(records[1].attrs).toEqual({ 'telemcp.time_inferred': 'previous_record' });
    expect(records[2].level).toBe('error');
  });

  it('reads CRLF lines and decodes invalid UTF-8 to U+FFFD without losing the line', () => {
    const bytes = Buffer.concat([Buffer.from('2024-05-01T10:00:00Z INFO caf'), Buffer.from([0xc3, 0x28]), Buffer.from(' ok\r\n2024-05-01T10:00:01Z WARN next\r\n')]);
    const text = new TextDecoder().decode(bytes);
    const { records } = parseFileLines(text.split('\n'), { format: 'plain', ...base });
    expect(records.map((r) => r.message)).toEqual(['caf\uFFFD( ok', 'next']);
    expect(records[1].level).toBe('warn');
  });
});

describe('plain text read by the layout learned from its first lines', () => {
  const assemble = (lines: string[], opts: Partial<FileRecordOptions> = {}) => {
    const records: [IngestRecord, number][] = [];
    const assembler = createFileRecordAssembler({ format: 'auto', ...base, ...opts }, { record: (r, line) => records.push([r, line]), bad: () => undefined });
    lines.forEach((line, i) => assembler.push(line, i + 1));
    assembler.end();
    return { records, layout: assembler.layout, untimed: assembler.untimed };
  };

  it('continuation lines take their record’s time; untimed records take the previous record’s or the ingest time, counted by line', () => {
    const { records, layout, untimed } = assemble([
      'starting up',
      'loading config',
      '081109 203615 148 INFO dfs.DataNode: receiving block',
      'java.io.IOException: Connection reset by peer',
      '\tat dfs.DataNode.receive(DataNode.java:10)',
      'block dump follows',
      '081109 203620 148 WARN dfs.DataNode: slow block',
      '081109 203621 148 INFO dfs.DataNode: block received',
      '081109 203622 148 INFO dfs.DataNode: block received',
    ]);
    expect(layout).toBe('yyMMdd HHmmss at the start, level in field 4');
    expect(records.map(([r, line]) => [line, new Date(r.ts).toISOString(), r.level, r.attrs?.['telemcp.time_inferred']])).toEqual([
      [1, new Date(RECEIVED).toISOString(), undefined, 'ingest_time'],
      [2, new Date(RECEIVED).toISOString(), undefined, 'previous_record'],
      [3, '2008-11-09T20:36:15.000Z', 'info', undefined],
      [7, '2008-11-09T20:36:20.000Z', 'warn', undefined],
      [8, '2008-11-09T20:36:21.000Z', 'info', undefined],
      [9, '2008-11-09T20:36:22.000Z', 'info', undefined],
    ]);
    expect(records[2][0].message.split('\n')).toHaveLength(4);
    expect(untimed).toEqual({ continued: 3, previousRecord: 1, ingestTime: 1 });
  });

  it('maps one-letter levels and level words to one scale (Android logcat)', () => {
    const { records, layout } = assemble([
      '03-17 16:13:38.811  1702  2395 D WindowManager: a',
      '03-17 16:13:38.819  1702  8671 V PowerManagerService: b',
      '03-17 16:13:38.820  1702  8671 I PowerManagerService: c',
      '03-17 16:13:38.821  1702  8671 W PowerManagerService: d',
      '03-17 16:13:38.822  1702  8671 E PowerManagerService: e',
      '03-17 16:13:38.823  1702  8671 F PowerManagerService: f',
    ]);
    expect(layout).toBe('MM-dd HH:mm:ss.SSS at the start (no year: 2024), level in field 5');
    expect(records.map(([r]) => r.level)).toEqual(['debug', 'trace', 'info', 'warn', 'error', 'fatal']);
    expect(records[0][0].ts).toBe(ms('2024-03-17T16:13:38.811Z'));
  });

  it('gives a syslog line without a year the latest year that does not put it in the future', () => {
    const { records } = assemble(['Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster', 'May 30 10:00:00 LabSZ sshd[24201]: Accepted publickey'], { defaultYear: undefined });
    expect(records.map(([r]) => new Date(r.ts).toISOString())).toEqual(['2023-12-10T06:55:46.000Z', '2024-05-30T10:00:00.000Z']);
  });

  it('--timestamp-format overrides the guess (day first where the learner would read month first)', () => {
    const lines = ['05/06/2024 10:00:00 INFO start', '05/06/2024 10:00:01 INFO stop'];
    expect(assemble(lines).records[0][0].ts).toBe(ms('2024-05-06T10:00:00Z'));
    const given = assemble(lines, { format: 'plain', timestampFormat: compileTimeFormat('dd/MM/yyyy HH:mm:ss') });
    expect(given.layout).toBe('dd/MM/yyyy HH:mm:ss at the start, level in field 3');
    expect(given.records[0][0].ts).toBe(ms('2024-06-05T10:00:00Z'));
  });

  it('--log-format overrides the layout: header fields as time, level and attributes; a line that does not match continues its record', () => {
    const logFormat = compileLogFormat('<Date> <Time> <Pid> <Level> <Component>: <Content>');
    const { records, layout, untimed } = assemble(['081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 terminating', 'an unexpected second line', '081109 203807 222 WARN dfs.FSNamesystem: slow'], {
      format: 'plain',
      logFormat,
    });
    expect(layout).toBe('--log-format <Date> <Time> <Pid> <Level> <Component>: <Content>; timestamp yyMMdd HHmmss');
    expect(records.map(([r]) => r)).toEqual([
      { ts: ms('2008-11-09T20:36:15Z'), dataset: 'app', level: 'info', message: 'PacketResponder 1 terminating\nan unexpected second line', attrs: { pid: '148', component: 'dfs.DataNode$PacketResponder' } },
      { ts: ms('2008-11-09T20:38:07Z'), dataset: 'app', level: 'warn', message: 'slow', attrs: { pid: '222', component: 'dfs.FSNamesystem' } },
    ]);
    expect(untimed).toEqual({ continued: 1, previousRecord: 0, ingestTime: 0 });
    // Loghub's Linux format names the host <Level>: a value that is no level word stays a field.
    const linux = assemble(['Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass; user unknown'], { format: 'plain', logFormat: compileLogFormat('<Month> <Date> <Time> <Level> <Component>(\\[<PID>\\])?: <Content>') });
    expect(linux.records[0][0]).toMatchObject({ ts: ms('2024-06-14T15:16:01Z'), message: 'check pass; user unknown', attrs: { component: 'sshd(pam_unix)', pid: '19939', level: 'combo' } });
    expect(linux.records[0][0].level).toBeUndefined();
  });
});

describe('NDJSON and ECS', () => {
  const ecs = (fields: Record<string, unknown>): string => JSON.stringify(fields);

  it('maps ECS fields (dotted flat and nested) and keeps the rest as attributes', () => {
    const line = ecs({
      '@timestamp': '2024-05-01T10:00:00.123+05:30',
      'log.level': 'WARNING',
      message: 'slow query',
      service: { name: 'orders', version: '1.4.2' },
      'host.name': 'db-1',
      trace: { id: '4bf92f3577b34da6a3ce929d0e0e4736' },
      'event.dataset': 'orders.log',
      ecs: { version: '8.11.0' },
      'db.duration_ms': 1532,
      tags: ['slow', 'db'],
    });
    const { format, records, bad } = parse(line, { format: 'ecs' });
    expect(format).toBe('ecs');
    expect(bad).toEqual([]);
    expect(records).toEqual([
      {
        ts: ms('2024-05-01T04:30:00.123Z'),
        dataset: 'app',
        service: 'orders',
        level: 'warn',
        message: 'slow query',
        traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
        host: 'db-1',
        attrs: { 'service.version': '1.4.2', 'event.dataset': 'orders.log', 'ecs.version': '8.11.0', 'db.duration_ms': 1532, tags: '["slow","db"]' },
      },
    ]);
  });

  it('maps flat names: timestamp, level, service, host, trace_id, msg; pino numeric levels', () => {
    const line = ecs({ timestamp: 1714557600000, level: 50, service: 'api', hostname: 'web-2', trace_id: 'abc123', msg: 'upstream reset', pid: 7 });
    expect(parse(line).records[0]).toEqual({
      ts: ms('2024-05-01T10:00:00Z'),
      dataset: 'app',
      service: 'api',
      level: 'error',
      message: 'upstream reset',
      traceId: 'abc123',
      host: 'web-2',
      attrs: { pid: 7 },
    });
  });

  it('appends an ECS error.stack_trace to the message, as text logs join their stack trace', () => {
    const line = ecs({ '@timestamp': '2024-05-01T10:00:00Z', 'log.level': 'error', message: 'charge failed', error: { type: 'java.lang.IllegalStateException', stack_trace: 'java.lang.IllegalStateException: declined\n\tat a.B.c(B.java:1)\n' } });
    const [record] = parse(line).records;
    expect(record.message).toBe('charge failed\njava.lang.IllegalStateException: declined\n\tat a.B.c(B.java:1)');
    expect(record.attrs).toEqual({ 'error.type': 'java.lang.IllegalStateException' });
  });

  it('reads a Docker json-file line wrapping an ECS document; the wrapper fills the gaps', () => {
    const inner = ecs({ '@timestamp': '2024-05-01T10:00:00Z', 'log.level': 'info', message: 'ready', 'service.name': 'cart' });
    const { records } = parse(ecs({ log: `${inner}\n`, stream: 'stdout', time: '2024-05-01T10:00:00.5Z' }));
    expect(records[0]).toEqual({ ts: ms('2024-05-01T10:00:00Z'), dataset: 'app', service: 'cart', level: 'info', message: 'ready', attrs: { stream: 'stdout', time: '2024-05-01T10:00:00.5Z' } });
  });

  it('reports a bad line in the middle with its number and reason, and keeps the good lines around it', () => {
    const text = [
      ecs({ '@timestamp': '2024-05-01T10:00:00Z', message: 'one' }),
      ecs({ '@timestamp': '2024-05-01T10:00:01Z', message: 'two' }),
      '{"@timestamp":"2024-05-01T10:00:02Z","message":"three"', // cut short
      'plain words in a JSON file',
      '[1,2,3]',
      ecs({ '@timestamp': 'yesterday', message: 'bad time' }),
      ecs({ '@timestamp': '2024-05-01T10:00:04Z', message: 'five' }),
    ].join('\n');
    const { format, records, bad } = parse(text);
    expect(format).toBe('ndjson');
    expect(records.map((r) => r.message)).toEqual(['one', 'two', 'five']);
    expect(bad.map((b) => b.line)).toEqual([3, 4, 5, 6]);
    expect(bad[0].reason).toMatch(/^not JSON: /);
    expect(bad[1].reason).toMatch(/^not JSON: /);
    expect(bad[2].reason).toBe('a JSON array, not an object');
    expect(bad[3].reason).toBe('unreadable @timestamp "yesterday"');
  });

  it('appends stack-trace lines printed between JSON lines to the record before them', () => {
    const text = [
      ecs({ '@timestamp': '2024-05-01T10:00:00Z', level: 'error', msg: 'unhandled' }),
      'java.lang.NullPointerException: x',
      '    at com.example.A.run(A.java:10)',
      'Traceback (most recent call last):',
      '  File "w.py", line 1, in <module>',
      'KeyError: \'id\'',
      ecs({ '@timestamp': '2024-05-01T10:00:01Z', msg: 'next' }),
    ].join('\n');
    const { records, bad } = parse(text, { format: 'ndjson' });
    expect(bad).toEqual([]);
    expect(records).toHaveLength(2);
    expect(records[0].message.split('\n')).toHaveLength(6);
    expect(records[0].message.endsWith("KeyError: 'id'")).toBe(true);
  });

  it('reports a continuation line with no record before it as bad', () => {
    const { bad } = parse('    at com.example.A.run(A.java:10)\n{"message":"x"}', { format: 'ndjson' });
    expect(bad).toEqual([{ line: 1, reason: expect.stringMatching(/^not JSON/) }]);
  });
});

describe('logfmt', () => {
  it('maps time, level, message, host and trace id; other pairs become attributes', () => {
    const text = 'ts=2024-05-01T10:00:00-08:00 level=warn msg="disk almost full" host=node-3 trace_id=abc pct=91 mount=/var';
    const { format, records } = parse(text);
    expect(format).toBe('logfmt');
    expect(records[0]).toEqual({ ts: ms('2024-05-01T18:00:00Z'), dataset: 'app', level: 'warn', message: 'disk almost full', host: 'node-3', traceId: 'abc', attrs: { pct: '91', mount: '/var' } });
  });

  it('reports a line that is not logfmt and is no continuation', () => {
    const text = 'level=info msg=a\nthis is prose\nlevel=info msg=b';
    const { records, bad } = parse(text, { format: 'logfmt' });
    expect(records.map((r) => r.message)).toEqual(['a', 'b']);
    expect(bad).toEqual([{ line: 2, reason: 'not logfmt (key=value pairs)' }]);
  });
});

describe('syslog', () => {
  it('reads RFC 3164 with PRI: host, app as service, pid, level from severity', () => {
    const { records } = parse("<34>Oct 11 22:14:15 mymachine su[230]: 'su root' failed for lonvick on /dev/pts/8", { format: 'syslog' });
    expect(records[0]).toEqual({
      ts: ms('2024-10-11T22:14:15Z'),
      dataset: 'app',
      service: 'su',
      level: 'critical',
      message: "'su root' failed for lonvick on /dev/pts/8",
      host: 'mymachine',
      attrs: { 'process.pid': 230, 'syslog.facility': 4 },
    });
  });

  it('reads /var/log/syslog lines (no PRI) and rsyslog RFC 3339 times, detected as syslog', () => {
    const text = [
      'Jun  7 07:07:00 web-1 sshd[812]: Accepted publickey for deploy from 10.0.0.5 port 51234',
      'Jun  7 07:07:01 web-1 CRON[900]: (root) CMD (run-parts /etc/cron.hourly)',
      '2024-06-07T07:07:02.123456+02:00 web-1 kernel: [ 1234.5678] eth0: link up',
    ].join('\n');
    const { format, records } = parse(text);
    expect(format).toBe('syslog');
    expect(records.map((r) => [r.service, r.host, r.ts])).toEqual([
      ['sshd', 'web-1', ms('2024-06-07T07:07:00Z')],
      ['CRON', 'web-1', ms('2024-06-07T07:07:01Z')],
      ['kernel', 'web-1', ms('2024-06-07T05:07:02.123Z')],
    ]);
  });

  it('reads RFC 5424 with structured data, a BOM before the message, and nil fields', () => {
    const line = '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][opentelemetry trace_id="a\\"b"] \uFEFFAn application event log entry';
    const { records } = parse(line, { format: 'syslog' });
    expect(records[0]).toEqual({
      ts: ms('2003-10-11T22:14:15.003Z'),
      dataset: 'app',
      service: 'evntslog',
      level: 'notice',
      message: 'An application event log entry',
      host: 'mymachine.example.com',
      attrs: {
        'syslog.msgid': 'ID47',
        'syslog.facility': 20,
        'exampleSDID@32473.iut': '3',
        'exampleSDID@32473.eventSource': 'Application',
        'exampleSDID@32473.eventID': '1011',
        'opentelemetry.trace_id': 'a"b',
      },
    });
    expect(parseSyslogLine('<14>1 - - - - - -', DATES)).toEqual({ facility: 1, severity: 6, message: '' });
  });

  it('does not take an application log for syslog', () => {
    expect(detectFileFormat(['2024-05-01 10:00:00 INFO main: started', '2024-05-01 10:00:01 WARN main: slow'])).toBe('plain');
    expect(parseSyslogLine('<999>Oct 11 22:14:15 host app: x', DATES)).toBeUndefined();
  });
});

describe('streaming and bounds', () => {
  it('once the layout is learned, emits each record when the next one starts, with the line it started on, and sees through a BOM', () => {
    const seen: [string, number][] = [];
    const assembler = createFileRecordAssembler({ format: 'plain', ...base }, { record: (r, line) => seen.push([r.message, line]), bad: () => undefined });
    assembler.push('\uFEFF2024-05-01T10:00:00Z INFO first', 1);
    assembler.push('  continued', 2);
    expect(assembler.layout).toBeUndefined();
    // What a slow stream's timer does after a second: learn from the lines held so far.
    assembler.detectNow();
    expect(assembler.layout).toBe("yyyy-MM-dd'T'HH:mm:ssXXX at the start, level in field 2");
    expect(seen).toEqual([]);
    assembler.push('', 3);
    assembler.push('2024-05-01T10:00:01Z INFO second', 4);
    expect(seen).toEqual([['first\n  continued', 1]]);
    assembler.end();
    expect(seen).toEqual([
      ['first\n  continued', 1],
      ['second', 4],
    ]);
  });

  it('holds auto-detection to the first 50 non-blank lines, then streams', () => {
    const records: IngestRecord[] = [];
    const assembler = createFileRecordAssembler({ format: 'auto', ...base }, { record: (r) => records.push(r), bad: () => undefined });
    for (let i = 1; i <= 49; i++) assembler.push(`{"message":"m${i}","ts":"2024-05-01T10:00:00Z"}`, i);
    expect(assembler.format).toBeUndefined();
    assembler.push('{"message":"m50"}', 50);
    expect(assembler.format).toBe('ndjson');
    expect(records).toHaveLength(49);
    assembler.end();
    expect(records).toHaveLength(50);
    expect(records[49]).toMatchObject({ ts: ms('2024-05-01T10:00:00Z'), attrs: { 'telemcp.time_inferred': 'previous_record' } });
  });

  it(`starts a new record past ${MAX_LINES_PER_RECORD} lines, losing none`, () => {
    const lines = ['2024-05-01T10:00:00Z ERROR boom', ...Array.from({ length: 700 }, (_, i) => `\tat frame${i}`)];
    const { records } = parseFileLines(lines, { format: 'plain', ...base });
    expect(records.map((r) => r.message.split('\n').length)).toEqual([500, 201]);
    expect(records[1]).toMatchObject({ ts: ms('2024-05-01T10:00:00Z'), attrs: { 'telemcp.time_inferred': 'previous_record' } });
    expect(records[1].level).toBeUndefined();
  });

  it('cuts a message at 32 KiB with a marker and never splits a character', () => {
    const { records } = parseFileLines([`2024-05-01T10:00:00Z INFO ${'é'.repeat(40_000)}`], { format: 'plain', ...base });
    const message = records[0].message;
    expect(message.endsWith(TRUNCATED_MARKER)).toBe(true);
    expect(Buffer.byteLength(message)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    expect(message).not.toContain('\uFFFD');
  });

  it('bounds attributes to 64 keys and counts what it drops', () => {
    const doc: Record<string, unknown> = { message: 'wide', '@timestamp': '2024-05-01T10:00:00Z' };
    for (let i = 0; i < 100; i++) doc[`f${i}`] = i;
    const [record] = parse(JSON.stringify(doc)).records;
    expect(Object.keys(record.attrs!)).toHaveLength(MAX_ATTR_KEYS - 1);
    expect(record.attrs!['telemcp.dropped_attrs']).toBe(38);
  });

  it('keeps the attributes within 8 KiB as JSON, quotes and escapes counted', () => {
    const doc: Record<string, unknown> = { message: 'quotes', '@timestamp': '2024-05-01T10:00:00Z' };
    for (let i = 0; i < 20; i++) doc[`q${i}`] = '"\n'.repeat(600);
    const [record] = parse(JSON.stringify(doc)).records;
    expect(Buffer.byteLength(JSON.stringify(record.attrs))).toBeLessThanOrEqual(MAX_ATTR_BYTES);
    expect(record.attrs!['telemcp.dropped_attrs']).toBeGreaterThan(0);
  });

  it('never leaves a message empty: an empty message field gives the document, an empty msg the line', () => {
    const json = JSON.stringify({ '@timestamp': '2024-05-01T10:00:00Z', message: '', code: 7 });
    expect(parse(json).records[0].message).toBe(json);
    expect(parse('level=info msg="" code=7', { format: 'logfmt' }).records[0].message).toBe('level=info msg="" code=7');
    expect(parse('<14>1 2024-05-01T10:00:00Z host app - - -', { format: 'syslog' }).records[0].message).toBe('<14>1 2024-05-01T10:00:00Z host app - - -');
  });

  it('keeps an attribute named __proto__ as a plain key', () => {
    const [record] = parse('{"message":"x","__proto__":"y"}').records;
    expect(Object.getPrototypeOf(record.attrs)).toBe(Object.prototype);
    expect(Object.hasOwn(record.attrs!, '__proto__')).toBe(true);
  });
});
