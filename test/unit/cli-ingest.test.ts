import { afterEach, describe, expect, it, vi } from 'vitest';
import { datasetForPath, parseIngestArgs, sanitizeDataset, UsageError } from '../../src/cli/ingest-args.js';
import { BATCH_RECORDS, BatchWriter, FLUSH_INTERVAL_MS, MAX_IN_FLIGHT } from '../../src/cli/ingest-batch.js';
import { SkippedBatch } from '../../src/store/writer.js';
import { binaryRefusal, packedRefusal, refusalHint } from '../../src/cli/ingest-binary.js';
import { describeReadError } from '../../src/cli/ingest-input.js';
import { DEFAULT_TOOL_WINDOW_MS, FileStats, SAMPLES_KEPT, nextToolInput, renderJson, renderText, runStatus, type IngestReport } from '../../src/cli/ingest-report.js';
import { OTHER_KEY, Tally } from '../../src/cli/tally.js';
import { createFileRecordAssembler } from '../../src/ingest/file-records.js';
import type { IngestRecord } from '../../src/ingest/record.js';
import type { WriteResult } from '../../src/store/log-store.js';

const ms = (iso: string): number => Date.parse(iso);

describe('dataset names', () => {
  it.each([
    ['app.log.gz', 'app'],
    ['/var/log/app.log.1.gz', 'app'],
    ['access.log-20240501.gz', 'access'],
    ['access.log-2024050112', 'access'],
    ['HDFS_2k.log', 'hdfs_2k'],
    ['My App (prod).LOG', 'my-app-prod'],
    ['node-20240501', 'node-20240501'],
    ['events.ndjson', 'events'],
    ['payments.v2.jsonl', 'payments.v2'],
    ['.log', 'log'],
    ['_internal.txt', 'internal'],
    ['日本語.log', '日本語'],
    ['-', 'stdin'],
    ['eipp.log.xz', 'eipp'],
  ])('%s -> %s', (path, dataset) => {
    expect(datasetForPath(path)).toBe(dataset);
  });

  it('nothing usable left: undefined, so the caller asks for --dataset', () => {
    expect(datasetForPath('___.log')).toBeUndefined();
    expect(sanitizeDataset('***')).toBeUndefined();
  });

  it('sanitising lowercases, replaces what scopes and index names refuse, and stays within 255 bytes', () => {
    expect(sanitizeDataset('Bad,Name*Here')).toBe('bad-name-here');
    expect(sanitizeDataset('a  b\tc')).toBe('a-b-c');
    const long = sanitizeDataset('é'.repeat(200))!;
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(255);
    expect(long).toBe('é'.repeat(127));
  });
});

