import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { readStructuredCsv, scoreParsing } from '../../bench/loghub/evaluate.js';
import { tempDir, type CliResult } from '../helpers/e2e.js';
import { CLI } from '../helpers/server.js';

/**
 * `telemcp patterns` as a user runs it: the built CLI (dist/, built by scripts/test.sh) on real
 * files, standard input, and the Loghub HDFS sample scored against its ground truth.
 */

const HDFS_TRUTH = fileURLToPath(new URL('../fixtures/loghub/HDFS_2k.log_structured_corrected.csv', import.meta.url));
const HDFS_FORMAT = '<Date> <Time> <Pid> <Level> <Component>: <Content>';

/** Runs the CLI with `stdin` piped in (or nothing), and an environment holding only PATH plus `env`. */
function patterns(args: string[], opts: { stdin?: string | Buffer; env?: Record<string, string> } = {}): Promise<CliResult> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [CLI, 'patterns', ...args], { env: { PATH: process.env.PATH ?? '', ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolveRun({ code, signal, stdout, stderr });
    });
    child.stdin.end(opts.stdin ?? '');
  });
}

interface JsonReport {
  summary: {
    input: string;
    format: string;
    lines: number;
    blank: number;
    unparsed: number;
    overflow: number;
    templates: number;
    elapsed_ms: number;
    levels: Record<string, number>;
    services: Record<string, number>;
    assignments?: string;
  };
  templates: {
    id: number;
    template: string;
    count: number;
    share: number;
    first_seen?: string;
    last_seen?: string;
    exemplars: string[];
    slots: { values: { value: string; count: number }[] }[];
  }[];
}

function json(run: CliResult): JsonReport {
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as JsonReport;
}

let dir: string;
beforeAll(() => {
  dir = tempDir('telemcp-patterns-');
});

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe('telemcp patterns on the Loghub HDFS sample', () => {
  it('with --log-format and --assignments, groups the lines as the ground truth does (GA >= 0.95)', async () => {
    const truth = readStructuredCsv(readFileSync(HDFS_TRUTH, 'utf8'));
    const log = file('HDFS_2k.log', truth.map((r) => `${r.Date} ${r.Time} ${r.Pid} ${r.Level} ${r.Component}: ${r.Content}`).join('\n') + '\n');
    const out = join(dir, 'hdfs-assignments.csv');
    const run = await patterns([log, '--log-format', HDFS_FORMAT, '--assignments', out]);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/2,000 lines \(--log-format\), \d+ templates in [\d.]+s; 0 blank, 0 unparsed, 0 overflow/);
    expect(run.stdout).toContain('levels: INFO 1,920, WARN 80');

    const rows = readStructuredCsv(readFileSync(out, 'utf8'));
    expect(rows).toHaveLength(truth.length);
    expect(rows.map((r) => r.LineId)).toEqual(truth.map((_, i) => String(i + 1)));
    const scores = scoreParsing(
      truth.map((r) => r.EventTemplate),
      rows.map((r) => r.EventTemplate),
    );
    expect(scores.ga).toBeGreaterThanOrEqual(0.95);
    expect(rows.every((r) => !/blk_-?\d/.test(r.EventTemplate))).toBe(true);
  });
});

