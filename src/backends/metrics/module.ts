import { connectionInstances } from '../../config/connection.js';
import type { Config } from '../../config/load.js';
import { int } from '../../config/schema.js';
import { capability, hostOf, type BackendInstance, type BackendModule, type Guard } from '../module.js';
import { AlertmanagerApi } from './alertmanager.js';
import { PrometheusApi } from './prometheus.js';
import { DEFAULT_PROMQL_LIMITS, guardPromql, type ApprovedPromql, type PromqlLimits, type PromqlRequest } from './promql-guard.js';
import { SavedQueries, savedQueriesSetting, type SavedQueriesSetting } from './saved-queries.js';

/** A Prometheus HTTP API: Prometheus itself, VictoriaMetrics, Thanos, Mimir, Cortex. */
export const METRIC_SOURCE = capability<PrometheusApi>('metric-source');
/** A PromQL evaluation → the approved form, once its shape and its measured cost pass. */
export const PROMQL_GUARD = capability<Guard<PromqlRequest, ApprovedPromql>>('guard:promql');
/** Saved PromQL queries (built-in and PROMETHEUS_SAVED_QUERIES), on the default instance. */
export const SAVED_QUERIES = capability<SavedQueries>('saved-promql');
/** The Alertmanager v2 API. */
export const ALERT_SOURCE = capability<AlertmanagerApi>('alert-source');

const promInstances = connectionInstances('PROMETHEUS', 'prometheus', ['basic', 'bearer']);

/** What a PromQL query may cost, for every instance: the guard's limits. */
const LIMIT_SETTINGS = {
  PROMETHEUS_MAX_SERIES: int(1, 1_000_000).default(DEFAULT_PROMQL_LIMITS.maxSeries).describe('a query whose selectors match more series over its window is refused before it runs (counted with the series API)'),
  PROMETHEUS_MAX_SAMPLES: int(1000, 1_000_000_000).default(DEFAULT_PROMQL_LIMITS.maxSamples).describe('a query of more series × points is refused before it runs'),
  PROMETHEUS_MAX_RANGE_DAYS: int(1, 366).default(DEFAULT_PROMQL_LIMITS.maxRangeMs / 86_400_000).describe('longest query range, range selector or subquery'),
};

/** The guard's limits under this configuration. */
export function promqlLimits(config: Config): Omit<PromqlLimits, 'timeoutMs'> {
  return { maxSeries: config.PROMETHEUS_MAX_SERIES as number, maxSamples: config.PROMETHEUS_MAX_SAMPLES as number, maxRangeMs: (config.PROMETHEUS_MAX_RANGE_DAYS as number) * 86_400_000 };
}

/**
 * Prometheus and what speaks its HTTP API: named instances (`PROMETHEUS_INSTANCES=vm,thanos`)
 * add more servers, each a `source` of the metric tools; a tenant header (X-Scope-OrgID for
 * Mimir/Cortex) is fixed per instance by `PROMETHEUS_<NAME>_HEADERS`.
 */
export const prometheusModule: BackendModule = {
  kind: 'prometheus',
  description: 'Prometheus HTTP API (also VictoriaMetrics, Thanos, Mimir, Cortex): PromQL, series, targets, rules',
  provides: [METRIC_SOURCE, PROMQL_GUARD, SAVED_QUERIES],
  enable: 'set PROMETHEUS_URL',
  configured: (config) => promInstances.read(config).length > 0,
  settings(raw) {
    const { fragment, problems } = promInstances.settings(raw);
    return { problems, fragment: { ...fragment, shape: { ...fragment.shape, ...LIMIT_SETTINGS, PROMETHEUS_SAVED_QUERIES: savedQueriesSetting } } };
  },
  build(config, ctx) {
    const limits = promqlLimits(config);
    return promInstances.read(config).map(({ name, connection }, i): BackendInstance => {
      const conn = ctx.connection(connection, 'prometheus');
      const api = new PrometheusApi(conn);
      // The saved queries belong to the default instance: a resource names no source.
      const saved = i === 0 ? new SavedQueries(config.PROMETHEUS_SAVED_QUERIES as SavedQueriesSetting, limits) : undefined;
      return {
        kind: 'prometheus',
        name,
        host: hostOf(connection.url),
        provides: new Map<unknown, unknown>([
          [METRIC_SOURCE, api],
          [PROMQL_GUARD, (req: PromqlRequest, signal: AbortSignal) => guardPromql(api, req, { ...limits, timeoutMs: conn.timeoutMs }, signal)],
          ...(saved ? [[SAVED_QUERIES, saved] as const] : []),
        ]) as BackendInstance['provides'],
        probe: (signal) => api.ping(signal),
        ...(saved ? { start: async (signal: AbortSignal) => void (await saved.check(api, signal)), problems: () => saved.problems() } : {}),
        close: () => api.close(),
      };
    });
  },
};

const amInstances = connectionInstances('ALERTMANAGER', 'alertmanager', ['basic', 'bearer']);

export const alertmanagerModule: BackendModule = {
  kind: 'alertmanager',
  description: 'Alertmanager v2 API: alerts, silences, routing (read-only)',
  provides: [ALERT_SOURCE],
  enable: 'set ALERTMANAGER_URL',
  configured: (config) => amInstances.read(config).length > 0,
  settings: amInstances.settings,
  build: (config, ctx) =>
    amInstances.read(config).map(({ name, connection }): BackendInstance => {
      const api = new AlertmanagerApi(ctx.connection(connection, 'alertmanager'));
      return { kind: 'alertmanager', name, host: hostOf(connection.url), provides: new Map([[ALERT_SOURCE, api]]) as BackendInstance['provides'], probe: (s) => api.ping(s), close: () => api.close() };
    }),
};

/** The metrics family, as one entry of the backend list. */
export const METRICS_MODULES = [prometheusModule, alertmanagerModule] as const;
