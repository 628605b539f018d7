/**
 * The embedded store's one writer and its readers, as the processes a user runs: while `telemcp
 * serve` holds the DATA_DIR (its lock names it), `telemcp tools` lists the tools and `telemcp
 * call` reads the store the server wrote, demo data marked as such, and neither takes the lock
 * from it. Listing tools opens no store at all.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOCK_FILE } from '../../src/store/lock.js';
import { STORE_FILE } from '../../src/store/log-store.js';
import { runCli, tempDir } from '../helpers/e2e.js';
import { startServerProcess } from '../helpers/server.js';

describe('the store beside a running server', () => {
  it('`telemcp tools` and `telemcp call` work while `telemcp serve` holds the lock', async () => {
    const dataDir = tempDir('telemcp-store-beside-');
    const env = { DATA_DIR: dataDir, EMBEDDED_STORE: 'on' };
    const server = await startServerProcess(env);
    const holder = () => (JSON.parse(readFileSync(join(dataDir, LOCK_FILE), 'utf8')) as { pid: number }).pid;
    try {
      expect(holder()).toBe(server.child.pid);
      const banner = Number(/— ([\d,]+) records/.exec(server.output())![1].replace(/,/g, ''));
      expect(banner).toBeGreaterThan(20_000);

      const tools = await runCli(['tools', '--json'], env);
      expect(tools.code, tools.stderr).toBe(0);
      expect((JSON.parse(tools.stdout) as { name: string }[]).map((t) => t.name)).toEqual(expect.arrayContaining(['telemcp_status', 'logs_patterns', 'incident_summary']));

      const status = await runCli(['call', 'telemcp_status'], env);
      expect(status.code, status.stderr).toBe(0);
      expect((JSON.parse(status.stdout) as { data: { embedded_store: { records: number } } }).data.embedded_store.records).toBe(banner);

      const patterns = await runCli(['call', 'logs_patterns', '--input', '{"log_level":"error","top_n":1}'], env);
      expect(patterns.code, patterns.stderr).toBe(0);
      expect((JSON.parse(patterns.stdout) as { data: { source: unknown } }).data.source).toEqual({ name: 'embedded', kind: 'embedded', scope: '*', demo_data: true });

      expect(holder()).toBe(server.child.pid);
    } finally {
      expect(await server.stop()).toBe(0);
    }
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
  }, 60_000);

  it('`telemcp tools` on a fresh DATA_DIR opens no store and takes no lock', async () => {
    const dataDir = tempDir('telemcp-store-tools-');
    const run = await runCli(['tools'], { DATA_DIR: dataDir, EMBEDDED_STORE: 'on' });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^logs_patterns /m);
    expect(existsSync(join(dataDir, STORE_FILE))).toBe(false);
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
  });
});
