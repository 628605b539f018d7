import { describe, expect, it } from 'vitest';
import { createLineReader, createLogFormatReader, detectFormat, type AsciiLine } from '../../src/analysis/templates/line-reader.js';
import { compileLogFormat } from '../../src/analysis/templates/log-format.js';
import { parseLogfmt } from '../../src/analysis/templates/logfmt.js';
import { epochToMs, leadingTimestamp } from '../../src/analysis/templates/timestamp.js';

const ms = (iso: string): number => Date.parse(iso);
const BOM = '\ufeff';

describe('detectFormat', () => {
  it('tells JSON lines, logfmt and plain text apart', () => {
    expect(detectFormat(['{"message":"a"}', '{"msg":"b"}'])).toBe('json');
    expect(detectFormat(['ts=1 level=info msg="a b"', 'level=warn msg=c'])).toBe('logfmt');
    expect(detectFormat(['2024-05-01 10:00:00 INFO started', 'Jun 17 07:07:00 host sshd[1]: ok'])).toBe('plain');
  });

  it('keeps JSON when some lines are not (stack traces), and ignores blank lines', () => {
    expect(detectFormat(['{"message":"boom"}', '    at Foo.bar (foo.js:1:2)', '', '   ', '{"message":"ok"}'])).toBe('json');
    expect(detectFormat(['{"message":"boom"}', 'trace 1', 'trace 2', 'trace 3'])).toBe('plain');
  });

  it('does not take prose with one key=value, or JSON arrays and scalars, for structure', () => {
    expect(detectFormat(['Failed password for user=root from 1.2.3.4', 'session opened uid=0'])).toBe('plain');
    expect(detectFormat(['single=pair', 'other=pair'])).toBe('plain');
    expect(detectFormat(['[1,2,3]', '"a string"', '42'])).toBe('plain');
  });

  it('is plain for an empty or blank sample, and sees through a byte-order mark', () => {
    expect(detectFormat([])).toBe('plain');
    expect(detectFormat(['', '  '])).toBe('plain');
    expect(detectFormat([`${BOM}{"message":"a"}`])).toBe('json');
  });
});

describe('JSON lines', () => {
  const json = createLineReader('json');

  it('reads ECS documents: message, @timestamp, log.level (flat), service.name (nested)', () => {
    const line = JSON.stringify({ '@timestamp': '2024-05-01T10:00:00.250Z', 'log.level': 'error', message: 'timeout after 1200ms', service: { name: 'payment' } });
    expect(json.read(line)).toEqual({ message: 'timeout after 1200ms', time: ms('2024-05-01T10:00:00.250Z'), level: 'ERROR', service: 'payment', parsed: true });
  });

  it('takes the first of message, msg, log, @message, event.original, body', () => {
    expect(json.read('{"msg":"from msg","log":"from log"}')?.message).toBe('from msg');
    expect(json.read('{"@message":"cloudwatch"}')?.message).toBe('cloudwatch');
    expect(json.read('{"event":{"original":"raw line 1"}}')?.message).toBe('raw line 1');
    expect(json.read('{"event.original":"flat raw"}')?.message).toBe('flat raw');
    expect(json.read('{"body":"otel body"}')?.message).toBe('otel body');
    expect(json.read('{"body":{"message":"nested body"}}')?.message).toBe('nested body');
    // a non-string message field does not hide a later one
    expect(json.read('{"message":42,"msg":"the text"}')?.message).toBe('the text');
  });

  it('reads an ECS line wrapped by Docker (`log` holds the JSON document), its fields first', () => {
    const inner = JSON.stringify({ '@timestamp': '2024-05-01T10:00:00Z', 'log.level': 'warn', message: 'pool exhausted', 'service.name': 'fraud' });
    const line = JSON.stringify({ log: `${inner}\n`, stream: 'stdout', time: '2024-05-01T10:00:01.5Z' });
    expect(json.read(line)).toEqual({ message: 'pool exhausted', time: ms('2024-05-01T10:00:00Z'), level: 'WARN', service: 'fraud', parsed: true });
    // the wrapper's fields fill what the inner document lacks; Docker's trailing newline goes
    expect(json.read(JSON.stringify({ log: '{"msg":"inner"}\n', time: '2024-05-01T10:00:01Z', app: 'web' }))).toEqual({
      message: 'inner',
      time: ms('2024-05-01T10:00:01Z'),
      service: 'web',
      parsed: true,
    });
    expect(json.read(JSON.stringify({ log: 'plain docker line\n' }))?.message).toBe('plain docker line');
    // a message that is JSON without a message of its own is just text
    expect(json.read('{"msg":"{\\"a\\":1}"}')?.message).toBe('{"a":1}');
  });

  it('reads times as ISO 8601 or epoch seconds, milliseconds, nanoseconds; pino levels as names', () => {
    expect(json.read('{"msg":"a","time":1714557600000,"level":30}')).toMatchObject({ time: 1714557600000, level: 'INFO' });
    expect(json.read('{"msg":"a","ts":1714557600.5}')?.time).toBe(1714557600500);
    expect(json.read('{"msg":"a","timestamp":"1714557600"}')?.time).toBe(1714557600000);
    expect(json.read('{"msg":"a","ts":1714557600123456789}')?.time).toBe(1714557600123);
    expect(json.read('{"msg":"a","time":"2024-05-01T12:00:00+02:00"}')?.time).toBe(ms('2024-05-01T10:00:00Z'));
    expect(json.read('{"msg":"a","level":50}')?.level).toBe('ERROR');
    expect(json.read('{"msg":"a","time":"yesterday","level":""}')).toEqual({ message: 'a', parsed: true });
  });

  it('mines a non-JSON line, or JSON without a message, whole and flags it unparsed', () => {
    expect(json.read('    at com.example.Foo.bar(Foo.java:42)')).toEqual({ message: '    at com.example.Foo.bar(Foo.java:42)', parsed: false });
    expect(json.read('{"broken": ')).toEqual({ message: '{"broken": ', parsed: false });
    expect(json.read('[1,2]')).toEqual({ message: '[1,2]', parsed: false });
    expect(json.read('{"ts":1714557600,"cpu":0.5}')).toEqual({ message: '{"ts":1714557600,"cpu":0.5}', time: 1714557600000, parsed: false });
  });

  it('returns nothing for blank lines and ignores a byte-order mark', () => {
    expect(json.read('')).toBeUndefined();
    expect(json.read(' \t ')).toBeUndefined();
    expect(json.read(`${BOM}{"message":"first line"}`)).toEqual({ message: 'first line', parsed: true });
  });
});

