import { z } from 'zod';
import { TelemcpError } from '../../core/errors.js';
import { durationMs } from './promql-ast.js';
import { checkPromqlShape, countSelectorSeries, type PromqlLimits } from './promql-guard.js';
import type { PrometheusApi } from './prometheus.js';

/** A PromQL query saved under a name: served as an MCP resource and callable as promql_query `saved`. */
export interface SavedQuery {
  name: string;
  expr: string;
  description: string;
  /** Read as a range query over this much time before now; absent: an instant query. */
  range?: string;
  builtin: boolean;
}

/** Seed 003's saved dashboards (kube-state-metrics and cAdvisor, as kube-prometheus-stack ships them). */
export const BUILTIN_QUERIES: readonly SavedQuery[] = [
  {
    name: 'top-pods-by-cpu',
    expr: 'topk(10, sum by (namespace, pod) (rate(container_cpu_usage_seconds_total{container!="", image!=""}[5m])))',
    description: 'The 10 pods using the most CPU (cores, 5 m rate) from cAdvisor, over the last hour.',
    range: '1h',
    builtin: true,
  },
  {
    name: 'pod-restarts',
    expr: 'topk(20, sum by (namespace, pod, container) (increase(kube_pod_container_status_restarts_total[1h])) > 0)',
    description: 'Containers that restarted in the last hour, most restarts first (kube-state-metrics).',
    builtin: true,
  },
];

const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const entry = z.union([
  z.string().min(1).max(4000),
  z.object({ expr: z.string().min(1).max(4000), description: z.string().max(300).optional(), range: z.string().max(16).refine((r) => durationMs(r) !== undefined, { message: 'range must be a duration such as 1h' }).optional() }).strict(),
]);

/** `PROMETHEUS_SAVED_QUERIES`: a YAML mapping, or the same as JSON text in the environment. */
export const savedQueriesSetting = z
  .preprocess((v) => {
    if (typeof v !== 'string') return v;
    if (v.trim() === '') return undefined;
    try {
      return JSON.parse(v) as unknown;
    } catch {
      return v;
    }
  }, z.record(z.string().regex(NAME, 'names are lower-case words joined by -, such as slow-endpoints'), entry).optional())
  .describe('operator-saved PromQL queries, served as MCP resources (`res://dashboards/NAME.promql`) and as promql_query `saved`: a mapping of name to expression, or to `{expr, description, range}` (a range such as `6h` reads it as a range query); JSON text in the environment. Each is dry-run at start-up and reported in telemcp_status when broken');

export type SavedQueriesSetting = z.infer<typeof savedQueriesSetting>;

export interface SavedQueryCheck {
  name: string;
  ok: boolean;
  problem?: string;
  /** Series its selectors matched over the last hour, in the dry run. */
  series?: number;
}

/** The built-in and configured saved queries of one Prometheus instance, and what their dry run found. */
export class SavedQueries {
  readonly all: readonly SavedQuery[];
  private checks: SavedQueryCheck[] = [];

  constructor(
    configured: SavedQueriesSetting | undefined,
    private readonly limits: Omit<PromqlLimits, 'timeoutMs'>,
  ) {
    const own = Object.entries(configured ?? {}).map(([name, e]): SavedQuery => (typeof e === 'string' ? { name, expr: e, description: `Saved query ${name}.`, builtin: false } : { name, expr: e.expr, description: e.description ?? `Saved query ${name}.`, ...(e.range ? { range: e.range } : {}), builtin: false }));
    // A configured query may replace a built-in of the same name.
    this.all = [...BUILTIN_QUERIES.filter((b) => !own.some((o) => o.name === b.name)), ...own];
  }

  get(name: string): SavedQuery {
    const found = this.all.find((q) => q.name === name);
    if (!found) throw new TelemcpError('invalid_input', `No saved query named ${JSON.stringify(name.slice(0, 64))}.`, { hint: `Saved queries: ${this.all.map((q) => q.name).join(', ')}.` });
    return found;
  }

  /**
   * The dry run: each query's shape checked as the guard checks it, then the series its
   * selectors match over the last hour counted (bounded by the series API's limit). A query
   * that would be refused, fails, or matches nothing is reported.
   */
  async check(api: PrometheusApi, signal: AbortSignal): Promise<SavedQueryCheck[]> {
    const now = Date.now();
    this.checks = await Promise.all(
      this.all.map(async (q): Promise<SavedQueryCheck> => {
        try {
          const { selectors } = checkPromqlShape({ expr: q.expr, time: now }, this.limits);
          const series = await countSelectorSeries(api, selectors, { from: now - 3_600_000, to: now }, this.limits.maxSeries, signal);
          return series === 0 ? { name: q.name, ok: false, series, problem: 'its selectors match no series in the last hour' } : { name: q.name, ok: true, series };
        } catch (err) {
          const e = err instanceof TelemcpError ? err : new TelemcpError('backend_error', 'the dry run failed');
          return { name: q.name, ok: false, problem: `${e.code}: ${e.message}`.slice(0, 300) };
        }
      }),
    );
    return this.checks;
  }

  /** What the last dry run found wrong, one line per query, for telemcp_status. */
  problems(): string[] {
    return this.checks.filter((c) => !c.ok).map((c) => `saved query ${c.name}: ${c.problem}`);
  }
}
