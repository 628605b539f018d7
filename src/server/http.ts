import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import type { App } from '../app.js';
import { TelemcpError, type ErrorCode } from '../core/errors.js';
import { frontDoorMaxDepth, jsonRpcIdOfRefused, parseStrictJson } from '../security/strict-json.js';
import { recordRefusal } from '../tools/invoke.js';
import { redactString } from '../core/redact.js';
import type { Caller } from '../tools/tool.js';
import { authenticate } from './auth.js';
import { OriginPolicy } from './origin-check.js';
import { Readiness } from './readiness.js';
import { registerRestRoutes } from './rest/routes.js';
import { registerStreamableHttp } from './mcp/streamable.js';
import { registerLegacySse } from './mcp/sse.js';
import { jsonRpcCodeFor, sendJsonRpcError } from './mcp/jsonrpc.js';
import { INGEST_AUTH_HINT, authenticateIngest } from './ingest/auth.js';
import { sendIngestFailure, toIngestFailure } from './ingest/failure.js';
import { ingestProtocolOf, registerIngestRoutes } from './ingest/routes.js';

declare module 'fastify' {
  interface FastifyRequest {
    caller?: Caller;
  }
}

/** Routes that answer without an API key: probes and the metrics scrape (no secrets, bounded labels). */
const PUBLIC_ROUTES = new Set(['/healthz', '/readyz', '/metrics', '/metrics/json']);
const isJsonRpcRoute = (url: string) => url === '/mcp' || url.startsWith('/messages') || url === '/sse';

export interface HttpServer {
  fastify: FastifyInstance;
  readiness: Readiness;
  listen: () => Promise<string>;
  shutdown: () => Promise<void>;
}

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/** The one HTTP app: health, metrics, REST facade, MCP Streamable HTTP, legacy SSE. */
export function createHttpServer(app: App): HttpServer {
  const { rt } = app;
  const config = rt.config;
  const fastify = Fastify({
    logger: false,
    bodyLimit: config.MAX_REQUEST_BYTES,
    genReqId: () => randomUUID(),
    return503OnClosing: true,
    // Slowloris and slow bodies: headers must arrive within 10 s and the whole request within 30 s (408).
    serverFactory: (handler) =>
      createServer({ headersTimeout: 10_000, requestTimeout: 30_000, connectionsCheckingInterval: 1_000, maxHeaderSize: 16_384 }, handler),
  });
  const readiness = new Readiness(rt.backends, config.READY_CACHE_MS, app.insecure);
  const origin = new OriginPolicy(config);

  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    try {
      const maxDepth = frontDoorMaxDepth(config.MAX_JSON_DEPTH, pathOf(req.url) === '/mcp/execute' ? 'rest' : 'jsonrpc');
      done(null, body.length === 0 ? undefined : parseStrictJson(body as string, { maxDepth, maxBytes: config.MAX_REQUEST_BYTES }));
    } catch (err) {
      done(Object.assign(err as Error, { jsonRpcId: jsonRpcIdOfRefused(body as string) }), undefined);
    }
  });

  const callerOf = (req: { caller?: Caller }): Caller => {
    if (!req.caller) throw new TelemcpError('authentication_failed', 'Missing or invalid API key.');
    return req.caller;
  };

  fastify.addHook('onRequest', async (req, reply) => {
    const path = pathOf(req.url);
    if (PUBLIC_ROUTES.has(path)) return;
    // Ingest routes answer in their shippers' protocols and also take ApiKey/Basic credentials.
    const ingest = ingestProtocolOf(req);
    const refuse = (err: TelemcpError) => (ingest ? sendIngestFailure(reply, ingest, toIngestFailure(err)) : sendError(reply, path, err));
    const refused = origin.check(req.headers.host, req.headers.origin);
    if (refused) {
      rt.metrics.httpRejections.labels(refused).inc();
      return refuse(new TelemcpError('permission_denied', refused === 'host' ? 'Host header not allowed (DNS rebinding protection).' : 'Origin not allowed.', {
        hint: refused === 'host' ? 'Add the host to ALLOWED_HOSTS.' : 'Add the origin to ALLOWED_ORIGINS.',
      }));
    }
    const transport = path === '/mcp' ? 'mcp_http' : path === '/sse' || path === '/messages' ? 'mcp_sse' : 'rest';
    const caller = ingest ? authenticateIngest(app, req) : authenticate(app, req, transport);
    if (!caller) {
      rt.metrics.httpRejections.labels('authentication').inc();
      reply.header('www-authenticate', 'Bearer realm="telemcp"');
      return refuse(new TelemcpError('authentication_failed', 'Missing or invalid API key.', {
        hint: ingest ? INGEST_AUTH_HINT : 'Send the key in the X-API-Key header (or Authorization: Bearer <key>); query-string keys are ignored.',
      }));
    }
    req.caller = caller;
    // Answered here, before any body is parsed: an unknown route has nothing to read it for.
    if (req.is404) return sendError(reply, path, routeNotFound(req.method, path));
  });

  // A response sent before the request body was read to its end (a refusal: origin, key,
  // route, size) would leave Node draining the rest of the body to keep the connection alive,
  // so a client without a key could make the server read gigabytes. Closing the connection
  // stops the reading as soon as the answer is out.
  fastify.addHook('onSend', async (req, reply) => {
    if (!req.raw.complete) reply.header('connection', 'close');
  });

  fastify.setErrorHandler(async (err: FastifyError & { jsonRpcId?: unknown }, req, reply) => {
    const e = toHttpError(err);
    // The refusal is on record before the caller hears of it, as for every tool call.
    if (req.caller) await recordRefusal(rt, req.caller, e.status, e.code);
    return sendError(reply, pathOf(req.url), { ...e, id: err.jsonRpcId });
  });
  fastify.setNotFoundHandler((req, reply) => sendError(reply, pathOf(req.url), routeNotFound(req.method, pathOf(req.url))));

  fastify.get('/healthz', async () => ({ status: 'ok' }));
  fastify.get('/readyz', async (_req, reply) => {
    const report = await readiness.report();
    return reply.code(report.ready ? 200 : 503).send(report);
  });
  fastify.get('/metrics', async (_req, reply) => reply.header('content-type', rt.metrics.registry.contentType).send(await rt.metrics.registry.metrics()));
  fastify.get('/metrics/json', async () => rt.metrics.registry.getMetricsAsJSON());

  registerRestRoutes(fastify, rt, callerOf);
  registerStreamableHttp(fastify, rt, callerOf);
  const sse = registerLegacySse(fastify, rt, callerOf);
  registerIngestRoutes(fastify, { app, store: () => app.store });

  return {
    fastify,
    readiness,
    listen: async () => fastify.listen({ host: config.HOST, port: config.PORT }),
    shutdown: async () => {
      readiness.shuttingDown = true;
      sse.closeAll();
      await fastify.close();
    },
  };
}

