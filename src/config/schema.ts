import { z } from 'zod';
import type { SettingsFragment } from './fragment.js';
import { ROLES, TOOL_ROLES, type Role } from '../core/roles.js';

/** Env values are strings; YAML may give real types. Both go through these. */
export const bool = z.union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => ['true', '1', 'yes'].includes(v))]);
export const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
export const list = z
  .union([z.array(z.string()), z.string()])
  .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter(Boolean));
const url = z
  .string()
  .trim()
  .refine((v) => /^https?:\/\/[^/\s]+/.test(v), 'must be an http(s) URL such as https://es.example:9200');
export const optionalUrl = z.preprocess((v) => (v === '' ? undefined : v), url.optional());
export const optionalString = z.preprocess((v) => (v === '' ? undefined : v), z.string().optional());

export interface ApiKeyEntry {
  /** Hex sha256 of the key; the plain key is never kept. */
  sha256: string;
  role: Role;
  /** Short, non-secret identifier for logs and audit (first hash chars). */
  id: string;
}

/**
 * `key:role,key:role`; a key may be `sha256:<hex>`. The role is after the LAST colon so
 * `sha256:` prefixes and keys containing colons still parse.
 */
const apiKeys = z.string().transform((raw, ctx) => {
  const entries: { key: string; role: Role }[] = [];
  for (const part of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    const at = part.lastIndexOf(':');
    const key = at > 0 ? part.slice(0, at) : '';
    const role = at > 0 ? part.slice(at + 1) : '';
    if (!key || !(ROLES as readonly string[]).includes(role)) {
      ctx.addIssue({
        code: 'custom',
        message: `entry ${entries.length + 1} must be key:role with role one of ${ROLES.join(', ')}`,
      });
      continue;
    }
    if (key.startsWith('sha256:') && !/^sha256:[0-9a-f]{64}$/i.test(key)) {
      ctx.addIssue({ code: 'custom', message: `entry ${entries.length + 1}: sha256: must be followed by 64 hex characters` });
      continue;
    }
    entries.push({ key, role: role as Role });
  }
  return entries;
});

