/**
 * The same tool call through telemcp's six front doors (SECURITY.md A-07): the REST facade
 * (POST /mcp/execute), MCP Streamable HTTP (official SDK client, or a raw JSON-RPC POST when
 * the arguments must travel as exact text), the legacy HTTP+SSE transport (SDK client, or raw
 * POSTs to /messages with the answers read from the event stream), seed 000's JSON-RPC alias
 * (`mcp.execute` on POST /mcp), MCP stdio (SDK client over `serve --stdio`, or raw lines) and
 * the CLI (`telemcp call TOOL --input JSON --role R`). Each answer is normalised to a decision
 * {ok, code} so a test can require the same decision everywhere.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';

export const CLI = resolve('dist/cli/main.js');
export const DOORS = ['rest', 'mcp', 'sse', 'jsonrpc', 'stdio', 'cli'] as const;
export type Door = (typeof DOORS)[number];

/**
 * One tool call. `args` travels as a value (serialised by each client); `raw` is the exact
 * JSON text of the arguments object, for inputs a serialiser cannot produce (duplicate keys,
 * `\u` escapes in keys, 1e309, 10,000-level nesting).
 */
export interface ToolCall {
  tool: string;
  args?: Record<string, unknown>;
  raw?: string;
}

export interface Decision {
  ok: boolean;
  /** telemcp's error code (REST error.code, MCP structuredContent.error.code or JSON-RPC error.data.code). */
  code: string | null;
  /** HTTP status (REST) or process exit code (CLI). */
  status?: number;
  message?: string;
  data?: unknown;
}

export interface DoorsOptions {
  /** Base URL of a running `telemcp serve`. */
  url: string;
  /** API key for REST and MCP HTTP; its role must equal `role`. */
  apiKey: string;
  /** Role for stdio (STDIO_ROLE) and the CLI (--role). */
  role: string;
  /** Environment for the stdio and CLI processes (ES_URL, ALLOWED_INDEX_PATTERNS, DATA_DIR, …). */
  env: Record<string, string>;
  /** Per-call timeout; a door that does not answer in time yields code "no_answer". */
  timeoutMs?: number;
}

type JsonObject = Record<string, unknown>;

/** MCP tool result, seed 000's mcp.execute result ({ok, tool_name, data}) or JSON-RPC error → decision. */
function fromJsonRpc(msg: JsonObject): Decision {
  if (msg.error && typeof msg.error === 'object') {
    const err = msg.error as { code?: number; message?: string; data?: { code?: string } };
    return { ok: false, code: err.data?.code ?? `jsonrpc_${err.code}`, message: err.message };
  }
  const result = msg.result as JsonObject | undefined;
  if (result?.ok === true && 'tool_name' in result) return { ok: true, code: null, data: result.data };
  return fromToolResult(result);
}

function fromToolResult(result: JsonObject | undefined): Decision {
  if (!result) return { ok: false, code: 'no_result' };
  const sc = result.structuredContent as { error?: { code?: string; message?: string } } | undefined;
  if (result.isError === true) {
    const text = (result.content as Array<{ text?: string }> | undefined)?.[0]?.text;
    return { ok: false, code: sc?.error?.code ?? 'is_error_without_code', message: sc?.error?.message ?? text };
  }
  return { ok: true, code: null, data: sc ?? result };
}

/** Errors thrown by the SDK clients: McpError (JSON-RPC error) or an HTTP error carrying the JSON-RPC body. */
function fromSdkError(err: unknown): Decision {
  if (err instanceof McpError) {
    const data = err.data as { code?: string } | undefined;
    if (err.code === -32001 && /timed out/i.test(err.message)) return { ok: false, code: 'no_answer', message: err.message };
    return { ok: false, code: data?.code ?? `jsonrpc_${err.code}`, message: err.message };
  }
  const message = (err as Error)?.message ?? String(err);
  const at = message.indexOf('{');
  if (at !== -1) {
    try {
      return { ...fromJsonRpc(JSON.parse(message.slice(at)) as JsonObject), status: (err as { code?: number }).code };
    } catch {
      // not a JSON body: fall through
    }
  }
  return { ok: false, code: 'client_error', message };
}

