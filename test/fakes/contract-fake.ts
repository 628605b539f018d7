/**
 * What the product fakes (kibana-fake, logstash-fake, beats-fake) share: a loopback node:http
 * server that records every request and can misbehave the way a real server does — refuse
 * connections (stopped), answer slowly, refuse credentials, fail with 5xx. The product answers
 * themselves live in each fake and are shaped exactly as the product documents them.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { StoppableLoopbackServer } from '../helpers/loopback.js';

export type Fault =
  | 'none'
  /** The listening socket is closed: connections are refused (ECONNREFUSED). */
  | 'stopped'
  /** The answer is held for `slowMs`, then given if the client is still there. */
  | 'slow'
  /** Every request gets the product's 5xx answer. */
  | 'server_error';

/** What a fake that reads requests (headers, a POSTed body) gets beside the path and query. */
export interface FakeRequest {
  method: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface SeenRequest {
  method: string;
  path: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

export abstract class ContractFake {
  readonly requests: SeenRequest[] = [];
  /** Clients that hung up before their answer was complete (e.g. telemcp's deadline). */
  clientAborts = 0;
  slowMs = 10_000;
  /** The Authorization header the product accepts; undefined means the API is unsecured. */
  expectedAuthorization?: string;
  private fault: Fault = 'none';
  private readonly loopback = new StoppableLoopbackServer((req, res) => this.handle(req, res));
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor() {
  }

  get url(): string {
    return this.loopback.url;
  }

  async start(): Promise<this> {
    await this.loopback.start();
    return this;
  }

  async setFault(fault: Fault): Promise<void> {
    const wasStopped = this.fault === 'stopped';
    this.fault = fault;
    if (fault === 'stopped' && !wasStopped) await this.loopback.stop();
    else if (fault !== 'stopped' && wasStopped) await this.loopback.start();
  }

  reset(): void {
    this.requests.length = 0;
    this.clientAborts = 0;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.loopback.stop();
  }

  /** The product's answer to an authorised request in its current state. */
  protected abstract answer(path: string, query: URLSearchParams, authenticated: boolean, request: FakeRequest): { status: number; body: unknown; headers?: Record<string, string> };
  /** The product's answer to wrong credentials. */
  protected abstract unauthorized(): { status: number; body: unknown; headers?: Record<string, string> };
  /** The product's answer to an internal failure. */
  protected abstract serverError(path: string): { status: number; body: unknown };

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    this.requests.push({ method: req.method ?? '', path: url.pathname, url: req.url ?? '/', headers: { ...req.headers } });
    res.on('close', () => {
      if (!res.writableFinished) this.clientAborts += 1;
    });
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    const respond = () => {
      if (res.destroyed) return;
      if (this.fault === 'server_error') return send(res, this.serverError(url.pathname));
      const auth = req.headers.authorization;
      if (this.expectedAuthorization !== undefined && auth !== undefined && auth !== this.expectedAuthorization) return send(res, this.unauthorized());
      const authenticated = this.expectedAuthorization === undefined || auth === this.expectedAuthorization;
      send(res, this.answer(url.pathname, url.searchParams, authenticated, { method: req.method ?? '', headers: req.headers, body: Buffer.concat(chunks) }));
    };
    // The answer is scheduled once the whole body is in (push APIs read it).
    req.on('end', () => {
      if (this.fault !== 'slow') return respond();
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        respond();
      }, this.slowMs);
      this.timers.add(timer);
    });
  }

}

function send(res: ServerResponse, answer: { status: number; body: unknown; headers?: Record<string, string> }): void {
  const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
  res.writeHead(answer.status, { 'content-type': typeof answer.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)), ...answer.headers });
  res.end(text);
}

/** `Authorization: Basic …` for a user and password, as a client sends it. */
export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}
