/**
 * Shared set-up for the integration suites that run against the real search engines started
 * by `scripts/test-env.sh up`: which engines exist, a small admin client (plain fetch) to create
 * and delete the fixtures the suites need, and the callers they invoke tools as.
 *
 * The admin client writes to the cluster (create index, bulk, delete): that is the test's own
 * set-up, never telemcp's traffic, and it deliberately does not go through telemcp.
 */
import { randomBytes } from 'node:crypto';
import { invokeTool, type InvokeResult } from '../../src/tools/invoke.js';
import type { App } from '../../src/app.js';
import type { Caller } from '../../src/tools/tool.js';

export interface EngineSpec {
  /** Short label used in test names. */
  label: string;
  /** Variable naming the engine's URL (exported by scripts/test.sh). */
  envVar: 'TEST_ES_URL' | 'TEST_ES9_URL' | 'TEST_ES7_URL' | 'TEST_OPENSEARCH_URL';
  /** The telemcp setting that points the server at this engine. */
  configKey: 'ES_URL' | 'OPENSEARCH_URL';
  /** Composable templates with `data_stream` (ES 7.17 OSS builds do not know the field). */
  dataStreams: boolean;
  /**
   * `DELETE /_data_stream/<name>` exists. The ES 8/9 integ-test builds lack the x-pack
   * data-streams plugin that serves it, so a data stream created there cannot be removed.
   */
  dataStreamsDeletable: boolean;
}

export const ENGINES: EngineSpec[] = [
  { label: 'elasticsearch 8', envVar: 'TEST_ES_URL', configKey: 'ES_URL', dataStreams: true, dataStreamsDeletable: false },
  { label: 'elasticsearch 9', envVar: 'TEST_ES9_URL', configKey: 'ES_URL', dataStreams: true, dataStreamsDeletable: false },
  { label: 'elasticsearch 7', envVar: 'TEST_ES7_URL', configKey: 'ES_URL', dataStreams: false, dataStreamsDeletable: false },
  { label: 'opensearch 2', envVar: 'TEST_OPENSEARCH_URL', configKey: 'OPENSEARCH_URL', dataStreams: true, dataStreamsDeletable: true },
];

/** The engine URL from the environment; a missing variable fails the suite, it never skips it. */
export function requireEngineUrl(envVar: string): string {
  const value = process.env[envVar];
  if (!value) {
    throw new Error(
      `${envVar} is not set: this integration suite needs a real engine. Start the engines with \`scripts/test-env.sh up\` ` +
        `and export ${envVar} (\`npm test\` / scripts/test.sh does both).`,
    );
  }
  return value.replace(/\/+$/, '');
}

/** Lowercase, index-name safe, unique per call. */
export function uniqueSuffix(): string {
  return randomBytes(5).toString('hex');
}

export const CALLERS = {
  viewer: { id: 'it-viewer', role: 'elk_viewer', transport: 'direct' },
  operator: { id: 'it-operator', role: 'elk_operator', transport: 'direct' },
  admin: { id: 'it-admin', role: 'elk_admin_readonly', transport: 'direct' },
} satisfies Record<string, Caller>;

export type OkResult = Extract<InvokeResult, { ok: true }>;
export type ErrResult = Extract<InvokeResult, { ok: false }>;

export function call(app: App, tool: string, input: unknown, caller: Caller = CALLERS.admin): Promise<InvokeResult> {
  return invokeTool(app.rt, tool, input, caller);
}

/** Calls a tool and fails with the tool's own error when it did not succeed. */
export async function callOk<T = Record<string, unknown>>(app: App, tool: string, input: unknown, caller: Caller = CALLERS.admin): Promise<T> {
  const res = await call(app, tool, input, caller);
  if (!res.ok) throw new Error(`${tool} failed: ${JSON.stringify(res.error)}`);
  return res.data as T;
}

/** Calls a tool and fails when it succeeded; returns the error. */
export async function callErr(app: App, tool: string, input: unknown, caller: Caller = CALLERS.admin): Promise<ErrResult> {
  const res = await call(app, tool, input, caller);
  if (res.ok) throw new Error(`${tool} was expected to fail but returned ${JSON.stringify(res.data).slice(0, 500)}`);
  return res;
}

export interface RawResponse<T = unknown> {
  status: number;
  body: T;
}

/** Direct, unguarded access to an engine, for fixtures and for checking what the cluster really holds. */
export class EngineAdmin {
  constructor(readonly url: string) {}