/**
 * A raw newline-delimited JSON-RPC session with `telemcp serve --stdio`, one request at a
 * time, so an error the server must answer with id null (unparseable line) belongs to the
 * request in flight.
 */
export class RawStdioSession {
  private child: ChildProcessWithoutNullStreams;
  private buffer = '';
  private waiting?: { resolve: (msg: JsonObject) => void; id: number };
  private nextId = 1000;
  private queue: Promise<unknown> = Promise.resolve();
  stderr = '';
  /** Every line the server wrote to stdout (T-19: all must be JSON-RPC). */
  readonly stdoutLines: string[] = [];

  constructor(env: Record<string, string>) {
    this.child = spawn(process.execPath, [CLI, 'serve', '--stdio'], { env: { PATH: process.env.PATH ?? '', EMBEDDED_STORE: 'off', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (d: Buffer) => {
      this.buffer += d.toString('utf8');
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) !== -1) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        if (!line.trim()) continue;
        this.stdoutLines.push(line);
        let msg: JsonObject;
        try {
          msg = JSON.parse(line) as JsonObject;
        } catch {
          continue;
        }
        if (!('id' in msg) || !this.waiting) continue;
        if (msg.id === this.waiting.id || msg.id === null) {
          const w = this.waiting;
          this.waiting = undefined;
          w.resolve(msg);
        }
      }
    });
    this.child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString('utf8')));
    this.child.stdin.on('error', () => {});
  }

  async initialize(): Promise<void> {
    const init = await this.requestText('initialize', '{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"security-raw","version":"1"}}');
    if (!init.result) throw new Error(`raw stdio initialize failed: ${JSON.stringify(init)}\n${this.stderr}`);
    this.child.stdin.write('{"jsonrpc":"2.0","method":"notifications/initialized"}\n');
  }

  /** Sends `{"jsonrpc":"2.0","id":N,"method":method,"params":<paramsText>}` as one line. */
  requestText(method: string, paramsText: string, timeoutMs = 15_000): Promise<JsonObject> {
    const run = () =>
      new Promise<JsonObject>((resolveMsg) => {
        const id = this.nextId++;
        const timer = setTimeout(() => {
          this.waiting = undefined;
          resolveMsg({ error: { code: 0, message: 'no answer', data: { code: 'no_answer' } } });
        }, timeoutMs);
        this.waiting = {
          id,
          resolve: (msg) => {
            clearTimeout(timer);
            resolveMsg(msg);
          },
        };
        this.child.stdin.write(`{"jsonrpc":"2.0","id":${id},"method":${JSON.stringify(method)},"params":${paramsText}}\n`);
      });
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}

/**
 * A raw legacy-SSE session: GET /sse opens the event stream, whose first event names the
 * /messages endpoint; each request is POSTed there as exact text and its answer arrives on the
 * stream. A POST the server refuses itself (strict JSON, envelope) is answered on the POST.
 */
export class RawSseSession {
  private readonly controller = new AbortController();
  private endpoint = '';
  private readonly answers = new Map<number, (msg: JsonObject) => void>();
  private nextId = 5000;

  constructor(private readonly url: string, private readonly apiKey: string) {}

