/**
 * What the pipeline and each front door add to a cheap tool (telemcp_status):
 *   direct handler  vs  invokeTool (the pipeline)  in this process, and
 *   REST /mcp/execute  vs  MCP Streamable HTTP /mcp  against a separate server process,
 * all in one run. Load comes from autocannon in this process; the server runs in its own.
 *
 *   npm run bench:overhead            (DURATION=10 CONNECTIONS=16 to change the load)
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { startServerProcess } from '../../test/helpers/server.js';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/settings.js';
import { createLogger } from '../../src/core/logger.js';
import { invokeTool } from '../../src/tools/invoke.js';

const DURATION = Number(process.env.DURATION ?? 10);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 16);
const ITERATIONS = Number(process.env.ITERATIONS ?? 20_000);
const KEY = 'bench-key';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function timeInProcess(): Promise<{ handler: number[]; pipeline: number[] }> {
  const config = loadConfig({ env: { DATA_DIR: mkdtempSync(join(tmpdir(), 'telemcp-bench-')), RATE_LIMIT_PER_MINUTE: '1000000', LOG_LEVEL: 'silent' } });
  const app = buildApp(config, { logger: createLogger('silent') });
  const tool = app.rt.registry.get('telemcp_status');
  if (!tool) throw new Error('telemcp_status missing');
  const caller = { id: 'bench', role: 'elk_viewer' as const, transport: 'direct' as const };
  const ctx = { caller, signal: new AbortController().signal, backends: app.rt.backends, config, log: app.rt.log, progress: () => {}, guarded: { get: () => undefined }, callableTools: () => [] };
  const measure = async (fn: () => Promise<unknown>) => {
    for (let i = 0; i < 2000; i++) await fn(); // warm-up: JIT and caches
    const out: number[] = [];
    for (let i = 0; i < ITERATIONS; i++) {
      const t = process.hrtime.bigint();
      await fn();
      out.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    return out.sort((a, b) => a - b);
  };
  const handler = await measure(() => tool.handler({}, ctx));
  const pipeline = await measure(() => invokeTool(app.rt, 'telemcp_status', {}, caller));
  await app.close();
  return { handler, pipeline };
}


async function load(title: string, opts: autocannon.Options) {
  const result = await autocannon({ ...opts, connections: CONNECTIONS, duration: DURATION, title });
  if (result.non2xx || result.errors) throw new Error(`${title}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
}

const inProcess = await timeInProcess();
const server = await startServerProcess({ LOG_LEVEL: 'warn', API_KEYS: `${KEY}:elk_viewer`, RATE_LIMIT_PER_MINUTE: '1000000', MAX_CONCURRENT_PER_KEY: '10000' });
try {
  const headers = { 'content-type': 'application/json', 'x-api-key': KEY };
  const rest = await load('REST', { url: `${server.url}/mcp/execute`, method: 'POST', headers, body: JSON.stringify({ tool_name: 'telemcp_status', input: {} }) });
  const mcp = await load('MCP HTTP', {
    url: `${server.url}/mcp`,
    method: 'POST',
    headers: { ...headers, accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'telemcp_status', arguments: {} } }),
  });
  const h50 = percentile(inProcess.handler, 50);
  const p50 = percentile(inProcess.pipeline, 50);
  const lines = [
    `telemcp_status, ${CONNECTIONS} connections, ${DURATION}s per door, ${ITERATIONS} in-process iterations (node ${process.version})`,
    `direct handler     p50 ${h50.toFixed(4)} ms  p99 ${percentile(inProcess.handler, 99).toFixed(4)} ms`,
    `pipeline (invoke)  p50 ${p50.toFixed(4)} ms  p99 ${percentile(inProcess.pipeline, 99).toFixed(4)} ms  added by pipeline p50 ${(p50 - h50).toFixed(4)} ms`,
    `REST /mcp/execute  ${rest.rps.toFixed(0)} calls/s  p50 ${rest.p50} ms  p99 ${rest.p99} ms`,
    `MCP HTTP /mcp      ${mcp.rps.toFixed(0)} calls/s  p50 ${mcp.p50} ms  p99 ${mcp.p99} ms  (MCP/REST throughput ratio ${(mcp.rps / rest.rps).toFixed(2)})`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await server.stop();
}
