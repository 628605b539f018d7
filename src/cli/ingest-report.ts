import { DEFAULT_WINDOW_MS } from '../core/time.js';
import type { BadLine, ResolvedFileFormat, UntimedLines } from '../ingest/file-records.js';
import { sanitizeText } from '../security/sanitize.js';
import { Tally } from './tally.js';

/**
 * What `telemcp ingest` did, per file and in total, and its two renderings: a table for people
 * (stdout) and `--json` for scripts. Lines quoted from the input are sanitised before they reach
 * a terminal: a log line must not drive it.
 */

/** Bad lines and store refusals kept per file with their line numbers; the rest are only counted. */
export const SAMPLES_KEPT = 20;
const SERVICES_SHOWN = 10;
/** The tools' largest window (logs_patterns & co. refuse a longer one). */
const MAX_WINDOW_MS = 31 * 86_400_000;
/** The window the log tools read when called without start_time/end_time. */
export const DEFAULT_TOOL_WINDOW_MS = DEFAULT_WINDOW_MS;

/**
 * done: read to the end; read_failed: reading stopped at an error (what came before is stored);
 * write_failed: the store refused a batch, and the run stopped; interrupted: SIGINT/SIGTERM;
 * not_read: the run stopped before this file's turn.
 */
export type FileStatus = 'done' | 'read_failed' | 'write_failed' | 'interrupted' | 'not_read';

export class FileStats {
  format?: ResolvedFileFormat;
  /** How plain-text or syslog lines were read (file-records.ts's layout). */
  layout?: string;
  gzip = false;
  status: FileStatus = 'not_read';
  error?: string;
  lines = 0;
  /** Records committed to the store. */
  records = 0;
  truncated = 0;
  /** Stored records that carried no time of their own (`telemcp.time_inferred`). */
  timeInferred = 0;
  /** Lines read that had no timestamp of their own, by what they got. */
  untimed: UntimedLines = { continued: 0, previousRecord: 0, ingestTime: 0 };
  /** Stored records outside the log tools' default window as the run started: older than an hour, or in the future. */
  outsideDefaultWindow = 0;
  bad = 0;
  readonly badSamples: BadLine[] = [];
  rejected = 0;
  readonly rejectedSamples: BadLine[] = [];
  firstTs?: number;
  lastTs?: number;
  readonly services = new Tally();
  elapsedMs = 0;

  constructor(
    readonly input: string,
    readonly dataset: string,
    /** When the run started (epoch ms): the default window it is told against ends there. */
    readonly startedAt = Date.now(),
  ) {}

  addBad(bad: BadLine): void {
    this.bad++;
    if (this.badSamples.length < SAMPLES_KEPT) this.badSamples.push(bad);
  }

  addRejected(line: number, reason: string): void {
    this.rejected++;
    if (this.rejectedSamples.length < SAMPLES_KEPT) this.rejectedSamples.push({ line, reason });
  }

  addStored(ts: number, service: string | undefined, timeInferred: boolean): void {
    this.records++;
    if (timeInferred) this.timeInferred++;
    if (this.firstTs === undefined || ts < this.firstTs) this.firstTs = ts;
    if (this.lastTs === undefined || ts > this.lastTs) this.lastTs = ts;
    if (service !== undefined) this.services.add(service);
    // Later than the start is in the future only if it is still later now (a stream read live is not).
    if (ts < this.startedAt - DEFAULT_TOOL_WINDOW_MS || (ts > this.startedAt && ts > Date.now())) this.outsideDefaultWindow++;
  }
}

/** A dataset as the store holds it after the run (earlier runs' records included). */
export interface DatasetAfter {
  name: string;
  records: number;
  firstTs: number;
  lastTs: number;
}

export interface IngestReport {
  dataDir: string;
  files: FileStats[];
  datasets: DatasetAfter[];
  elapsedMs: number;
  /** When the run started (epoch ms). */
  startedAt: number;
  /** The signal that stopped the run. */
  interrupted?: NodeJS.Signals;
  /** Why the next step needs more than `telemcp serve` (EMBEDDED_STORE, a configured search engine). */
  serveNote?: string;
  /** The `source` argument a log tool needs to read the embedded store next to a search engine. */
  toolSource?: string;
}

interface Totals {
  files: number;
  lines: number;
  records: number;
  truncated: number;
  time_inferred: number;
  untimed: UntimedLines;
  outside_default_window: number;
  bad_lines: number;
  rejected: number;
  first_ts?: number;
  last_ts?: number;
  services: Tally;
}

