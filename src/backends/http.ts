import { readFileSync } from 'node:fs';
import { Agent, errors as undiciErrors, request } from 'undici';
import { TelemcpError } from '../core/errors.js';
import { sleep } from '../core/sleep.js';
import { redactString } from '../core/redact.js';
import { sanitizeText } from '../security/sanitize.js';
import { describeBackendError } from './error-summary.js';
import type { Connection } from '../config/connection.js';

export interface BackendHints {
  /** The backend refused the service credentials (401/403). */
  credentials?: string;
  unreachable?: string;
  tls?: string;
}

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'DELETE';

export interface BackendRequest {
  method: HttpMethod;
  path: string;
  /** An array value repeats the parameter (Prometheus' `match[]`). */
  query?: Record<string, string | number | boolean | readonly string[] | undefined>;
  body?: unknown;
  /** A form body instead of JSON (Prometheus' documented POST for long queries); arrays repeat the field. */
  form?: Record<string, string | readonly string[] | undefined>;
  signal: AbortSignal;
  /**
   * Non-2xx statuses that are an answer, not a failure (Kibana's /api/status says 503 with a
   * full report when a core service is down): returned with their body, never retried.
   */
  answerStatuses?: number[];
}

export interface BackendHttpOptions {
  /** Short backend kind for errors and metrics, e.g. "elasticsearch". */
  name: string;
  baseUrl: string;
  headers?: Record<string, string>;
  caCertPath?: string;
  /** mTLS client certificate and key (PEM files). */
  clientCertPath?: string;
  clientKeyPath?: string;
  verifyTls: boolean;
  timeoutMs: number;
  maxRetries: number;
  maxResponseBytes: number;
  /** Read-only allowlist: the client refuses any method/path pair it does not accept. */
  allow: (method: HttpMethod, path: string) => boolean;
  /** This backend's own fix steps for the failures a caller cannot fix by changing the call. */
  hints?: BackendHints;
  observe?: (outcome: string, seconds: number) => void;
}

const NETWORK_DOWN = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);
const TLS_CODES = /^(?:CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_TLS_|ERR_SSL_|HOSTNAME_MISMATCH)/;
const RETRYABLE_STATUS = new Set([502, 503, 504]);
const SAFE_PATH = /^\/[A-Za-z0-9_.,*:%\-/+]*$/;

function errorCode(err: unknown): string {
  const e = err as { code?: string; cause?: { code?: string } };
  return e?.cause?.code ?? e?.code ?? '';
}

function appendParams(params: URLSearchParams, values: BackendRequest['query']): void {
  for (const [k, v] of Object.entries(values ?? {})) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const item of v as readonly string[]) params.append(k, item);
    else params.set(k, String(v));
  }
}

/**
 * URLs, IPv4 addresses and host:port pairs in a backend's error text describe internal
 * topology (D-09); the model cannot use them to fix its call, so they are masked. Bare
 * host:port needs a 4-5 digit port so dotted field names in query errors (`url.port:443`) stay.
 */
