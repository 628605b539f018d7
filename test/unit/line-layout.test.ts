import { describe, expect, it } from 'vitest';
import { learnLineLayout, learnMessageLevel, learnTimestamp, levelWord } from '../../src/analysis/templates/line-layout.js';
import { FUTURE_GRACE_MS, compileTimeFormat } from '../../src/analysis/templates/time-format.js';

const ms = (iso: string): number => Date.parse(iso);
const NOW = ms('2024-06-01T12:00:00Z');
const dates = { now: NOW };

describe('timestamp formats as Java patterns', () => {
  it.each([
    ['yyMMdd HHmmss', '081109 203615 148 INFO', '2008-11-09T20:36:15Z', 13],
    ['yy/MM/dd HH:mm:ss', '17/06/09 20:10:40 INFO', '2017-06-09T20:10:40Z', 17],
    ['dd/MMM/yyyy:HH:mm:ss Z', '10/Oct/2000:13:55:36 -0700] "GET', '2000-10-10T20:55:36Z', 26],
    ['EEE MMM d HH:mm:ss[.SSSSSS] yyyy', 'Sun Dec 04 04:47:44.123456 2005]', '2005-12-04T04:47:44.123Z', 31],
    ['EEE MMM d HH:mm:ss z yyyy', 'Tue Jun 6 10:34:46 PDT 2023 x', '2023-06-06T17:34:46Z', 27],
    ['MMM d, yyyy h:mm:ss a', 'Jan 5, 2024 3:04:05 PM org.Foo', '2024-01-05T15:04:05Z', 22],
    ["yyyy-MM-dd'T'HH:mm:ss[.SSS][XXX]", '2024-05-01T10:00:00.5+02:00 x', '2024-05-01T08:00:00.500Z', 27],
    ['yyyy-MM-dd HH:mm:ss[.SSS][,SSS]', '2015-10-18 18:01:47,978 INFO', '2015-10-18T18:01:47.978Z', 23],
    ['UNIX', '1117838570.5 x', '2005-06-03T22:42:50.500Z', 12],
    ['UNIX_MS', '1714557600123 |', '2024-05-01T10:00:00.123Z', 13],
    ['UNIX_US', '1714557600123456', '2024-05-01T10:00:00.123Z', 16],
    ['UNIX_NS', '1714557600123456789', '2024-05-01T10:00:00.123Z', 19],
    ['ISO8601', '2024-05-01 10:00:00Z', '2024-05-01T10:00:00Z', 20],
  ])('%s reads %s', (pattern, text, iso, end) => {
    expect(compileTimeFormat(pattern).readAt(text, 0, dates)).toEqual({ time: ms(iso), end });
  });

  it('spells a stamp with the optional sections it has', () => {
    const format = compileTimeFormat('yyyy-MM-dd HH:mm:ss[.SSS][,SSS][XXX]');
    expect(format.spelledAt('2015-10-18 18:01:47,978 INFO', 0)).toBe('yyyy-MM-dd HH:mm:ss,SSS');
    expect(format.spelledAt('2016-09-28 04:30:30, Info', 0)).toBe('yyyy-MM-dd HH:mm:ss');
    expect(format.spelledAt('no stamp', 0)).toBeUndefined();
  });

  it('reads nothing that runs on into a word, stops short of its seconds or fraction, or is no date', () => {
    const iso = compileTimeFormat('ISO8601');
    expect(iso.readAt('2024-05-01T10:00:00Zfoo', 0, dates)).toBeUndefined();
    expect(compileTimeFormat('yyyy-MM-dd HH:mm').readAt('2024-05-01 10:00:00 x', 0, dates)).toBeUndefined();
    expect(compileTimeFormat('yyyy-MM-dd HH:mm:ss').readAt('2024-05-01 10:00:00,123 x', 0, dates)).toBeUndefined();
    expect(compileTimeFormat('yyyy-MM-dd HH:mm:ss').readAt('2023-02-29 10:00:00', 0, dates)).toBeUndefined();
    expect(compileTimeFormat('UNIX').readAt('123456789012 x', 0, dates)).toBeUndefined();
  });

  it('gives a stamp without a year the latest year that does not put it after now (within the largest zone offset)', () => {
    const syslog = compileTimeFormat('MMM d HH:mm:ss');
    const at = (text: string, now: number) => new Date(syslog.readAt(text, 0, { now })!.time).toISOString();
    expect(at('Dec 31 23:59:59', ms('2024-01-02T00:00:00Z'))).toBe('2023-12-31T23:59:59.000Z');
    expect(at('Jan  2 00:00:00', ms('2024-01-02T00:00:00Z'))).toBe('2024-01-02T00:00:00.000Z');
    expect(at('Jun  1 23:59:59', NOW)).toBe('2024-06-01T23:59:59.000Z'); // 12 hours ahead: a zone east of UTC
    expect(at('Jun  2 02:00:01', NOW)).toBe('2023-06-02T02:00:01.000Z'); // past the grace
    expect(NOW + FUTURE_GRACE_MS).toBe(ms('2024-06-02T02:00:00Z'));
    expect(at('Feb 29 10:00:00', NOW)).toBe('2024-02-29T10:00:00.000Z');
    expect(at('Feb 29 10:00:00', ms('2026-12-07T00:00:00Z'))).toBe('2024-02-29T10:00:00.000Z');
    expect(syslog.readAt('Dec 10 06:55:46', 0, { now: NOW, year: 2024 })?.time).toBe(ms('2024-12-10T06:55:46Z'));
  });

  it('gives a stamp without a date the latest day that does not put it after now', () => {
    const clock = compileTimeFormat('HH:mm:ss.SSS');
    expect(clock.readAt('03:00:00.250 [main]', 0, dates)?.time).toBe(ms('2024-06-01T03:00:00.250Z'));
    expect(clock.readAt('23:30:00.000 [main]', 0, { now: ms('2024-06-01T08:00:00Z') })?.time).toBe(ms('2024-05-31T23:30:00Z'));
  });

  it('refuses a pattern it cannot read with the reason', () => {
    expect(() => compileTimeFormat('yyyy-QQ')).toThrow('pattern letter Q is not supported');
    expect(() => compileTimeFormat('yyyy')).toThrow('neither a date');
    expect(() => compileTimeFormat("HH 'o clock")).toThrow('not closed');
    expect(() => compileTimeFormat('[HH:mm')).toThrow('[ is not closed');
    expect(() => compileTimeFormat('h:mm')).toThrow('needs a');
    expect(() => compileTimeFormat(' ')).toThrow('empty');
  });
});

