/**
 * The first run as a newcomer meets it, and what it leaves behind:
 *  - an empty copy of the repository (no node_modules, no dist): `npm start` installs, builds the
 *    embedded store's native addon, compiles and reaches the banner; without a C++ toolchain the
 *    build failure is one line saying what to install;
 *  - the generated key is kept for its owner (0600) and named on later starts;
 *  - the Claude Desktop config the banner prints runs beside the running server on the same
 *    DATA_DIR, carrying every setting the server runs with (secrets as placeholders), as do
 *    `telemcp tools` and `telemcp call`;
 *  - a log from 2005 loaded with `telemcp ingest` is all still there after restarts: retention
 *    counts from when records were stored.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { startServerProcess, type RunningServer } from '../helpers/server.js';
import { CLIENT_INFO, requireEnv, runCli, tempDir, waitFor } from '../helpers/e2e.js';

const REPO = resolve('.');

/** The repository's files as a clone has them (tracked, plus new ones not ignored), nothing built or installed. */
function copyRepository(to: string): void {
  const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPO, encoding: 'utf8' });
  expect(listed.status).toBe(0);
  for (const file of listed.stdout.split('\0').filter(Boolean)) {
    try {
      statSync(join(REPO, file));
    } catch {
      continue; // deleted in the working tree, not yet in the index
    }
    mkdirSync(dirname(join(to, file)), { recursive: true });
    copyFileSync(join(REPO, file), join(to, file));
  }
}

