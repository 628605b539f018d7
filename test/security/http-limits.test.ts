/**
 * HTTP-level limits of `telemcp serve`: body cap (T-20), header cap (T-21), slowloris and slow
 * bodies (T-22, T-23, H-77), stateless Streamable HTTP under an initialize flood (H-73),
 * the per-key concurrency bulkhead, and the legacy SSE transport's sessions
 * (T-14, T-16, T-17, T-18). No timing assertions beyond generous "closed eventually" bounds.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess, type RunningServer } from '../helpers/server.js';
import { CountingProxy, requireTestEsUrl } from '../helpers/security-counting-proxy.js';
import { chunk, jsonBodyOf, rawExchange } from '../helpers/security-raw-http.js';

const KEY_A = `ka_${randomBytes(18).toString('hex')}`;
const KEY_B = `kb_${randomBytes(18).toString('hex')}`;
const MAX_REQUEST_BYTES = 65_536;
const MAX_CONCURRENT = 4;
const MAX_SSE = 3;

let proxy: CountingProxy;
let server: RunningServer;

function metric(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : NaN;
}

const metricsText = async (): Promise<string> => (await fetch(`${server.url}/metrics`)).text();

beforeAll(async () => {
  proxy = new CountingProxy({ target: requireTestEsUrl() });
  await proxy.start();
  server = await startServerProcess({
    API_KEYS: `${KEY_A}:elk_operator,${KEY_B}:elk_operator`,
    ES_URL: proxy.url,
    ALLOWED_INDEX_PATTERNS: 'logs-*,metrics-*',
    MAX_REQUEST_BYTES: String(MAX_REQUEST_BYTES),
    MAX_CONCURRENT_PER_KEY: String(MAX_CONCURRENT),
    RATE_LIMIT_PER_MINUTE: '1000000',
    MAX_SSE_SESSIONS: String(MAX_SSE),
  });
});

afterAll(async () => {
  await server?.stop();
  await proxy?.stop();
});

const head = (method: string, path: string, extra: string[] = []) =>
  [`${method} ${path} HTTP/1.1`, `Host: 127.0.0.1:${server.port}`, `X-API-Key: ${KEY_A}`, 'Content-Type: application/json', 'Accept: application/json, text/event-stream', 'Connection: close', ...extra].join('\r\n');

describe('T-20: request body cap (MAX_REQUEST_BYTES)', () => {
  const oversize = 2 * MAX_REQUEST_BYTES;
  const piece = `"${'x'.repeat(8190)}",`; // 8 KiB of JSON array elements

  it.each(['/mcp/execute', '/mcp'])('%s with Content-Length 2× the cap → 413 request_too_large before the body is read', async (path) => {
    const res = await rawExchange({
      port: server.port,
      head: head('POST', path, [`Content-Length: ${oversize}`]),
      body: ['{"a":[', ...Array.from({ length: oversize / piece.length + 1 }, () => piece)],
      pieceDelayMs: 20,
      stopOnResponse: true,
      deadlineMs: 20_000,
    });
    expect(res.status).toBe(413);
    expect(res.bodyBytesSent).toBeLessThan(oversize);
    const body = jsonBodyOf(res.text) as { error?: { code?: string; data?: { code?: string } } };
    expect(body.error?.code === 'request_too_large' || body.error?.data?.code === 'request_too_large').toBe(true);
  });

  it.each(['/mcp/execute', '/mcp'])('%s chunked without Content-Length, 2× the cap → 413 request_too_large', async (path) => {
    const res = await rawExchange({
      port: server.port,
      head: head('POST', path, ['Transfer-Encoding: chunked']),
      body: [chunk('{"a":['), ...Array.from({ length: oversize / piece.length + 1 }, () => chunk(piece)), chunk('"x"]}'), Buffer.from('0\r\n\r\n')],
      pieceDelayMs: 5,
      stopOnResponse: true,
      deadlineMs: 20_000,
    });
    expect(res.status).toBe(413);
    const body = jsonBodyOf(res.text) as { error?: { code?: string; data?: { code?: string } } };
    expect(body.error?.code === 'request_too_large' || body.error?.data?.code === 'request_too_large').toBe(true);
  });

  it('a body just under the cap is still parsed (the cap is the limit, not a smaller one)', async () => {
    const filler = 'x'.repeat(MAX_REQUEST_BYTES - 200);
    const res = await fetch(`${server.url}/mcp/execute`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': KEY_A },
      body: JSON.stringify({ tool_name: 'telemcp_status', input: { note: filler } }),
    });
    expect(res.status).toBe(400); // reached the tool: unknown argument "note"
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_input');
  });
});

describe('T-20: a refused request is not read to its end (the connection is closed after the answer)', () => {
  const MIB = 1024 * 1024;
  const piece = chunk(Buffer.alloc(64 * 1024, 0x61));
  /** 256 MiB of chunked body, offered as fast as the server takes it. */
  const endless = (): Buffer[] => Array.from({ length: 4096 }, () => piece);
  /** Kernel socket buffers on both ends hold a few MiB that the server never read; 32 MiB is far below 256. */
  const MAX_ACCEPTED = 32 * MIB;
  const noKeyHead = (method: string, path: string, extra: string[] = []) =>
    [`${method} ${path} HTTP/1.1`, `Host: 127.0.0.1:${server.port}`, 'Content-Type: application/json', 'Transfer-Encoding: chunked', ...extra].join('\r\n');

  it.each([
    ['POST', '/mcp/execute'],
    ['POST', '/mcp'],
    ['POST', '/messages?sessionId=x'],
    ['POST', '/_bulk'],
    ['POST', '/loki/api/v1/push'],
    ['POST', '/v1/logs'],
    ['POST', '/no-such-route'],
    ['PUT', '/mcp/tools'],
  ])('%s %s without a key: 401, then the connection closes instead of draining the body', async (method, path) => {
    const res = await rawExchange({ port: server.port, head: noKeyHead(method, path), body: endless(), deadlineMs: 30_000 });
    expect(res.endedBy).toBe('close');
    expect(res.bodyBytesSent).toBeLessThan(MAX_ACCEPTED);
    if (res.status !== undefined) expect(res.status).toBe(401);
  });

  it.each<[string, string[], number]>([
    ['a wrong key', [`X-API-Key: nope_${'0'.repeat(30)}`], 401],
    ['a foreign Origin', [`X-API-Key: ${KEY_A}`, 'Origin: https://evil.example'], 403],
    ['an unknown route with a key', [`X-API-Key: ${KEY_A}`], 404],
    ['a wrong Content-Type with a key', [`X-API-Key: ${KEY_A}`, 'Content-Type: text/plain'], 415],
  ])('%s: refused, then closed', async (_label, extra, status) => {
    const path = status === 404 ? '/no-such-route' : '/mcp/execute';
    const headLines = noKeyHead('POST', path, extra).split('\r\n').filter((l) => !(extra.some((e) => e.startsWith('Content-Type')) && l === 'Content-Type: application/json'));
    const res = await rawExchange({ port: server.port, head: headLines.join('\r\n'), body: endless(), deadlineMs: 30_000 });
    expect(res.endedBy).toBe('close');
    expect(res.bodyBytesSent).toBeLessThan(MAX_ACCEPTED);
    if (res.status !== undefined) expect(res.status).toBe(status);
  });

  it('a client that sends a small body without a key still reads its 401', async () => {
    const res = await fetch(`${server.url}/mcp/execute`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tool_name: 'telemcp_status', input: { pad: 'x'.repeat(200_000) } }) });
    expect(res.status).toBe(401);
    expect(res.headers.get('connection')).toBe('close');
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('authentication_failed');
  });

  it('an accepted request keeps its connection alive', async () => {
    const res = await fetch(`${server.url}/mcp/execute`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': KEY_A }, body: '{"tool_name":"telemcp_status","input":{}}' });
    expect(res.status).toBe(200);
    expect(res.headers.get('connection')).not.toBe('close');
    await res.text();
  });
});

