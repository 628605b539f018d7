import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../../app.js';
import { TelemcpError } from '../../core/errors.js';
import type { IngestRecord } from '../../ingest/record.js';
import { canIngest } from '../../core/roles.js';
import type { AuditRecord } from '../../security/audit.js';
import { MAX_BATCH, type WriteResult } from '../../store/log-store.js';
import type { Caller } from '../../tools/tool.js';
import { readIngestBody } from './body.js';
import { clusterHealth, clusterInfo, clusterUuid, license, SETUP_RESOURCES, bulkEndpoint } from './elasticsearch.js';
import type { Answer, EndpointSpec, IngestEndpoint, Written } from './endpoint.js';
import { IngestFailure, elasticsearchReply, sendIngestFailure, toIngestFailure, type IngestProtocol } from './failure.js';
import { lokiEndpoint, otlpEndpoint } from './loki-otlp.js';
import { IngestParser } from './parse-thread.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set on the ingest routes: the protocol their answers (errors included) are shaped in. */
    ingest?: IngestProtocol;
  }
}

/** What the ingest routes need of the embedded store: its one writer (a thread of its own, so a commit never holds this thread). */
export interface IngestStore {
  /** At most MAX_BATCH records; resolves once they are durable. */
  ingest(records: IngestRecord[]): Promise<WriteResult>;
  /** Where the store lives: named DATA_DIR in answers, so shippers never learn the server's paths. */
  readonly dataDir?: string;
}

export interface IngestRoutesOptions {
  app: App;
  /** The embedded store service, looked up on every request: undefined while it is off. */
  store: () => IngestStore | undefined;
}

/** The protocol of the ingest route a request matched, or undefined for every other route. */
export function ingestProtocolOf(req: FastifyRequest): IngestProtocol | undefined {
  return req.routeOptions.config?.ingest;
}

/** A store failure (disk full, locked, unwritable): nothing after it was acknowledged. */
class StoreFailure extends Error {
  constructor(readonly original: unknown) {
    super('store write failed');
  }
}

const MAX_NAME_ECHO = 128;

/**
 * HTTP ingest into the embedded store, on the same server and port as everything else: the
 * Elasticsearch bulk API subset with the calls shippers make around it, Loki's push (JSON or protobuf) and
 * OTLP/HTTP JSON logs. Only keys with role `ingest` get past the first check; every answer is
 * shaped in the protocol of the route (Elasticsearch error bodies, Loki's text, OTLP's Status), so
 * a shipper logs something it understands. Acknowledged means durable: a success is sent only after
 * the store has committed the records.
 *
 * The routes live in their own encapsulated context with a pass-through body parser: bodies are
 * read by readIngestBody, which inflates gzip/deflate with INGEST_MAX_BYTES enforced while it
 * inflates, instead of by the server's JSON parser with its MAX_REQUEST_BYTES. A large body is
 * parsed in the ingest parse thread (parse-thread.ts), so a big push never holds `/healthz` or a
 * tool call; the thread ends when the server closes.
 */
