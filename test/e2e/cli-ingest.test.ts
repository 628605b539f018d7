import { spawn, type ChildProcess, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openLogStore, type StoredLog } from '../../src/store/log-store.js';
import { tempDir, waitFor, type CliResult } from '../helpers/e2e.js';
import { CLI } from '../helpers/server.js';
import { JAVA_STACK_LOG } from '../helpers/log-samples.js';

/**
 * `telemcp ingest` as a user runs it: the built CLI (dist/, built by scripts/test.sh) loading
 * real files into a temporary DATA_DIR, checked by opening the store read-only afterwards.
 */

const ALL_TIME = { from: -8.64e15, to: 8.64e15 };
const ms = (iso: string): number => Date.parse(iso);

interface Running {
  child: ChildProcessWithoutNullStreams;
  done: Promise<CliResult>;
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** Starts the CLI with an environment holding only PATH, DATA_DIR and `env`; stdin stays open until written and ended. */
function start(args: string[], dataDir: string, env: Record<string, string> = {}): Running {
  const child = spawn(process.execPath, [CLI, 'ingest', ...args], { env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult>((resolveRun, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolveRun({ code, signal, stdout, stderr });
    });
  });
  return { child, done };
}

function ingest(args: string[], dataDir: string, stdin: string | Buffer = '', env: Record<string, string> = {}): Promise<CliResult> {
  const run = start(args, dataDir, env);
  run.child.stdin.end(stdin);
  return run.done;
}

interface UntimedJson {
  continued: number;
  previous_record: number;
  ingest_time: number;
}

interface JsonFile {
  input: string;
  dataset: string;
  format: string | null;
  layout: string | null;
  gzip: boolean;
  status: string;
  error?: string;
  lines: number;
  records: number;
  truncated: number;
  time_inferred: number;
  untimed_lines: UntimedJson;
  bad_lines: number;
  bad_line_samples: { line: number; reason: string }[];
  rejected: number;
  rejected_samples: { line: number; reason: string }[];
  time_range: { first: string | null; last: string | null };
  outside_default_window: number;
  services: Record<string, number>;
  elapsed_ms: number;
}

interface JsonReport {
  status: string;
  signal?: string;
  data_dir: string;
  total: Omit<JsonFile, 'input' | 'dataset' | 'format' | 'gzip' | 'status' | 'error' | 'bad_line_samples' | 'rejected_samples'> & { files: number; lines_per_s: number };
  files: JsonFile[];
  datasets: { name: string; records: number; first: string; last: string }[];
  default_window: { start: string; end: string };
  next_tool_input: Record<string, string> | null;
}

function report(run: CliResult): JsonReport {
  return JSON.parse(run.stdout) as JsonReport;
}

/** Every record of the scope, oldest first, read the way the log tools read the store. */
function stored(dataDir: string, scope = '*'): StoredLog[] {
  const store = openLogStore({ dataDir, readonly: true });
  try {
    const out: StoredLog[] = [];
    let after: { ts: number; id: number } | undefined;
    do {
      const page = store.searchPage({ ...ALL_TIME, scope }, { limit: 1000, order: 'asc', ...(after ? { after } : {}) });
      out.push(...page.records);
      after = page.next;
    } while (after);
    return out;
  } finally {
    store.close();
  }
}

/** Records in the store right now, or 0 while it does not exist yet (read next to the writing process). */
function storedCount(dataDir: string): number {
  let store;
  try {
    store = openLogStore({ dataDir, readonly: true });
  } catch {
    return 0;
  }
  try {
    return store.datasets().reduce((sum, d) => sum + d.records, 0);
  } catch {
    return 0;
  } finally {
    store.close();
  }
}

let dir: string;
beforeAll(() => {
  dir = tempDir('telemcp-ingest-');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A fresh DATA_DIR inside the test's directory, removed with it. */
function newDataDir(): string {
  return mkdtempSync(join(dir, 'data-'));
}

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}


describe('telemcp ingest reads the common formats', () => {
  it('plain text: a Java stack trace is joined to its record, --service fills the service', async () => {
    const dataDir = newDataDir();
    const run = await ingest([file('shop.log', `${JAVA_STACK_LOG}\n`), '--service', 'shop'], dataDir);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^ingested 3 records from 9 lines of 1 input in [\d.]+s \([\d,]+ lines\/s\) into /);
    expect(run.stdout).toMatch(/shop\.log\s+plain\s+shop\s+9\s+3\s+0\s+0\s+0\s+done/);
    expect(run.stdout).toContain('time range (UTC): 2024-05-01T10:00:00.123Z .. 2024-05-01T10:00:02.000Z');
    expect(run.stdout).toContain('services: shop 3');
    expect(run.stdout).toContain('next: run `telemcp serve` and call logs_patterns');
    expect(run.stdout).toContain('{"scope":"shop","start_time":"2024-05-01T10:00:00.000Z","end_time":"2024-05-01T10:00:03.000Z"}');

    const records = stored(dataDir, 'shop');
    expect(records.map((r) => [new Date(r.ts).toISOString(), r.level, r.service, r.dataset])).toEqual([
      ['2024-05-01T10:00:00.123Z', 'info', 'shop', 'shop'],
      ['2024-05-01T10:00:01.500Z', 'error', 'shop', 'shop'],
      ['2024-05-01T10:00:02.000Z', 'warn', 'shop', 'shop'],
    ]);
    expect(records[1].message.split('\n')).toHaveLength(7);
    expect(records[1].message).toMatch(/^\[http-nio-8080-exec-3\] c\.e\.shop\.Payment - charge failed\njava\.lang\.IllegalStateException: card declined\n\tat com\.example/);
    expect(records[1].message.endsWith('\t... 12 more')).toBe(true);
    expect(run.stdout).toContain('shop.log: layout yyyy-MM-dd HH:mm:ss,SSS at the start, level in field 3; 6 lines without a timestamp of their own: 6 joined the record before them (its time)\n');
  });

  it('NDJSON with ECS and flat field names, offsets normalised to UTC', async () => {
    const dataDir = newDataDir();
    const lines = [
      {
        '@timestamp': '2024-05-01T12:00:00.000+02:00',
        log: { level: 'ERROR' },
        message: 'payment declined',
        service: { name: 'payment' },
        trace: { id: 't-1' },
        host: { name: 'pay-1' },
        error: { stack_trace: 'java.lang.IllegalStateException: declined\n\tat A.b(A.java:1)' },
        http: { response: { status_code: 502 } },
      },
      { timestamp: '2024-05-01T06:00:01-04:00', level: 'warn', msg: 'retrying', service: 'gateway', trace_id: 't-1' },
    ];
    const run = await ingest([file('ecs.ndjson', lines.map((l) => JSON.stringify(l)).join('\n')), '--format', 'ecs', '--json'], dataDir);
    expect(run.code).toBe(0);
    expect(report(run).files[0]).toMatchObject({ format: 'ecs', records: 2, bad_lines: 0, services: { payment: 1, gateway: 1 } });
    const [declined, retrying] = stored(dataDir, 'ecs');
    expect(declined).toMatchObject({ ts: ms('2024-05-01T10:00:00Z'), level: 'error', service: 'payment', traceId: 't-1', host: 'pay-1', attrs: { 'http.response.status_code': 502 } });
    expect(declined.message).toBe('payment declined\njava.lang.IllegalStateException: declined\n\tat A.b(A.java:1)');
    expect(retrying).toMatchObject({ ts: ms('2024-05-01T10:00:01Z'), level: 'warn', service: 'gateway', traceId: 't-1', message: 'retrying' });
  });

  it('logfmt and syslog (RFC 5424 and rsyslog lines) are detected, their offsets applied', async () => {
    const dataDir = newDataDir();
    const logfmt = file(
      'api.log',
      [
        'ts=2024-05-01T05:00:00-05:00 level=warn msg="slow query" service=api trace_id=abc123 duration_ms=1500',
        'ts=2024-05-01T10:00:01Z level=error msg="query failed" service=api host=db-1',
      ].join('\n'),
    );
    const syslog = file(
      'messages',
      [
        '<34>1 2024-05-01T12:00:00.000+02:00 web-1 sshd 4321 ID47 - Failed password for root from 10.0.0.1',
        '2024-05-01T06:00:01.500-04:00 web-2 nginx[77]: upstream timed out',
        '<165>1 2024-05-01T10:00:02Z web-1 app - - [exampleSDID@32473 iut="3"] started',
      ].join('\n'),
    );
    const run = await ingest([logfmt, syslog, '--json'], dataDir);
    expect(run.code).toBe(0);
    const out = report(run);
    expect(out.files.map((f) => [f.dataset, f.format, f.records])).toEqual([
      ['api', 'logfmt', 2],
      ['messages', 'syslog', 3],
    ]);
    expect(stored(dataDir, 'api')).toMatchObject([
      { ts: ms('2024-05-01T10:00:00Z'), level: 'warn', service: 'api', traceId: 'abc123', message: 'slow query', attrs: { duration_ms: '1500' } },
      { ts: ms('2024-05-01T10:00:01Z'), level: 'error', service: 'api', host: 'db-1', message: 'query failed' },
    ]);
    expect(stored(dataDir, 'messages')).toMatchObject([
      { ts: ms('2024-05-01T10:00:00Z'), level: 'critical', service: 'sshd', host: 'web-1', message: 'Failed password for root from 10.0.0.1' },
      { ts: ms('2024-05-01T10:00:01.500Z'), service: 'nginx', host: 'web-2', message: 'upstream timed out' },
      { ts: ms('2024-05-01T10:00:02Z'), level: 'notice', service: 'app', host: 'web-1', message: 'started' },
    ]);
  });
});

describe('telemcp ingest never loses the good lines', () => {
  it('skips bad lines in the middle, reports them with their numbers, stores the rest', async () => {
    const dataDir = newDataDir();
    const good = (i: number) => JSON.stringify({ '@timestamp': `2024-05-01T10:00:0${i}Z`, message: `event ${i}`, 'service.name': 'svc' });
    const lines = [good(1), good(2), '{"@timestamp": "2024-05-01T10:00:03Z", "message": "cut off', good(4), '[1, 2, 3]', good(6), good(7)];
    const path = file('events.ndjson', lines.join('\n'));
    const json = await ingest([path, '--json'], dataDir);
    expect(json.code).toBe(0);
    const f = report(json).files[0];
    expect(f).toMatchObject({ status: 'done', lines: 7, records: 5, bad_lines: 2 });
    expect(f.bad_line_samples.map((b) => b.line)).toEqual([3, 5]);
    expect(f.bad_line_samples[0].reason).toMatch(/^not JSON/);
    expect(f.bad_line_samples[1].reason).toMatch(/array/);
    expect(stored(dataDir, 'events').map((r) => r.message)).toEqual(['event 1', 'event 2', 'event 4', 'event 6', 'event 7']);

    const text = await ingest([path, '--dataset', 'events-again'], dataDir);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('bad lines skipped in');
    expect(text.stdout).toMatch(/ {2}line 3: not JSON/);
    expect(text.stdout).toMatch(/ {2}line 5: a JSON array, not an object/);
  });

  it('standard input with -, into the dataset stdin', async () => {
    const dataDir = newDataDir();
    const run = await ingest(['-', '--json'], dataDir, 'level=info msg="from a pipe" service=cron\nlevel=error msg="pipe failed" service=cron\n');
    expect(run.code).toBe(0);
    expect(report(run).files[0]).toMatchObject({ input: '-', dataset: 'stdin', format: 'logfmt', records: 2 });
    expect(stored(dataDir, 'stdin').map((r) => [r.level, r.message])).toEqual([
      ['info', 'from a pipe'],
      ['error', 'pipe failed'],
    ]);
  });

  it('gzip, told by its magic bytes, from a file and from standard input', async () => {
    const dataDir = newDataDir();
    const gz = gzipSync(`${JAVA_STACK_LOG}\n`);
    const run = await ingest([file('app.log.1.gz', gz), '-', '--dataset', 'zipped', '--json'], dataDir, gz);
    expect(run.code).toBe(0);
    expect(report(run).files.map((f) => [f.input.endsWith('app.log.1.gz') || f.input, f.dataset, f.gzip, f.format, f.lines, f.records])).toEqual([
      [true, 'zipped', true, 'plain', 9, 3],
      ['-', 'zipped', true, 'plain', 9, 3],
    ]);
    const withoutDataset = await ingest([file('web.log.gz', gz), '--json'], dataDir);
    expect(report(withoutDataset).files[0]).toMatchObject({ dataset: 'web', gzip: true, records: 3 });
  });

  it('a truncated gzip file: exit 1 with the line reached; its lines before are stored and the next file is still ingested', async () => {
    const dataDir = newDataDir();
    const lines = Array.from({ length: 20_000 }, (_, i) => `${new Date(ms('2024-05-01T10:00:00Z') + i).toISOString()} INFO line ${i + 1} ${'x'.repeat(i % 97)}`);
    const gz = gzipSync(`${lines.join('\n')}\n`);
    const truncated = file('cut.log.gz', gz.subarray(0, Math.floor(gz.length / 2)));
    const run = await ingest([truncated, file('after.log', `${JAVA_STACK_LOG}\n`), '--json'], dataDir);
    expect(run.code).toBe(1);
    const out = report(run);
    expect(out.status).toBe('failed');
    const [cut, after] = out.files;
    expect(cut.status).toBe('read_failed');
    expect(cut.lines).toBeGreaterThan(1000);
    expect(cut.lines).toBeLessThan(20_000);
    expect(cut.records).toBe(cut.lines);
    expect(cut.error).toContain('the file is truncated');
    expect(run.stderr).toContain(`reading ${truncated} failed after line ${cut.lines.toLocaleString('en-US')}: the gzip data ends early: the file is truncated`);
    expect(run.stderr).toContain(`| tail -n +${cut.lines + 1} | telemcp ingest - --dataset cut`);
    expect(after).toMatchObject({ status: 'done', records: 3 });
    expect(stored(dataDir, 'cut').map((r) => r.message.split(' ')[1])).toEqual(lines.slice(0, cut.lines).map((_, i) => String(i + 1)));
  });

  it('several files in order, each into its own dataset, with a total', async () => {
    const dataDir = newDataDir();
    const a = file('alpha.log', '2024-05-01T10:00:00Z INFO a1\n2024-05-01T10:00:01Z INFO a2\n');
    const b = file('beta.txt', '2024-05-02T10:00:00Z ERROR b1\n');
    const run = await ingest([a, b, '--service', 'multi', '--json'], dataDir);
    expect(run.code).toBe(0);
    const out = report(run);
    expect(out.files.map((f) => [f.dataset, f.records])).toEqual([
      ['alpha', 2],
      ['beta', 1],
    ]);
    expect(out.total).toMatchObject({ files: 2, lines: 3, records: 3, bad_lines: 0, time_range: { first: '2024-05-01T10:00:00.000Z', last: '2024-05-02T10:00:00.000Z' }, services: { multi: 3 } });
    expect(out.datasets.map((d) => [d.name, d.records])).toEqual([
      ['alpha', 2],
      ['beta', 1],
    ]);
    expect(out.next_tool_input).toEqual({ scope: 'alpha,beta', start_time: '2024-05-01T10:00:00.000Z', end_time: '2024-05-02T10:00:01.000Z' });
  });

  it('says where telemcp serve will read: a configured log backend (a named instance counts) unless EMBEDDED_STORE=on', async () => {
    const named = { ES_INSTANCES: 'eu', ES_EU_URL: 'http://127.0.0.1:9' };
    const remote = await ingest([file('remote.log', `${JAVA_STACK_LOG}\n`)], newDataDir(), '', named);
    expect(remote.code).toBe(0);
    expect(remote.stdout).toMatch(/note: elasticsearch is configured, so telemcp serve reads it; start it with EMBEDDED_STORE=on/);
    const beside = await ingest([file('beside.log', `${JAVA_STACK_LOG}\n`)], newDataDir(), '', { ...named, EMBEDDED_STORE: 'on' });
    expect(beside.code).toBe(0);
    expect(beside.stdout).not.toMatch(/telemcp serve reads/);
    expect(beside.stdout).toMatch(/"source":"embedded"/);
  });

  it('--json has one stable shape', async () => {
    const dataDir = newDataDir();
    const out = report(await ingest([file('shape.log', `${JAVA_STACK_LOG}\n`), '--json'], dataDir));
    expect(Object.keys(out)).toEqual(['status', 'data_dir', 'total', 'files', 'datasets', 'default_window', 'next_tool_input']);
    expect(Object.keys(out.total)).toEqual([
      'files',
      'lines',
      'records',
      'truncated',
      'time_inferred',
      'untimed_lines',
      'bad_lines',
      'rejected',
      'time_range',
      'outside_default_window',
      'services',
      'elapsed_ms',
      'lines_per_s',
    ]);
    expect(Object.keys(out.files[0])).toEqual([
      'input',
      'dataset',
      'format',
      'layout',
      'gzip',
      'status',
      'lines',
      'records',
      'truncated',
      'time_inferred',
      'untimed_lines',
      'bad_lines',
      'bad_line_samples',
      'rejected',
      'rejected_samples',
      'time_range',
      'outside_default_window',
      'services',
      'elapsed_ms',
    ]);
    expect(out.data_dir).toBe(resolve(dataDir));
    expect(out.datasets).toEqual([{ name: 'shape', records: 3, first: '2024-05-01T10:00:00.123Z', last: '2024-05-01T10:00:02.000Z' }]);
  });
});

describe('telemcp ingest learns where each file keeps its timestamps and levels', () => {
  const loghub = (name: string): string => fileURLToPath(new URL(`../fixtures/loghub/${name}`, import.meta.url));

  it('real logs with no flags: every line keeps its own time and level, the report names the layout and the default window', async () => {
    const dataDir = newDataDir();
    const run = await ingest([loghub('HDFS_2k.log'), loghub('Android_2k.log')], dataDir);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('HDFS_2k.log: layout yyMMdd HHmmss at the start, level in field 4; every line has its own timestamp\n');
    expect(run.stdout).toContain('Android_2k.log: layout MM-dd HH:mm:ss.SSS at the start (no year: the latest that is not in the future), level in field 5; every line has its own timestamp\n');
    expect(run.stdout).toContain('note: all 4,000 records lie outside the last hour (now-1h .. now), the window the log tools read when called without start_time and end_time: pass');
    const hdfs = stored(dataDir, 'hdfs_2k');
    expect(hdfs).toHaveLength(2000);
    expect(hdfs[0]).toMatchObject({ ts: ms('2008-11-09T20:36:15Z'), level: 'info' });
    expect(new Set(hdfs.map((r) => r.level))).toEqual(new Set(['info', 'warn']));
    expect(new Set(stored(dataDir, 'android_2k').map((r) => r.level))).toEqual(new Set(['trace', 'debug', 'info', 'warn', 'error']));

    const json = report(await ingest([loghub('BGL_2k.log'), '--json'], newDataDir()));
    expect(json.files[0]).toMatchObject({ format: 'plain', layout: 'UNIX in field 2, level in field 9', records: 2000, untimed_lines: { continued: 0, previous_record: 0, ingest_time: 0 }, outside_default_window: 2000 });
    expect(Date.parse(json.default_window.end) - Date.parse(json.default_window.start)).toBe(3_600_000);
    expect(json.files[0].time_range).toEqual({ first: '2005-06-03T22:42:50.000Z', last: '2006-01-03T15:13:09.000Z' });
  });

  it('--log-format and --timestamp-format override the guess', async () => {
    const dataDir = newDataDir();
    const hdfs = file('hdfs-head.log', '081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 terminating\n081109 203807 222 WARN dfs.FSNamesystem: slow\n');
    const byFormat = report(await ingest([hdfs, '--log-format', '<Date> <Time> <Pid> <Level> <Component>: <Content>', '--json'], dataDir));
    expect(byFormat.files[0]).toMatchObject({ format: 'plain', layout: '--log-format <Date> <Time> <Pid> <Level> <Component>: <Content>; timestamp yyMMdd HHmmss', records: 2 });
    expect(stored(dataDir, 'hdfs-head')[1]).toMatchObject({ ts: ms('2008-11-09T20:38:07Z'), level: 'warn', message: 'slow', attrs: { pid: '222', component: 'dfs.FSNamesystem' } });

    const european = file('eu.log', '05/06/2024 10:00:00 INFO start\n05/06/2024 10:00:01 INFO stop\n');
    const byStamp = report(await ingest([european, '--timestamp-format', 'dd/MM/yyyy HH:mm:ss', '--json'], dataDir));
    expect(byStamp.files[0].layout).toBe('dd/MM/yyyy HH:mm:ss at the start, level in field 3');
    expect(stored(dataDir, 'eu')[0].ts).toBe(ms('2024-06-05T10:00:00Z'));

    const bad = await ingest([european, '--timestamp-format', 'dd/QQ'], dataDir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--timestamp-format: timestamp format: pattern letter Q is not supported');
  });
});

describe('telemcp ingest refuses what it cannot do, before ingesting anything', () => {
  it('binary input: compressed data it does not unpack, NUL bytes, mostly invalid UTF-8, a gzip of binary data; from a file (exit 2) and from standard input (exit 1)', async () => {
    const dataDir = newDataDir();
    const random = Buffer.from(Array.from({ length: 4096 }, (_, i) => 0x80 + ((i * 37) % 0x7f)));
    const cases: [string, Buffer, string, string][] = [
      ['eipp.log.xz', Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), random]), 'xz-compressed data; telemcp ingest unpacks gzip only', `feed it converted: xz -dc '${join(dir, 'eipp.log.xz')}' | telemcp ingest - --dataset eipp`],
      ['app.log.zst', Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), random]), 'zstd-compressed data', 'feed it converted: zstd -dc'],
      ['app.log.bz2', Buffer.concat([Buffer.from('BZh9'), random]), 'bzip2-compressed data', 'feed it converted: bzip2 -dc'],
      ['core.bin', Buffer.from('ELF\u0000\u0000\u0001 not a log'), 'binary data, not text (it holds NUL bytes)', 'telemcp ingest reads text logs'],
      ['noise.log', random, 'binary data, not text (mostly bytes that are not UTF-8)', 'telemcp ingest reads text logs'],
      ['image.log.gz', gzipSync(Buffer.concat([Buffer.from('tar'), Buffer.alloc(512)])), 'binary data, not text (it holds NUL bytes)', 'telemcp ingest reads text logs'],
    ];
    for (const [name, bytes, reason, hint] of cases) {
      const run = await ingest([file(name, bytes)], dataDir);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain(`cannot ingest ${join(dir, name)}: it is ${reason}`);
      expect(run.stderr).toContain('; nothing was ingested');
      expect(run.stderr).toContain(`hint: ${hint}`);
    }
    expect(existsSync(join(dataDir, 'logs.db'))).toBe(false);

    const piped = await ingest(['-', '--json'], dataDir, cases[0][1]);
    expect(piped.code).toBe(1);
    expect(report(piped).files[0]).toMatchObject({ status: 'read_failed', records: 0, error: 'cannot ingest -: it is xz-compressed data; telemcp ingest unpacks gzip only (after line 0)' });
    expect(piped.stderr).toContain('hint: feed it converted: … | xz -dc | telemcp ingest - --dataset stdin');
  });

  it('a missing file: exit 2 with a hint, and no other file is ingested', async () => {
    const dataDir = newDataDir();
    const run = await ingest([file('present.log', `${JAVA_STACK_LOG}\n`), join(dir, 'absent.log')], dataDir);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`cannot read ${join(dir, 'absent.log')}: no such file or directory; nothing was ingested`);
    expect(run.stderr).toContain('hint: ');
    expect(existsSync(join(dataDir, 'logs.db'))).toBe(false);
  });

  it('bad arguments: exit 2 with the usage', async () => {
    const dataDir = newDataDir();
    for (const args of [[], ['x.log', '--format', 'xml'], ['x.log', '--dataset', 'My Logs'], ['-', '-']]) {
      const run = await ingest(args, dataDir);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('Usage: telemcp ingest');
    }
    expect((await ingest(['x.log', '--dataset', 'My Logs'], dataDir)).stderr).toContain('try --dataset my-logs');
  });

  it('a DATA_DIR another process holds: exit 2 naming its pid, pointing to the HTTP ingest endpoints', async () => {
    const dataDir = newDataDir();
    const storeModule = pathToFileURL(resolve('dist/store/log-store.js')).href;
    const holder = spawn(
      process.execPath,
      ['--input-type=module', '-e', `import { openLogStore } from ${JSON.stringify(storeModule)}; openLogStore({ dataDir: ${JSON.stringify(dataDir)} }); console.log('holding'); process.stdin.resume();`],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    children.push(holder);
    let said = '';
    holder.stdout!.on('data', (d: Buffer) => (said += d.toString()));
    await waitFor(() => said.includes('holding'), 'the holder to open the store', 10_000);

    const run = await ingest([file('locked.log', `${JAVA_STACK_LOG}\n`)], dataDir);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`is in use by another telemcp process (pid ${holder.pid}`);
    expect(run.stderr).toContain('POST /_bulk');
    holder.stdin!.end();
  });
});