describe('parseIngestArgs', () => {
  it('defaults: format auto, a dataset per file, stdin for -', () => {
    expect(parseIngestArgs({}, ['a.log', '-'])).toEqual({
      inputs: [
        { path: 'a.log', dataset: 'a' },
        { path: '-', dataset: 'stdin' },
      ],
      format: 'auto',
      service: undefined,
      dataset: undefined,
      json: false,
    });
  });

  it('--dataset sends every input to it; --service is trimmed', () => {
    const args = parseIngestArgs({ dataset: 'shop', service: ' checkout ', format: 'syslog', json: true }, ['a.log', 'b.log']);
    expect(args.inputs.map((i) => i.dataset)).toEqual(['shop', 'shop']);
    expect(args).toMatchObject({ format: 'syslog', service: 'checkout', json: true });
  });

  it('--timestamp-format and --log-format are compiled and make the format plain', () => {
    const args = parseIngestArgs({ 'timestamp-format': 'yyMMdd HHmmss', 'log-format': '<Date> <Time> <Level> <Content>' }, ['a.log']);
    expect(args.format).toBe('plain');
    expect(args.timestampFormat?.pattern).toBe('yyMMdd HHmmss');
    expect(args.logFormat?.fields).toEqual(['Date', 'Time', 'Level', 'Content']);
    expect(parseIngestArgs({ format: 'plain', 'timestamp-format': 'UNIX_MS' }, ['a.log']).timestampFormat?.pattern).toBe('UNIX_MS');
  });

  it.each([
    [{ 'timestamp-format': 'yyyy-QQ' }, ['a.log'], /--timestamp-format: timestamp format: pattern letter Q is not supported/],
    [{ 'timestamp-format': 'yyMMdd', format: 'ndjson' }, ['a.log'], /--timestamp-format describes plain-text lines: it cannot be used with --format ndjson/],
    [{ 'log-format': '<Date> <Time> <Level>' }, ['a.log'], /--log-format must name <Content>/],
    [{ 'log-format': '<Content>', format: 'syslog' }, ['a.log'], /--log-format describes plain-text lines/],
    [{}, [], /give the files/],
    [{}, ['-', '-'], /can be given once/],
    [{ format: 'csv' }, ['a.log'], /--format must be one of auto, ndjson, ecs, logfmt, syslog, plain/],
    [{ dataset: 'Shop Logs' }, ['a.log'], /must be lowercase; try --dataset shop-logs/],
    [{ dataset: 'a,b' }, ['a.log'], /must not contain.*; try --dataset a-b/],
    [{ dataset: '_x' }, ['a.log'], /must not start with/],
    [{ dataset: 'a\u001bb' }, ['a.log'], /control characters/],
    [{ service: '  ' }, ['a.log'], /--service must be/],
    [{}, ['___.log'], /pass --dataset NAME/],
  ])('%j %j is refused', (values, positionals, message) => {
    expect(() => parseIngestArgs(values, positionals)).toThrow(UsageError);
    expect(() => parseIngestArgs(values, positionals)).toThrow(message);
  });
});

function record(i: number, extra: Partial<IngestRecord> = {}): IngestRecord {
  return { ts: ms('2024-05-01T10:00:00Z') + i * 1000, dataset: 'd', message: `m${i}`, ...extra };
}

function fakeStore(answer: (records: readonly IngestRecord[]) => WriteResult = (r) => ({ stored: r.length, truncated: 0, rejected: [] })) {
  const batches: number[] = [];
  return {
    batches,
    write(records: readonly IngestRecord[]): WriteResult {
      batches.push(records.length);
      return answer(records);
    },
  };
}

