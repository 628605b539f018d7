import type { MetricMetadata } from '../../backends/metrics/prometheus.js';
import type { PromqlShape } from '../../backends/metrics/promql-ast.js';

export interface LintFinding {
  severity: 'error' | 'warning' | 'info';
  rule: string;
  message: string;
}

/** What the lint knows beyond the expression: each metric's type, and the scrape interval of the jobs exporting it. */
export interface LintFacts {
  types: ReadonlyMap<string, MetricMetadata['type']>;
  scrapeIntervalMs: ReadonlyMap<string, number>;
}

const COUNTER_FUNCTIONS = new Set(['rate', 'irate', 'increase', 'resets']);
const GAUGE_FUNCTIONS = new Set(['delta', 'idelta', 'deriv', 'predict_linear']);
/** Functions over a range that need several samples in it; irate needs two, the others enough to be stable. */
const SAMPLES_NEEDED: Record<string, number> = { rate: 4, increase: 4, irate: 2, delta: 4, deriv: 4, idelta: 2, changes: 2, resets: 2 };

function fmt(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000}m` : `${ms / 1000}s`;
}

/** The type of a metric, reading `_bucket`/`_sum`/`_count` series of a classic histogram or summary as theirs. */
function typeOf(metric: string, facts: LintFacts): MetricMetadata['type'] | undefined {
  const direct = facts.types.get(metric);
  if (direct) return direct;
  const base = metric.replace(/_(bucket|sum|count|total)$/, '');
  const family = facts.types.get(base);
  if ((family === 'histogram' || family === 'summary') && metric !== base) return 'counter';
  return family;
}

/**
 * Mistakes PromQL accepts silently and answers wrongly: rate() over a gauge, delta() over a
 * counter, histogram_quantile without `le`, a range too short for the scrape interval, a
 * counter compared raw.
 */
export function lintPromql(shape: PromqlShape, facts: LintFacts): LintFinding[] {
  const out: LintFinding[] = [];
  for (const call of shape.calls) {
    const metric = call.matrix?.metric;
    const type = metric ? typeOf(metric, facts) : undefined;
    if (metric && COUNTER_FUNCTIONS.has(call.fn) && type === 'gauge') {
      out.push({ severity: 'error', rule: 'rate_of_gauge', message: `${call.fn}() over ${metric}, a gauge: ${call.fn}() assumes a counter that only goes up and reads every drop as a reset. Use deriv() or delta() for its change, or the gauge itself.` });
    }
    if (metric && GAUGE_FUNCTIONS.has(call.fn) && type === 'counter') {
      out.push({ severity: 'error', rule: 'delta_of_counter', message: `${call.fn}() over ${metric}, a counter: counter resets are not handled. Use rate() or increase().` });
    }
    if (call.fn === 'histogram_quantile') {
      const agg = call.aggregation;
      if (agg && (agg.without?.includes('le') || (agg.by !== undefined && !agg.by.includes('le')) || (agg.by === undefined && agg.without === undefined))) {
        out.push({ severity: 'error', rule: 'quantile_without_le', message: `histogram_quantile over ${agg.op}() that drops the le label: the buckets are summed into one and the quantile is meaningless. Aggregate with by (le, …).` });
      }
      const classic = call.metrics.filter((m) => typeOf(m, facts) !== 'histogram' || m.endsWith('_bucket'));
      const notBuckets = classic.filter((m) => !m.endsWith('_bucket') && facts.types.get(m) !== 'histogram');
      if (notBuckets.length) out.push({ severity: 'warning', rule: 'quantile_not_buckets', message: `histogram_quantile reads ${notBuckets.join(', ')}, which ${notBuckets.length === 1 ? 'is' : 'are'} not _bucket series of a classic histogram (nor a native histogram per metadata).` });
    }
    const need = SAMPLES_NEEDED[call.fn];
    const range = call.matrix?.rangeMs;
    const interval = metric ? facts.scrapeIntervalMs.get(metric) : undefined;
    if (need && range !== undefined && interval && range < need * interval) {
      out.push({ severity: 'warning', rule: 'range_too_short', message: `${call.fn}(${metric}[${fmt(range)}]): ${metric} is scraped every ${fmt(interval)}, so the range holds fewer than ${need} samples and gaps give empty or jumpy results. Use at least [${fmt(need * interval)}].` });
    }
  }
  const inRange = new Set(shape.selectors.filter((s) => s.rangeMs !== undefined).map((s) => s.text));
  for (const s of shape.selectors) {
    if (s.rangeMs !== undefined || !s.metric || inRange.has(s.text) || s.lookbackMs > 0) continue;
    if (facts.types.get(s.metric) === 'counter' || (s.metric.endsWith('_total') && !facts.types.has(s.metric))) {
      out.push({ severity: 'info', rule: 'raw_counter', message: `${s.metric} is a counter used as it is: its value only says how much since the process started. rate(${s.metric}[5m]) gives the per-second rate.` });
    }
  }
  return out;
}