describe('T-21: header size', () => {
  it('a single 20 KiB header → 431', async () => {
    const res = await rawExchange({ port: server.port, head: head('GET', '/mcp/tools', [`X-Big: ${'a'.repeat(20 * 1024)}`]), deadlineMs: 10_000 });
    expect(res.status).toBe(431);
  });

  it('the server still answers afterwards', async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});

describe('T-22/T-23/H-77: slow clients are cut off while others are served', () => {
  it.concurrent(
    'T-22/H-77: 30 slowloris sockets (one header byte every 2 s) are closed at the headers timeout; /healthz keeps answering',
    async () => {
      // The header block never ends: each "body" piece is one more byte of the X-Slow header.
      const headerBytes = Array.from({ length: 40 }, () => 'a');
      const slow = Array.from({ length: 30 }, () =>
        rawExchange({ port: server.port, head: `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nX-Slow: a`, endHead: false, body: headerBytes, pieceDelayMs: 2000, deadlineMs: 55_000 }),
      );
      const probes: number[] = [];
      for (let i = 0; i < 4; i++) {
        await new Promise((r) => setTimeout(r, 2500));
        probes.push((await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(5000) })).status);
      }
      const results = await Promise.all(slow);
      expect(probes).toEqual([200, 200, 200, 200]);
      for (const r of results) {
        expect(r.endedBy).toBe('close');
        expect(r.elapsedMs).toBeLessThan(45_000);
        if (r.status !== undefined) expect(r.status).toBe(408);
      }
    },
    70_000,
  );

  it.concurrent(
    'T-23: a body trickled at one byte every 2 s is cut off at the request timeout; other requests are served',
    async () => {
      const body = '{"tool_name":"telemcp_status","input":{}}'.padEnd(60, ' ');
      const slow = rawExchange({
        port: server.port,
        head: head('POST', '/mcp/execute', [`Content-Length: ${body.length}`]),
        body: body.split(''),
        pieceDelayMs: 2000,
        deadlineMs: 58_000,
      });
      await new Promise((r) => setTimeout(r, 3000));
      const other = await fetch(`${server.url}/mcp/execute`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': KEY_A },
        body: '{"tool_name":"telemcp_status","input":{}}',
        signal: AbortSignal.timeout(10_000),
      });
      expect(other.status).toBe(200);
      const r = await slow;
      expect(r.endedBy).toBe('close');
      expect(r.elapsedMs).toBeLessThan(50_000);
      expect(r.bodyBytesSent).toBeLessThan(body.length);
      if (r.status !== undefined) expect(r.status).toBe(408);
    },
    70_000,
  );
});

