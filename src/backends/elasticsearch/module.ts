import { connectionInstances } from '../../config/connection.js';
import { LOG_SOURCE } from '../capabilities.js';
import { capability, hostOf, type BackendInstance, type BackendModule, type Guard } from '../module.js';
import { guardQueryDsl } from './query-guard.js';
import { ElasticsearchLogSource } from './log-source.js';
import { SearchEngine, type EngineKind } from './search-engine.js';

/** The cluster API (health, nodes, indices, shards, search) the elk tools read. */
export const SEARCH_ENGINE = capability<SearchEngine>('search-engine');
/** An index expression → its canonical form, once it and what it resolves to are inside ALLOWED_INDEX_PATTERNS. */
export const INDEX_GUARD = capability<Guard<string, string>>('guard:es-indices');
/** A query DSL body → a copy with the server's timeout and caps, once its shape and cost pass. */
export const QUERY_DSL_GUARD = capability<Guard<unknown, Record<string, unknown>>>('guard:es-query-dsl');

/**
 * Elasticsearch and OpenSearch: one client, two products with their own settings and credential
 * schemes (OpenSearch's security plugin takes no Elasticsearch API keys). Each instance provides
 * the cluster API and a log source; named instances (`ES_INSTANCES=eu,us`) add more clusters,
 * each a `source` of the log tools.
 */
function searchEngineModule(kind: EngineKind, prefix: string, description: string): BackendModule {
  const instances = connectionInstances(prefix, kind, kind === 'elasticsearch' ? ['apiKey', 'basic', 'bearer'] : ['basic', 'bearer']);
  return {
    kind,
    description,
    provides: [SEARCH_ENGINE, LOG_SOURCE, INDEX_GUARD, QUERY_DSL_GUARD],
    enable: `set ${prefix}_URL`,
    configured: (config) => instances.read(config).length > 0,
    settings: instances.settings,
    build: (config, ctx) =>
      instances.read(config).map(({ name, connection }): BackendInstance => {
        const conn = ctx.connection(connection, kind);
        const engine = new SearchEngine({ ...conn, kind, allowedIndexPatterns: config.ALLOWED_INDEX_PATTERNS });
        // The cluster's own search timeout ends a second before telemcp's, so the cluster's answer (partial or not) arrives first.
        const dslLimits = { serverTimeout: `${Math.max(1, Math.floor(conn.timeoutMs / 1000) - 1)}s`, maxDepth: config.MAX_JSON_DEPTH };
        const logs = new ElasticsearchLogSource(engine, { name, defaultScope: config.LOG_INDEX_PATTERN, logFields: config.LOG_FIELDS, timeoutMs: conn.timeoutMs, cursorSecret: config.CURSOR_SECRET });
        return {
          kind,
          name,
          host: hostOf(connection.url),
          provides: new Map<unknown, unknown>([
            [SEARCH_ENGINE, engine],
            [LOG_SOURCE, logs],
            [INDEX_GUARD, (expr: string, signal: AbortSignal) => engine.guardIndices(expr, signal)],
            [QUERY_DSL_GUARD, (body: unknown) => guardQueryDsl(body, dslLimits)],
          ]) as BackendInstance['provides'],
          probe: (signal) => engine.ping(signal),
          close: () => engine.close(),
        };
      }),
  };
}

export const elasticsearchModule = searchEngineModule('elasticsearch', 'ES', 'Elasticsearch 7.17/8/9: cluster, nodes, indices and logs');
export const opensearchModule = searchEngineModule('opensearch', 'OPENSEARCH', 'OpenSearch 1/2: cluster, nodes, indices and logs');