describe('BatchWriter', () => {
  afterEach(() => vi.useRealTimers());

  it('writes full batches, then the rest on flush, and tallies what was stored', async () => {
    const store = fakeStore();
    const stats = new FileStats('f', 'd');
    const batch = new BatchWriter(store, stats, () => undefined, 3);
    for (let i = 0; i < 7; i++) batch.add(record(i, { service: i % 2 ? 'odd' : 'even', ...(i === 6 ? { attrs: { 'telemcp.time_inferred': 'previous_record' } } : {}) }), i + 1);
    expect(store.batches).toEqual([3, 3]);
    expect(await batch.flush()).toBe(true);
    await batch.settled();
    expect(store.batches).toEqual([3, 3, 1]);
    expect(stats).toMatchObject({ records: 7, timeInferred: 1, firstTs: ms('2024-05-01T10:00:00Z'), lastTs: ms('2024-05-01T10:00:06Z') });
    expect(stats.services.top(10)).toEqual({ even: 4, odd: 3 });
    expect(BATCH_RECORDS).toBeLessThanOrEqual(10_000);
  });

  it('reports store refusals by the line the record started on, and counts truncation', async () => {
    const store = fakeStore((r) => ({ stored: r.length - 1, truncated: 1, rejected: [{ index: 1, reason: 'dataset is empty' }] }));
    const stats = new FileStats('f', 'd');
    const batch = new BatchWriter(store, stats, () => undefined);
    batch.add(record(0), 1);
    batch.add(record(1), 4);
    batch.add(record(2), 9);
    await batch.flush();
    expect(stats).toMatchObject({ records: 2, truncated: 1, rejected: 1 });
    expect(stats.rejectedSamples).toEqual([{ line: 4, reason: 'dataset is empty' }]);
  });

  it('a failed write is remembered with the first line not stored, stops the input once, and drops what follows', async () => {
    const store = fakeStore(() => {
      throw new Error('disk full');
    });
    const stats = new FileStats('f', 'd');
    const onFailure = vi.fn();
    const batch = new BatchWriter(store, stats, onFailure, 2);
    batch.add(record(0), 10);
    batch.add(record(1), 11);
    batch.add(record(2), 12);
    expect(await batch.flush()).toBe(false);
    expect(batch.failure).toMatchObject({ fromLine: 10, error: new Error('disk full') });
    expect(onFailure).toHaveBeenCalledTimes(1);
    expect(store.batches).toEqual([2]);
    expect(stats.records).toBe(0);
  });

  it('keeps at most MAX_IN_FLIGHT batches unanswered, asks the reader to wait for the oldest, and keeps the first failure when later batches are refused unwritten', async () => {
    const answers: { resolve: (r: WriteResult) => void; reject: (e: unknown) => void }[] = [];
    const sink = { write: (records: IngestRecord[]) => new Promise<WriteResult>((resolve, reject) => answers.push({ resolve: () => resolve({ stored: records.length, truncated: 0, rejected: [] }), reject })) };
    const stats = new FileStats('f', 'd');
    const onFailure = vi.fn();
    const batch = new BatchWriter(sink, stats, onFailure, 2);
    for (let i = 0; i < 2 * MAX_IN_FLIGHT; i++) batch.add(record(i), i + 1);
    expect(answers).toHaveLength(MAX_IN_FLIGHT);
    const wait = batch.backpressure();
    expect(wait).toBeInstanceOf(Promise);
    let waited = false;
    void wait!.then(() => (waited = true));
    await Promise.resolve();
    expect(waited).toBe(false);
    answers[0].resolve({ stored: 2, truncated: 0, rejected: [] });
    await wait;
    expect(stats.records).toBe(2);
    expect(batch.backpressure()).toBeUndefined();
    answers[1].reject(new Error('disk full'));
    await batch.settled();
    batch.add(record(9), 20);
    batch.add(record(10), 21);
    await batch.flush();
    expect(batch.failure).toMatchObject({ fromLine: 3, error: new Error('disk full') });
    expect(onFailure).toHaveBeenCalledTimes(1);
    expect(stats.records).toBe(2);
    expect(answers).toHaveLength(MAX_IN_FLIGHT);
  });

  it('a batch refused unwritten after another failed adds nothing and does not replace the first failure', async () => {
    const results: (() => Promise<WriteResult>)[] = [() => Promise.reject(new Error('disk full')), () => Promise.reject(new SkippedBatch())];
    const stats = new FileStats('f', 'd');
    const batch = new BatchWriter({ write: () => results.shift()!() }, stats, () => undefined, 1);
    batch.add(record(0), 5);
    batch.add(record(1), 6);
    await batch.settled();
    expect(batch.failure).toMatchObject({ fromLine: 5, error: new Error('disk full') });
    expect(stats.records).toBe(0);
  });

  it('commits at least every second, letting the producer hand over what it holds first', () => {
    vi.useFakeTimers();
    const store = fakeStore();
    const batch = new BatchWriter(store, new FileStats('f', 'd'), () => undefined);
    const beforeTick = vi.fn(() => batch.add(record(1), 2));
    batch.add(record(0), 1);
    batch.start(beforeTick);
    vi.advanceTimersByTime(FLUSH_INTERVAL_MS - 1);
    expect(store.batches).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(beforeTick).toHaveBeenCalledTimes(1);
    expect(store.batches).toEqual([2]);
    batch.stop();
    vi.advanceTimersByTime(10 * FLUSH_INTERVAL_MS);
    expect(beforeTick).toHaveBeenCalledTimes(1);
  });
});

describe('the file assembler for slow streams', () => {
  it('detectNow settles auto-detection on the lines held so far and passes them on', () => {
    const records: IngestRecord[] = [];
    const assembler = createFileRecordAssembler({ format: 'auto', dataset: 'd' }, { record: (r) => records.push(r), bad: () => undefined });
    assembler.push('level=info msg="one" service=a', 1);
    assembler.push('level=warn msg="two" service=a', 2);
    expect(assembler.format).toBeUndefined();
    assembler.detectNow();
    expect(assembler.format).toBe('logfmt');
    // The second record stays pending: a continuation line could still follow it.
    expect(records.map((r) => r.message)).toEqual(['one']);
    assembler.end();
    expect(records.map((r) => r.message)).toEqual(['one', 'two']);
  });
});

