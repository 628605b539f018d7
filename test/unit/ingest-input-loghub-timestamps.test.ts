import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readStructuredCsv, type StructuredRow } from '../../bench/loghub/evaluate.js';
import { FUTURE_GRACE_MS } from '../../src/analysis/templates/time-format.js';
import { openInput } from '../../src/cli/ingest-input.js';
import { forEachLine } from '../../src/cli/read-lines.js';
import { createFileRecordAssembler } from '../../src/ingest/file-records.js';
import type { IngestRecord } from '../../src/ingest/record.js';

/**
 * Every line of the 11 Loghub-2k samples (real logs of real systems, test/fixtures/loghub) goes
 * through `telemcp ingest`'s path (the input reader, the line splitter, the record assembler) with
 * no flags, and its record is compared with the corrected ground truth of that line:
 *  - the time, to the second. Where the log writes no year (Android, Linux, OpenSSH) the ground
 *    truth has none either: month, day and time are compared, and the year telemcp chose must be
 *    the latest that does not put the line in the future (within the largest zone offset). BGL's
 *    `Time` column is the machine's local wall clock (UTC-7) while its `Timestamp` column is the
 *    epoch the line starts with: the epoch, which says its zone, is the truth compared with.
 *  - the level, on telemcp's scale (the canonical names of core/log-levels.ts). A system whose
 *    lines carry no level (HPC, OpenSSH; Linux, whose `Level` column is the host name) counts a
 *    line as right when telemcp gives it none.
 */

interface System {
  name: string;
  /** `YYYY-MM-DDTHH:mm:ss`, or `MM-DDTHH:mm:ss` when the log has no year. */
  time(row: StructuredRow): string;
  level(row: StructuredRow): string | undefined;
  layout: string;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const LEVELS: Record<string, string> = {
  V: 'trace',
  D: 'debug',
  I: 'info',
  W: 'warn',
  E: 'error',
  F: 'fatal',
  INFO: 'info',
  Info: 'info',
  notice: 'notice',
  WARN: 'warn',
  WARNING: 'warn',
  ERROR: 'error',
  error: 'error',
  SEVERE: 'error',
  FATAL: 'fatal',
};

const month = (name: string): string => String(MONTHS.indexOf(name) + 1).padStart(2, '0');
const two = (n: string): string => n.padStart(2, '0');
const epoch = (seconds: string): string => new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
const level = (row: StructuredRow): string => {
  const mapped = LEVELS[row.Level];
  if (!mapped) throw new Error(`no mapping for Loghub level ${row.Level}`);
  return mapped;
};
const none = (): undefined => undefined;

const SYSTEMS: System[] = [
  { name: 'Android', time: (r) => `${r.Date}T${r.Time.slice(0, 8)}`, level, layout: 'MM-dd HH:mm:ss.SSS at the start (no year: the latest that is not in the future), level in field 5' },
  {
    name: 'Apache',
    time: (r) => {
      const [, mon, day, clock, year] = r.Time.split(/\s+/);
      return `${year}-${month(mon)}-${two(day)}T${clock}`;
    },
    level,
    layout: 'EEE MMM d HH:mm:ss yyyy at the start, level in field 6',
  },
  { name: 'BGL', time: (r) => epoch(r.Timestamp), level, layout: 'UNIX in field 2, level in field 9' },
  {
    name: 'HDFS',
    time: (r) => {
      const d = r.Date.padStart(6, '0');
      const t = r.Time.padStart(6, '0');
      return `20${d.slice(0, 2)}-${d.slice(2, 4)}-${d.slice(4)}T${t.slice(0, 2)}:${t.slice(2, 4)}:${t.slice(4)}`;
    },
    level,
    layout: 'yyMMdd HHmmss at the start, level in field 4',
  },
  { name: 'HPC', time: (r) => epoch(r.Time), level: none, layout: 'UNIX in field 5, no level' },
  { name: 'Hadoop', time: (r) => `${r.Date}T${r.Time.slice(0, 8)}`, level, layout: 'yyyy-MM-dd HH:mm:ss,SSS at the start, level in field 3' },
  { name: 'Linux', time: (r) => `${month(r.Month)}-${two(r.Date)}T${r.Time}`, level: none, layout: 'RFC 3164 syslog, MMM d HH:mm:ss (no year: the latest that is not in the future), no level' },
  { name: 'OpenSSH', time: (r) => `${month(r.Date)}-${two(r.Day)}T${r.Time}`, level: none, layout: 'RFC 3164 syslog, MMM d HH:mm:ss (no year: the latest that is not in the future), no level' },
  { name: 'Spark', time: (r) => `20${r.Date.replaceAll('/', '-')}T${r.Time}`, level, layout: 'yy/MM/dd HH:mm:ss at the start, level in field 3' },
  { name: 'Windows', time: (r) => `${r.Date}T${r.Time}`, level, layout: 'yyyy-MM-dd HH:mm:ss at the start, level in field 3' },
  { name: 'Zookeeper', time: (r) => `${r.Date}T${r.Time.slice(0, 8)}`, level, layout: 'yyyy-MM-dd HH:mm:ss,SSS at the start, level in field 4' },
];

const fixture = (file: string): string => fileURLToPath(new URL(`../fixtures/loghub/${file}`, import.meta.url));

/** The records of a file as `telemcp ingest` makes them, each with the lines it holds. */
async function ingest(path: string, now: number): Promise<{ records: { record: IngestRecord; lines: number[] }[]; layout?: string; lines: number }> {
  const records: { record: IngestRecord; lines: number[] }[] = [];
  const assembler = createFileRecordAssembler({ format: 'auto', dataset: 'loghub', receivedAt: now }, { record: (record, line) => records.push({ record, lines: [line] }), bad: () => undefined });
  const input = await openInput(path);
  let lines = 0;
  await forEachLine(input.text(), (line) => assembler.push(line, ++lines));
  assembler.end();
  // A record holds the lines from its first to the next record's first.
  records.forEach((r, i) => {
    const next = records[i + 1]?.lines[0] ?? lines + 1;
    for (let n = r.lines[0] + 1; n < next; n++) r.lines.push(n);
  });
  return { records, layout: assembler.layout, lines };
}

describe('timestamps and levels of the 11 Loghub-2k systems, with no flags', () => {
  const now = Date.now();

  it.each(SYSTEMS)('$name: at least 99% of lines keep their own second and level', async (system) => {
    const truth = readStructuredCsv(readFileSync(fixture(`${system.name}_2k.log_structured_corrected.csv`), 'utf8'));
    const { records, layout, lines } = await ingest(fixture(`${system.name}_2k.log`), now);
    expect(lines).toBe(2000);
    expect(truth).toHaveLength(2000);
    expect(layout).toBe(system.layout);
    let times = 0;
    let levels = 0;
    for (const { record, lines: held } of records) {
      const iso = new Date(record.ts).toISOString().slice(0, 19);
      for (const n of held) {
        const row = truth[n - 1];
        const expected = system.time(row);
        const yearless = expected.length === 14;
        if (yearless) expect(record.ts <= now + FUTURE_GRACE_MS && record.ts > now + FUTURE_GRACE_MS - 366 * 86_400_000).toBe(true);
        if ((yearless ? iso.slice(5) : iso) === expected) times++;
        if (record.level === system.level(row)) levels++;
      }
    }
    expect(times / 2000).toBeGreaterThanOrEqual(0.99);
    expect(levels / 2000).toBeGreaterThanOrEqual(0.99);
  });
});
