import { TelemcpError } from '../../core/errors.js';
import { BackendHttpClient, connectBackend, type BackendConnection } from '../http.js';
import { checkIndexExpression, checkResolvedIndices, type ResolveIndexResponse } from './index-guard.js';
import { isPointInTimeSearchPath, isReadOnlySearchEnginePath } from './read-only-paths.js';

export type EngineKind = 'elasticsearch' | 'opensearch';

export interface SearchEngineSettings extends BackendConnection {
  kind: EngineKind;
  allowedIndexPatterns: string[];
}

export interface EngineInfo {
  kind: EngineKind;
  version: string;
  major: number;
  clusterName: string;
}

/**
 * Elasticsearch 7.17/8.x/9.x and OpenSearch behind one read-only client. The engine owns its
 * index guard: every index expression is checked syntactically and then resolved
 * (aliases, data streams) against the allowlist before any search touches it.
 */
export class SearchEngine {
  readonly http: BackendHttpClient;
  private infoCache?: EngineInfo;
  /** Made on first use: the one client allowed to send the index-less POST /_search of a point-in-time search. */
  private pitHttp?: BackendHttpClient;

  constructor(readonly settings: SearchEngineSettings) {
    this.http = connectBackend(settings.kind, settings, isReadOnlySearchEnginePath);
  }

  get kind(): EngineKind {
    return this.settings.kind;
  }

  get<T>(path: string, signal: AbortSignal, query?: Record<string, string | number | boolean | undefined>): Promise<T> {
    return this.http.json<T>({ method: 'GET', path, query, signal });
  }

  post<T>(path: string, body: unknown, signal: AbortSignal, query?: Record<string, string | number | boolean | undefined>): Promise<T> {
    return this.http.json<T>({ method: 'POST', path, body, query, signal });
  }

  /**
   * Version and cluster name. `GET /` is the usual source, but some builds (minimal
   * distributions, proxies) do not serve it, so node info is the fallback.
   */
  async info(signal: AbortSignal): Promise<EngineInfo> {
    if (this.infoCache) return this.infoCache;
    let version: string;
    let clusterName: string;
    try {
      const root = await this.get<{ cluster_name?: string; version?: { number?: string } }>('/', signal);
      version = root.version?.number ?? '0.0.0';
      clusterName = root.cluster_name ?? 'unknown';
    } catch (err) {
      if (!(err instanceof TelemcpError) || err.code !== 'backend_error') throw err;
      const nodes = await this.get<{ cluster_name?: string; nodes?: Record<string, { version?: string }> }>('/_nodes/_local', signal, { filter_path: 'cluster_name,nodes.*.version' });
      version = Object.values(nodes.nodes ?? {})[0]?.version ?? '0.0.0';
      clusterName = nodes.cluster_name ?? 'unknown';
    }
    this.infoCache = { kind: this.settings.kind, version, major: Number.parseInt(version, 10) || 0, clusterName };
    return this.infoCache;
  }

  /** Reachability for /readyz: cheap, never cached here (the caller caches). */
  async ping(signal: AbortSignal): Promise<void> {
    await this.get('/_cluster/health', signal, { timeout: '1s' });
  }

  /**
   * Checks an index expression against ALLOWED_INDEX_PATTERNS: first its syntax and names,
   * then what it resolves to, so an allowed-looking alias cannot reach a denied index.
   * Returns the expression in canonical form for use in a path.
   */
  async guardIndices(expression: string, signal: AbortSignal): Promise<string> {
    const names = checkIndexExpression(expression, this.settings.allowedIndexPatterns);
    const canonical = names.join(',');
    const resolved = await this.get<ResolveIndexResponse>(`/_resolve/index/${encodeURIComponent(canonical)}`, signal, { expand_wildcards: 'open' });
    checkResolvedIndices(resolved, this.settings.allowedIndexPatterns);
    return canonical;
  }

  /** Opens a point in time over an index expression that already passed guardIndices; returns its id. */
  async openPointInTime(canonical: string, keepAlive: string, signal: AbortSignal): Promise<string> {
    const res = await this.post<{ id?: unknown }>(`/${SearchEngine.encodeIndices(canonical)}/_pit`, undefined, signal, {
      keep_alive: keepAlive,
      expand_wildcards: 'open',
      ignore_unavailable: true,
    });
    if (typeof res.id !== 'string' || !res.id) throw new TelemcpError('backend_error', `${this.kind} opened a point in time without returning its id.`);
    return res.id;
  }

  /**
   * A search inside a point in time: the only request ever sent to the index-less
   * POST /_search. The point in time (opened by openPointInTime over guarded indices, and
   * carried between calls only in a signed cursor) decides what is searched, so the body must
   * carry one, with a short keep_alive, and nothing else that could name an index.
   */
  searchPointInTime<T>(body: Record<string, unknown> & { pit: { id: string; keep_alive: string } }, signal: AbortSignal): Promise<T> {
    const { pit } = body;
    if (typeof pit?.id !== 'string' || !/^[A-Za-z0-9+/=_-]{1,65536}$/.test(pit.id) || !/^[1-9]\d{0,2}[sm]$/.test(pit.keep_alive) || 'index' in body || 'scroll' in body) {
      throw new TelemcpError('query_denied', 'Refused a point-in-time search without a valid point in time.', { hint: 'Pass next_cursor unchanged, or omit cursor to start over.' });
    }
    this.pitHttp ??= new BackendHttpClient({ ...this.http.opts, allow: isPointInTimeSearchPath });
    return this.pitHttp.json<T>({ method: 'POST', path: '/_search', body, signal });
  }

  /** Path segment for an index expression that already passed guardIndices. */
  static encodeIndices(canonical: string): string {
    if (!canonical) throw new TelemcpError('invalid_input', 'An index pattern is required.');
    return encodeURIComponent(canonical).replace(/%2C/g, ',');
  }

  async close(): Promise<void> {
    await Promise.all([this.http.close(), this.pitHttp?.close()]);
  }
}