  async request<T = unknown>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<RawResponse<T>> {
    const res = await fetch(this.url + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': contentType },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // plain-text answers (e.g. some _cat output) stay text
    }
    return { status: res.status, body: parsed as T };
  }

  /** Like request, but a non-2xx answer is a test failure. */
  async must<T = unknown>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
    const res = await this.request<T>(method, path, body, contentType);
    if (res.status < 200 || res.status >= 300) throw new Error(`${method} ${path} → ${res.status}: ${JSON.stringify(res.body).slice(0, 500)}`);
    return res.body;
  }

  async createIndex(name: string, opts: { shards?: number; replicas: number; mappings?: unknown }): Promise<void> {
    await this.must('PUT', `/${name}`, {
      settings: { number_of_shards: opts.shards ?? 1, number_of_replicas: opts.replicas },
      ...(opts.mappings ? { mappings: opts.mappings } : {}),
    });
  }

  /** Waits until the index has reached at least `status` (yellow: primaries started). */
  async waitForStatus(index: string, status: 'yellow' | 'green'): Promise<void> {
    await this.must('GET', `/_cluster/health/${index}?wait_for_status=${status}&timeout=30s`);
  }

  async bulkIndex(index: string, docs: Record<string, unknown>[]): Promise<void> {
    const lines = docs.flatMap((d) => [JSON.stringify({ index: { _index: index } }), JSON.stringify(d)]).join('\n') + '\n';
    const res = await this.must<{ errors: boolean; items: unknown[] }>('POST', '/_bulk?refresh=true', lines, 'application/x-ndjson');
    if (res.errors) throw new Error(`bulk into ${index} had errors: ${JSON.stringify(res.items).slice(0, 500)}`);
  }

  /** Deletes indices by exact name; missing ones are fine. */
  async deleteIndices(names: string[]): Promise<void> {
    for (const name of names) {
      const res = await this.request('DELETE', `/${name}`);
      if (res.status !== 200 && res.status !== 404) throw new Error(`DELETE /${name} → ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
    }
  }

  health(index?: string): Promise<{ status: string; unassigned_shards: number; number_of_nodes: number }> {
    return this.must('GET', `/_cluster/health${index ? `/${index}` : ''}`);
  }

  catShards(): Promise<{ index: string; shard: string; prirep: string; state: string }[]> {
    return this.must('GET', '/_cat/shards?format=json&h=index,shard,prirep,state');
  }

  async catCount(pattern: string): Promise<number> {
    const rows = await this.must<{ count: string }[]>('GET', `/_cat/count/${pattern}?format=json`);
    return Number(rows[0].count);
  }
}

/**
 * Runs `action` between two reads of cluster state and retries (a few times) until both reads
 * agree, so an assertion against "what the cluster contains" is not disturbed by another test
 * process changing the shared cluster at the same moment.
 */
export async function stableAround<S, R>(read: () => Promise<S>, action: () => Promise<R>, attempts = 5): Promise<{ state: S; result: R }> {
  let last: { state: S; result: R } | undefined;
  for (let i = 0; i < attempts; i++) {
    const before = await read();
    const result = await action();
    const after = await read();
    last = { state: after, result };
    if (JSON.stringify(before) === JSON.stringify(after)) return last;
  }
  return last!;
}

/** ~n log documents for `service` values a/b/c, in a fixed proportion so aggregations are checkable. */
export function logDocs(n: number): Record<string, unknown>[] {
  const services = ['checkout', 'payment', 'search'];
  const start = Date.parse('2026-01-01T00:00:00Z');
  return Array.from({ length: n }, (_, i) => ({
    '@timestamp': new Date(start + i * 1000).toISOString(),
    service: services[i % 3],
    level: i % 5 === 0 ? 'error' : 'info',
    message: `request ${i} handled`,
  }));
}

export const LOG_MAPPINGS = {
  properties: {
    '@timestamp': { type: 'date' },
    service: { type: 'keyword' },
    level: { type: 'keyword' },
    message: { type: 'text' },
  },
};

/** ECS log fields as an index maps them: what the log tools read by default (host only where asked). */
export function ecsLogMappings(opts: { host?: boolean } = {}): { properties: Record<string, unknown> } {
  return {
    properties: {
      '@timestamp': { type: 'date' },
      service: { properties: { name: { type: 'keyword' } } },
      log: { properties: { level: { type: 'keyword' } } },
      message: { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 256 } } },
      trace: { properties: { id: { type: 'keyword' } } },
      ...(opts.host ? { host: { properties: { name: { type: 'keyword' } } } } : {}),
    },
  };
}