describe('logfmt', () => {
  const logfmt = createLineReader('logfmt');

  it('takes msg (quoted, with escapes) and the time, level and service pairs', () => {
    expect(logfmt.read('ts=2024-05-01T10:00:00Z level=warn service=disk msg="almost \\"full\\": 91%" pct=91')).toEqual({
      message: 'almost "full": 91%',
      time: ms('2024-05-01T10:00:00Z'),
      level: 'WARN',
      service: 'disk',
      parsed: true,
    });
    expect(logfmt.read('level=info message=started app=api')).toMatchObject({ message: 'started', level: 'INFO', service: 'api' });
  });

  it('without msg, the message is the pairs other than time and level', () => {
    expect(logfmt.read('level=info ts=1714557600 caller=main.go:12 component="query engine" ready=')).toEqual({
      message: 'caller=main.go:12 component="query engine" ready=',
      time: 1714557600000,
      level: 'INFO',
      parsed: true,
    });
  });

  it('mines a line that is not all pairs whole, unparsed', () => {
    expect(logfmt.read('panic: runtime error')).toEqual({ message: 'panic: runtime error', parsed: false });
    expect(logfmt.read('msg="unterminated')).toEqual({ message: 'msg="unterminated', parsed: false });
    expect(logfmt.read('msg="a"b')).toEqual({ message: 'msg="a"b', parsed: false });
  });

  it('parses pairs exactly', () => {
    expect(parseLogfmt('a=1  b="x y" c= d="\\n\\t\\\\"')).toEqual([
      ['a', '1'],
      ['b', 'x y'],
      ['c', ''],
      ['d', '\n\t\\'],
    ]);
    expect(parseLogfmt('')).toBeUndefined();
    expect(parseLogfmt('=1')).toBeUndefined();
    expect(parseLogfmt('a=1 flag')).toBeUndefined();
  });
});