function totals(files: readonly FileStats[]): Totals {
  const t: Totals = {
    files: files.length,
    lines: 0,
    records: 0,
    truncated: 0,
    time_inferred: 0,
    untimed: { continued: 0, previousRecord: 0, ingestTime: 0 },
    outside_default_window: 0,
    bad_lines: 0,
    rejected: 0,
    services: new Tally(),
  };
  for (const f of files) {
    t.lines += f.lines;
    t.records += f.records;
    t.truncated += f.truncated;
    t.time_inferred += f.timeInferred;
    t.untimed.continued += f.untimed.continued;
    t.untimed.previousRecord += f.untimed.previousRecord;
    t.untimed.ingestTime += f.untimed.ingestTime;
    t.outside_default_window += f.outsideDefaultWindow;
    t.bad_lines += f.bad;
    t.rejected += f.rejected;
    if (f.firstTs !== undefined && (t.first_ts === undefined || f.firstTs < t.first_ts)) t.first_ts = f.firstTs;
    if (f.lastTs !== undefined && (t.last_ts === undefined || f.lastTs > t.last_ts)) t.last_ts = f.lastTs;
    t.services.merge(f.services);
  }
  return t;
}

function iso(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}

function linesPerSecond(lines: number, ms: number): number {
  return ms > 0 ? Math.round((lines * 1000) / ms) : lines;
}

/** The arguments of a log tool call that looks at what was ingested: its datasets over its time range, within the tools' 31-day limit. */
export function nextToolInput(report: IngestReport): Record<string, string> | undefined {
  const t = totals(report.files);
  const names = [...new Set(report.files.filter((f) => f.records > 0).map((f) => f.dataset))];
  if (names.length === 0 || t.first_ts === undefined || t.last_ts === undefined) return undefined;
  // Whole seconds around the range, so date-math rounding of the tools cannot cut the edges off.
  const end = Math.ceil((t.last_ts + 1) / 1000) * 1000;
  const start = Math.max(Math.floor(t.first_ts / 1000) * 1000, end - MAX_WINDOW_MS);
  return { ...(report.toolSource ? { source: report.toolSource } : {}), scope: names.join(','), start_time: new Date(start).toISOString(), end_time: new Date(end).toISOString() };
}

function untimedJson(u: UntimedLines): { continued: number; previous_record: number; ingest_time: number } {
  return { continued: u.continued, previous_record: u.previousRecord, ingest_time: u.ingestTime };
}

/** The default window of the log tools as the run started. */
function defaultWindow(report: IngestReport): { start: string; end: string } {
  return { start: iso(report.startedAt - DEFAULT_TOOL_WINDOW_MS)!, end: iso(report.startedAt)! };
}

export function renderJson(report: IngestReport): string {
  const t = totals(report.files);
  const files = report.files.map((f) => ({
    input: f.input,
    dataset: f.dataset,
    format: f.format ?? null,
    layout: f.layout ?? null,
    gzip: f.gzip,
    status: f.status,
    ...(f.error ? { error: f.error } : {}),
    lines: f.lines,
    records: f.records,
    truncated: f.truncated,
    time_inferred: f.timeInferred,
    untimed_lines: untimedJson(f.untimed),
    bad_lines: f.bad,
    bad_line_samples: f.badSamples,
    rejected: f.rejected,
    rejected_samples: f.rejectedSamples,
    time_range: { first: iso(f.firstTs), last: iso(f.lastTs) },
    outside_default_window: f.outsideDefaultWindow,
    services: f.services.top(SERVICES_SHOWN),
    elapsed_ms: f.elapsedMs,
  }));
  const total = {
    files: t.files,
    lines: t.lines,
    records: t.records,
    truncated: t.truncated,
    time_inferred: t.time_inferred,
    untimed_lines: untimedJson(t.untimed),
    bad_lines: t.bad_lines,
    rejected: t.rejected,
    time_range: { first: iso(t.first_ts), last: iso(t.last_ts) },
    outside_default_window: t.outside_default_window,
    services: t.services.top(SERVICES_SHOWN),
    elapsed_ms: report.elapsedMs,
    lines_per_s: linesPerSecond(t.lines, report.elapsedMs),
  };
  const datasets = report.datasets.map((d) => ({ name: d.name, records: d.records, first: iso(d.firstTs), last: iso(d.lastTs) }));
  const out = {
    status: runStatus(report),
    ...(report.interrupted ? { signal: report.interrupted } : {}),
    data_dir: report.dataDir,
    total,
    files,
    datasets,
    default_window: defaultWindow(report),
    next_tool_input: nextToolInput(report) ?? null,
  };
  return `${JSON.stringify(out, null, 2)}\n`;
}

/** done, or the worst that happened: interrupted, then failed. */
export function runStatus(report: IngestReport): 'done' | 'interrupted' | 'failed' {
  if (report.interrupted) return 'interrupted';
  return report.files.some((f) => f.status === 'read_failed' || f.status === 'write_failed') ? 'failed' : 'done';
}

function n(value: number): string {
  return value.toLocaleString('en-US');
}

function count(value: number, noun: string): string {
  return `${n(value)} ${noun}${value === 1 ? '' : 's'}`;
}

/** A name, path or reason from the input, safe to print on one terminal line. */
function shown(text: string, max = 200): string {
  return sanitizeText(text.replace(/[\r\n\t]+/g, ' '), max).text;
}

function topCounts(tally: Tally): string {
  return Object.entries(tally.top(SERVICES_SHOWN))
    .map(([name, count]) => `${shown(name, 64)} ${n(count)}`)
    .join(', ');
}