describe('H-73: initialize flood on stateless Streamable HTTP', () => {
  const init = (i: number) =>
    fetch(`${server.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'x-api-key': KEY_A },
      body: JSON.stringify({ jsonrpc: '2.0', id: i, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: `flood-${i}`, version: '1' } } }),
    });

  async function flood(n: number, parallel: number): Promise<{ ok: number; sessionIds: number }> {
    let ok = 0;
    let sessionIds = 0;
    let next = 0;
    await Promise.all(
      Array.from({ length: parallel }, async () => {
        while (next < n) {
          const i = next++;
          const res = await init(i);
          const body = (await res.json()) as { result?: { protocolVersion?: string } };
          if (res.status === 200 && body.result?.protocolVersion) ok++;
          if (res.headers.get('mcp-session-id')) sessionIds++;
        }
      }),
    );
    return { ok, sessionIds };
  }

  it('2,000 initializes from one key: no session ids, no session state, memory bounded', async () => {
    await flood(300, 20); // warm-up: JIT, pools, lazily created caches
    const rssBefore = metric(await metricsText(), 'telemcp_process_resident_memory_bytes');
    const res = await flood(2000, 25);
    expect(res.ok).toBe(2000);
    expect(res.sessionIds).toBe(0);
    const after = await metricsText();
    const rssAfter = metric(after, 'telemcp_process_resident_memory_bytes');
    expect(rssBefore).toBeGreaterThan(0);
    // Loose bound: a per-initialize leak of even 50 KiB would show as 100 MiB here.
    expect(rssAfter - rssBefore).toBeLessThan(96 * 1024 * 1024);
    expect(metric(after, 'telemcp_sse_sessions')).toBe(0);
    expect(metric(after, 'telemcp_tool_calls_in_flight')).toBe(0);
  }, 120_000);

  it('a session id from nowhere is not state either: GET and DELETE /mcp are 405', async () => {
    for (const method of ['GET', 'DELETE']) {
      const res = await fetch(`${server.url}/mcp`, { method, headers: { 'x-api-key': KEY_A, accept: 'text/event-stream', 'mcp-session-id': randomUUID() } });
      expect(res.status).toBe(405);
    }
  });
});

describe('R-20: per-key concurrency bulkhead', () => {
  it('200 parallel calls from one key: some 429 rate_limited (concurrency), while another key is served', async () => {
    proxy.delayMs = 1500;
    try {
      const call = (key: string) =>
        fetch(`${server.url}/mcp/execute`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': key },
          body: '{"tool_name":"elk_cluster_health","input":{}}',
          signal: AbortSignal.timeout(30_000),
        }).then(async (r) => ({ status: r.status, retryAfter: r.headers.get('retry-after'), body: (await r.json()) as { ok: boolean; error?: { code: string; message: string } } }));
      const mcpCall = (i: number) =>
        fetch(`${server.url}/mcp`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'x-api-key': KEY_A },
          body: JSON.stringify({ jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'elk_cluster_health', arguments: {} } }),
          signal: AbortSignal.timeout(30_000),
        }).then(async (r) => (await r.json()) as { result?: { isError?: boolean; structuredContent?: { error?: { code: string; retry_after?: number } } } });

      const floodA = Array.from({ length: 180 }, () => call(KEY_A));
      const floodMcp = Array.from({ length: 20 }, (_, i) => mcpCall(i));
      await new Promise((r) => setTimeout(r, 300));
      const b = await call(KEY_B);
      const a = await Promise.all(floodA);
      const m = await Promise.all(floodMcp);

      expect(b.status).toBe(200);
      expect(b.body.ok).toBe(true);
      const limited = a.filter((r) => r.status === 429);
      const served = a.filter((r) => r.status === 200);
      expect(limited.length).toBeGreaterThan(100);
      expect(served.length).toBeGreaterThan(0);
      expect(served.length + limited.length).toBe(a.length);
      for (const r of limited) {
        expect(r.body.error?.code).toBe('rate_limited');
        expect(r.body.error?.message).toMatch(/concurrent/i);
        expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
      }
      const mcpLimited = m.filter((r) => r.result?.isError && r.result.structuredContent?.error?.code === 'rate_limited');
      expect(mcpLimited.length).toBeGreaterThan(0);
      // MCP has no response header of its own: the wait travels in the tool result (README error table).
      for (const r of mcpLimited) expect(Number(r.result?.structuredContent?.error?.retry_after)).toBeGreaterThanOrEqual(1);
      // The bulkhead never lets more than MAX_CONCURRENT of one key reach the backend at once:
      // with every call held 1.5 s, the served ones are a small multiple of the limit.
      expect(served.length).toBeLessThanOrEqual(MAX_CONCURRENT * 8);
    } finally {
      proxy.delayMs = 0;
    }
  }, 60_000);
});

describe('legacy SSE transport: sessions (T-14, T-16, T-17, T-18)', () => {
  interface SseSession {
    sessionId: string;
    close: () => void;
  }

  async function openSse(url: string, key: string): Promise<{ status: number; session?: SseSession; body?: unknown }> {
    const controller = new AbortController();
    const res = await fetch(`${url}/sse`, { headers: { 'x-api-key': key, accept: 'text/event-stream' }, signal: controller.signal });
    if (res.status !== 200 || !res.body) {
      const body = await res.json().catch(() => undefined);
      return { status: res.status, body };
    }
    const reader = res.body.getReader();
    let text = '';
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString('utf8');
      const m = /event: endpoint\r?\ndata: ([^\r\n]+)/.exec(text);
      if (m) {
        const sessionId = new URL(m[1], url).searchParams.get('sessionId') as string;
        void (async () => {
          try {
            while (!(await reader.read()).done) {
              // drain the stream until it is closed
            }
          } catch {
            // aborted
          }
        })();
        return { status: 200, session: { sessionId, close: () => controller.abort() } };
      }
    }
    controller.abort();
    throw new Error(`no endpoint event on /sse: ${text}`);
  }

  const post = (url: string, sessionId: string, key: string, body = '{"jsonrpc":"2.0","id":1,"method":"ping"}') =>
    fetch(`${url}/messages?sessionId=${encodeURIComponent(sessionId)}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body });

  it('T-14/T-16: unknown session → 404; a session opened with key A and used with key B → 404 with the same body; key A → 202', async () => {
    const opened = await openSse(server.url, KEY_A);
    expect(opened.status).toBe(200);
    const session = opened.session as SseSession;
    try {
      const unknown = await post(server.url, randomUUID(), KEY_A);
      expect(unknown.status).toBe(404);
      const unknownBody = await unknown.json();
      const foreign = await post(server.url, session.sessionId, KEY_B);
      expect(foreign.status).toBe(404);
      expect(await foreign.json()).toEqual(unknownBody);
      const own = await post(server.url, session.sessionId, KEY_A);
      expect(own.status).toBe(202);
      await new Promise((r) => setTimeout(r, 200));
      expect(server.output()).toContain('SSE session used with another API key');
      expect(server.output()).not.toContain(KEY_A);
      expect(server.output()).not.toContain(KEY_B);
    } finally {
      session.close();
    }
  });

  it('T-18: 1,000 random session ids are all 404 and allocate nothing', async () => {
    await new Promise((r) => setTimeout(r, 300));
    const before = metric(await metricsText(), 'telemcp_sse_sessions');
    const statuses = new Set<number>();
    for (let i = 0; i < 10; i++) {
      const batch = await Promise.all(Array.from({ length: 100 }, () => post(server.url, randomUUID(), KEY_A).then((r) => r.status)));
      for (const s of batch) statuses.add(s);
    }
    expect([...statuses]).toEqual([404]);
    expect(metric(await metricsText(), 'telemcp_sse_sessions')).toBe(before);
  });

  it('T-17: beyond MAX_SSE_SESSIONS → 503; a closed session frees its slot', async () => {
    await new Promise((r) => setTimeout(r, 300));
    const sessions: SseSession[] = [];
    try {
      for (let i = 0; i < MAX_SSE; i++) {
        const s = await openSse(server.url, i % 2 ? KEY_B : KEY_A);
        expect(s.status).toBe(200);
        sessions.push(s.session as SseSession);
      }
      expect(metric(await metricsText(), 'telemcp_sse_sessions')).toBe(MAX_SSE);
      const over = await openSse(server.url, KEY_A);
      expect(over.status).toBe(503);
      expect((over.body as { error: { code: string } }).error.code).toBe('backend_unavailable');
      (sessions.shift() as SseSession).close();
      let again: Awaited<ReturnType<typeof openSse>> | undefined;
      for (let i = 0; i < 20 && again?.status !== 200; i++) {
        await new Promise((r) => setTimeout(r, 100));
        again = await openSse(server.url, KEY_A);
      }
      expect(again?.status).toBe(200);
      sessions.push(again?.session as SseSession);
    } finally {
      for (const s of sessions) s.close();
    }
  });

  describe('T-17: idle expiry', () => {
    let idleServer: RunningServer;
    beforeAll(async () => {
      idleServer = await startServerProcess({ API_KEYS: `${KEY_A}:elk_operator`, SSE_IDLE_TIMEOUT_MS: '1000' });
    });
    afterAll(async () => {
      await idleServer?.stop();
    });

    it('an idle session expires (→ 404) and the client can open a new one (T-14)', async () => {
      const opened = await openSse(idleServer.url, KEY_A);
      const session = opened.session as SseSession;
      try {
        expect((await post(idleServer.url, session.sessionId, KEY_A)).status).toBe(202);
        // Every POST refreshes the session, so wait well past the 1 s idle timeout (the sweep
        // runs every second) before the next one.
        await new Promise((r) => setTimeout(r, 3500));
        expect((await post(idleServer.url, session.sessionId, KEY_A)).status).toBe(404);
      } finally {
        session.close();
      }
      const fresh = await openSse(idleServer.url, KEY_A);
      expect(fresh.status).toBe(200);
      fresh.session?.close();
    }, 30_000);
  });
});

