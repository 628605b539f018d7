/**
 * Records without a level are not "nothing": real sshd lines (Loghub's OpenSSH sample, syslog
 * without a severity) loaded with `telemcp ingest` carry no level, and logs_bursts asked for its
 * default (errors) counts all of them and says why; incident_summary says it has no levels to read
 * instead of reporting that nothing is wrong.
 */
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/e2e.js';

const env = { DATA_DIR: tempDir('telemcp-levelless-'), EMBEDDED_STORE: 'on', DEMO_DATA: 'false' };

async function call<T>(tool: string, input: Record<string, unknown>): Promise<T> {
  const run = await runCli(['call', tool, '--input', JSON.stringify(input)], env, 60_000);
  expect(run.code, run.stdout + run.stderr).toBe(0);
  return (JSON.parse(run.stdout) as { data: T }).data;
}

describe('records without a level', () => {
  let window: { start_time: string; end_time: string };

  beforeAll(async () => {
    const ingest = await runCli(['ingest', resolve('test/fixtures/loghub/OpenSSH_2k.log'), '--dataset', 'sshd'], env, 60_000);
    expect(ingest.code, ingest.stderr).toBe(0);
    const status = await call<{ embedded_store: { records: number; datasets: { first: string; last: string }[] } }>('telemcp_status', {});
    expect(status.embedded_store.records).toBe(2000);
    const { first, last } = status.embedded_store.datasets[0];
    window = { start_time: first, end_time: new Date(Date.parse(last) + 1000).toISOString() };
  }, 90_000);

  it('logs_bursts with its default level counts every record and says none carries a level', async () => {
    const res = await call<{ total: number; notes?: string[] }>('logs_bursts', window);
    expect(res.total).toBe(2000);
    expect(res.notes?.join(' ')).toMatch(/None of the 2000 records in the window carry a level/);
    // Asked for errors explicitly, errors it is: none.
    const errors = await call<{ total: number; notes?: string[] }>('logs_bursts', { ...window, log_level: 'error' });
    expect(errors.total).toBe(0);
  });

  it('incident_summary says it has no levels to read rather than that nothing is wrong', async () => {
    const res = await call<{ status: string; notes?: string[] }>('incident_summary', window);
    expect(res.status).toBe('none');
    expect(res.notes?.join(' ')).toMatch(/None of the 2000 records in the window carry a level/);
  });
});
