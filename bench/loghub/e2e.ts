/**
 * The commands users run, end to end, beside Drain3 on the same lines in the same run:
 * `telemcp patterns` (with `--log-format`, and on plain text with the format detected) and
 * `telemcp ingest --format plain`, each a whole `node dist/cli/main.js` process timed from spawn
 * to exit, against Drain3 0.9.11 mining the same messages in-process (add_log_message only, the
 * figure Drain3's users quote) and as a whole Python process reading the file.
 *
 *   npx tsc -p tsconfig.build.json && node --import tsx bench/loghub/e2e.ts
 *
 * E2E_LINES (default 200000) lines are built from the Loghub-2k BGL sample, as bench/loghub/run.ts
 * builds its stream: the 2,000 lines over and over, every number of the message fresh on each
 * line (the header is kept, so its times stay real times). The same messages are also written as
 * plain text (`<ISO time> <LEVEL> <message>`). RUNS (default 3) rounds, each running every
 * command once in turn, so a load change on this shared machine touches all of them; medians are
 * reported, with the load average before and after (other work on the machine shows there).
 * DRAIN3_PYTHON as in run.ts; BENCH_DATA_DIR keeps the files (default $TMPDIR).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileLogFormat } from '../../src/analysis/templates/log-format.js';
import { LOGHUB_DIR } from './datasets.js';

const LINES = Number(process.env.E2E_LINES ?? 200_000);
const RUNS = Number(process.env.RUNS ?? 3);
const DRAIN3_PYTHON = process.env.DRAIN3_PYTHON ?? '/var/lib/telemcp/drain3-venv/bin/python';
const DATA_DIR = process.env.BENCH_DATA_DIR ?? join(tmpdir(), 'telemcp-bench-e2e');
const BGL_FORMAT = '<Label> <Timestamp> <Date> <Node> <Time> <NodeRepeat> <Type> <Component> <Level> <Content>';

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

interface Files {
  loghub: string;
  plain: string;
}

/** The BGL sample repeated to LINES lines with fresh numbers in every message, as Loghub lines and as plain text. */
function buildFiles(): Files {
  mkdirSync(DATA_DIR, { recursive: true });
  const files = { loghub: join(DATA_DIR, `bgl-${LINES}.log`), plain: join(DATA_DIR, `bgl-${LINES}-plain.log`) };
  if (existsSync(files.loghub) && existsSync(files.plain)) return files;
  const format = compileLogFormat(BGL_FORMAT);
  const sample = readFileSync(join(LOGHUB_DIR, 'BGL', 'BGL_2k.log'), 'utf8').split('\n').filter(Boolean).map((line) => {
    const fields = format.parse(line)!;
    return { header: line.slice(0, line.length - fields.Content.length), content: fields.Content, seconds: Number(fields.Timestamp), level: fields.Level };
  });
  const loghub: string[] = [];
  const plain: string[] = [];
  for (let i = 0; i < LINES; i++) {
    const s = sample[i % sample.length];
    const content = s.content.replace(/\d+/g, (m) => String((Number(m) + i) % 100_000));
    loghub.push(`${s.header}${content}`);
    plain.push(`${new Date((s.seconds + Math.floor(i / sample.length)) * 1000).toISOString()} ${s.level} ${content}`);
  }
  writeFileSync(files.loghub, `${loghub.join('\n')}\n`);
  writeFileSync(files.plain, `${plain.join('\n')}\n`);
  return files;
}

/** Runs a command to exit; resolves with its stdout and the wall time from spawn to exit. */
function timed(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ out: string; seconds: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve({ out, seconds: (performance.now() - started) / 1000 }) : reject(new Error(`${command} ${args.join(' ')} exited ${code}`))));
  });
}

async function patterns(file: string, args: string[]): Promise<number> {
  const { out, seconds } = await timed(process.execPath, ['dist/cli/main.js', 'patterns', file, '--json', ...args]);
  const lines = (JSON.parse(out) as { summary: { lines: number } }).summary.lines;
  if (lines !== LINES) throw new Error(`telemcp patterns read ${lines} lines of ${LINES}`);
  return LINES / seconds;
}

async function ingest(file: string): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'telemcp-bench-e2e-ingest-'));
  try {
    const { out, seconds } = await timed(process.execPath, ['dist/cli/main.js', 'ingest', '--json', '--format', 'plain', file], { DATA_DIR: dir, LOG_LEVEL: 'warn' });
    const records = (JSON.parse(out) as { total: { records: number } }).total.records;
    if (records !== LINES) throw new Error(`telemcp ingest stored ${records} records of ${LINES}`);
    return LINES / seconds;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Drain3 over the Loghub file: lines/s of add_log_message alone, and of the whole Python process. */
async function drain3(file: string): Promise<{ inProcess: number; whole: number }> {
  const script = fileURLToPath(new URL('./drain3_peer.py', import.meta.url));
  const { out, seconds } = await timed(DRAIN3_PYTHON, [script, file, BGL_FORMAT]);
  const r = JSON.parse(out) as { lines: number; mine_seconds: number };
  return { inProcess: r.lines / r.mine_seconds, whole: r.lines / seconds };
}

async function main(): Promise<void> {
  if (!existsSync('dist/cli/main.js')) throw new Error('dist/cli/main.js is missing: run `npx tsc -p tsconfig.build.json` first');
  const hasDrain3 = existsSync(DRAIN3_PYTHON);
  const files = buildFiles();
  console.log(`end to end: ${fmt(LINES)} BGL lines (${files.loghub}), ${RUNS} rounds, node ${process.version}; Drain3: ${hasDrain3 ? DRAIN3_PYTHON : 'not installed (see bench/loghub/run.ts)'}`);
  const loadBefore = load();
  const runs: Record<string, number[]> = {};
  const record = (name: string, value: number) => (runs[name] ??= []).push(value);
  for (let round = 0; round < RUNS; round++) {
    record('telemcp patterns --log-format', await patterns(files.loghub, ['--log-format', BGL_FORMAT]));
    record('telemcp patterns, plain text', await patterns(files.plain, []));
    record('telemcp ingest --format plain', await ingest(files.plain));
    if (hasDrain3) {
      const d = await drain3(files.loghub);
      record('Drain3 add_log_message (in-process)', d.inProcess);
      record('Drain3 whole process (read, split, mine)', d.whole);
    }
  }
  const drain3InProcess = runs['Drain3 add_log_message (in-process)'] ? median(runs['Drain3 add_log_message (in-process)']) : undefined;
  console.log(`\n${'command'.padEnd(42)} ${'lines/s (median)'.padStart(17)}  ${'runs'.padEnd(28)} vs Drain3 in-process`);
  for (const [name, values] of Object.entries(runs)) {
    const m = median(values);
    const ratio = drain3InProcess ? `${(m / drain3InProcess).toFixed(2)}×` : '';
    console.log(`${name.padEnd(42)} ${fmt(m).padStart(17)}  ${values.map(fmt).join(' / ').padEnd(28)} ${ratio}`);
  }
  console.log(`\nload average (1, 5, 15 min) before: ${loadBefore}; after: ${load()}`);
}

await main();