export function registerIngestRoutes(fastify: FastifyInstance, opts: IngestRoutesOptions): void {
  const { app } = opts;
  const { rt } = app;
  const uuid = clusterUuid(rt.config.DATA_DIR);
  const parser = new IngestParser();
  fastify.addHook('onClose', () => parser.close());

  const callerOf = (req: FastifyRequest): Caller => {
    if (!req.caller) throw new TelemcpError('authentication_failed', 'Missing or invalid API key.');
    return req.caller;
  };

  /** Role, then rate limit; a refusal is audited (one record, as every request-level refusal) and answered. */
  const admit = async (req: FastifyRequest, reply: FastifyReply, protocol: IngestProtocol, endpoint?: IngestEndpoint): Promise<(() => void) | undefined> => {
    const caller = callerOf(req);
    try {
      if (!canIngest(caller.role)) {
        throw new TelemcpError('permission_denied', `The ingest endpoints need an API key with role ingest; this key has ${caller.role}.`, {
          hint: 'Give the shipper a key listed in API_KEYS as <key>:ingest. Ingest keys can only write logs; other keys cannot write.',
        });
      }
      try {
        return rt.ingestRateLimiter.acquire(caller.id);
      } catch (err) {
        rt.metrics.rateLimited.inc();
        throw err;
      }
    } catch (err) {
      const failure = toIngestFailure(err);
      if (endpoint) rt.metrics.ingestRequests.labels(endpoint, String(failure.status)).inc();
      await auditSafely({ ...auditBase(caller, req), phase: 'after', decision: 'denied', status: failure.status, code: failure.code });
      sendIngestFailure(reply, protocol, failure);
      return undefined;
    }
  };

  const auditBase = (caller: Caller, req: FastifyRequest): Omit<AuditRecord, 'phase'> => ({
    request_id: caller.requestId ?? req.id ?? randomUUID(),
    tool: '(ingest)',
    caller: caller.id,
    role: caller.role,
    transport: 'http_ingest',
    event: 'ingest',
    endpoint: req.routeOptions.url ?? '',
  });

  const auditSafely = async (record: AuditRecord): Promise<void> => {
    try {
      await rt.audit.write(record);
    } catch {
      // the sink reported its own failure (metric and stderr alarm); the answer stands
    }
  };

  /** Writes in store-sized batches, each committed before the next; record indexes are the request's. */
  const writer = (store: IngestStore, progress: { stored: number }) => async (records: readonly IngestRecord[]): Promise<Written> => {
    const rejected = new Map<number, string>();
    for (let offset = 0; offset < records.length; offset += MAX_BATCH) {
      let result: WriteResult;
      try {
        result = await store.ingest(records.slice(offset, offset + MAX_BATCH));
      } catch (err) {
        throw new StoreFailure(err);
      }
      progress.stored += result.stored;
      for (const r of result.rejected) rejected.set(offset + r.index, r.reason);
    }
    return { stored: progress.stored, rejected };
  };

  /**
   * A store that cannot write is a temporary refusal the shipper must retry: Elasticsearch
   * outputs get 429 es_rejected_execution_exception (what Elasticsearch itself answers when it
   * cannot take writes, retried by Filebeat, Logstash, Fluent Bit, Fluentd and Vector alike), Loki
   * and OTLP clients 503 (retryable in both). Anything else is a bug: 500, logged with the request id.
   */
  const storeFailure = (err: StoreFailure, store: IngestStore, protocol: IngestProtocol, req: FastifyRequest, stored: number): IngestFailure => {
    const original = err.original;
    if (!(original instanceof TelemcpError)) {
      rt.log.error({ err: original as Error, request_id: req.id }, 'ingest: the store write failed');
      return toIngestFailure(original);
    }
    rt.log.warn({ request_id: req.id, stored, code: original.code, reason: original.message }, stored > 0 ? 'ingest: the store failed part-way; the retried request stores the first records again' : 'ingest: the store refused the write');
    const hidePath = (text: string | undefined) => (text && store.dataDir ? text.split(store.dataDir).join('DATA_DIR') : text);
    const message = hidePath(original.message)!;
    const hint = hidePath(original.hint);
    const retryAfter = original.retryAfter ?? 5;
    if (protocol === 'elasticsearch') return new IngestFailure(429, original.code, message, { hint, retryAfter, esType: 'es_rejected_execution_exception' });
    return new IngestFailure(503, original.code, message, { hint, retryAfter });
  };

  const send = (reply: FastifyReply, protocol: IngestProtocol, answer: Pick<Answer, 'status' | 'body' | 'contentType'>): FastifyReply => {
    if (protocol === 'elasticsearch') elasticsearchReply(reply);
    reply.code(answer.status);
    if (answer.body === undefined) return reply.send();
    reply.header('content-type', answer.contentType ?? (typeof answer.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8'));
    return reply.send(answer.body);
  };

  /** One data request: audit before, checks, body, parse, durable write, audit after, then the answer. */
  const ingest = (spec: EndpointSpec) => async (req: FastifyRequest<{ Params: { index?: string } }>, reply: FastifyReply) => {
    const started = process.hrtime.bigint();
    const elapsedMs = () => Math.round(Number(process.hrtime.bigint() - started) / 1e6);
    const release = await admit(req, reply, spec.protocol, spec.name);
    if (!release) return reply;
    const caller = callerOf(req);
    const base = auditBase(caller, req);
    const progress = { stored: 0 };
    let outcome: { status: number; code: string; rejected: number };
    let answer: Pick<Answer, 'status' | 'body' | 'contentType'> | IngestFailure;
    try {
      // Fail-closed: a request that cannot be put on record is refused before anything is read or stored.
      await rt.audit.write({ ...base, phase: 'before' });
    } catch (err) {
      release();
      rt.metrics.ingestRequests.labels(spec.name, '503').inc();
      return sendIngestFailure(reply, spec.protocol, toIngestFailure(err));
    }
    let bytes: number | undefined;
    const store = opts.store();
    // A client that goes away mid-parse gets nothing stored: its parse is dropped (the thread replaced), not finished for no one.
    const clientGone = new AbortController();
    const onSocketClose = () => {
      if (!reply.sent) clientGone.abort(new TelemcpError('invalid_input', 'The client closed the connection before the body was parsed; nothing was stored.'));
    };
    req.raw.socket.once('close', onSocketClose);
    try {
      if (!store) {
        throw new IngestFailure(503, 'backend_unavailable', 'The embedded store is off, so there is nowhere to keep ingested logs; nothing was stored.', {
          hint: 'Set EMBEDDED_STORE=on (the default auto turns it off when ES_URL or OPENSEARCH_URL is set) and restart; logs are then kept under DATA_DIR.',
          retryAfter: 60,
        });
      }
      const problem = spec.contentTypeProblem(req.headers['content-type']);
      if (problem) {
        answer = problem;
        outcome = { status: problem.status, code: 'unsupported_media_type', rejected: 0 };
      } else {
        const body = await readIngestBody(req.body as Readable | undefined, req.headers, rt.config.INGEST_MAX_BYTES, spec.selfDecoded);
        bytes = body.length;
        rt.metrics.ingestBytes.labels(spec.name).inc(bytes);
        const result = await spec.handle(body, writer(store, progress), {
          index: req.params.index,
          elapsedMs,
          contentType: req.headers['content-type'],
          maxBytes: rt.config.INGEST_MAX_BYTES,
          receivedAt: Date.now(),
          parse: (job) => parser.parse(job, clientGone.signal),
        });
        answer = result;
        outcome = { status: result.status, code: result.status < 300 ? 'ok' : 'invalid_input', rejected: result.rejected };
      }
    } catch (err) {
      const failure = err instanceof StoreFailure && store ? storeFailure(err, store, spec.protocol, req, progress.stored) : toIngestFailure(err);
      if (failure.code === 'internal_error' && !(err instanceof StoreFailure)) rt.log.error({ err: err as Error, request_id: req.id }, 'ingest failed');
      answer = failure;
      outcome = { status: failure.status, code: failure.code, rejected: 0 };
    } finally {
      req.raw.socket.off('close', onSocketClose);
      release();
    }
    rt.metrics.ingestRequests.labels(spec.name, String(outcome.status)).inc();
    if (progress.stored) rt.metrics.ingestRecords.labels(spec.name, 'stored').inc(progress.stored);
    if (outcome.rejected) rt.metrics.ingestRecords.labels(spec.name, 'rejected').inc(outcome.rejected);
    // After the durable write a failing audit sink must not turn the answer into an error: the
    // shipper would retry and store the records twice. The sink raises its own alarm.
    await auditSafely({
      ...base,
      phase: 'after',
      decision: outcome.status < 300 ? 'allowed' : outcome.status === 400 || outcome.status === 413 || outcome.status === 406 || outcome.status === 415 ? 'denied' : 'failed',
      status: outcome.status,
      code: outcome.code,
      latency_ms: elapsedMs(),
      records_stored: progress.stored,
      records_rejected: outcome.rejected,
      ...(bytes !== undefined ? { request_bytes: bytes } : {}),
    });
    return answer instanceof IngestFailure ? sendIngestFailure(reply, spec.protocol, answer) : send(reply, spec.protocol, answer);
  };

  /** A handshake answer (read nothing, write nothing): admitted like any ingest request, never audited when served. */
  const handshake = (respond: (req: FastifyRequest<{ Params: { name?: string } }>) => Pick<Answer, 'status' | 'body' | 'contentType'> | Promise<Pick<Answer, 'status' | 'body' | 'contentType'>>) =>
    async (req: FastifyRequest<{ Params: { name?: string } }>, reply: FastifyReply) => {
      const release = await admit(req, reply, 'elasticsearch');
      if (!release) return reply;
      try {
        return send(reply, 'elasticsearch', await respond(req));
      } catch (err) {
        return sendIngestFailure(reply, 'elasticsearch', toIngestFailure(err));
      } finally {
        release();
      }
    };

  /** A set-up install (template, policy): the body is read within the cap, then dropped. */
  const acknowledge = handshake(async (req) => {
    await readIngestBody(req.body as Readable | undefined, req.headers, rt.config.INGEST_MAX_BYTES);
    return { status: 200, body: { acknowledged: true } };
  });

  fastify.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, payload, done) => done(null, payload));

    const es = { config: { ingest: 'elasticsearch' as const } };
    scope.get('/', es, handshake(() => ({ status: 200, body: clusterInfo(uuid) })));
    scope.get('/_license', es, handshake(() => ({ status: 200, body: license(uuid) })));
    scope.get('/_cluster/health', es, handshake(() => ({ status: 200, body: clusterHealth() })));
    for (const resource of SETUP_RESOURCES) {
      scope.get(`${resource.prefix}/:name`, es, handshake((req) => resource.absent(String(req.params.name ?? '').slice(0, MAX_NAME_ECHO))));
      scope.put(`${resource.prefix}/:name`, es, acknowledge);
      scope.post(`${resource.prefix}/:name`, es, acknowledge);
    }
    const catTemplates = handshake((req) => {
      const json = /(?:^|&)format=json(?:&|$)/.test(req.url.split('?')[1] ?? '');
      return json ? { status: 200, body: [] } : { status: 200, body: '', contentType: 'text/plain; charset=utf-8' };
    });
    scope.get('/_cat/templates', es, catTemplates);
    scope.get('/_cat/templates/:name', es, catTemplates);

    for (const path of ['/_bulk', '/:index/_bulk']) {
      scope.post(path, es, ingest(bulkEndpoint));
      scope.put(path, es, ingest(bulkEndpoint));
    }
    scope.post('/loki/api/v1/push', { config: { ingest: 'loki' } }, ingest(lokiEndpoint));
    scope.post('/v1/logs', { config: { ingest: 'otlp' } }, ingest(otlpEndpoint));
  });
}