function stats(input: string, dataset: string, fill: (s: FileStats) => void): FileStats {
  const s = new FileStats(input, dataset);
  s.status = 'done';
  fill(s);
  return s;
}

function reportOf(files: FileStats[], extra: Partial<IngestReport> = {}): IngestReport {
  return { dataDir: '/data', files, datasets: [], elapsedMs: 2000, startedAt: Date.now(), ...extra };
}

describe('the ingest report', () => {
  it('the next tool call covers the datasets with records over their time range, within 31 days', () => {
    const a = stats('a.log', 'a', (s) => s.addStored(ms('2024-01-01T00:00:00.500Z'), undefined, false));
    const b = stats('b.log', 'b', (s) => s.addStored(ms('2024-03-01T12:00:00.200Z'), undefined, false));
    const empty = stats('c.log', 'c', () => undefined);
    expect(nextToolInput(reportOf([a, b, empty]))).toEqual({ scope: 'a,b', start_time: '2024-01-30T12:00:01.000Z', end_time: '2024-03-01T12:00:01.000Z' });
    expect(nextToolInput(reportOf([a], { toolSource: 'embedded' }))).toEqual({ source: 'embedded', scope: 'a', start_time: '2024-01-01T00:00:00.000Z', end_time: '2024-01-01T00:00:01.000Z' });
    expect(nextToolInput(reportOf([empty]))).toBeUndefined();
  });

  it('keeps the first bad lines with their numbers and counts the rest', () => {
    const s = stats('a.log', 'a', (f) => {
      for (let i = 1; i <= SAMPLES_KEPT + 5; i++) f.addBad({ line: i * 2, reason: 'not JSON' });
    });
    expect(s.bad).toBe(SAMPLES_KEPT + 5);
    expect(s.badSamples).toHaveLength(SAMPLES_KEPT);
    expect(renderText(reportOf([s]))).toContain(`bad lines skipped in a.log: ${SAMPLES_KEPT + 5} (first ${SAMPLES_KEPT} shown)\n  line 2: not JSON\n`);
  });

  it('text from the input cannot drive the terminal', () => {
    const s = stats('evil\u001b[2J.log', 'a', (f) => f.addBad({ line: 1, reason: 'not JSON: \u001b]0;pwned\u0007 x\ny' }));
    const text = renderText(reportOf([s]));
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    expect(text).toContain('line 1: not JSON:');
  });

  it('status and totals: interrupted beats failed beats done; totals add the files up', () => {
    const ok = stats('a', 'a', (s) => {
      s.lines = 10;
      s.addStored(1000, 'x', false);
    });
    const failed = stats('b', 'b', (s) => {
      s.status = 'read_failed';
      s.lines = 5;
      s.addStored(500, 'x', true);
    });
    expect(runStatus(reportOf([ok]))).toBe('done');
    expect(runStatus(reportOf([ok, failed]))).toBe('failed');
    expect(runStatus(reportOf([ok, failed], { interrupted: 'SIGTERM' }))).toBe('interrupted');
    const json = JSON.parse(renderJson(reportOf([ok, failed], { interrupted: 'SIGTERM' }))) as Record<string, unknown>;
    expect(json).toMatchObject({
      status: 'interrupted',
      signal: 'SIGTERM',
      total: { files: 2, lines: 15, records: 2, time_inferred: 1, lines_per_s: 8, time_range: { first: '1970-01-01T00:00:00.500Z', last: '1970-01-01T00:00:01.000Z' }, services: { x: 2 } },
    });
  });

  it('a note says when telemcp serve would not read what was ingested', () => {
    const s = stats('a', 'a', (f) => f.addStored(1000, undefined, false));
    expect(renderText(reportOf([s], { serveNote: 'EMBEDDED_STORE=off: …' }))).toMatch(/note: EMBEDDED_STORE=off: …\nnext: run `telemcp serve`/);
  });
});