describe('layouts learned from a file’s first lines', () => {
  const learn = (lines: string[]) => learnLineLayout(lines, { dates });

  it('glog/klog: the level letter glued to the stamp', () => {
    const layout = learn(['I0601 10:00:00.123456    1234 main.go:12] started', 'W0601 10:00:01.000001    1234 main.go:40] slow disk', 'E0601 10:00:02.5    1234 main.go:50] failed'])!;
    expect(layout.description).toBe('MMdd HH:mm:ss.SSSSSS at the start (no year: the latest that is not in the future), level letter before it');
    expect(layout.read('E0601 10:00:02.5    1234 main.go:50] failed')).toEqual({ message: '1234 main.go:50] failed', time: ms('2024-06-01T10:00:02.500Z'), level: 'E' });
  });

  it('an access log: the stamp in brackets in the fourth field, no level', () => {
    const lines = ['127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /a.gif HTTP/1.0" 200 2326', '10.0.0.2 - - [10/Oct/2000:13:56:01 -0700] "GET / HTTP/1.1" 404 12'];
    const layout = learn(lines)!;
    expect(layout.description).toBe('dd/MMM/yyyy:HH:mm:ss Z in field 4, no level');
    expect(layout.read(lines[1])).toEqual({ message: lines[1], time: ms('2000-10-10T20:56:01Z') });
  });

  it('a field no list foresaw: six numbers with the same separators in every line', () => {
    const lines = ['node-1 2005-06-03-15.42.50.675872 RAS KERNEL INFO cache parity error', 'node-2 2005-06-03-15.42.53.276129 RAS KERNEL FATAL data TLB error'];
    const layout = learn(lines)!;
    expect(layout.description).toBe('yyyy-MM-dd-HH.mm.ss.SSSSSS in field 2, level in field 5');
    expect(layout.read(lines[1])).toMatchObject({ time: ms('2005-06-03T15:42:53.276Z'), level: 'FATAL' });
  });

  it('day or month first by the values seen; slashes alone read month first', () => {
    expect(learn(['13.01.2024 10:00:00 start', '14.01.2024 10:00:01 stop'])!.description).toBe('dd.MM.yyyy HH:mm:ss at the start, no level');
    expect(learn(['01/13/2024 10:00:00 start', '01/14/2024 10:00:01 stop'])!.description).toBe('MM/dd/yyyy HH:mm:ss at the start, no level');
    expect(learn(['05/06/2024 10:00:00 start'])!.read('05/06/2024 10:00:00 start').time).toBe(ms('2024-05-06T10:00:00Z'));
  });

  it('logback and log4j2 defaults: a time with no date gets the latest day', () => {
    const layout = learn(['10:00:00.123 [main] INFO  c.e.App - started', '10:00:01.456 [main] WARN  c.e.App - slow'])!;
    expect(layout.description).toBe('HH:mm:ss.SSS at the start (no date: the latest day that is not in the future), level in field 3');
    expect(layout.read('10:00:01.456 [main] WARN  c.e.App - slow')).toEqual({ message: '[main] WARN  c.e.App - slow', time: ms('2024-06-01T10:00:01.456Z'), level: 'WARN' });
  });

  it('Python logging: separators around the level are taken off with it', () => {
    const layout = learn(['2024-05-01 10:00:00,123 - ERROR - worker - job failed', '2024-05-01 10:00:01,000 - INFO - worker - job done'])!;
    expect(layout.read('2024-05-01 10:00:00,123 - ERROR - worker - job failed')).toEqual({ message: 'worker - job failed', time: ms('2024-05-01T10:00:00.123Z'), level: 'ERROR' });
  });

  it('the earliest field wins among those that read as many lines', () => {
    const lines = ['- 1117838570 2005.06.03 R02 2005-06-03-15.42.50.675872 RAS KERNEL INFO ok', '- 1117838573 2005.06.03 R02 2005-06-03-15.42.53.276129 RAS KERNEL INFO ok'];
    expect(learn(lines)!.description).toBe('UNIX in field 2, level in field 8');
  });

  it('learns nothing from untimed lines, or from a number that reads as a time in a few lines only', () => {
    expect(learn(['Starting server', 'Listening on :8080', 'ready'])).toBeUndefined();
    expect(learn(['job 1714557600 done', 'job 2 done', 'job 3 done', 'job 4 done', 'job 5 done'])).toBeUndefined();
  });

  it('leaves continuation lines out of the sample, and reads a line that does not fit as plain text without a layout', () => {
    const lines = ['081109 203615 148 INFO dfs.DataNode: started', 'java.io.IOException: x', 'Caused by: y', 'more text', '081109 203616 148 WARN dfs.DataNode: slow'];
    const layout = learnLineLayout(lines, { dates, continues: (l) => /^(?:[\w.]+Exception|Caused by)/.test(l) })!;
    expect(layout.description).toBe('yyMMdd HHmmss at the start, level in field 4');
    expect(layout.read('more text')).toEqual({ message: 'more text' });
    expect(layout.read('2024-05-01T10:00:00Z ERROR other writer')).toEqual({ message: 'other writer', time: ms('2024-05-01T10:00:00Z'), level: 'ERROR' });
  });

  it('with a given format, looks for that format only, wherever it reads', () => {
    const format = compileTimeFormat('dd/MM/yyyy HH:mm:ss');
    const layout = learnLineLayout(['05/06/2024 10:00:00 start', 'no stamp here'], { dates, format })!;
    expect(layout.read('05/06/2024 10:00:00 start').time).toBe(ms('2024-06-05T10:00:00Z'));
    expect(learnLineLayout(['2024-05-01 10:00:00 start'], { dates, format })).toBeUndefined();
  });
});