function table(files: readonly FileStats[]): string[] {
  const head = ['file', 'format', 'dataset', 'lines', 'records', 'truncated', 'bad lines', 'rejected', 'status'];
  const rows = files.map((f) => [shown(f.input, 60), f.format ? `${f.format}${f.gzip ? '+gz' : ''}` : '-', f.dataset, n(f.lines), n(f.records), n(f.truncated), n(f.bad), n(f.rejected), f.status]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const numeric = new Set([3, 4, 5, 6, 7]);
  const line = (cells: string[]) => `  ${cells.map((c, i) => (numeric.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ')}`.trimEnd();
  return [line(head), ...rows.map(line)];
}

function samples(title: string, files: readonly FileStats[], pick: (f: FileStats) => { total: number; list: readonly BadLine[] }): string[] {
  const out: string[] = [];
  for (const f of files) {
    const { total, list } = pick(f);
    if (total === 0) continue;
    out.push(`${title} in ${shown(f.input, 80)}: ${n(total)}${total > list.length ? ` (first ${list.length} shown)` : ''}`);
    for (const b of list) out.push(`  line ${n(b.line)}: ${shown(b.reason)}`);
  }
  return out;
}

/**
 * How a file's lines got their times, in one line: the layout learned (plain text, syslog) and
 * the lines without a timestamp of their own, by what they got; nothing for a structured file
 * whose every line had its time.
 */
function timesOf(f: FileStats): string | undefined {
  const u = f.untimed;
  const untimed = u.continued + u.previousRecord + u.ingestTime;
  const learned = f.format === 'plain' || f.format === 'syslog';
  if (!learned && untimed === 0) return undefined;
  const layout = !learned ? '' : f.layout ? `layout ${shown(f.layout)}; ` : 'no timestamp layout found in its first lines; ';
  const got = [
    ...(u.continued ? [`${n(u.continued)} joined the record before them (its time)`] : []),
    ...(u.previousRecord ? [`${n(u.previousRecord)} took the previous record's time`] : []),
    ...(u.ingestTime ? [`${n(u.ingestTime)} took the ingest time`] : []),
  ];
  const lines = untimed === 0 ? 'every line has its own timestamp' : `${count(untimed, 'line')} without a timestamp of ${untimed === 1 ? 'its' : 'their'} own: ${got.join(', ')}`;
  return `${shown(f.input, 80)}: ${layout}${lines}${u.previousRecord + u.ingestTime ? ' (attribute telemcp.time_inferred)' : ''}`;
}

/** That records lie outside the log tools' default window, and that the next call's window covers them. */
function windowNote(t: Totals, next: Record<string, string>): string {
  const outside = t.outside_default_window;
  const which = outside < t.records ? `${n(outside)} of ${n(t.records)} records ${outside === 1 ? 'lies' : 'lie'}` : t.records === 1 ? 'the record lies' : `all ${n(t.records)} records lie`;
  // The next call covers at most the tools' largest window, the latest part of what was read.
  const covered = Date.parse(next.start_time) <= t.first_ts! ? 'the start_time and end_time below' : 'start_time and end_time (the ones below cover the latest 31 days of them, the most one call reads)';
  return `note: ${which} outside the last hour (now-1h .. now), the window the log tools read when called without start_time and end_time: pass ${covered}`;
}

export function renderText(report: IngestReport): string {
  const t = totals(report.files);
  const secs = report.elapsedMs / 1000;
  const out = [
    `${report.interrupted ? `interrupted by ${report.interrupted}: ` : ''}ingested ${count(t.records, 'record')} from ${count(t.lines, 'line')} of ${count(t.files, 'input')} in ${secs.toFixed(2)}s (${n(linesPerSecond(t.lines, report.elapsedMs))} lines/s) into ${report.dataDir}`,
    ...table(report.files),
  ];
  if (t.first_ts !== undefined) out.push(`time range (UTC): ${iso(t.first_ts)} .. ${iso(t.last_ts)}`);
  const services = topCounts(t.services);
  if (services) out.push(`services: ${services}`);
  for (const f of report.files) {
    const line = timesOf(f);
    if (line) out.push(line);
  }
  if (t.truncated) out.push(`truncated: ${count(t.truncated, 'message')} longer than 32 KiB cut to it`);
  out.push(...samples('bad lines skipped', report.files, (f) => ({ total: f.bad, list: f.badSamples })));
  out.push(...samples('records the store refused', report.files, (f) => ({ total: f.rejected, list: f.rejectedSamples })));
  for (const d of report.datasets) out.push(`dataset ${d.name}: ${count(d.records, 'record')} in the store, ${iso(d.firstTs)} .. ${iso(d.lastTs)}`);
  const next = nextToolInput(report);
  if (next) {
    if (t.outside_default_window) out.push(windowNote(t, next));
    if (report.serveNote) out.push(`note: ${report.serveNote}`);
    out.push(`next: run \`telemcp serve\` and call logs_patterns (or logs_bursts, incident_summary) with ${JSON.stringify(next)}`);
  }
  return `${out.join('\n')}\n`;
}