describe('how lines got their times, in the report', () => {
  const NOW = ms('2024-06-01T12:00:00Z');

  it('names each file’s layout and counts the lines without a timestamp by what they got', () => {
    const plain = stats('app.log', 'app', (s) => {
      s.format = 'plain';
      s.layout = 'yyMMdd HHmmss at the start, level in field 4';
      s.untimed = { continued: 12, previousRecord: 2, ingestTime: 1 };
      s.addStored(NOW - 60_000, undefined, false);
    });
    const timed = stats('hdfs.log', 'hdfs', (s) => {
      s.format = 'plain';
      s.layout = 'yyMMdd HHmmss at the start, level in field 4';
      s.addStored(NOW - 60_000, undefined, false);
    });
    const unlearned = stats('notes.txt', 'notes', (s) => {
      s.format = 'plain';
      s.untimed = { continued: 0, previousRecord: 0, ingestTime: 1 };
      s.addStored(NOW, undefined, true);
    });
    const json = stats('a.ndjson', 'a', (s) => {
      s.format = 'ndjson';
      s.addStored(NOW - 60_000, undefined, false);
    });
    const text = renderText(reportOf([plain, timed, unlearned, json]));
    expect(text).toContain(
      "app.log: layout yyMMdd HHmmss at the start, level in field 4; 15 lines without a timestamp of their own: 12 joined the record before them (its time), 2 took the previous record's time, 1 took the ingest time (attribute telemcp.time_inferred)\n",
    );
    expect(text).toContain('hdfs.log: layout yyMMdd HHmmss at the start, level in field 4; every line has its own timestamp\n');
    expect(text).toContain('notes.txt: no timestamp layout found in its first lines; 1 line without a timestamp of its own: 1 took the ingest time (attribute telemcp.time_inferred)\n');
    expect(text).not.toContain('a.ndjson:');
    const out = JSON.parse(renderJson(reportOf([plain, json]))) as { files: Record<string, unknown>[]; total: Record<string, unknown> };
    expect(out.files[0]).toMatchObject({ layout: 'yyMMdd HHmmss at the start, level in field 4', untimed_lines: { continued: 12, previous_record: 2, ingest_time: 1 } });
    expect(out.files[1]).toMatchObject({ layout: null, untimed_lines: { continued: 0, previous_record: 0, ingest_time: 0 } });
    expect(out.total.untimed_lines).toEqual({ continued: 12, previous_record: 2, ingest_time: 1 });
  });

  it('says when records lie outside the window the log tools read by default, and how to ask for theirs', () => {
    const started = Date.now();
    const mixed = new FileStats('hdfs.log', 'hdfs', started);
    mixed.status = 'done';
    mixed.addStored(ms('2008-11-09T20:36:15Z'), undefined, false);
    mixed.addStored(started - DEFAULT_TOOL_WINDOW_MS + 60_000, undefined, false);
    mixed.addStored(started + 86_400_000, undefined, false);
    expect(mixed.outsideDefaultWindow).toBe(2);
    const report = reportOf([mixed], { startedAt: started });
    const next = nextToolInput(report)!;
    expect(Date.parse(next.start_time)).toBeGreaterThan(ms('2008-11-09T20:36:15Z'));
    expect(renderText(report)).toContain(
      `note: 2 of 3 records lie outside the last hour (now-1h .. now), the window the log tools read when called without start_time and end_time: pass start_time and end_time (the ones below cover the latest 31 days of them, the most one call reads)\nnext: run \`telemcp serve\` and call logs_patterns (or logs_bursts, incident_summary) with ${JSON.stringify(next)}`,
    );
    const out = JSON.parse(renderJson(report)) as Record<string, unknown>;
    expect(out).toMatchObject({
      default_window: { start: new Date(started - DEFAULT_TOOL_WINDOW_MS).toISOString(), end: new Date(started).toISOString() },
      total: { outside_default_window: 2 },
      files: [{ outside_default_window: 2 }],
    });

    const recent = new FileStats('app.log', 'app', started);
    recent.addStored(started - 1000, undefined, false);
    expect(renderText(reportOf([recent], { startedAt: started }))).not.toContain('outside the last hour');
    const older = new FileStats('app.log', 'app', started);
    older.addStored(ms('2024-05-01T10:00:00Z'), undefined, false);
    expect(renderText(reportOf([older], { startedAt: started }))).toContain(
      'note: the record lies outside the last hour (now-1h .. now), the window the log tools read when called without start_time and end_time: pass the start_time and end_time below',
    );
  });
});