describe('plain text', () => {
  const plain = createLineReader('plain', { year: 2024 });

  it.each([
    ['2015-10-18T18:01:47.978Z INFO started', '2015-10-18T18:01:47.978Z', 'INFO', 'started'],
    ['2015-10-18 18:01:47,978 WARN [main] o.a.Foo: slow', '2015-10-18T18:01:47.978Z', 'WARN', '[main] o.a.Foo: slow'],
    ['2015-10-18T20:01:47+02:00 ERROR: disk full', '2015-10-18T18:01:47Z', 'ERROR', 'disk full'],
    ['2015-10-18 18:01:47.978-0700 x', '2015-10-19T01:01:47.978Z', undefined, 'x'],
    ['2015/10/18 18:01:47 connection reset', '2015-10-18T18:01:47Z', undefined, 'connection reset'],
    ['2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]] - Notification time out: 3200', '2015-07-29T17:41:44.747Z', 'INFO', '[QuorumPeer[myid=1]] - Notification time out: 3200'],
    ['Jun 17 07:07:00 combo sshd(pam_unix)[19939]: check pass; user unknown', '2024-06-17T07:07:00Z', undefined, 'combo sshd(pam_unix)[19939]: check pass; user unknown'],
    ['Jun  7 07:07:00 host kernel: oops', '2024-06-07T07:07:00Z', undefined, 'host kernel: oops'],
    ['[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6', '2005-12-04T04:47:44Z', 'ERROR', 'mod_jk child workerEnv in error state 6'],
    ['[Sun Dec 04 04:47:44.123456 2005] [notice] ok', '2005-12-04T04:47:44.123Z', 'NOTICE', 'ok'],
    ['1714557600 job finished', '2024-05-01T10:00:00Z', undefined, 'job finished'],
    ['1714557600123 | DEBUG | tick', '2024-05-01T10:00:00.123Z', 'DEBUG', 'tick'],
    ['[2024-05-01T10:00:00Z] [INFO] bracketed', '2024-05-01T10:00:00Z', 'INFO', 'bracketed'],
  ])('%s', (line, time, level, message) => {
    expect(plain.read(line)).toEqual({ message, time: ms(time), ...(level ? { level } : {}), parsed: true });
  });

  it('keeps lines without a timestamp, taking off a leading level word only when it is one', () => {
    expect(plain.read('ERROR something broke')).toEqual({ message: 'something broke', level: 'ERROR', parsed: true });
    expect(plain.read('[warn] low disk')).toEqual({ message: 'low disk', level: 'WARN', parsed: true });
    expect(plain.read('error while reading config')).toEqual({ message: 'error while reading config', parsed: true });
    expect(plain.read('INFORMATION follows')).toEqual({ message: 'INFORMATION follows', parsed: true });
    expect(plain.read('    at Foo.bar (foo.js:1:2)')).toEqual({ message: '    at Foo.bar (foo.js:1:2)', parsed: true });
  });

  it('leaves what only looks like a timestamp, and keeps a line that is only a header', () => {
    expect(plain.read('2024-13-01 10:00:00 x')).toEqual({ message: '2024-13-01 10:00:00 x', parsed: true });
    expect(plain.read('17/06/09 20:10:40 INFO spark')).toEqual({ message: '17/06/09 20:10:40 INFO spark', parsed: true });
    expect(plain.read('1234567 not a time')).toEqual({ message: '1234567 not a time', parsed: true });
    expect(plain.read('2024-05-01T10:00:00Z')).toEqual({ message: '2024-05-01T10:00:00Z', time: ms('2024-05-01T10:00:00Z'), parsed: true });
  });

  it('ignores a byte-order mark and returns nothing for blank lines', () => {
    expect(plain.read(`${BOM}2024-05-01 10:00:00 INFO first`)).toEqual({ message: 'first', time: ms('2024-05-01T10:00:00Z'), level: 'INFO', parsed: true });
    expect(plain.read('')).toBeUndefined();
    expect(plain.read('\t')).toBeUndefined();
  });

  it('reads very long lines in every format', () => {
    const words = 'word '.repeat(400_000);
    expect(plain.read(`2024-05-01 10:00:00 INFO ${words}`)?.message).toHaveLength(words.length);
    expect(createLineReader('json').read(JSON.stringify({ message: words }))?.message).toBe(words.trimEnd());
    expect(createLineReader('logfmt').read(`msg="${words}"`)?.message).toBe(words);
    expect(detectFormat([JSON.stringify({ message: words })])).toBe('json');
  });
});

