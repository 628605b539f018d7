import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyRequest } from 'fastify';
import type { App } from '../../app.js';
import type { Caller } from '../../tools/tool.js';

const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** The secret of `base64(<id or user>:<secret>)`; the part before the colon is not checked. */
function secretOfPair(token: string): string | undefined {
  if (!BASE64.test(token)) return undefined;
  const decoded = Buffer.from(token, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return undefined;
  const secret = decoded.slice(colon + 1);
  return secret === '' ? undefined : secret;
}

/**
 * The key a log shipper presents, from headers only. Besides the X-API-Key and
 * `Authorization: Bearer <key>` every front door reads, the ingest endpoints take the two schemes
 * shippers' Elasticsearch and Loki outputs can send without custom headers:
 *  - `Authorization: ApiKey base64(<id>:<key>)`, what Filebeat's and Logstash's `api_key: "<id>:<key>"`
 *    send (any id; telemcp keys have none);
 *  - `Authorization: Basic base64(<user>:<key>)`, the key as the password (Fluent Bit's
 *    `HTTP_User`/`HTTP_Passwd`, Vector's `auth.strategy: basic`, Promtail's and Alloy's `basic_auth`,
 *    Logstash's `user`/`password`); the user name is not checked.
 * The key is then looked up as any other: hashed and compared in constant time by the key ring.
 */
export function presentedIngestKey(headers: IncomingHttpHeaders): string | undefined {
  const header = headers['x-api-key'];
  if (header !== undefined) return Array.isArray(header) ? header.join(', ') : header;
  const auth = headers.authorization;
  const m = auth ? /^(Bearer|ApiKey|Basic)\s+(\S+)\s*$/i.exec(auth) : null;
  if (!m) return undefined;
  return m[1].toLowerCase() === 'bearer' ? m[2] : secretOfPair(m[2]);
}

export function authenticateIngest(app: App, req: FastifyRequest): Caller | undefined {
  app.refreshKeys();
  const record = app.keys.authenticate(presentedIngestKey(req.headers));
  return record ? { id: record.id, role: record.role, transport: 'rest', requestId: req.id } : undefined;
}

export const INGEST_AUTH_HINT =
  'Send the ingest key in X-API-Key, Authorization: Bearer <key>, Authorization: ApiKey base64(<any id>:<key>) (Filebeat/Logstash api_key: "<any id>:<key>"), or Basic auth with the key as the password; query-string keys are ignored.';
