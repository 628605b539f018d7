import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess, type RunningServer } from '../helpers/server.js';
import { requireEnv, runCli, startBlackHole, tempDir, waitFor, type BlackHole } from '../helpers/e2e.js';

/**
 * The process as an operator sees it: graceful shutdown, the generated local key on
 * first start, the CLI commands, and start-up refusals for bad configuration.
 */

const VIEWER = 'viewer-key-lifecycle-e2e';

describe('graceful shutdown (R-21)', () => {
  let blackHole: BlackHole;
  let server: RunningServer | undefined;

  beforeAll(async () => {
    blackHole = await startBlackHole();
  });

  afterAll(async () => {
    if (server && server.child.exitCode === null) await server.stop('SIGKILL');
    await blackHole?.close();
  });

  it('on SIGTERM turns /readyz off, lets the in-flight call finish by its deadline, then exits 0', async () => {
    server = await startServerProcess({ API_KEYS: `${VIEWER}:elk_viewer`, ES_URL: blackHole.url, BACKEND_TIMEOUT_MS: '3000' });
    const { url } = server;

    // Liveness never touches a backend: the black hole has seen nothing yet.
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect(blackHole.connections).toHaveLength(0);

    const inFlight = fetch(`${url}/mcp/execute`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'X-API-Key': VIEWER },
      body: JSON.stringify({ tool_name: 'elk_cluster_health', input: {} }),
    }).then(async (res) => ({ status: res.status, body: (await res.json()) as { ok: boolean; error?: { code: string } } }));
    await waitFor(() => blackHole.connections.some((c) => c.received.includes('GET /_cluster/health')), 'the slow call to reach the backend');

    const exited = new Promise<number | null>((resolveExit) => server!.child.once('exit', (code) => resolveExit(code)));
    server.child.kill('SIGTERM');

    // Not ready any more: either 503 from the closing server or the listener is gone.
    const readiness = await waitFor(
      async () => {
        try {
          const res = await fetch(`${url}/readyz`);
          return res.status === 503 ? 'not ready (503)' : undefined;
        } catch {
          return 'listener closed';
        }
      },
      '/readyz to stop answering ready',
    );
    expect(['not ready (503)', 'listener closed']).toContain(readiness);

    // A real answer (not a dropped connection) shows the call was drained before the exit.
    const finished = await inFlight;
    expect(finished.status).toBe(504);
    expect(finished.body.error?.code).toBe('backend_timeout');
    expect(await exited).toBe(0);
    expect(server.output()).toContain('shutting down');
  });

  it('exits 0 promptly on SIGTERM when idle', async () => {
    const idle = await startServerProcess({ API_KEYS: `${VIEWER}:elk_viewer` });
    expect(await idle.stop('SIGTERM')).toBe(0);
  });
});

describe('local API key on first start', () => {
  it('prints a generated key once, stores only its sha256, and keeps accepting it after a restart', async () => {
    const dataDir = tempDir();
    const first = await startServerProcess({ DATA_DIR: dataDir });
    let key: string;
    try {
      const banner = await waitFor(() => (/curl -s -X POST/.test(first.output()) ? first.output() : undefined), 'the full start-up banner');
      const keys = [...new Set(banner.match(/tmcp_[A-Za-z0-9_-]{20,}/g) ?? [])];
      expect(keys).toHaveLength(1);
      key = keys[0];
      expect(banner).toContain('"transport": "streamable-http"');
      expect(banner).toContain(`"X-API-Key": "${key}"`);
      expect(banner).toContain(`${first.url}/mcp`);

      const stored = readFileSync(join(dataDir, 'local-api-key.sha256'), 'utf8');
      expect(stored.trim()).toBe(createHash('sha256').update(key).digest('hex'));
      expect(stored).not.toContain(key);

      expect((await fetch(`${first.url}/mcp/tools`, { headers: { 'X-API-Key': key } })).status).toBe(200);
      expect((await fetch(`${first.url}/mcp/tools`, { headers: { 'X-API-Key': `${key}x` } })).status).toBe(401);
    } finally {
      expect(await first.stop()).toBe(0);
    }

    const second = await startServerProcess({ DATA_DIR: dataDir });
    try {
      await waitFor(() => /auth: the local API key \(role elk_admin_readonly\) is in /.test(second.output()), 'the start-up banner');
      expect(second.output()).not.toMatch(/tmcp_/);
      expect(second.output()).not.toContain(key);
      const res = await fetch(`${second.url}/mcp/tools`, { headers: { 'X-API-Key': key } });
      expect(res.status).toBe(200);
      const tools = (await res.json()) as { tools: { name: string }[] };
      expect(tools.tools.map((t) => t.name)).toContain('telemcp_status');
    } finally {
      await second.stop();
    }
  });

  it('prints no key when API_KEYS is configured', async () => {
    const dataDir = tempDir();
    const server = await startServerProcess({ DATA_DIR: dataDir, API_KEYS: `${VIEWER}:elk_viewer` });
    try {
      expect(server.output()).toMatch(/listening on/);
      expect(server.output()).not.toMatch(/tmcp_/);
    } finally {
      await server.stop();
    }
  });
});