describe('telemcp ingest under interruption', () => {
  it('commits a slow stream as it comes, and on SIGINT commits what was read, prints the summary and exits 130', async () => {
    const dataDir = newDataDir();
    const run = start(['-', '--dataset', 'slow', '--json'], dataDir);
    run.child.stdin.write('2024-05-01T10:00:01Z INFO first\n2024-05-01T10:00:02Z INFO second\n');
    // The first record is complete once the second starts; the one-second flush commits it while stdin stays open.
    await waitFor(() => storedCount(dataDir) >= 1, 'the first record to be committed', 10_000);
    expect(run.child.exitCode).toBeNull();
    run.child.kill('SIGINT');
    const result = await run.done;
    expect(result.code).toBe(130);
    const out = report(result);
    expect(out).toMatchObject({ status: 'interrupted', signal: 'SIGINT' });
    expect(out.files[0]).toMatchObject({ status: 'interrupted', lines: 2, records: 2 });
    expect(stored(dataDir, 'slow').map((r) => r.message)).toEqual(['first', 'second']);
  });

  it('kill -9 midway leaves a usable store holding a prefix of the file; the next run works', async () => {
    const dataDir = newDataDir();
    const total = 300_000;
    const start0 = ms('2024-05-01T00:00:00Z');
    const lines = Array.from({ length: total }, (_, i) => `${new Date(start0 + i * 10).toISOString()} INFO seq=${i + 1} order processed for customer c${i % 977}`);
    const big = file('big.log', `${lines.join('\n')}\n`);
    const run = start([big], dataDir);
    run.child.stdin.end();
    await waitFor(() => storedCount(dataDir) > 0, 'the first batch to be committed', 30_000);
    run.child.kill('SIGKILL');
    const result = await run.done;
    expect(result.signal).toBe('SIGKILL');

    const records = stored(dataDir, 'big');
    expect(records.length).toBeGreaterThan(0);
    expect(records.length).toBeLessThan(total);
    // Everything committed is intact and in order: exactly the first N lines, none missing, none doubled.
    expect(records.every((r, i) => r.message === `seq=${i + 1} order processed for customer c${i % 977}` && r.ts === start0 + i * 10)).toBe(true);

    // The killed process's lock is stale: the next run takes it over.
    const again = await ingest([file('after-kill.log', `${JAVA_STACK_LOG}\n`), '--json'], dataDir);
    expect(again.code).toBe(0);
    expect(report(again).files[0]).toMatchObject({ status: 'done', records: 3 });
    const db = new Database(join(dataDir, 'logs.db'), { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      db.close();
    }
    expect(stored(dataDir, 'big')).toHaveLength(records.length);
  }, 90_000);
});