describe('telemcp patterns detects the format', () => {
  it('JSON lines: message, time, level and service from ECS; a stack-trace line is mined whole as unparsed', async () => {
    const start = Date.parse('2024-05-01T10:00:00Z');
    const lines: string[] = [];
    for (let i = 0; i < 90; i++) {
      const at = new Date(start + i * 1000).toISOString();
      const kind = i % 3;
      const doc =
        kind === 0
          ? { '@timestamp': at, 'log.level': 'error', message: `timeout calling fraud-service after ${1000 + i}ms`, service: { name: 'payment' } }
          : kind === 1
            ? { '@timestamp': at, 'log.level': 'info', message: `order ${5000 + i} accepted for user u${i}`, 'service.name': 'checkout' }
            : { time: start / 1000 + i, level: 40, msg: `cache miss ratio ${i}%`, app: 'cache' };
      lines.push(JSON.stringify(doc));
    }
    lines.splice(10, 0, '    at com.example.Pool.acquire(Pool.java:42)', '');
    const run = await patterns([file('app.json', lines.join('\n')), '--json']);
    const { summary, templates } = json(run);
    expect(summary).toMatchObject({ format: 'json', lines: 92, blank: 1, unparsed: 1, overflow: 0, templates: 4 });
    expect(summary.levels).toEqual({ ERROR: 30, INFO: 30, WARN: 30 });
    expect(summary.services).toEqual({ cache: 30, checkout: 30, payment: 30 });
    const timeout = templates.find((t) => t.template.startsWith('timeout calling'));
    expect(timeout).toMatchObject({ template: 'timeout calling fraud-service after <*>', count: 30, share: 0.3297, first_seen: '2024-05-01T10:00:00.000Z', last_seen: '2024-05-01T10:01:27.000Z' });
    expect(templates.find((t) => t.template.startsWith('cache'))).toMatchObject({ template: 'cache miss ratio <*>%', first_seen: '2024-05-01T10:00:02.000Z' });
  });

  it('logfmt: the msg pair is mined, time and level are read', async () => {
    const lines = Array.from({ length: 40 }, (_, i) =>
      i % 2 ? `ts=2024-05-01T10:00:${String(i).padStart(2, '0')}Z level=warn msg="disk ${80 + i}% full" mount=/data` : `ts=${1714557600 + i} level=info caller=main.go:${i} msg="request served" status=200`,
    );
    const { summary, templates } = json(await patterns([file('app.logfmt', lines.join('\n')), '--json']));
    expect(summary).toMatchObject({ format: 'logfmt', lines: 40, unparsed: 0, templates: 2, levels: { INFO: 20, WARN: 20 } });
    expect(templates.map((t) => t.template).sort()).toEqual(['disk <*>% full', 'request served']);
  });

  it('plain text with CRLF line ends and invalid UTF-8 bytes: read, not refused, one row per line', async () => {
    // "Jürgen" written in Latin-1: 0xfc is not UTF-8
    const lines = Array.from({ length: 30 }, (_, i) => Buffer.concat([Buffer.from(`2024-05-01 10:00:${String(i).padStart(2, '0')} ERROR user J`), Buffer.from([0xfc]), Buffer.from(`rgen failed login ${i}\r\n`)]));
    const path = file('latin1.log', Buffer.concat([...lines, Buffer.from('\r\n'), Buffer.from('2024-05-01 10:01:00 INFO done\r\n')]));
    const out = join(dir, 'latin1.csv');
    const { summary, templates } = json(await patterns([path, '--json', '--assignments', out]));
    expect(summary).toMatchObject({ format: 'plain', lines: 32, blank: 1, unparsed: 0, templates: 2, levels: { ERROR: 30, INFO: 1 }, assignments: out });
    expect(templates[0]).toMatchObject({ template: 'user J\ufffdrgen failed login <*>', count: 30 });
    expect(templates[0].exemplars[0]).toBe('user J\ufffdrgen failed login 0');
    expect(templates.every((t) => !t.template.includes('\r'))).toBe(true);
    const rows = readStructuredCsv(readFileSync(out, 'utf8'));
    expect(rows).toHaveLength(32);
    expect(rows[30]).toEqual({ LineId: '31', EventTemplate: '' });
    expect(rows[31]).toEqual({ LineId: '32', EventTemplate: 'done' });
  });

  it('reads standard input with -', async () => {
    const input = Array.from({ length: 12 }, (_, i) => `Jun 17 07:07:${String(i).padStart(2, '0')} host sshd[${100 + i}]: Accepted password for admin from 10.0.0.${i}`).join('\n');
    const { summary, templates } = json(await patterns(['-', '--json'], { stdin: input }));
    expect(summary).toMatchObject({ input: '-', format: 'plain', lines: 12, templates: 1 });
    expect(templates[0].template).toBe('host sshd[<*>]: Accepted password for admin from <*>');
  });
});

