/**
 * The quick start as a user meets it: `telemcp serve` with nothing configured keeps logs in the
 * embedded store, loads the demo dataset on first start, says so in its banner and in every
 * log result's source, and answers the log tools at once over MCP. A second server on the same
 * DATA_DIR is refused; a restart reuses the store without loading the demo again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startServerProcess, type RunningServer } from '../helpers/server.js';
import { connectHttpClient, runCli, tempDir } from '../helpers/e2e.js';

const VIEWER = 'viewer-key-zero-config-e2e';

interface Source {
  name: string;
  kind: string;
  scope: string;
  demo_data?: boolean;
}

describe('zero-config default: the embedded store with the demo dataset', () => {
  const dataDir = tempDir('telemcp-zero-config-');
  let server: RunningServer;
  let client: Client;

  const call = async <T>(name: string, args: Record<string, unknown>): Promise<T> => {
    const res = await client.callTool({ name, arguments: args });
    expect(res.isError, JSON.stringify(res.structuredContent)).toBeFalsy();
    return res.structuredContent as T;
  };

  beforeAll(async () => {
    // EMBEDDED_STORE and DEMO_DATA at their defaults: the test helper's "off" is overridden.
    server = await startServerProcess({ API_KEYS: `${VIEWER}:elk_viewer`, DATA_DIR: dataDir, EMBEDDED_STORE: 'auto' });
    client = await connectHttpClient(server.url, VIEWER);
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    if (server && server.child.exitCode === null) await server.stop();
  });

  it('says in its banner where the store is and that the demo data was loaded', () => {
    const out = server.output();
    expect(out).toMatch(/embedded log store: .*logs\.db — [\d,]+ records in 6 dataset\(s\)/);
    expect(out).toMatch(/demo data loaded on first start/);
    expect(out).toMatch(/tools: .*logs_patterns.*incident_summary/);
  });

  it('answers incident_summary at once: the demo incident, marked as demo data', async () => {
    const res = await call<{ status: string; likely_cause: { service: string; signature: string } | null; symptoms: { service: string }[]; source: Source }>(
      'incident_summary',
      { start_time: 'now-2h' },
    );
    expect(res.status).toBe('ongoing');
    expect(res.likely_cause).toMatchObject({ service: 'fraud-service', signature: 'pool_exhausted' });
    expect(res.symptoms[0].service).toBe('payment-service');
    expect(res.source).toEqual({ name: 'embedded', kind: 'embedded', scope: '*', demo_data: true });
  });

  it('answers logs_patterns and logs_bursts on the same store', async () => {
    const patterns = await call<{ patterns: { template: string }[]; source: Source }>('logs_patterns', { log_level: 'error', top_n: 3 });
    expect(patterns.patterns[0].template).toBe('timeout to fraud-service after <*>');
    const bursts = await call<{ bursts: { status: string }[]; source: Source }>('logs_bursts', { start_time: 'now-2h' });
    expect(bursts.bursts.some((b) => b.status === 'ongoing')).toBe(true);
    expect(bursts.source.demo_data).toBe(true);
  });

  it('refuses a second process on the same DATA_DIR with a clear message', async () => {
    const second = await runCli(['serve'], { DATA_DIR: dataDir, PORT: '0', API_KEYS: `${VIEWER}:elk_viewer` });
    expect(second.code).not.toBe(0);
    expect(`${second.stdout}${second.stderr}`).toMatch(new RegExp(`in use by another telemcp process \\(pid ${server.child.pid}`));
  });

  it('after a restart the store is reused and the demo is not loaded twice', async () => {
    const before = /— ([\d,]+) records/.exec(server.output())![1];
    await client.close();
    expect(await server.stop()).toBe(0);
    server = await startServerProcess({ API_KEYS: `${VIEWER}:elk_viewer`, DATA_DIR: dataDir, EMBEDDED_STORE: 'auto' });
    client = await connectHttpClient(server.url, VIEWER);
    expect(server.output()).toContain(`— ${before} records`);
    expect(server.output()).not.toMatch(/demo data loaded on first start/);
  });
});