describe('CLI', () => {
  let env: Record<string, string>;

  beforeAll(() => {
    env = { ES_URL: requireEnv('TEST_ES_URL'), DATA_DIR: tempDir(), LOG_LEVEL: 'info' };
  });

  it('`telemcp tools --json` lists the tools as JSON', async () => {
    const run = await runCli(['tools', '--json'], env);
    expect(run.code).toBe(0);
    const tools = JSON.parse(run.stdout) as { name: string; role: string; inputSchema: object }[];
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['telemcp_status', 'elk_cluster_health', 'elk_query']));
    const viewer = JSON.parse((await runCli(['tools', '--json', '--role', 'elk_viewer'], env)).stdout) as { name: string }[];
    expect(viewer.map((t) => t.name)).not.toContain('elk_query');
  });

  it('`telemcp tools` prints one line per tool', async () => {
    const run = await runCli(['tools'], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^telemcp_status\s+elk_viewer\s+/m);
  });

  it("`telemcp call telemcp_status --input '{}'` prints the result as JSON and exits 0", async () => {
    const run = await runCli(['call', 'telemcp_status', '--input', '{}'], env);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as { ok: boolean; tool_name: string; data: { status: string; caller: { transport: string } } };
    expect(out).toEqual(expect.objectContaining({ ok: true, tool_name: 'telemcp_status' }));
    expect(out.data.status).toBe('ok');
    expect(out.data.caller.transport).toBe('cli');
  });

  it('`telemcp call elk_cluster_health` reaches the real cluster', async () => {
    const run = await runCli(['call', 'elk_cluster_health', '--input', '{}'], env);
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as { data: { summary: string } }).data.summary).toMatch(/status=/);
  });

  it('`telemcp call elk_query` with a script query exits 1 with query_denied', async () => {
    const input = '{"index_pattern":"logs-*","body":{"query":{"script":{"script":"1"}}}}';
    const run = await runCli(['call', 'elk_query', '--input', input, '--role', 'elk_operator'], env);
    expect(run.code).toBe(1);
    const out = JSON.parse(run.stdout) as { ok: boolean; error: { code: string } };
    expect(out.ok).toBe(false);
    expect(out.error.code).toBe('query_denied');
  });

  it('`telemcp call` refuses duplicate keys in --input as invalid_input', async () => {
    const run = await runCli(['call', 'elk_query', '--input', '{"index_pattern":"logs-*","body":{},"body":{"query":{"script":{"script":"1"}}}}', '--role', 'elk_operator'], env);
    expect(run.code).toBe(1);
    expect((JSON.parse(run.stdout) as { error: { code: string } }).error.code).toBe('invalid_input');
  });

  it('`telemcp call` with a role too low exits 1 with permission_denied', async () => {
    const run = await runCli(['call', 'elk_query', '--input', '{"index_pattern":"logs-*","body":{}}', '--role', 'elk_viewer'], env);
    expect(run.code).toBe(1);
    expect((JSON.parse(run.stdout) as { error: { code: string } }).error.code).toBe('permission_denied');
  });
});

describe('start-up refusals', () => {
  it('invalid configuration exits non-zero with one line per problem', async () => {
    const run = await runCli(['serve'], { PORT: 'abc', ES_URL: 'nope', DATA_DIR: tempDir() });
    expect(run.code).not.toBe(0);
    expect(run.signal).toBeNull();
    expect(run.stdout).not.toMatch(/listening on/);
    const problems = run.stderr.split('\n').filter((l) => /^\s+- /.test(l));
    expect(problems).toHaveLength(2);
    expect(problems.filter((l) => l.includes('PORT'))).toHaveLength(1);
    expect(problems.filter((l) => l.includes('ES_URL'))).toHaveLength(1);
  });

  it('a secret in an invalid API_KEYS value is not echoed', async () => {
    const run = await runCli(['serve'], { API_KEYS: 'super-secret-value:root', DATA_DIR: tempDir() });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('API_KEYS');
    expect(run.stderr).not.toContain('super-secret-value');
  });

  it('NODE_TLS_REJECT_UNAUTHORIZED=0 refuses to start (R-09)', async () => {
    const run = await runCli(['serve'], { NODE_TLS_REJECT_UNAUTHORIZED: '0', PORT: '0', DATA_DIR: tempDir(), API_KEYS: `${VIEWER}:elk_viewer` }, 10_000);
    expect(run.signal).toBeNull();
    expect(run.code).not.toBe(0);
    expect(run.stdout).not.toMatch(/listening on/);
    expect(run.stderr).toContain('NODE_TLS_REJECT_UNAUTHORIZED');
  });
});