  async open(): Promise<void> {
    const res = await fetch(`${this.url}/sse`, { headers: { 'x-api-key': this.apiKey, accept: 'text/event-stream' }, signal: this.controller.signal });
    if (res.status !== 200 || !res.body) throw new Error(`GET /sse answered ${res.status}`);
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    let endpointSeen: () => void = () => {};
    const endpointReady = new Promise<void>((r) => (endpointSeen = r));
    void (async () => {
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const type = /^event: (.*)$/m.exec(event)?.[1] ?? 'message';
          const data = event.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
          if (type === 'endpoint') {
            this.endpoint = new URL(data, this.url).toString();
            endpointSeen();
          } else if (type === 'message') {
            const msg = JSON.parse(data) as JsonObject;
            const waiter = typeof msg.id === 'number' ? this.answers.get(msg.id) : undefined;
            if (waiter) {
              this.answers.delete(msg.id as number);
              waiter(msg);
            }
          }
        }
      }
    })();
    await endpointReady;
    const init = await this.requestText('initialize', '{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"security-raw-sse","version":"1"}}', 15_000);
    if (!init.result) throw new Error(`raw SSE initialize failed: ${JSON.stringify(init)}`);
    await this.post('{"jsonrpc":"2.0","method":"notifications/initialized"}');
  }

  private post(text: string): Promise<Response> {
    return fetch(this.endpoint, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': this.apiKey }, body: text });
  }

  /** `{"jsonrpc":"2.0","id":N,"method":method,"params":<paramsText>}`; resolves with the JSON-RPC answer. */
  async requestText(method: string, paramsText: string, timeoutMs: number): Promise<JsonObject> {
    const id = this.nextId++;
    const answered = new Promise<JsonObject>((resolveMsg) => {
      const timer = setTimeout(() => {
        this.answers.delete(id);
        resolveMsg({ error: { code: 0, message: 'no answer', data: { code: 'no_answer' } } });
      }, timeoutMs);
      this.answers.set(id, (msg) => {
        clearTimeout(timer);
        resolveMsg(msg);
      });
    });
    const res = await this.post(`{"jsonrpc":"2.0","id":${id},"method":${JSON.stringify(method)},"params":${paramsText}}`);
    if (res.status !== 202) {
      this.answers.delete(id);
      const body = await res.text();
      try {
        return JSON.parse(body) as JsonObject;
      } catch {
        return { error: { code: 0, message: `POST /messages answered ${res.status}: ${body.slice(0, 200)}`, data: { code: `http_${res.status}` } } };
      }
    }
    await res.text();
    return answered;
  }

  close(): void {
    this.controller.abort();
  }
}

/** Runs `telemcp call TOOL --input TEXT --role ROLE` and returns the exit code and parsed stdout. */
export function runCli(tool: string, inputText: string, role: string, env: Record<string, string>, timeoutMs = 30_000): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, [CLI, 'call', tool, '--input', inputText, '--role', role], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      resolveRun({ exitCode, stdout, stderr });
    });
  });
}

export class FrontDoors {
  private mcp?: Client;
  private sse?: Client;
  private rawSse?: RawSseSession;
  private stdio?: Client;
  private stdioTransport?: StdioClientTransport;
  private rawStdio?: RawStdioSession;
  private readonly timeoutMs: number;
  /** stderr of the SDK-driven stdio server (logs must go there, never to stdout). */
  stdioStderr = '';
  /** Every answer text any door returned (bodies, results, errors, CLI stdout and stderr): for leak greps. */
  readonly transcript: string[] = [];

  constructor(readonly opts: DoorsOptions) {
    this.timeoutMs = opts.timeoutMs ?? 20_000;
  }

  /** SDK client over Streamable HTTP with the API key; connects on first use. */
  async mcpClient(): Promise<Client> {
    if (!this.mcp) {
      const client = new Client({ name: 'telemcp-security-tests', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(`${this.opts.url}/mcp`), { requestInit: { headers: { 'X-API-Key': this.opts.apiKey } } }));
      this.mcp = client;
    }
    return this.mcp;
  }

  /** SDK client over the legacy HTTP+SSE transport with the API key; connects on first use. */
  async sseClient(): Promise<Client> {
    if (!this.sse) {
      const client = new Client({ name: 'telemcp-security-tests', version: '1.0.0' });
      await client.connect(new SSEClientTransport(new URL(`${this.opts.url}/sse`), { requestInit: { headers: { 'X-API-Key': this.opts.apiKey } } }));
      this.sse = client;
    }
    return this.sse;
  }

  async rawSseSession(): Promise<RawSseSession> {
    if (!this.rawSse) {
      const session = new RawSseSession(this.opts.url, this.opts.apiKey);
      await session.open();
      this.rawSse = session;
    }
    return this.rawSse;
  }

  /** Legacy HTTP+SSE: SDK client for values, raw POSTs for exact text. */
  sseCall(call: ToolCall): Promise<Decision> {
    return this.sessionCall(call, () => this.rawSseSession(), () => this.sseClient());
  }

  /** A session door (stdio, SSE): the SDK client for values, the raw session for exact text. */
  private async sessionCall(call: ToolCall, raw: () => Promise<RawSseSession | RawStdioSession>, sdk: () => Promise<Client>): Promise<Decision> {
    if (call.raw === undefined) return this.sdkCall(sdk, call);
    const session = await raw();
    const msg = await session.requestText('tools/call', `{"name":${JSON.stringify(call.tool)},"arguments":${call.raw}}`, this.timeoutMs);
    this.transcript.push(JSON.stringify(msg));
    return fromJsonRpc(msg);
  }