/** The server's own settings; each backend module adds its own (a module.ts under src/backends). */
export const serverSettings = z.object({
    HOST: z.string().default('127.0.0.1').describe('HTTP bind address; a non-loopback bind logs a warning (put TLS in front)'),
    PORT: int(0, 65535).default(8080).describe('HTTP port'),
    DATA_DIR: z.string().default('./data').describe('state directory: the embedded store (`DATA_DIR/logs.db`), the audit log and the generated local key'),
    /** Days the embedded log store keeps records; older ones are pruned in the background. 0 keeps them forever. */
    RETENTION_DAYS: int(0, 36_500).default(7).describe('days the embedded log store (`DATA_DIR/logs.db`) keeps a record after it was **stored** (its own time does not count); pruned in the background and at start-up, every deletion reported (banner, `telemcp_status`, `/metrics`); `0` keeps them forever'),
    /**
     * The embedded log store (SQLite under DATA_DIR): `auto` keeps logs in it when no
     * Elasticsearch/OpenSearch is configured, `on` always (beside them, as source "embedded"), `off` never.
     */
    EMBEDDED_STORE: z.enum(['auto', 'on', 'off']).default('auto').describe('the embedded log store (SQLite, `DATA_DIR/logs.db`): `auto` = on when no other log source (Elasticsearch, OpenSearch) is configured, `on` = also beside them (log tools choose with `source`), `off` = never. One writing process per `DATA_DIR` (a lock file refuses a second; readers such as stdio servers run beside it)'),
    /** Load the demo dataset (the `telemcp seed` generator's) into an empty embedded store at start-up. */
    DEMO_DATA: bool.default(true).describe('load the demo dataset (the `telemcp seed` generator\'s) into an empty embedded store at start-up'),
    /** Largest ingest request body (POST /_bulk, /loki/api/v1/push, /v1/logs) after decompression, bytes. */
    INGEST_MAX_BYTES: int(1024, 1024 ** 3).default(32 * 1024 * 1024).describe('largest ingest request (`/_bulk`, Loki push, OTLP logs) after decompression, in bytes'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('telemcp\'s own log level; logs are JSON on stderr'),
    /**
     * Toolsets to serve (`elk,logs`): a smaller catalog for the model to read. Default: every
     * toolset whose backend is configured. telemcp_status (toolset `server`) is always served.
     */
    TOOLSETS: list.optional().describe('comma list of toolsets to serve (the toolset column of the Tools table), for a smaller catalog. Unset: every toolset whose backend is configured. `telemcp_status` (toolset `server`) and the discovery tools are always served; prompts and saved searches come with their toolset; an unknown name is a configuration error'),
    /**
     * How the catalog is offered: `full` lists every tool; `base` lists four meta-tools (list, search,
     * describe, call) that reach every tool through the same pipeline; `categories` one tool per toolset.
     */
    TOOL_DISCOVERY: z.enum(['full', 'base', 'categories']).default('full').describe('what `tools/list` shows: `full` = every tool; `base` = four meta-tools (`list_tools`, `search_tools`, `describe_tool`, `call_tool`) that reach every tool through the same pipeline; `categories` = one tool per toolset. Every tool stays callable by name in every mode'),

    API_KEYS: apiKeys.optional().describe('`key:role,key:role`; a key may be `sha256:<hex>` so the configuration never holds it. Unset (and no `API_KEYS_FILE`): a local key is generated under `DATA_DIR`'),
    /** Re-read on change so keys can be rotated or revoked without a restart. */
    API_KEYS_FILE: optionalString.describe('the same entries, one per line; re-read when it changes, so keys rotate or are revoked without a restart'),
    STDIO_ROLE: z.enum(TOOL_ROLES).default('elk_admin_readonly').describe('the role of the local stdio caller'),
    ALLOWED_INDEX_PATTERNS: list.default(['logs-*', 'filebeat-*', 'logstash-*', 'metricbeat-*', 'apm-*', 'traces-apm*', 'metrics-*']).describe('the only Elasticsearch/OpenSearch indices any tool may read (the embedded store\'s datasets hold only what was ingested into this telemcp, and are all readable)'),
    ALLOWED_ORIGINS: list.default([]).describe('extra browser origins accepted (DNS-rebinding protection)'),
    ALLOWED_HOSTS: list.default([]).describe('extra `Host` names accepted (DNS-rebinding protection)'),

    MAX_RESPONSE_BYTES: int(1024, 64 * 1024 * 1024).default(262_144).describe('a result above this is refused with 413 `response_too_large` and a hint to narrow'),
    MAX_REQUEST_BYTES: int(1024, 64 * 1024 * 1024).default(1_048_576).describe('request body cap, in bytes'),
    MAX_JSON_DEPTH: int(4, 512).default(48).describe('JSON nesting cap of a request'),
    RATE_LIMIT_PER_MINUTE: int(1, 1_000_000).default(120).describe('tool calls per API key a minute; beyond it 429 `rate_limited` with `Retry-After`'),
    MAX_CONCURRENT_PER_KEY: int(1, 10_000).default(16).describe('calls in flight per API key; beyond it 429 `rate_limited` with `Retry-After`'),
    // Shippers send many small requests (Filebeat: a bulk per 1,600 events, per worker): a tool-call budget would throttle them.
    INGEST_RATE_LIMIT_PER_MINUTE: int(1, 1_000_000).default(6000).describe('ingest requests per ingest key a minute (tool calls have `RATE_LIMIT_PER_MINUTE`); 429 with `Retry-After` beyond it'),
    BACKEND_TIMEOUT_MS: int(100, 600_000).default(30_000).describe('per backend request deadline (an instance\'s `<PREFIX>_TIMEOUT_MS` overrides it)'),
    BACKEND_MAX_RETRIES: int(0, 5).default(2).describe('bounded retries with jitter for idempotent reads on 502/503/504/429'),
    /** The most a backend may send for one request before reading stops. */
    BACKEND_MAX_RESPONSE_BYTES: int(1024, 1024 * 1024 * 1024).default(32 * 1024 * 1024).describe('reading a backend response stops beyond this many bytes'),
    /** Answers of windowed backend reads kept for repeated calls (tools/query-cache.ts). */
    QUERY_CACHE_MAX_BYTES: int(0, 4 * 1024 ** 3).default(64 * 1024 * 1024).describe('memory for the query cache, in bytes of serialised answers (least recently used answers go first); `0` turns the cache off. Tools reading a remote backend over a time window keep their answers: until the current step ends when the window ends now (10 s–5 min, by window length), a minute when it ended within the last hour, longer when it ended before; an answer from the cache says `cached_at`. Errors, partial answers and the embedded store are never cached'),
    QUERY_CACHE_MAX_TTL_MS: int(1_000, 86_400_000).default(600_000).describe('the longest the query cache keeps an answer (a window that ended over an hour ago); shorter lifetimes are capped by it too'),
    READY_CACHE_MS: int(0, 600_000).default(5_000).describe('`/readyz` probes each backend at most once per interval (2 s probe timeout)'),
    MAX_SSE_SESSIONS: int(1, 100_000).default(100).describe('legacy SSE session cap'),
    SSE_IDLE_TIMEOUT_MS: int(1_000, 86_400_000).default(15 * 60_000).describe('legacy SSE session idle expiry'),

    AUDIT_LOG: optionalString.describe('JSON-lines audit file. Unset: `DATA_DIR/audit.log`'),
    AUDIT_FAIL_MODE: z.enum(['closed', 'open']).default('closed').describe('`closed` refuses calls that cannot be audited (503); `open` serves them (reported as insecure)'),

    /** Where the log tools look when a call names no index_pattern. */
    LOG_INDEX_PATTERN: z.string().min(1).default('logs-*').describe('where the log tools look when a call names no `index_pattern`'),
    /**
     * Field names for log documents when they are neither ECS nor the seed's flat names:
     * `timestamp=ts,service=app,level=severity,message=msg,trace_id=trace,host=node` (any subset).
     */
    LOG_FIELDS: optionalString.describe('field names for logs that are neither ECS nor flat (`timestamp=ts,service=app,level=severity,message=msg,trace_id=trace,host=node`, any subset); otherwise detected with `_field_caps`'),
    FILEBEAT_INDEX_PATTERN: z.string().min(1).default('filebeat-*').describe('where the Filebeat tool looks when a call names no `index_pattern`'),
    APM_INDEX_PATTERN: z.string().min(1).default('traces-apm*,apm-*').describe('where the APM tool looks when a call names no `index_pattern`'),
    /** Signs pagination cursors; set the same value on every replica behind one load balancer. */
    CURSOR_SECRET: optionalString.describe('signs pagination cursors; set the same value on every replica behind one load balancer. Unset: random per process'),
});

export type ServerSettings = z.infer<typeof serverSettings>;

/** The server's own fragment of the settings (config/fragment.ts). */
export const SERVER_SETTINGS: SettingsFragment = {
  shape: serverSettings.shape,
  secrets: ['API_KEYS', 'CURSOR_SECRET'],
  insecure: (config) => (config.AUDIT_FAIL_MODE === 'open' ? ['AUDIT_FAIL_MODE=open'] : []),
};