describe('a fresh clone: npm start from nothing', () => {
  const clone = mkdtempSync(join(tmpdir(), 'telemcp-fresh-clone-'));
  afterAll(() => rmSync(clone, { recursive: true, force: true }));

  it('installs, builds the SQLite addon, compiles and reaches the banner; the embedded store answers', async () => {
    copyRepository(clone);
    const dataDir = join(clone, 'data');
    const child = spawn('npm', ['start'], { cwd: clone, env: { ...process.env, PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const url = await waitFor(() => /listening on (http:\/\/\S+)/.exec(out)?.[1] ?? (child.exitCode !== null ? `exited ${child.exitCode}` : undefined), 'the banner', 600_000);
      expect(url, out.slice(-3000)).toMatch(/^http:/);
      const key = /\n {2}(tmcp_[A-Za-z0-9_-]{20,})\n/.exec(out)?.[1];
      expect(key, out.slice(-3000)).toBeDefined();
      expect(out).toMatch(/demo data loaded on first start/);
      const res = await fetch(`${url}/mcp/execute`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key! }, body: '{"tool_name":"telemcp_status","input":{}}' });
      const status = (await res.json()) as { ok: boolean; data: { embedded_store: { records: number } } };
      expect(status.ok).toBe(true);
      expect(status.data.embedded_store.records).toBeGreaterThan(20_000);
    } finally {
      if (child.pid) process.kill(-child.pid, 'SIGTERM');
      await new Promise((r) => child.once('close', r));
    }
  }, 660_000);

  it('with the addon gone and no C++ toolchain on PATH, says in one line what to install', () => {
    rmSync(join(clone, 'node_modules/better-sqlite3/build'), { recursive: true, force: true });
    // A PATH with node, npm and a shell, without a compiler or make.
    const bin = join(clone, 'no-toolchain-bin');
    mkdirSync(bin);
    for (const tool of ['node', 'npm', 'sh', 'bash', 'env', 'python3', 'cat', 'rm', 'mkdir', 'ls', 'uname', 'dirname', 'sed', 'grep', 'cp', 'mv']) {
      const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
      if (found) symlinkSync(found, join(bin, tool));
    }
    const run = spawnSync(process.execPath, ['scripts/ensure-built.mjs'], { cwd: clone, env: { HOME: process.env.HOME ?? '/root', PATH: bin }, encoding: 'utf8', timeout: 300_000 });
    expect(run.status).toBe(1);
    const last = run.stderr.trim().split('\n').pop() ?? '';
    expect(last).toMatch(/^telemcp: the embedded store's SQLite addon \(better-sqlite3\) could not be built/);
    expect(last).toMatch(/g\+\+, make are missing/);
    expect(last).toMatch(/build-essential/);
  }, 320_000);
});

describe('beside a running server on the same DATA_DIR', () => {
  const SECRET = `es-secret-${process.pid}-value`;
  let server: RunningServer;
  const dataDir = tempDir('telemcp-first-run-');

  afterAll(async () => {
    if (server && server.child.exitCode === null) await server.stop();
  });

  it('keeps the generated key for its owner (0600) and names the file on the next start', async () => {
    server = await startServerProcess({ DATA_DIR: dataDir, EMBEDDED_STORE: 'on', ES_URL: requireEnv('TEST_ES_URL'), ES_API_KEY: SECRET, ALLOWED_INDEX_PATTERNS: 'logs-*,app-*', RETENTION_DAYS: '30' });
    const banner = await waitFor(() => (/curl -s -X POST/.test(server.output()) ? server.output() : undefined), 'the full banner', 30_000);
    const key = /\n {2}(tmcp_[A-Za-z0-9_-]{20,})\n/.exec(banner)![1];
    const keyFile = join(dataDir, 'local-api-key');
    expect(banner).toContain(`kept, readable by you only, in\n  ${keyFile}`);
    expect(readFileSync(keyFile, 'utf8').trim()).toBe(key);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(banner).not.toContain(SECRET);
  });

  it("the banner's Claude Desktop config carries every setting the server runs with, secrets as placeholders, and runs beside it", async () => {
    const banner = server.output();
    const block = banner.slice(banner.indexOf('Claude Desktop'), banner.indexOf('OpenClaw'));
    const json = block.slice(block.indexOf('{'), block.lastIndexOf('}') + 1);
    const config = (JSON.parse(json) as { mcpServers: { telemcp: { command: string; args: string[]; env: Record<string, string> } } }).mcpServers.telemcp;
    expect(config.command).toBe(process.execPath);
    expect(config.args).toEqual([resolve('dist/cli/main.js'), 'serve', '--stdio']);
    expect(config.env).toMatchObject({ DATA_DIR: dataDir, EMBEDDED_STORE: 'on', ES_URL: requireEnv('TEST_ES_URL'), ALLOWED_INDEX_PATTERNS: 'logs-*,app-*', RETENTION_DAYS: '30', ES_API_KEY: '<ES_API_KEY>' });
    expect(config.env).not.toHaveProperty('PORT');

    // Two desktop clients at once, each a stdio server reading the store the HTTP server writes.
    const env = { ...config.env, ES_API_KEY: SECRET };
    const clients = await Promise.all(
      [1, 2].map(async () => {
        const client = new Client(CLIENT_INFO);
        await client.connect(new StdioClientTransport({ command: config.command, args: config.args, env: { PATH: process.env.PATH ?? '', ...env }, stderr: 'pipe' }));
        return client;
      }),
    );
    try {
      for (const client of clients) {
        const res = await client.callTool({ name: 'logs_search', arguments: { source: 'embedded', start_time: 'now-2h', limit: 3 } });
        expect(res.isError, JSON.stringify(res.structuredContent)).toBeFalsy();
        expect((res.structuredContent as { total: number }).total).toBeGreaterThan(1000);
        const status = (await client.callTool({ name: 'telemcp_status', arguments: {} })).structuredContent as { backends: { name: string; configured: boolean }[] };
        expect(status.backends.find((b) => b.name === 'elasticsearch')?.configured).toBe(true);
      }
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  }, 60_000);

  it('`telemcp tools` and `telemcp call` run beside it too', async () => {
    const env = { DATA_DIR: dataDir, EMBEDDED_STORE: 'on' };
    const tools = await runCli(['tools', '--json'], env);
    expect(tools.code, tools.stderr).toBe(0);
    expect((JSON.parse(tools.stdout) as { name: string }[]).map((t) => t.name)).toContain('logs_search');
    const call = await runCli(['call', 'telemcp_status'], env);
    expect(call.code, call.stderr).toBe(0);
    expect((JSON.parse(call.stdout) as { data: { embedded_store: { records: number } } }).data.embedded_store.records).toBeGreaterThan(20_000);
  });

  it('names the kept key on the next start instead of printing it', async () => {
    expect(await server.stop()).toBe(0);
    server = await startServerProcess({ DATA_DIR: dataDir, EMBEDDED_STORE: 'on' });
    await waitFor(() => /auth: the local API key/.test(server.output()), 'the banner');
    expect(server.output()).toContain(`is in ${join(dataDir, 'local-api-key')} (readable by you only)`);
    expect(server.output()).not.toMatch(/tmcp_/);
  });
});

describe('nothing loaded is lost: retention counts from when records were stored', () => {
  it('a 2005 Apache log loaded with telemcp ingest is all there after two restarts', async () => {
    const dataDir = tempDir('telemcp-retention-2005-');
    const env = { DATA_DIR: dataDir, EMBEDDED_STORE: 'on', DEMO_DATA: 'false' };
    const ingest = await runCli(['ingest', resolve('test/fixtures/loghub/Apache_2k.log'), '--dataset', 'apache-2005'], env, 60_000);
    expect(ingest.code, ingest.stderr).toBe(0);
    for (let start = 0; start < 2; start++) {
      const server = await startServerProcess({ ...env, API_KEYS: 'first-run-viewer-key:elk_viewer', RETENTION_DAYS: '7' });
      try {
        expect(server.output()).toContain('— 2,000 records in 1 dataset(s)');
        expect(server.output()).toContain('retention: records are deleted 7 day(s) after they were stored');
        expect(server.output()).toContain('none deleted so far');
        const res = await fetch(`${server.url}/mcp/execute`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'first-run-viewer-key' }, body: '{"tool_name":"telemcp_status","input":{}}' });
        const status = (await res.json()) as { data: { embedded_store: { records: number; retention: { deleted_total: number }; datasets: { name: string; first: string }[] } } };
        expect(status.data.embedded_store.records).toBe(2000);
        expect(status.data.embedded_store.retention.deleted_total).toBe(0);
        expect(status.data.embedded_store.datasets[0]).toMatchObject({ name: 'apache-2005', first: '2005-12-04T04:47:44.000Z' });
        const metrics = await (await fetch(`${server.url}/metrics`)).text();
        expect(metrics).toMatch(/^telemcp_store_retention_deleted_records_total 0$/m);
      } finally {
        await server.stop();
      }
    }
  }, 120_000);
});