  /** Seed 000's JSON-RPC alias: `mcp.execute` with {tool_name, input} on POST /mcp. */
  async jsonRpcAlias(call: ToolCall): Promise<Decision> {
    return this.mcpRawText(`{"jsonrpc":"2.0","id":11,"method":"mcp.execute","params":{"tool_name":${JSON.stringify(call.tool)},"input":${this.argsText(call)}}}`);
  }

  /** SDK client over stdio (`serve --stdio` with STDIO_ROLE = role); spawns on first use. */
  async stdioClient(): Promise<Client> {
    if (!this.stdio) {
      const transport = new StdioClientTransport({
        command: process.execPath,
        args: [CLI, 'serve', '--stdio'],
        env: { EMBEDDED_STORE: 'off', ...this.opts.env, STDIO_ROLE: this.opts.role },
        stderr: 'pipe',
      });
      transport.stderr?.on('data', (d: Buffer) => (this.stdioStderr += d.toString('utf8')));
      const client = new Client({ name: 'telemcp-security-tests', version: '1.0.0' });
      await client.connect(transport);
      this.stdioTransport = transport;
      this.stdio = client;
    }
    return this.stdio;
  }

  async rawStdioSession(): Promise<RawStdioSession> {
    if (!this.rawStdio) {
      const session = new RawStdioSession({ ...this.opts.env, STDIO_ROLE: this.opts.role });
      await session.initialize();
      this.rawStdio = session;
    }
    return this.rawStdio;
  }

  private argsText(call: ToolCall): string {
    return call.raw ?? JSON.stringify(call.args ?? {});
  }

  async rest(call: ToolCall, headers: Record<string, string> = {}): Promise<Decision> {
    const text = `{"tool_name":${JSON.stringify(call.tool)},"input":${this.argsText(call)}}`;
    return this.restText(text, headers);
  }

