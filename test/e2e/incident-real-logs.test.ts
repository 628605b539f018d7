/**
 * incident_summary on real logs nobody on the team wrote (Loghub's Hadoop sample, loaded with
 * `telemcp ingest`, no flags), asked about with windows its data did not choose: the whole file,
 * a window starting after the errors began, and one running past the file's last line (the
 * logs stop). Ground truth for the counts: the sample's own structured CSV.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/e2e.js';

const env = { DATA_DIR: tempDir('telemcp-hadoop-'), EMBEDDED_STORE: 'on', DEMO_DATA: 'false' };
const LOG = resolve('test/fixtures/loghub/Hadoop_2k.log');

interface Summary {
  status: string;
  since: string | null;
  count_in_window: number;
  count_exact: boolean;
  began_before_window: boolean;
  silent_services: { service: string; since: string }[];
  total: number;
}

async function summary(input: Record<string, unknown>): Promise<Summary> {
  const run = await runCli(['call', 'incident_summary', '--input', JSON.stringify({ scope: 'hadoop', ...input })], env, 60_000);
  expect(run.code, run.stdout + run.stderr).toBe(0);
  return (JSON.parse(run.stdout) as { data: Summary }).data;
}

/** Lines of the CSV at a level inside [from, to] (Loghub dates are local wall-clock times, read as UTC by ingest). */
function csvCount(levels: string[], from: string, to: string): number {
  const [header, ...rows] = readFileSync(`${LOG}_structured_corrected.csv`, 'utf8').trim().split('\n');
  const cols = header.split(',');
  const [date, time, level] = ['Date', 'Time', 'Level'].map((c) => cols.indexOf(c));
  // Fields before Content hold no quotes inside quotes ("18:01:47,978"): a quoted field or a bare one.
  const fields = (row: string) => [...row.matchAll(/"([^"]*)"|([^,]*)/g)].filter((m) => m.index === 0 || row[m.index - 1] === ',').map((m) => m[1] ?? m[2]);
  return rows
    .map(fields)
    .filter((r) => levels.includes(r[level].toUpperCase()))
    .map((r) => Date.parse(`${r[date]}T${r[time].replace(',', '.')}Z`))
    .filter((t) => t >= Date.parse(from) && t <= Date.parse(to)).length;
}

describe('incident_summary on Loghub Hadoop', () => {
  const FIRST = '2015-10-18T18:01:47.000Z';
  const LAST = '2015-10-18T18:10:57.000Z';

  beforeAll(async () => {
    const ingest = await runCli(['ingest', LOG, '--dataset', 'hadoop'], env, 60_000);
    expect(ingest.code, ingest.stderr).toBe(0);
  }, 90_000);

  it('finds the same error burst from the whole file and from a window starting after it began', async () => {
    const whole = await summary({ start_time: FIRST, end_time: LAST });
    expect(whole.status).toBe('ongoing');
    expect(whole.since).not.toBeNull();
    const lateStart = new Date(Date.parse(whole.since!) + 60_000).toISOString();
    const late = await summary({ start_time: lateStart, end_time: LAST });
    expect(late.since).toBe(whole.since);
    expect(late.began_before_window).toBe(true);
    // Exact counts of the window, against the sample's own ground truth.
    expect(late.count_exact).toBe(true);
    expect(late.total).toBe(csvCount(['ERROR', 'WARN'], lateStart, LAST));
    expect(late.count_in_window).toBe(csvCount(['ERROR'], lateStart, LAST));
  });

  it('a window running past the last line: the logs stopped, so the incident is silent, not resolved', async () => {
    const past = await summary({ start_time: FIRST, end_time: '2015-10-18T18:30:00.000Z' });
    expect(past.status).toBe('silent');
    expect(past.silent_services.length).toBeGreaterThan(0);
  });
});
