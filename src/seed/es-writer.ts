/**
 * The one place in telemcp that writes to a backend: `telemcp seed` loads the simulated stack
 * with `_bulk`. It is deliberately separate from the read-only BackendHttpClient (whose
 * method/path allowlist stays closed to writes) and lint forbids tools, front doors and
 * backends to import it. Records are streamed into bounded batches with at most
 * `concurrency` in flight, so memory does not grow with the size of the dataset.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';
import { SEED_MAPPINGS } from './mappings.js';
import type { SeedRecord } from './manifest.js';
import type { IndexKind } from './plan.js';
import { credentialHeaders, type BackendConnection } from '../backends/http.js';

export interface EsWriterOptions extends Pick<BackendConnection, 'url' | 'apiKey' | 'username' | 'password' | 'bearerToken' | 'caCertPath' | 'clientCertPath' | 'clientKeyPath' | 'headers' | 'verifyTls'> {
  /** Per request. */
  timeoutMs: number;
  /** number_of_replicas for the indices this writer creates. */
  replicas?: number;
  batchDocs?: number;
  batchBytes?: number;
  concurrency?: number;
  /** Retries of a whole request (network, 429, 502-504) and of items refused with 429. */
  maxRetries?: number;
}

export interface ClusterInfo {
  distribution: 'elasticsearch' | 'opensearch';
  version: string;
  clusterName: string;
}

export interface PreparedIndex {
  name: string;
  kind: IndexKind;
  /** created: new index with the seed mappings; exists: left as it was; data_stream: a template makes it a data stream on first write. */
  outcome: 'created' | 'exists' | 'data_stream';
}

export interface WriteReport {
  indexed: number;
  /** Items refused with 409: the same run was seeded before (record ids are deterministic). */
  already_present: number;
  failed: number;
  /** Items re-sent after a 429 (bulk queue full). */
  retried: number;
  batches: number;
  per_index: Record<string, number>;
  /** Failed items grouped by index and error type, with the first reason seen. */
  failures: { index: string; type: string; reason: string; count: number }[];
  duration_ms: number;
}

export class SeedWriteError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'SeedWriteError';
  }
}

interface Entry {
  index: string;
  lines: string;
}

interface BulkItemResult {
  status: number;
  error?: { type?: string; reason?: string };
}

const RETRYABLE = new Set([429, 502, 503, 504]);

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Origin and credentials from a URL; userinfo in the URL is used as basic auth and never shown. */
export function splitUrl(raw: string): { origin: string; basePath: string; shown: string; username?: string; password?: string } {
  const url = new URL(raw);
  const username = url.username ? decodeURIComponent(url.username) : undefined;
  const password = url.password ? decodeURIComponent(url.password) : undefined;
  const basePath = url.pathname.replace(/\/+$/, '');
  return { origin: url.origin, basePath, shown: `${url.origin}${basePath}`, username, password };
}

export class EsBulkWriter {
  private readonly agent: Agent;
  private readonly origin: string;
  private readonly basePath: string;
  private readonly headers: Record<string, string>;
  private readonly batchDocs: number;
  private readonly batchBytes: number;
  private readonly concurrency: number;
  private readonly maxRetries: number;
  private fatal?: Error;
  private report!: WriteReport;
  private readonly failureGroups = new Map<string, { index: string; type: string; reason: string; count: number }>();
  /** The URL without credentials, for messages. */
  readonly shownUrl: string;

  constructor(private readonly opts: EsWriterOptions) {
    const url = splitUrl(opts.url);
    this.origin = url.origin;
    this.basePath = url.basePath;
    this.shownUrl = url.shown;
    this.headers = { accept: 'application/json', ...opts.headers, ...credentialHeaders({ apiKey: opts.apiKey, bearerToken: opts.bearerToken, username: opts.username ?? url.username, password: opts.password ?? url.password }) };
    this.agent = new Agent({
      connect: {
        ca: opts.caCertPath ? readFileSync(opts.caCertPath) : undefined,
        cert: opts.clientCertPath ? readFileSync(opts.clientCertPath) : undefined,
        key: opts.clientKeyPath ? readFileSync(opts.clientKeyPath) : undefined,
        rejectUnauthorized: opts.verifyTls, timeout: Math.min(opts.timeoutMs, 10_000) },
      keepAliveTimeout: 10_000,
      connections: (opts.concurrency ?? 2) + 1,
    });
    this.batchDocs = opts.batchDocs ?? 5000;
    this.batchBytes = opts.batchBytes ?? 8 * 1024 * 1024;
    this.concurrency = opts.concurrency ?? 2;
    this.maxRetries = opts.maxRetries ?? 4;
  }

