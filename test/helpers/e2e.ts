import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { CLI } from './server.js';
import type { AuditRecord } from '../../src/security/audit.js';

/**
 * The address of a real engine the suite needs. A missing variable fails the test loudly
 * instead of skipping it: scripts/test.sh exports these after starting the engines.
 */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: this end-to-end test needs a real engine. Run the suite with scripts/test.sh, or export ${name} (e.g. ${name}=http://127.0.0.1:19200).`);
  }
  return value;
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export function tempDir(prefix = 'telemcp-e2e-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function waitFor<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

// ---------------------------------------------------------------- Elasticsearch fixtures

async function esCall(esUrl: string, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${esUrl}${path}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
}

/** Creates single-shard, replica-free indices so a one-node test cluster stays as healthy as it was. */
export async function createIndices(esUrl: string, names: string[]): Promise<void> {
  for (const name of names) {
    const res = await esCall(esUrl, 'PUT', `/${name}`, { settings: { number_of_shards: 1, number_of_replicas: 0 } });
    if (!res.ok) throw new Error(`creating index ${name} failed: ${res.status} ${await res.text()}`);
  }
  await esCall(esUrl, 'GET', `/_cluster/health/${names.join(',')}?wait_for_status=green&timeout=30s`);
}

/** Deletes by exact names: wildcard deletes are refused by default on 8.x/9.x. */
export async function deleteIndices(esUrl: string, names: string[]): Promise<void> {
  if (names.length) await esCall(esUrl, 'DELETE', `/${names.join(',')}?ignore_unavailable=true`);
}

// ---------------------------------------------------------------- MCP clients

export const CLIENT_INFO = { name: 'telemcp-e2e', version: '1.0.0' };

export async function connectHttpClient(baseUrl: string, key: string, extraHeaders: Record<string, string> = {}): Promise<Client> {
  const client = new Client(CLIENT_INFO);
  await client.connect(new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`), { requestInit: { headers: { 'X-API-Key': key, ...extraHeaders } } }));
  return client;
}

export async function connectSseClient(baseUrl: string, key: string): Promise<Client> {
  const client = new Client(CLIENT_INFO);
  await client.connect(new SSEClientTransport(new URL(`${baseUrl}/sse`), { requestInit: { headers: { 'X-API-Key': key } } }));
  return client;
}

/** `telemcp serve --stdio` through the SDK's own stdio transport; stderr is collected. */
export async function connectStdioClient(env: Record<string, string>): Promise<{ client: Client; stderr: () => string }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, 'serve', '--stdio'],
    // As in startServerProcess: the embedded store only when the test asks for it.
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', EMBEDDED_STORE: 'off', ...env },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const client = new Client(CLIENT_INFO);
  await client.connect(transport);
  return { client, stderr: () => stderr };
}

/**
 * A stdio client transport that spawns the server itself and keeps every byte the child
 * wrote to stdout and stderr, so a test can check that stdout carried nothing but JSON-RPC.
 */
export class RecordingStdioTransport implements Transport {
  child?: ChildProcessWithoutNullStreams;
  stdout = '';
  stderr = '';
  private pending = '';
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  constructor(private readonly env: Record<string, string>) {}

  async start(): Promise<void> {
    const child = spawn(process.execPath, [CLI, 'serve', '--stdio'], { env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', EMBEDDED_STORE: 'off', ...this.env }, stdio: 'pipe' });
    this.child = child;
    child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      const text = d.toString();
      this.stdout += text;
      this.pending += text;
      let nl: number;
      while ((nl = this.pending.indexOf('\n')) !== -1) {
        const line = this.pending.slice(0, nl);
        this.pending = this.pending.slice(nl + 1);
        try {
          this.onmessage?.(JSON.parse(line) as JSONRPCMessage);
        } catch (err) {
          this.onerror?.(err as Error);
        }
      }
    });
    child.on('close', () => this.onclose?.());
    child.on('error', (err) => this.onerror?.(err));
  }

  /** Writes a raw line to the server's stdin, bypassing the client (for hostile input). */
  writeRaw(line: string): void {
    this.child?.stdin.write(line);
  }

  async send(message: JSONRPCMessage): Promise<void> {
    this.child?.stdin.write(`${JSON.stringify(message)}\n`);
  }

  async close(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolveExit) => {
      child.once('exit', () => resolveExit());
      child.stdin.end();
      setTimeout(() => child.kill('SIGTERM'), 2_000).unref();
    });
  }
}

/** A JSON-RPC 2.0 message as MCP allows it on the wire: a request, a notification or a response. */
export function isJsonRpcMessage(value: unknown): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const m = value as Record<string, unknown>;
  if (m.jsonrpc !== '2.0') return false;
  if (typeof m.method === 'string') return true;
  return 'id' in m && ('result' in m || 'error' in m);
}

// ---------------------------------------------------------------- raw HTTP

/** A parsed response body; tests read into it by the shape they expect and assert on that. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: Json;
}

/**
 * One HTTP exchange on a fresh connection with exactly the headers given. Headers may be a
 * raw [name, value, name, value] list to send a header twice (then Host must be included).
 */
export function rawRequest(baseUrl: string, opts: { method?: string; path?: string; headers?: Record<string, string> | string[]; body?: string }): Promise<RawResponse> {
  const url = new URL(opts.path ?? '/mcp', baseUrl);
  return new Promise((resolveRes, reject) => {
    const req = http.request(url, { method: opts.method ?? 'POST', headers: opts.headers ?? {}, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        let json: unknown;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        resolveRes({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

export const MCP_ACCEPT = 'application/json, text/event-stream';

/** POST /mcp with the headers a well-behaved client sends, plus any overrides. */
export function postMcp(baseUrl: string, body: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
  return rawRequest(baseUrl, {
    method: 'POST',
    path: '/mcp',
    headers: { 'content-type': 'application/json', accept: MCP_ACCEPT, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export function initializeRequest(protocolVersion = '2025-06-18', id: number | string = 1): object {
  return { jsonrpc: '2.0', id, method: 'initialize', params: { protocolVersion, capabilities: {}, clientInfo: CLIENT_INFO } };
}

// ---------------------------------------------------------------- black hole backend

export interface BlackHole {
  url: string;
  /** Every connection accepted so far, with whether it has closed and what it received. */
  connections: { closed: boolean; received: string }[];
  open: () => number;
  close: () => Promise<void>;
}

/**
 * A TCP listener that accepts connections, reads whatever arrives and never answers. Not a
 * fake Elasticsearch: it stands in for a backend that hangs, so a test can see whether the
 * server gives up on (closes) its upstream socket.
 */
export async function startBlackHole(): Promise<BlackHole> {
  const connections: BlackHole['connections'] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    const record = { closed: false, received: '' };
    connections.push(record);
    sockets.add(socket);
    socket.on('data', (d) => (record.received += d.toString()));
    socket.on('error', () => {});
    socket.on('close', () => {
      record.closed = true;
      sockets.delete(socket);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connections,
    open: () => connections.filter((c) => !c.closed).length,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

// ---------------------------------------------------------------- audit log, metrics, CLI

/** One line of the audit log as the server writes it. */
export type AuditLine = AuditRecord & { ts: string };

export function readAudit(dataDir: string): AuditLine[] {
  const path = join(dataDir, 'audit.log');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AuditLine);
}

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const METRIC_NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
const VALUE = '(?:[+-]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][+-]?\\d+)?|[+-]?Inf|NaN)';
const SAMPLE_LINE = new RegExp(`^(${METRIC_NAME})(?:\\{((?:${LABEL})(?:,${LABEL})*,?)?\\})?[ \\t]+(${VALUE})(?:[ \\t]+-?\\d+)?$`);
const HELP_LINE = new RegExp(`^# HELP ${METRIC_NAME}( .*)?$`);
const TYPE_LINE = new RegExp(`^# TYPE ${METRIC_NAME} (counter|gauge|histogram|summary|untyped)$`);

/**
 * Parses the Prometheus text exposition format (0.0.4) strictly: a line that is not a
 * HELP/TYPE comment, another comment, blank, or a well-formed sample throws.
 */
export function parsePrometheusText(text: string): PromSample[] {
  const samples: PromSample[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      if (line.startsWith('# HELP ') && !HELP_LINE.test(line)) throw new Error(`line ${i + 1}: malformed HELP: ${line}`);
      if (line.startsWith('# TYPE ') && !TYPE_LINE.test(line)) throw new Error(`line ${i + 1}: malformed TYPE: ${line}`);
      continue;
    }
    const m = SAMPLE_LINE.exec(line);
    if (!m) throw new Error(`line ${i + 1} is not a Prometheus sample: ${line}`);
    const labels: Record<string, string> = {};
    for (const lm of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[lm[1]] = lm[2].replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    }
    samples.push({ name: m[1], labels, value: Number(m[3].replace(/^\+?Inf$/, 'Infinity').replace(/^-Inf$/, '-Infinity')) });
  }
  return samples;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `node dist/cli/main.js ARGS` with only the given environment; killed if it outlives timeoutMs. */
export function runCli(args: string[], env: Record<string, string>, timeoutMs = 20_000): Promise<CliResult> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolveRun({ code, signal, stdout, stderr });
    });
  });
}