const ADDRESS = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>()[\],]+|\b(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?\b|\b[a-z0-9-]+(?:\.[a-z0-9-]+)+:\d{4,5}\b/gi;

/** Short, sanitised excerpt of a backend body: enough to diagnose, never a dump of HTML, stack traces or internal addresses. */
function excerpt(text: string): string {
  const firstLine = text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
  const withoutStack = firstLine.replace(/\s+at\s+[\w.$<>]+\s*\(.*$/, '').replace(ADDRESS, '<address>');
  return redactString(sanitizeText(withoutStack, 160).text);
}


/**
 * The one HTTP path to a backend. Written on undici directly (rather than a vendor client)
 * because it must enforce a method/path allowlist, cap how much a backend may send, map
 * every failure onto telemcp's error table, and speak to Elasticsearch 7/8/9 and OpenSearch
 * alike. Never forwards caller headers: only the configured service credentials go out.
 */
export class BackendHttpClient {
  private readonly agent: Agent;
  private readonly origin: string;
  private readonly basePath: string;

  constructor(readonly opts: BackendHttpOptions) {
    const url = new URL(opts.baseUrl);
    this.origin = url.origin;
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.agent = new Agent({
      connect: {
        ca: opts.caCertPath ? readFileSync(opts.caCertPath) : undefined,
        cert: opts.clientCertPath ? readFileSync(opts.clientCertPath) : undefined,
        key: opts.clientKeyPath ? readFileSync(opts.clientKeyPath) : undefined,
        rejectUnauthorized: opts.verifyTls,
        timeout: Math.min(opts.timeoutMs, 10_000),
      },
      keepAliveTimeout: 10_000,
      connections: 32,
    });
  }

  get name(): string {
    return this.opts.name;
  }

  async json<T = unknown>(req: BackendRequest): Promise<T> {
    const { body } = await this.send(req);
    if (req.method === 'HEAD') return undefined as T;
    if (body.length === 0) throw new TelemcpError('backend_error', `${this.name} returned an empty response.`, { hint: 'Check that the URL points at the backend API, not a proxy page.' });
    try {
      return JSON.parse(body) as T;
    } catch {
      throw new TelemcpError('backend_error', `${this.name} returned a response that is not JSON: "${excerpt(body)}"`, {
        hint: 'Check that the configured URL points at the backend API and not at a proxy or login page.',
      });
    }
  }

  async send(req: BackendRequest): Promise<{ status: number; body: string }> {
    if (!SAFE_PATH.test(req.path) || req.path.includes('..') || req.path.includes('//') || !this.opts.allow(req.method, req.path)) {
      throw new TelemcpError('query_denied', `Refused ${req.method} ${req.path.slice(0, 80)}: telemcp only sends read-only requests to ${this.name}.`, {
        hint: 'Use a read-only tool; telemcp never writes, deletes or runs code in a backend.',
      });
    }
    const idempotent = req.method === 'GET' || req.method === 'HEAD' || req.method === 'POST';
    const deadline = Date.now() + this.opts.timeoutMs;
    let attempt = 0;
    for (;;) {
      const started = process.hrtime.bigint();
      try {
        const res = await this.once(req, deadline);
        this.opts.observe?.(String(res.status), Number(process.hrtime.bigint() - started) / 1e9);
        if ((res.status >= 200 && res.status < 300) || req.answerStatuses?.includes(res.status)) return res;
        const retryAfter = this.retryDelay(res, attempt, deadline);
        if (idempotent && retryAfter !== undefined && attempt < this.opts.maxRetries) {
          attempt += 1;
          await sleep(retryAfter, req.signal);
          continue;
        }
        throw this.statusError(res);
      } catch (err) {
        if (err instanceof TelemcpError) throw err;
        const mapped = this.transportError(err, req.signal);
        this.opts.observe?.(mapped.code, Number(process.hrtime.bigint() - started) / 1e9);
        const backoff = Math.min(2000, 100 * 2 ** attempt) * (0.5 + Math.random() / 2);
        if (idempotent && mapped.code === 'backend_unavailable' && attempt < this.opts.maxRetries && Date.now() + backoff < deadline && errorCode(err) !== 'ECONNREFUSED') {
          attempt += 1;
          await sleep(backoff, req.signal);
          continue;
        }
        throw mapped;
      }
    }
  }

  /** Delay before retrying a status, or undefined when the status must not be retried. */
  private retryDelay(res: { status: number; retryAfter?: string }, attempt: number, deadline: number): number | undefined {
    if (res.status !== 429 && !RETRYABLE_STATUS.has(res.status)) return undefined;
    const backoff = Math.min(2000, 100 * 2 ** attempt) * (0.5 + Math.random() / 2);
    const seconds = res.retryAfter !== undefined ? Number(res.retryAfter) : NaN;
    const wait = Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : backoff;
    return Date.now() + wait < deadline ? wait : undefined;
  }

  private async once(req: BackendRequest, deadline: number): Promise<{ status: number; body: string; retryAfter?: string }> {
    const url = new URL(this.basePath + req.path, this.origin);
    appendParams(url.searchParams, req.query);
    const headers: Record<string, string> = { accept: 'application/json', ...this.opts.headers };
    let payload: string | undefined;
    if (req.form !== undefined) {
      const form = new URLSearchParams();
      appendParams(form, req.form);
      payload = form.toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else if (req.body !== undefined) {
      payload = JSON.stringify(req.body);
      headers['content-type'] = 'application/json';
    }
    const res = await request(url, {
      method: req.method,
      headers,
      body: payload,
      dispatcher: this.agent,
      signal: req.signal,
      headersTimeout: Math.max(1, deadline - Date.now()),
      bodyTimeout: Math.max(1, deadline - Date.now()),
      maxRedirections: 0,
    } as Parameters<typeof request>[1]);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      size += chunk.length;
      if (size > this.opts.maxResponseBytes) {
        res.body.destroy();
        throw new TelemcpError('response_too_large', `${this.name} sent more than ${this.opts.maxResponseBytes} bytes for one request; reading stopped.`, {
          hint: 'Narrow the request: a shorter time range, fewer indices, a smaller limit.',
        });
      }
      chunks.push(chunk as Buffer);
    }
    const retryAfter = res.headers['retry-after'];
    return { status: res.statusCode, body: Buffer.concat(chunks).toString('utf8'), retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter };
  }

  private statusError(res: { status: number; body: string }): TelemcpError {
    if (res.status >= 300 && res.status < 400) {
      return new TelemcpError('backend_error', `${this.name} answered with a redirect (${res.status}); telemcp does not follow redirects with credentials.`, {
        hint: 'Configure the final backend URL directly.',
      });
    }
    if (res.status === 401 || res.status === 403) {
      return new TelemcpError('backend_error', `${this.name} refused telemcp's credentials (${res.status}).`, {
        hint:
          this.opts.hints?.credentials ??
          `The server's read-only credentials for ${this.name} are wrong or lack privileges (monitor, read, view_index_metadata); this is not fixable by changing the call.`,
        details: { backend_status: res.status },
      });
    }
    if (res.status === 429) {
      return new TelemcpError('rate_limited', `${this.name} is rate limiting requests.`, { hint: 'Wait a little and retry with a smaller request.', retryAfter: 5 });
    }
    const reason = this.reasonOf(res.body);
    return new TelemcpError('backend_error', `${this.name} returned ${res.status}${reason ? `: ${reason}` : ''}`, {
      hint: res.status < 500 ? 'Check the arguments (index names, field names, query syntax) and retry.' : 'The backend is failing; check its health and retry later.',
      details: { backend_status: res.status },
    });
  }

  /**
   * A JSON error body is reduced to its exception types and a summary written by telemcp: its
   * reason texts can quote document values. Only a body that is not JSON (a proxy's or load
   * balancer's page, never the backend's own answer about data) is shown, as a short excerpt.
   */
  private reasonOf(body: string): string {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return body ? excerpt(body) : '';
    }
    const e = (parsed as { error?: unknown } | null)?.error;
    return e !== null && typeof e === 'object' ? describeBackendError(e) : '';
  }

  private transportError(err: unknown, signal: AbortSignal): TelemcpError {
    const code = errorCode(err);
    if (signal.aborted) {
      const reason = signal.reason as unknown;
      if (reason instanceof TelemcpError) return reason;
      return new TelemcpError('backend_timeout', `${this.name} did not answer before the deadline.`, {
        hint: 'Narrow the request (shorter time range, fewer indices) or retry when the backend is less busy.',
      });
    }
    if (err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError || code === 'UND_ERR_CONNECT_TIMEOUT') {
      return new TelemcpError('backend_timeout', `${this.name} did not answer within ${this.opts.timeoutMs} ms.`, {
        hint: 'Narrow the request (shorter time range, fewer indices) or retry when the backend is less busy.',
      });
    }
    if (TLS_CODES.test(code)) {
      return new TelemcpError('backend_tls_error', `TLS verification of ${this.name} failed (${code}).`, {
        hint: this.opts.hints?.tls ?? `Give the server the backend's CA certificate (e.g. ES_CA_CERT); verification is never skipped silently.`,
      });
    }
    if (NETWORK_DOWN.has(code)) {
      return new TelemcpError('backend_unavailable', `${this.name} is unreachable (${code}).`, { hint: this.opts.hints?.unreachable ?? 'The backend is down or the URL is wrong; check /readyz.' });
    }
    return new TelemcpError('backend_error', `Request to ${this.name} failed${code ? ` (${code})` : ''}.`, { hint: 'Check the backend and retry.' });
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

/** How to reach one backend: the configured connection (config/connection.ts) with the server's limits. */
export interface BackendConnection extends Omit<Partial<Connection>, 'url' | 'verifyTls' | 'timeoutMs'> {
  url: string;
  verifyTls: boolean;
  timeoutMs: number;
  maxRetries: number;
  maxResponseBytes: number;
  observe?: BackendHttpOptions['observe'];
}

/** The Authorization header for configured service credentials; config allows one scheme per backend. */
export function credentialHeaders(c: Pick<BackendConnection, 'apiKey' | 'username' | 'password' | 'bearerToken'>): Record<string, string> {
  if (c.apiKey) return { authorization: `ApiKey ${c.apiKey}` };
  if (c.bearerToken) return { authorization: `Bearer ${c.bearerToken}` };
  if (c.username) return { authorization: `Basic ${Buffer.from(`${c.username}:${c.password ?? ''}`).toString('base64')}` };
  return {};
}

/** A read-only client for one backend, with its service credentials and configured headers as the only ones it sends. */
export function connectBackend(name: string, c: BackendConnection, allow: BackendHttpOptions['allow'], hints?: BackendHints): BackendHttpClient {
  return new BackendHttpClient({
    name,
    hints,
    baseUrl: c.url,
    headers: { ...c.headers, ...credentialHeaders(c) },
    caCertPath: c.caCertPath,
    clientCertPath: c.clientCertPath,
    clientKeyPath: c.clientKeyPath,
    verifyTls: c.verifyTls,
    timeoutMs: c.timeoutMs,
    maxRetries: c.maxRetries,
    maxResponseBytes: c.maxResponseBytes,
    allow,
    observe: c.observe,
  });
}