  /** Version and name; minimal builds that do not serve `GET /` answer from node info. */
  async info(): Promise<ClusterInfo> {
    const res = await this.call('GET', '/');
    if (res.status === 200) {
      const root = JSON.parse(res.body) as { cluster_name?: string; version?: { number?: string; distribution?: string } };
      return {
        distribution: root.version?.distribution === 'opensearch' ? 'opensearch' : 'elasticsearch',
        version: root.version?.number ?? 'unknown',
        clusterName: root.cluster_name ?? 'unknown',
      };
    }
    if (res.status === 401 || res.status === 403) throw this.statusError('GET /', res);
    const nodesRes = await this.call('GET', '/_nodes/_local?filter_path=cluster_name,nodes.*.version');
    if (nodesRes.status !== 200) throw this.statusError('GET /_nodes/_local', nodesRes);
    const nodes = JSON.parse(nodesRes.body) as { cluster_name?: string; nodes?: Record<string, { version?: string }> };
    return { distribution: 'elasticsearch', version: Object.values(nodes.nodes ?? {})[0]?.version ?? 'unknown', clusterName: nodes.cluster_name ?? 'unknown' };
  }

  /**
   * Creates each index with the seed's mappings. An existing index is left alone; on a
   * cluster whose templates make the name a data stream (Elasticsearch's built-in `logs-*-*`
   * and APM templates), the data stream is created by the first write with the template's mappings.
   */
  async prepare(indices: { name: string; kind: IndexKind }[]): Promise<PreparedIndex[]> {
    const out: PreparedIndex[] = [];
    for (const { name, kind } of indices) {
      const body = {
        settings: { number_of_shards: 1, ...(this.opts.replicas === undefined ? {} : { number_of_replicas: this.opts.replicas }) },
        mappings: SEED_MAPPINGS[kind],
      };
      const res = await this.call('PUT', `/${encodeURIComponent(name)}`, JSON.stringify(body), 'application/json');
      if (res.status >= 200 && res.status < 300) {
        out.push({ name, kind, outcome: 'created' });
        continue;
      }
      const error = this.errorOf(res.body);
      if (error.type === 'resource_already_exists_exception') out.push({ name, kind, outcome: 'exists' });
      else if (res.status === 400 && /data stream/i.test(error.reason)) out.push({ name, kind, outcome: 'data_stream' });
      else throw this.statusError(`PUT /${name}`, res);
    }
    return out;
  }

  /**
   * Streams records into `_bulk` batches (`create` actions with the records' ids, which data
   * streams require and which make a re-run of the same options idempotent). Returns the
   * report and the iterator's return value (the generator's manifest).
   */
  async write<R>(records: Iterator<SeedRecord, R>, onProgress?: (done: { docs: number; at: number }) => void): Promise<{ report: WriteReport; result: R }> {
    const started = Date.now();
    this.report = { indexed: 0, already_present: 0, failed: 0, retried: 0, batches: 0, per_index: {}, failures: [], duration_ms: 0 };
    this.failureGroups.clear();
    this.fatal = undefined;
    const inFlight = new Set<Promise<void>>();
    let batch: Entry[] = [];
    let bytes = 0;
    let maxAt = 0;
    let sent = 0;
    const dispatch = async () => {
      while (inFlight.size >= this.concurrency) await Promise.race(inFlight);
      if (this.fatal) throw this.fatal;
      const entries = batch;
      const at = maxAt;
      batch = [];
      bytes = 0;
      const p: Promise<void> = this.send(entries)
        .then(() => {
          sent += entries.length;
          onProgress?.({ docs: sent, at });
        })
        .catch((err: unknown) => {
          this.fatal ??= err as Error;
        })
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    };
    let step = records.next();
    while (!step.done) {
      const r = step.value;
      const lines = `${JSON.stringify({ create: { _index: r.index, _id: r.id } })}\n${JSON.stringify(r.doc)}\n`;
      batch.push({ index: r.index, lines });
      bytes += lines.length;
      if (r.at > maxAt) maxAt = r.at;
      if (batch.length >= this.batchDocs || bytes >= this.batchBytes) await dispatch();
      step = records.next();
    }
    if (batch.length) await dispatch();
    await Promise.all(inFlight);
    if (this.fatal) throw this.fatal;
    this.report.failures = [...this.failureGroups.values()].sort((a, b) => b.count - a.count);
    this.report.duration_ms = Date.now() - started;
    return { report: this.report, result: step.value };
  }