  /** POST /mcp/execute with an exact body text. */
  async restText(text: string, headers: Record<string, string> = {}): Promise<Decision> {
    const res = await fetch(`${this.opts.url}/mcp/execute`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': this.opts.apiKey, ...headers },
      body: text,
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const raw = await res.text();
    this.transcript.push(raw);
    const body = JSON.parse(raw) as { ok?: boolean; error?: { code?: string; message?: string }; data?: unknown };
    return body.ok === true
      ? { ok: true, code: null, status: res.status, data: body.data }
      : { ok: false, code: body.error?.code ?? 'no_code', status: res.status, message: body.error?.message };
  }

  /** MCP Streamable HTTP: SDK client for values, a raw JSON-RPC POST for exact text. */
  async mcpHttp(call: ToolCall): Promise<Decision> {
    if (call.raw !== undefined) {
      const text = `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":${JSON.stringify(call.tool)},"arguments":${call.raw}}}`;
      return this.mcpRawText(text);
    }
    return this.sdkCall(() => this.mcpClient(), call);
  }

  /** A tool call through an official SDK client; the transcript keeps what came back. */
  private async sdkCall(connect: () => Promise<Client>, call: ToolCall): Promise<Decision> {
    try {
      const client = await connect();
      const result = await client.callTool({ name: call.tool, arguments: call.args ?? {} }, undefined, { timeout: this.timeoutMs });
      this.transcript.push(JSON.stringify(result));
      return fromToolResult(result as JsonObject);
    } catch (err) {
      this.transcript.push(String((err as Error)?.message ?? err), JSON.stringify((err as { data?: unknown })?.data ?? null));
      return fromSdkError(err);
    }
  }

  /** POST /mcp with an exact JSON-RPC text (stateless server: no initialize needed). */
  async mcpRawText(text: string, headers: Record<string, string> = {}): Promise<Decision> {
    const res = await fetch(`${this.opts.url}/mcp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2025-06-18',
        'x-api-key': this.opts.apiKey,
        ...headers,
      },
      body: text,
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const body = await res.text();
    this.transcript.push(body);
    try {
      return { ...fromJsonRpc(JSON.parse(body) as JsonObject), status: res.status };
    } catch {
      return { ok: false, code: 'unparseable_response', status: res.status, message: body.slice(0, 300) };
    }
  }

  /** MCP stdio: SDK client for values, raw lines for exact text. */
  stdioCall(call: ToolCall): Promise<Decision> {
    return this.sessionCall(call, () => this.rawStdioSession(), () => this.stdioClient());
  }

  async cli(call: ToolCall): Promise<Decision> {
    const run = await runCli(call.tool, this.argsText(call), this.opts.role, this.opts.env, Math.max(this.timeoutMs, 30_000));
    this.transcript.push(run.stdout, run.stderr);
    try {
      const out = JSON.parse(run.stdout) as { ok?: boolean; error?: { code?: string; message?: string }; data?: unknown };
      return out.ok === true
        ? { ok: true, code: null, status: run.exitCode ?? -1, data: out.data }
        : { ok: false, code: out.error?.code ?? 'no_code', status: run.exitCode ?? -1, message: out.error?.message };
    } catch {
      return { ok: false, code: 'cli_no_json', status: run.exitCode ?? -1, message: `${run.stdout.slice(0, 300)}\n${run.stderr.slice(0, 500)}` };
    }
  }

  async door(door: Door, call: ToolCall): Promise<Decision> {
    switch (door) {
      case 'rest':
        return this.rest(call);
      case 'mcp':
        return this.mcpHttp(call);
      case 'sse':
        return this.sseCall(call);
      case 'jsonrpc':
        return this.jsonRpcAlias(call);
      case 'stdio':
        return this.stdioCall(call);
      case 'cli':
        return this.cli(call);
    }
  }

  /** The call through every door at once. */
  async all(call: ToolCall): Promise<Record<Door, Decision>> {
    const answers = await Promise.all(DOORS.map((d) => this.door(d, call)));
    return Object.fromEntries(DOORS.map((d, i) => [d, answers[i]])) as Record<Door, Decision>;
  }

  /** Tool names each surface lists for this caller: tools/list (HTTP, stdio), GET /mcp/tools, `telemcp tools --json`. */
  async toolNames(): Promise<Record<Door, string[]>> {
    const mcp = (await (await this.mcpClient()).listTools()).tools.map((t) => t.name).sort();
    const sse = (await (await this.sseClient()).listTools()).tools.map((t) => t.name).sort();
    const alias = await fetch(`${this.opts.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'x-api-key': this.opts.apiKey },
      body: '{"jsonrpc":"2.0","id":1,"method":"mcp.list_tools"}',
    });
    const jsonrpc = ((await alias.json()) as { result: { tools: Array<{ name: string }> } }).result.tools.map((t) => t.name).sort();
    const stdio = (await (await this.stdioClient()).listTools()).tools.map((t) => t.name).sort();
    const res = await fetch(`${this.opts.url}/mcp/tools`, { headers: { 'x-api-key': this.opts.apiKey } });
    const rest = ((await res.json()) as { tools: Array<{ name: string }> }).tools.map((t) => t.name).sort();
    const cliOut = await new Promise<string>((resolveOut) => {
      const child = spawn(process.execPath, [CLI, 'tools', '--role', this.opts.role, '--json'], { env: { PATH: process.env.PATH ?? '', ...this.opts.env }, stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
      child.on('close', () => resolveOut(out));
    });
    const cli = (JSON.parse(cliOut) as Array<{ name: string }>).map((t) => t.name).sort();
    return { rest, mcp, sse, jsonrpc, stdio, cli };
  }

  /** Everything the stdio servers wrote to stderr (their logs). */
  stdioLogs(): string {
    return this.stdioStderr + (this.rawStdio?.stderr ?? '');
  }

  async close(): Promise<void> {
    await this.mcp?.close().catch(() => undefined);
    await this.sse?.close().catch(() => undefined);
    this.rawSse?.close();
    await this.stdio?.close().catch(() => undefined);
    await this.stdioTransport?.close().catch(() => undefined);
    await this.rawStdio?.close();
  }
}

/** Only what A-07 compares: the decision, not messages. */
export function decisionOf(d: Decision): { ok: boolean; code: string | null } {
  return { ok: d.ok, code: d.code };
}
