/**
 * Protocol edges where the doors used to disagree: a message over MAX_REQUEST_BYTES is answered
 * once (stdio: with the request's id when the line's start names it, one audit record, no
 * spurious parse error for its tail; HTTP: one 413), and an invalid JSON-RPC id (`{}`, `true`,
 * `[1]`) is answered with id null at every JSON-RPC door (stdio, MCP Streamable HTTP, the
 * mcp.execute alias, legacy SSE). No backend is needed: the embedded store is off.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess, type RunningServer } from '../helpers/server.js';
import { postMcp, readAudit, tempDir, waitFor } from '../helpers/e2e.js';
import { jsonBodyOf, rawExchange } from '../helpers/security-raw-http.js';
import { CLI } from './front-doors.js';

const KEY = `pe_${randomBytes(18).toString('hex')}`;
const MAX_REQUEST_BYTES = 65_536;

type Msg = { jsonrpc?: string; id?: unknown; result?: unknown; error?: { code: number; message: string; data?: { code?: string } } };

/** `telemcp serve --stdio` driven line by line; every stdout line is kept. */
class StdioProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly messages: Msg[] = [];
  private partial = '';

  constructor(readonly dataDir: string) {
    this.child = spawn(process.execPath, [CLI, 'serve', '--stdio'], {
      env: { PATH: process.env.PATH ?? '', EMBEDDED_STORE: 'off', DATA_DIR: dataDir, MAX_REQUEST_BYTES: String(MAX_REQUEST_BYTES), LOG_LEVEL: 'warn' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdout.on('data', (d: Buffer) => {
      this.partial += d.toString('utf8');
      const lines = this.partial.split('\n');
      this.partial = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) this.messages.push(JSON.parse(line) as Msg);
    });
    this.child.stdin.on('error', () => {});
  }

  /** Writes a large text in pieces, as a pipe delivers it. */
  async write(text: string): Promise<void> {
    for (let at = 0; at < text.length; at += 16_384) {
      if (!this.child.stdin.write(text.slice(at, at + 16_384))) await new Promise((r) => this.child.stdin.once('drain', r));
    }
  }

  async request(id: number, method: string, params: unknown = {}): Promise<Msg> {
    await this.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
    return waitFor(() => this.messages.find((m) => m.id === id), `the answer to request ${id}`, 10_000);
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.stdin.end();
    await exited;
  }
}

async function initialized(dataDir: string): Promise<StdioProcess> {
  const p = new StdioProcess(dataDir);
  const init = await p.request(1, 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'protocol-edges', version: '1' } });
  expect(init.result).toBeTruthy();
  await p.write('{"jsonrpc":"2.0","method":"notifications/initialized"}\n');
  return p;
}

const refusedRecords = (dataDir: string) => readAudit(dataDir).filter((r) => r.tool === '(request)' && r.code === 'request_too_large');

describe('a message over MAX_REQUEST_BYTES is answered once', () => {
  let stdio: StdioProcess;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = tempDir('telemcp-edges-stdio-');
    stdio = await initialized(dataDir);
  });
  afterAll(async () => stdio?.close());

  it('stdio: a 3 MiB tools/call line gets one request_too_large with its own id, one audit record, and the next request is served', async () => {
    const before = stdio.messages.length;
    const pad = 'x'.repeat(3 * 1024 * 1024);
    await stdio.write(`{"jsonrpc":"2.0","id":"big-1","method":"tools/call","params":{"name":"telemcp_status","arguments":{"pad":"${pad}"}}}\n`);
    const next = await stdio.request(2, 'ping');
    expect(next.result).toEqual({});
    const answers = stdio.messages.slice(before).filter((m) => m.id !== 2);
    expect(answers).toHaveLength(1);
    expect(answers[0].id).toBe('big-1');
    expect(answers[0].error?.data?.code).toBe('request_too_large');
    expect(answers[0].error?.message).toContain(String(MAX_REQUEST_BYTES));
    await waitFor(() => refusedRecords(dataDir).length >= 1, 'the audit record');
    expect(refusedRecords(dataDir)).toHaveLength(1);
  });

  it('stdio: when the id comes after the oversized part, the one answer has id null', async () => {
    const before = stdio.messages.length;
    const audited = refusedRecords(dataDir).length;
    await stdio.write(`{"jsonrpc":"2.0","method":"tools/call","params":{"name":"telemcp_status","arguments":{"pad":"${'y'.repeat(2 * MAX_REQUEST_BYTES)}"}},"id":77}\n`);
    const next = await stdio.request(3, 'ping');
    expect(next.result).toEqual({});
    const answers = stdio.messages.slice(before).filter((m) => m.id !== 3);
    expect(answers).toHaveLength(1);
    expect(answers[0].id).toBeNull();
    expect(answers[0].error?.data?.code).toBe('request_too_large');
    await waitFor(() => refusedRecords(dataDir).length > audited, 'the audit record');
    expect(refusedRecords(dataDir)).toHaveLength(audited + 1);
  });

  it('stdio: a numeric id at the start is read too, and a line just under the cap is parsed normally', async () => {
    const before = stdio.messages.length;
    await stdio.write(`{"jsonrpc":"2.0","id":41,"method":"tools/call","params":{"name":"telemcp_status","arguments":{"pad":"${'z'.repeat(MAX_REQUEST_BYTES)}"}}}\n`);
    const big = await waitFor(() => stdio.messages.slice(before).find((m) => m.id === 41), 'the refusal');
    expect(big.error?.data?.code).toBe('request_too_large');
    // Under the cap, the call reaches the tool, which refuses the unknown argument.
    const under = await stdio.request(42, 'tools/call', { name: 'telemcp_status', arguments: { pad: 'z'.repeat(MAX_REQUEST_BYTES - 500) } });
    expect((under.result as { isError?: boolean; structuredContent?: { error?: { code?: string } } }).structuredContent?.error?.code).toBe('invalid_input');
  });
});