  /** Makes everything written searchable now rather than after the refresh interval. */
  async refresh(names: string[]): Promise<void> {
    if (!names.length) return;
    const res = await this.call('POST', `/${names.map(encodeURIComponent).join(',')}/_refresh?ignore_unavailable=true`);
    if (res.status < 200 || res.status >= 300) throw this.statusError('POST /_refresh', res);
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  private async send(entries: Entry[]): Promise<void> {
    let pending = entries;
    for (let round = 0; ; round++) {
      const res = await this.call('POST', '/_bulk?filter_path=errors,items.*.status,items.*.error.type,items.*.error.reason', pending.map((e) => e.lines).join(''), 'application/x-ndjson');
      if (res.status < 200 || res.status >= 300) throw this.statusError('POST /_bulk', res);
      this.report.batches += 1;
      const parsed = JSON.parse(res.body) as { items?: Record<string, BulkItemResult>[] };
      const items = parsed.items ?? [];
      if (items.length !== pending.length) throw new SeedWriteError(`_bulk answered ${items.length} items for ${pending.length} documents.`);
      const retry: Entry[] = [];
      items.forEach((item, i) => {
        const result = Object.values(item)[0];
        const entry = pending[i];
        if (result.status >= 200 && result.status < 300) {
          this.report.indexed += 1;
          this.report.per_index[entry.index] = (this.report.per_index[entry.index] ?? 0) + 1;
        } else if (result.status === 409) this.report.already_present += 1;
        else if (result.status === 429 && round < this.maxRetries) retry.push(entry);
        else this.itemFailed(entry.index, result);
      });
      if (!retry.length) return;
      this.report.retried += retry.length;
      await sleep(250 * 2 ** round);
      pending = retry;
    }
  }

  private itemFailed(index: string, result: BulkItemResult): void {
    this.report.failed += 1;
    const type = result.error?.type ?? `status_${result.status}`;
    const key = `${index}\u0000${type}`;
    const group = this.failureGroups.get(key) ?? { index, type, reason: (result.error?.reason ?? '').slice(0, 300), count: 0 };
    group.count += 1;
    this.failureGroups.set(key, group);
  }

  /** One HTTP exchange, retried on network errors and 429/502/503/504 with exponential backoff. */
  private async call(method: 'GET' | 'PUT' | 'POST', path: string, body?: string, contentType?: string): Promise<{ status: number; body: string }> {
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await request(`${this.origin}${this.basePath}${path}`, {
          method,
          headers: contentType ? { ...this.headers, 'content-type': contentType } : this.headers,
          body,
          dispatcher: this.agent,
          headersTimeout: this.opts.timeoutMs,
          bodyTimeout: this.opts.timeoutMs,
        });
        const text = await res.body.text();
        if (RETRYABLE.has(res.statusCode) && attempt < this.maxRetries) {
          await sleep(500 * 2 ** attempt);
          continue;
        }
        return { status: res.statusCode, body: text };
      } catch (err) {
        const code = (err as { code?: string; cause?: { code?: string } }).cause?.code ?? (err as { code?: string }).code ?? '';
        if (attempt < this.maxRetries && code !== 'ECONNREFUSED' && !/CERT|SSL|TLS/.test(code)) {
          await sleep(500 * 2 ** attempt);
          continue;
        }
        const hint = code === 'ECONNREFUSED' ? 'Is Elasticsearch running at that address? Check --es-url / ES_URL.' : /CERT|SSL|TLS/.test(code) ? 'Give the cluster CA with ES_CA_CERT.' : undefined;
        throw new SeedWriteError(`${method} ${path.split('?')[0]} on ${this.shownUrl} failed: ${code || (err as Error).message}`, hint);
      }
    }
  }

  private errorOf(body: string): { type: string; reason: string } {
    try {
      const e = (JSON.parse(body) as { error?: { type?: string; reason?: string } | string }).error;
      if (typeof e === 'string') return { type: 'error', reason: e };
      return { type: e?.type ?? 'unknown', reason: e?.reason ?? '' };
    } catch {
      return { type: 'unknown', reason: body.slice(0, 200) };
    }
  }

  private statusError(what: string, res: { status: number; body: string }): SeedWriteError {
    const e = this.errorOf(res.body);
    const hint =
      res.status === 401 ? 'Check ES_API_KEY or ES_USERNAME/ES_PASSWORD.' : res.status === 403 ? 'The seed needs a user that may create indices and write to them (create_index, create_doc).' : undefined;
    return new SeedWriteError(`${what} on ${this.shownUrl} answered ${res.status}: ${e.type}${e.reason ? ` — ${e.reason.slice(0, 300)}` : ''}`, hint);
  }
}