describe('binary input', () => {
  const bytes = (...b: number[]) => Uint8Array.from([...b, 0x41, 0x42]);

  it('tells xz, zstd, bzip2, zip and UTF-16 by their first bytes, with the command that converts them', () => {
    expect(packedRefusal(bytes(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00))).toEqual({ reason: 'xz-compressed data; telemcp ingest unpacks gzip only', convert: 'xz -dc' });
    expect(packedRefusal(bytes(0x28, 0xb5, 0x2f, 0xfd))?.convert).toBe('zstd -dc');
    expect(packedRefusal(bytes(0x42, 0x5a, 0x68, 0x39))?.convert).toBe('bzip2 -dc');
    expect(packedRefusal(bytes(0x50, 0x4b, 0x03, 0x04))?.convert).toBe('unzip -p');
    expect(packedRefusal(bytes(0xff, 0xfe))?.convert).toBe('iconv -f UTF-16 -t UTF-8');
    expect(packedRefusal(Buffer.from('2024-05-01 INFO ok\n'))).toBeUndefined();
    expect(refusalHint(packedRefusal(bytes(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00))!, "eipp's.log.xz", 'eipp')).toBe("feed it converted: xz -dc 'eipp'\\''s.log.xz' | telemcp ingest - --dataset eipp");
    expect(refusalHint({ reason: 'x', convert: 'zstd -dc' }, '-', 'stdin')).toBe('feed it converted: … | zstd -dc | telemcp ingest - --dataset stdin');
  });

  it('refuses NUL bytes and mostly invalid UTF-8, and keeps text with a few bad bytes, accents, tabs and ANSI colours', () => {
    expect(binaryRefusal(Buffer.from('text\u0000more'))?.reason).toBe('binary data, not text (it holds NUL bytes)');
    const random = Buffer.from(Array.from({ length: 4096 }, (_, i) => 0x80 + ((i * 37) % 0x7f)));
    expect(binaryRefusal(random)?.reason).toBe('binary data, not text (mostly bytes that are not UTF-8)');
    const latin1 = Buffer.concat([Buffer.from('caf'), Buffer.from([0xe9]), Buffer.from(' au lait, prix: 3 EUR\n'.repeat(3))]);
    expect(binaryRefusal(latin1)).toBeUndefined();
    expect(binaryRefusal(Buffer.from('\u001b[31mERROR\u001b[0m\tfailed — café\r\n'))).toBeUndefined();
  });
});

describe('read errors in words', () => {
  it('names a truncated or corrupt gzip as such', () => {
    expect(describeReadError(Object.assign(new Error('unexpected end of file'), { code: 'Z_BUF_ERROR' }))).toBe('the gzip data ends early: the file is truncated');
    expect(describeReadError(Object.assign(new Error('invalid block type'), { code: 'Z_DATA_ERROR' }))).toBe('the gzip data is corrupt (invalid block type)');
    expect(describeReadError(Object.assign(new Error('i/o error, read'), { code: 'EIO' }))).toBe('i/o error, read (EIO)');
  });
});

describe('Tally', () => {
  it('merges counts and lumps keys past its bound together', () => {
    const a = new Tally();
    const b = new Tally();
    a.add('x', 2);
    b.add('x');
    b.add('y');
    a.merge(b);
    expect(a.top(5)).toEqual({ x: 3, y: 1 });
    const many = new Tally();
    for (let i = 0; i < 1005; i++) many.add(`k${i}`);
    expect(many.top(1)).toEqual({ [OTHER_KEY]: 5 });
  });
});
