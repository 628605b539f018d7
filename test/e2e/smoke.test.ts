/**
 * scripts/smoke_test.sh — seed 000's smoke test — run as a user would: `telemcp seed` writes
 * the simulated stack into the real Elasticsearch, `telemcp serve` serves it, and the script
 * checks every tool's answer against the seed's manifest plus the 401/403/413 refusals.
 * Everything lives in its own namespace, so other suites never see these indices.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, startServerProcess, type RunningServer } from '../helpers/server.js';
import { requireEnv } from '../helpers/e2e.js';

const run = promisify(execFile);
const NS = `smoke${Math.random().toString(36).slice(2, 8)}`;
const VIEWER = `viewer-${NS}`;
const OPERATOR = `operator-${NS}`;

describe('scripts/smoke_test.sh against seeded data', () => {
  let esUrl: string;
  let dataDir: string;
  let manifestPath: string;
  let indices: string[] = [];
  let server: RunningServer;

  beforeAll(async () => {
    esUrl = requireEnv('TEST_ES_URL');
    dataDir = mkdtempSync(join(tmpdir(), 'telemcp-smoke-'));
    await run(process.execPath, [CLI, 'seed', '--seed', '7', '--namespace', NS, '--es-url', esUrl], {
      env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir },
      maxBuffer: 16 * 1024 * 1024,
    });
    manifestPath = join(dataDir, 'seed-manifest.json');
    indices = Object.keys((JSON.parse(readFileSync(manifestPath, 'utf8')) as { docs_per_index: Record<string, number> }).docs_per_index);
    const patterns = { LOG_INDEX_PATTERN: `logs-*-${NS}`, FILEBEAT_INDEX_PATTERN: `filebeat-${NS}-*`, APM_INDEX_PATTERN: `traces-apm-${NS}` };
    server = await startServerProcess({
      ES_URL: esUrl,
      API_KEYS: `${VIEWER}:elk_viewer,${OPERATOR}:elk_operator`,
      ALLOWED_INDEX_PATTERNS: `logs-*-${NS},filebeat-${NS}-*,traces-apm-${NS}`,
      ...patterns,
    });
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
    for (const index of indices) await fetch(`${esUrl}/${index}`, { method: 'DELETE' });
  });

  it('passes every check, including the seeded incident, delayed host and the 401/403/413 refusals', async () => {
    const { stdout } = await run('bash', ['scripts/smoke_test.sh'], {
      env: { PATH: process.env.PATH ?? '', MCP_BASE_URL: server.url, MCP_VIEWER_KEY: VIEWER, MCP_OPERATOR_KEY: OPERATOR, MCP_SEED_MANIFEST: manifestPath, MCP_LOG_PATTERN: `logs-*-${NS}` },
      maxBuffer: 4 * 1024 * 1024,
    }).catch((err: { stdout?: string; stderr?: string }) => {
      throw new Error(`smoke test failed:\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
    });
    expect(stdout).toMatch(/elk_detect_errors names the seeded top pattern with its exact count/);
    expect(stdout).toMatch(/elk_filebeat_status finds the seeded delayed host/);
    expect(stdout).toMatch(/logs_patterns names the seeded top error template/);
    expect(stdout).toMatch(/logs_bursts finds the seeded incident ongoing from its minute/);
    expect(stdout).toMatch(/incident_summary names the seeded cause first, the symptom second, the onset within a minute/);
    expect(stdout).toMatch(/smoke test passed/);
  }, 120_000);
});
