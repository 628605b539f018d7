import { afterEach, describe, expect, it, vi } from 'vitest';
import { datasetForPath, parseIngestArgs, sanitizeDataset, UsageError } from '../../src/cli/ingest-args.js';
import { BATCH_RECORDS, BatchWriter, FLUSH_INTERVAL_MS, MAX_IN_FLIGHT } from '../../src/cli/ingest-batch.js';
import { SkippedBatch } from '../../src/cli/ingest-writer.js';
import { describeReadError } from '../../src/cli/ingest-input.js';
import { FileStats, SAMPLES_KEPT, nextToolInput, renderJson, renderText, runStatus, type IngestReport } from '../../src/cli/ingest-report.js';
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

  it.each([
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
  return { dataDir: '/data', files, datasets: [], elapsedMs: 2000, ...extra };
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
