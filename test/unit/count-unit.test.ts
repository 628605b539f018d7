import { describe, expect, it } from 'vitest';
import { countUnitOf } from '../../src/tools/metrics/count-unit.js';

describe('what one event is worth in a PromQL result', () => {
  it.each([
    ['rate(http_requests_total[5m])', 1 / 300],
    ['sum by (pod) (rate(http_requests_total{code=~"5.."}[1m]))', 1 / 60],
    ['increase(kube_pod_container_status_restarts_total[1h])', 1],
    ['sum(count_over_time({__name__="x", job="a"}[30s]))', 1],
  ])('%s counts events worth %d', (expr, unit) => expect(countUnitOf(expr)).toBeCloseTo(unit, 12));

  it.each(['node_load1', 'rate(a_total[5m]) / rate(b_total[5m])', 'avg(rate(a_total[5m]))', 'max_over_time(rate(a_total[1m])[1h:])', 'deriv(x[5m])', 'rate(a_total[5m]) > 1'])('%s has no count unit', (expr) => expect(countUnitOf(expr)).toBeUndefined());
});