describe('transport corpus rows (H-65, H-67, H-75, H-81)', () => {
  const rpc = (body: string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'x-api-key': KEY_A, ...headers }, body });

  it('H-65: a foreign Origin → 403, no session', async () => {
    const res = await rpc('{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"x","version":"1"}}}', { origin: 'http://evil.example.com' });
    expect(res.status).toBe(403);
    expect(res.headers.get('mcp-session-id')).toBeNull();
  });

  it.each([
    ['H-67 batch of two pings', {}],
    ['H-75 batch with MCP-Protocol-Version: 2025-03-26', { 'mcp-protocol-version': '2025-03-26' }],
  ])('%s → 400 -32600', async (_name, headers) => {
    const res = await rpc('[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"ping"}]', headers);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { id: unknown; error: { code: number } };
    expect(body.error.code).toBe(-32600);
    expect(body.id).toBeNull();
  });

  it('H-81: two X-API-Key headers, one valid and one garbage → 401', async () => {
    for (const order of [[KEY_A, 'garbage'], ['garbage', KEY_A], [KEY_A, KEY_A]]) {
      const res = await rawExchange({
        port: server.port,
        head: [`GET /mcp/tools HTTP/1.1`, `Host: 127.0.0.1:${server.port}`, `X-API-Key: ${order[0]}`, `X-API-Key: ${order[1]}`, 'Connection: close'].join('\r\n'),
        deadlineMs: 10_000,
      });
      expect(res.status).toBe(401);
      expect(res.text).not.toContain(KEY_A);
    }
  });
});
