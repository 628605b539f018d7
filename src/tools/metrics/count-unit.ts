import { parsePromql } from '../../backends/metrics/promql-ast.js';

/**
 * What one event is worth in the result of an expression that counts events, so its changes are
 * judged as the log tools judge counts (the same detector, the same noise model): 1 for
 * `increase`/`count_over_time`, 1/r for `rate(x[r])`, also under `sum`. Any other expression
 * (gauges, ratios, arithmetic) has no such unit and is judged on its own noise.
 */
export function countUnitOf(expr: string): number | undefined {
  const shape = parsePromql(expr);
  if (shape.binary || shape.calls.length !== 1 || shape.aggregations.some((op) => op !== 'sum')) return undefined;
  const [call] = shape.calls;
  const range = call.matrix?.rangeMs;
  if (!range || shape.subqueries.length) return undefined;
  if (call.fn === 'increase' || call.fn === 'count_over_time') return 1;
  return call.fn === 'rate' ? 1000 / range : undefined;
}