describe('pieces for other readers', () => {
  it('learnTimestamp reads whole texts (a --log-format’s <Date> <Time>)', () => {
    expect(learnTimestamp(['081109 203615', '081109 203807'], { dates })?.pattern).toBe('yyMMdd HHmmss');
    expect(learnTimestamp(['Jun 14 15:16:01', 'Jun 14 15:16:02'], { dates })?.pattern).toBe('MMM d HH:mm:ss[.SSS]');
    expect(learnTimestamp(['hello', 'world'], { dates })).toBeUndefined();
  });

  it('learnMessageLevel finds the field of syslog messages that holds a level, if most do', () => {
    const learned = learnMessageLevel(['INFO started', 'WARN slow', 'ERROR failed'])!;
    expect(learned.field).toBe(0);
    expect(learned.read('ERROR failed')).toBe('ERROR');
    expect(learnMessageLevel(['ALERT exited abnormally', 'session opened', 'session closed'])).toBeUndefined();
  });

  it('levelWord unwraps a level word or letter and refuses anything else', () => {
    expect(['[notice]', 'Warning:', 'D', 'info', 'combo', 'd', 'INFORMATIONAL'].map(levelWord)).toEqual(['notice', 'Warning', 'D', 'info', undefined, undefined, 'INFORMATIONAL']);
  });
});