describe('--log-format', () => {
  it('mines <Content> and reads the time from the header fields when they form a timestamp', () => {
    const linux = createLogFormatReader(compileLogFormat('<Month> <Date> <Time> <Level> <Component>(\\[<PID>\\])?: <Content>'), { year: 2024 });
    expect(linux.read('Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0')).toMatchObject({
      message: 'authentication failure; logname= uid=0',
      time: ms('2024-06-14T15:16:01Z'),
      parsed: true,
    });
    const hadoop = createLogFormatReader(compileLogFormat('<Date> <Time> <Level> \\[<Process>\\] <Component>: <Content>'));
    expect(hadoop.read('2015-10-18 18:01:47,978 INFO [main] o.a.h.m.MRAppMaster: Created MRAppMaster')).toEqual({
      message: 'Created MRAppMaster',
      time: ms('2015-10-18T18:01:47.978Z'),
      level: 'INFO',
      parsed: true,
    });
    const apache = createLogFormatReader(compileLogFormat('\\[<Time>\\] \\[<Level>\\] <Content>'));
    expect(apache.read('[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok')?.time).toBe(ms('2005-12-04T04:47:44Z'));
    const bgl = createLogFormatReader(compileLogFormat('<Label> <Timestamp> <Date> <Content>'));
    expect(bgl.read('- 1117838570 2005.06.03 ciod: generated core')?.time).toBe(1117838570000);
  });

  it('leaves the time out when the header has none it can read (HDFS: 081109 203615)', () => {
    const hdfs = createLogFormatReader(compileLogFormat('<Date> <Time> <Pid> <Level> <Component>: <Content>'));
    expect(hdfs.read('081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 terminating')).toEqual({
      message: 'PacketResponder 1 terminating',
      level: 'INFO',
      parsed: true,
    });
  });

  it('mines a line that does not match whole, unparsed; blank lines are nothing', () => {
    const reader = createLogFormatReader(compileLogFormat('<Date> <Time> <Level> <Component>: <Content>'));
    expect(reader.read('a continuation line')).toEqual({ message: 'a continuation line', parsed: false });
    expect(reader.read('   ')).toBeUndefined();
    expect(reader.read(`${BOM}2024-05-01 10:00:00 INFO app: hello`)).toMatchObject({ message: 'hello', parsed: true });
  });
});

describe('--log-format, ASCII lines read in place', () => {
  it('reads what read reads, or leaves the line to read', () => {
    const cases: [string, string[]][] = [
      ['<Label> <Timestamp> <Date> <Node> <Time> <NodeRepeat> <Type> <Component> <Level> <Content>', ['- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.363779 R02-M1-N0-C:J12-U11 RAS KERNEL INFO instruction cache parity error corrected', 'APPREAD 1117869872 2005.06.04 R04-M1-N4-I:J18-U11 2005-06-04-00.24.32.398284 R04-M1-N4-I:J18-U11 RAS APP FATAL ciod: failed to read message prefix', '- 1117838570.5 2005.06.03 a b c d e info fraction', '- 12345678901234567 2005.06.03 a b c d e warn too many digits', '- x 2005.06.03 a b c d e  no level']],
      ['<Date> <Time> <Level> <Component>: <Content>', ['2024-05-01 10:00:00 INFO app: hello 42', '2024-05-01 10:00:00 warn app:  spaced', 'a continuation line', '   ', '2024-05-01 10:00:00 INFO app:']],
      ['<Month> <Date> <Time> <Level> <Content>', ['Jun 14 15:16:01 ERROR disk full', 'Jun 14 nonsense ERROR disk full']],
    ];
    for (const [source, lines] of cases) {
      const reader = createLogFormatReader(compileLogFormat(source), { year: 2024 });
      const out: AsciiLine = { messageStart: 0, messageEnd: 0 };
      for (const line of lines) {
        const bytes = Buffer.from(`>${line}<`);
        const expected = reader.read(line);
        if (!reader.readAscii!(bytes, 1, bytes.length - 1, out)) {
          expect(expected === undefined || !expected.parsed || expected.message === '').toBe(true);
          continue;
        }
        const { messageStart, messageEnd, ...header } = out;
        expect({ message: bytes.toString('latin1', messageStart, messageEnd), parsed: true, ...Object.fromEntries(Object.entries(header).filter(([, v]) => v !== undefined)) }).toEqual(expected);
      }
    }
  });
});

describe('timestamps', () => {
  const DATES = { now: ms('2024-06-01T00:00:00Z'), year: 2024 };

  it('needs the closing bracket and a boundary after the stamp', () => {
    expect(leadingTimestamp('[2024-05-01 10:00:00 x', DATES)).toBeUndefined();
    expect(leadingTimestamp('2024-05-01T10:00:00Zfoo', DATES)).toBeUndefined();
    expect(leadingTimestamp('x 2024-05-01 10:00:00', DATES, 2)).toEqual({ end: 21, time: ms('2024-05-01T10:00:00Z') });
  });

  it('takes epoch numbers only within 2000..2100, in whichever unit fits', () => {
    expect(epochToMs(1714557600)).toBe(1714557600000);
    expect(epochToMs(1714557600000)).toBe(1714557600000);
    expect(epochToMs(1714557600000000)).toBe(1714557600000);
    expect(epochToMs(42)).toBeUndefined();
    expect(epochToMs(-1)).toBeUndefined();
  });
});