describe('HTTP doors answer the same oversized message with one 413', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServerProcess({ API_KEYS: `${KEY}:elk_operator`, EMBEDDED_STORE: 'off', MAX_REQUEST_BYTES: String(MAX_REQUEST_BYTES) });
  });
  afterAll(async () => server?.stop());

  it.each(['/mcp', '/mcp/execute'])('%s', async (path) => {
    const pad = 'x'.repeat(3 * 1024 * 1024);
    const body = path === '/mcp'
      ? `{"jsonrpc":"2.0","id":"big-1","method":"tools/call","params":{"name":"telemcp_status","arguments":{"pad":"${pad}"}}}`
      : `{"tool_name":"telemcp_status","input":{"pad":"${pad}"}}`;
    // Sent in pieces on a raw socket with a pause between them, as the T-20 tests do: the server answers 413 at the
    // headers and closes, and a client still writing when the close arrives can lose the answer it was sent.
    const pieces = Array.from({ length: Math.ceil(body.length / 65_536) }, (_, i) => body.slice(i * 65_536, (i + 1) * 65_536));
    const head = [`POST ${path} HTTP/1.1`, `Host: 127.0.0.1:${server.port}`, `X-API-Key: ${KEY}`, 'Content-Type: application/json', 'Accept: application/json, text/event-stream', `Content-Length: ${Buffer.byteLength(body)}`].join('\r\n');
    const res = await rawExchange({ port: server.port, head, body: pieces, pieceDelayMs: 20, stopOnResponse: true, deadlineMs: 20_000 });
    expect(res.status).toBe(413);
    expect(res.text.match(/^HTTP\/1\.1 /gm)).toHaveLength(1);
    const json = jsonBodyOf(res.text) as { error: { code: string | number; data?: { code?: string } } };
    expect(json.error.data?.code ?? json.error.code).toBe('request_too_large');
  });
});

describe('an invalid JSON-RPC id is answered with id null at every JSON-RPC door', () => {
  const INVALID_IDS = ['{}', 'true', '[1]', '{"a":1}', 'false', '1e999'];
  let server: RunningServer;
  let stdio: StdioProcess;

  beforeAll(async () => {
    server = await startServerProcess({ API_KEYS: `${KEY}:elk_operator`, EMBEDDED_STORE: 'off' });
    stdio = await initialized(tempDir('telemcp-edges-ids-'));
  });
  afterAll(async () => {
    await stdio?.close();
    await server?.stop();
  });

  it.each(INVALID_IDS)('MCP Streamable HTTP: id %s → 400 -32600, id null', async (id) => {
    const res = await postMcp(server.url, `{"jsonrpc":"2.0","id":${id},"method":"ping"}`, { 'X-API-Key': KEY });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ jsonrpc: '2.0', id: null, error: expect.objectContaining({ code: -32600 }) });
  });

  it.each(INVALID_IDS)('mcp.execute alias: id %s → 400 -32600, id null', async (id) => {
    const res = await postMcp(server.url, `{"jsonrpc":"2.0","id":${id},"method":"mcp.execute","params":{"tool_name":"telemcp_status","input":{}}}`, { 'X-API-Key': KEY });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ jsonrpc: '2.0', id: null, error: expect.objectContaining({ code: -32600 }) });
  });

  it.each(INVALID_IDS)('stdio: id %s → -32600, id null', async (id) => {
    const before = stdio.messages.length;
    await stdio.write(`{"jsonrpc":"2.0","id":${id},"method":"ping"}\n`);
    const answer = await waitFor(() => stdio.messages.slice(before).find((m) => m.error), 'the refusal');
    expect(answer.id).toBeNull();
    expect(answer.error?.code).toBe(-32600);
  });

  it('legacy SSE: an invalid id posted to /messages → 400 -32600, id null', async () => {
    const controller = new AbortController();
    const sse = await fetch(`${server.url}/sse`, { headers: { 'x-api-key': KEY, accept: 'text/event-stream' }, signal: controller.signal });
    const reader = (sse.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    while (!/sessionId=([\w-]+)/.test(text)) text += new TextDecoder().decode((await reader.read()).value);
    const sessionId = /sessionId=([\w-]+)/.exec(text)?.[1] as string;
    try {
      for (const id of INVALID_IDS) {
        const res = await fetch(`${server.url}/messages?sessionId=${sessionId}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': KEY }, body: `{"jsonrpc":"2.0","id":${id},"method":"ping"}` });
        expect(res.status, id).toBe(400);
        expect(await res.json()).toEqual({ jsonrpc: '2.0', id: null, error: expect.objectContaining({ code: -32600 }) });
      }
    } finally {
      controller.abort();
    }
  });
});