function routeNotFound(method: string, path: string): TelemcpError {
  return new TelemcpError('tool_not_found', `No route ${method} ${path.slice(0, 64)}.`, { hint: 'See the README for the HTTP endpoints: /mcp, /mcp/tools, /mcp/execute, /mcp/prompts, /mcp/resources, /healthz, /readyz, /metrics.' });
}

const FASTIFY_CODES: Record<string, { status: number; code: ErrorCode | 'unsupported_media_type'; message: string; hint?: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'request_too_large', message: 'Request body too large.', hint: 'Send a smaller request (MAX_REQUEST_BYTES).' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'unsupported_media_type', message: 'Content-Type must be application/json.' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'invalid_input', message: 'Empty JSON body.' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'invalid_input', message: 'Content-Length does not match the body.' },
};

interface HttpError {
  status: number;
  code: string;
  message: string;
  hint?: string;
  jsonRpc: number;
  retryAfter?: number;
  /** JSON-RPC id of the refused message, when it could be read. */
  id?: unknown;
}

function toHttpError(err: unknown): HttpError {
  if (err instanceof TelemcpError) {
    const malformed = (err.details as { jsonrpc_code?: number } | undefined)?.jsonrpc_code;
    return { status: err.status, code: err.code, message: err.message, hint: err.hint, jsonRpc: malformed ?? jsonRpcCodeFor(err.code), retryAfter: err.retryAfter };
  }
  const fe = err as FastifyError;
  const known = fe?.code ? FASTIFY_CODES[fe.code] : undefined;
  if (known) return { status: known.status, code: known.code, message: known.message, hint: known.hint, jsonRpc: known.status === 400 ? -32700 : -32000 };
  if (fe?.statusCode && fe.statusCode < 500) return { status: fe.statusCode, code: 'invalid_input', message: redactString(fe.message), jsonRpc: -32600 };
  return { status: 500, code: 'internal_error', message: 'Internal error.', jsonRpc: -32603 };
}

function sendError(reply: FastifyReply, path: string, err: TelemcpError | HttpError): FastifyReply {
  const raw = err instanceof TelemcpError ? toHttpError(err) : err;
  // Parse and envelope errors quote the caller's keys, which may hold credentials (D-04).
  const e = { ...raw, message: redactString(raw.message), hint: raw.hint === undefined ? undefined : redactString(raw.hint) };
  if (e.retryAfter !== undefined) reply.header('retry-after', String(e.retryAfter));
  if (isJsonRpcRoute(path)) return sendJsonRpcError(reply, e.status, e.id ?? null, e.jsonRpc, e.message, { code: e.code, ...(e.hint ? { hint: e.hint } : {}) });
  return reply.code(e.status).send({ ok: false, error: { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) } });
}