describe('telemcp patterns output', () => {
  const lines = Array.from({ length: 60 }, (_, i) => `INFO kind${i % 6} happened ${i} times`);

  it('--json: the summary first, then at most --top templates, most frequent first', async () => {
    const path = file('kinds.log', lines.join('\n'));
    const run = await patterns([path, '--json', '--top', '2']);
    const report = json(run);
    expect(Object.keys(report)).toEqual(['summary', 'templates']);
    expect(Object.keys(report.summary)).toEqual(['input', 'format', 'lines', 'blank', 'unparsed', 'overflow', 'templates', 'elapsed_ms', 'levels', 'services']);
    expect(report.summary).toMatchObject({ input: path, lines: 60, templates: 6 });
    expect(report.templates).toHaveLength(2);
    for (const t of report.templates) {
      expect(Object.keys(t)).toEqual(['id', 'template', 'count', 'share', 'exemplars', 'slots']);
      expect(t).toMatchObject({ count: 10, share: 0.1667 });
      expect(t.slots[0].values.length).toBeGreaterThan(0);
    }
  });

  it('the table shows count, share, template, an exemplar and slot values', async () => {
    const run = await patterns([file('table.log', lines.join('\n')), '--top', '1']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const out = run.stdout.split('\n');
    expect(out[0]).toMatch(/table\.log: 60 lines \(plain text\), 6 templates in [\d.]+s; 0 blank, 0 unparsed, 0 overflow$/);
    expect(out[1]).toBe('levels: INFO 60');
    expect(out[3]).toBe('count   share  template');
    expect(out[4]).toBe('   10   16.7%  kind0 happened <*> times');
    expect(out[5]).toBe('               e.g. kind0 happened 0 times');
    expect(out[6]).toMatch(/^ {15}<\*>1: 0, 12, 18$/);
  });

  it('--regex adds masks, and may be given several times', async () => {
    const path = file('regex.log', ['job alpha done', 'job beta done', 'job gamma done', 'connect to db-main ok', 'connect to db-replica ok'].join('\n'));
    const unmasked = json(await patterns([path, '--json']));
    expect(unmasked.templates.map((t) => t.template)).toContain('job alpha done');
    const masked = json(await patterns([path, '--json', '--regex', 'alpha|beta|gamma', '--regex', 'db-\\w+']));
    expect(masked.templates.map((t) => t.template).sort()).toEqual(['connect to <*> ok', 'job <*> done']);
  });

  it('needs no server configuration: a broken backend setting does not stop it', async () => {
    const run = await patterns([file('noconf.log', 'hello\n'), '--json'], { env: { PORT: 'not-a-port', API_KEYS: 'x:nope' } });
    expect(json(run).summary.lines).toBe(1);
  });
});

describe('telemcp patterns refuses bad input clearly (exit 2, nothing on stdout)', () => {
  async function refused(args: string[], message: RegExp): Promise<void> {
    const run = await patterns(args);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(message);
  }

  it('a missing file, a directory, no file at all', async () => {
    await refused([join(dir, 'nope.log')], /telemcp patterns: cannot read .*nope\.log: no such file or directory\n {2}hint: /);
    await refused([dir], /cannot read .*: is a directory/);
    await refused([], /give the file to mine, or - for standard input/);
    await refused(['a.log', 'b.log'], /one file at a time/);
  });

  it('an invalid or empty-matching --regex, named in the message', async () => {
    const path = file('r.log', 'x\n');
    await refused([path, '--regex', 'ok\\d+', '--regex', '(unclosed'], /--regex "\(unclosed" is not a valid regular expression/);
    await refused([path, '--regex', 'a*'], /--regex "a\*" matches the empty string/);
  });

  it('--top outside 1..1000', async () => {
    const path = file('t.log', 'x\n');
    for (const top of ['0', '1001', 'ten', '2.5']) await refused([path, '--top', top], /--top must be an integer from 1 to 1000/);
    expect((await patterns([path, '--top', '1000'])).code).toBe(0);
  });

  it('a --log-format without <Content>, and an --assignments path that cannot be written', async () => {
    const path = file('f.log', 'x\n');
    await refused([path, '--log-format', '<Date> <Time> <Message>'], /--log-format must name <Content>/);
    await refused([path, '--log-format', 'no fields'], /--log-format: log format has no <Field>/);
    await refused([path, '--assignments', join(dir, 'missing-dir', 'out.csv')], /cannot write .*out\.csv: no such file or directory/);
    await refused([path, '--assignments', path], /--assignments must not be the input file/);
    expect(readFileSync(path, 'utf8')).toBe('x\n');
  });

  it('prints its own help', async () => {
    const run = await patterns(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: telemcp patterns <file|->');
    expect(run.stdout).toContain('--assignments FILE');
  });
});
