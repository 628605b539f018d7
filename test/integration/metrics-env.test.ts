/**
 * The metric servers of scripts/test-env.sh and the helpers of test/helpers/metrics-env.ts, checked
 * against the real servers before any suite relies on them: planted history reads back exactly
 * (values and millisecond timestamps, a day and more in the past) from Prometheus and
 * VictoriaMetrics; the controlled target is scraped and its error counter fires its rule; the
 * static environment really alerts (TargetDown active, ScrapeFailing inhibited by it, Watchdog);
 * the unreachable target is down with a last error; the broken recording rule reports its error;
 * silences, posted alerts and textfile metrics do what the helpers say.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ControlledTarget,
  UNREACHABLE_TARGET,
  createSilence,
  expireSilence,
  instantVector,
  listAlerts,
  plantSeries,
  postAlerts,
  rawPoints,
  requireMetricsUrl,
  requireTextfileDir,
  waitForAlert,
  waitForScrape,
  writeTextfile,
  type AmAlert,
  type PlantedSeries,
} from '../helpers/metrics-env.js';

const HOUR = 3600_000;

interface Target {
  labels: Record<string, string>;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
  lastScrape: string;
}
interface Rule {
  name: string;
  type: 'alerting' | 'recording';
  health: string;
  lastError?: string;
  state?: string;
  alerts?: { labels: Record<string, string>; state: string }[];
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  expect(res.status, url).toBe(200);
  return (await res.json()) as T;
}

/** Polls `probe` until it returns a value (bounded; the last failure is the test's failure). */
async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await probe();
    if (got !== undefined) return got;
    if (Date.now() > deadline) throw new Error(`${what}: not seen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

describe('metric test environment (Prometheus, Alertmanager, VictoriaMetrics, node exporter)', () => {
  let prom: string;
  let am: string;
  let vm: string;
  let nodeExporter: string;
  const run = randomBytes(4).toString('hex');

  beforeAll(() => {
    prom = requireMetricsUrl('TEST_PROMETHEUS_URL');
    am = requireMetricsUrl('TEST_ALERTMANAGER_URL');
    vm = requireMetricsUrl('TEST_VICTORIAMETRICS_URL');
    nodeExporter = requireMetricsUrl('TEST_NODE_EXPORTER_URL');
  });

  describe('plantSeries', () => {
    it('plants exact values at exact timestamps up to 26 h back, read back raw from Prometheus and VictoriaMetrics', async () => {
      const now = Date.now();
      // Odd milliseconds and values that a float formatting slip or a step alignment would change.
      const gauge: PlantedSeries = {
        name: `telemcp_selfcheck_planted_${run}`,
        labels: { job: 'checkout', instance: 'pod-1:8080', service: 'checkout' },
        points: [
          [now - 26 * HOUR + 7, 1.25],
          [now - 25 * HOUR - 13, -3.5],
          [now - 24 * HOUR + 1, 0.001],
          [now - 2 * HOUR, 42],
          [now - 61_001, 1e12 + 0.5],
        ],
      };
      const counter: PlantedSeries = {
        name: `telemcp_selfcheck_requests_${run}_total`,
        labels: { route: '/pay' },
        kind: 'counter',
        // In any order: the helper sends them as given, the servers sort them.
        points: [
          [now - 3 * HOUR + 3, 300],
          [now - 26 * HOUR + 3, 100],
          [now - 25 * HOUR + 3, 200],
        ],
      };
      await plantSeries(prom, vm, [gauge, counter]);

      for (const [server, url] of [
        ['Prometheus', prom],
        ['VictoriaMetrics', vm],
      ] as const) {
        for (const s of [gauge, counter]) {
          const selector = `${s.name}{${Object.entries(s.labels)
            .map(([k, v]) => `${k}="${v}"`)
            .join(',')}}`;
          const got = await rawPoints(url, selector, 27 * HOUR);
          expect(got, `${server}: ${selector}`).toHaveLength(1);
          expect(got[0].metric, `${server}: labels of ${s.name}`).toEqual({ __name__: s.name, ...s.labels });
          expect(got[0].points, `${server}: points of ${s.name}`).toEqual([...s.points].sort(([a], [b]) => a - b));
        }
      }

      // A day earlier, as the tools compare windows: a query evaluated just after now-24h sees the
      // point planted at now-24h (within the 5 min lookback), not the ones an hour older.
      for (const url of [prom, vm]) {
        const dayAgo = await instantVector(url, gauge.name, now - 24 * HOUR + 1000);
        expect(dayAgo.map((s) => Number(s.value[1])), url).toEqual([0.001]);
      }
    });

    it('refuses names that OTLP translation would change, and points older than the out-of-order window', async () => {
      const point: [number, number][] = [[Date.now() - HOUR, 1]];
      await expect(plantSeries(prom, undefined, { name: 'telemcp.dotted', labels: {}, points: point })).rejects.toThrow(/name translation/);
      await expect(plantSeries(prom, undefined, { name: 'telemcp_requests', labels: {}, points: point, kind: 'counter' })).rejects.toThrow(/_total/);
      await expect(plantSeries(prom, undefined, { name: 'telemcp_x', labels: { 'service.name': 'a' }, points: point })).rejects.toThrow(/label/);
      await expect(plantSeries(prom, undefined, { name: 'telemcp_x', labels: {}, points: [[Date.now() - 4 * 24 * HOUR, 1]] })).rejects.toThrow(/older/);
    });
  });

  describe('the controlled target', () => {
    const target = new ControlledTarget();
    afterAll(() => target.stop());

    it('is scraped by the `controlled` job with the values the test sets', async () => {
      await target.start();
      target.set('controlled_selfcheck_depth', { run, queue: 'orders' }, 7);
      target.inc('controlled_selfcheck_handled_total', { run }, 5);
      const [depth] = await waitForScrape(prom, `controlled_selfcheck_depth{run="${run}"} == 7`);
      expect(depth.metric).toMatchObject({ job: 'controlled', instance: target.instance, queue: 'orders' });

      target.set('controlled_selfcheck_depth', { run, queue: 'orders' }, 11.5);
      await waitForScrape(prom, `controlled_selfcheck_depth{run="${run}"} == 11.5`);
      const [handled] = await instantVector(prom, `controlled_selfcheck_handled_total{run="${run}"}`);
      expect(Number(handled.value[1])).toBe(5);
      expect(target.scrapes).toBeGreaterThan(0);

      const targets = await getJson<{ data: { activeTargets: Target[] } }>(`${prom}/api/v1/targets?state=active`);
      const controlled = targets.data.activeTargets.find((t) => t.labels.job === 'controlled');
      expect(controlled?.health).toBe('up');
    });

    it('fires ControlledErrorRateHigh (namespace payments) in Alertmanager while its error counter climbs', async () => {
      await target.start();
      // More than 1 error per second, for as long as it takes the rule to see two scrapes.
      const timer = setInterval(() => target.inc('controlled_errors_total', { run }, 50), 500);
      try {
        const alert = await waitForAlert(am, (a) => a.labels.alertname === 'ControlledErrorRateHigh' && a.labels.run === run, { timeoutMs: 45_000 });
        expect(alert.labels).toMatchObject({ namespace: 'payments', severity: 'warning', job: 'controlled' });
        expect(alert.receivers.map((r) => r.name)).toContain('team-payments');
      } finally {
        clearInterval(timer);
        target.remove('controlled_errors_total');
      }
    });
  });

  describe('alerts of the static environment', () => {
    it('TargetDown is active in Alertmanager, ScrapeFailing is inhibited by it, Watchdog is active', async () => {
      const down = await waitForAlert(am, (a) => a.labels.alertname === 'TargetDown' && a.status.state === 'active');
      expect(down.labels).toMatchObject({ instance: UNREACHABLE_TARGET, job: 'unreachable', severity: 'critical', team: 'infra' });
      expect(down.annotations.summary).toContain(UNREACHABLE_TARGET);

      const failing = await waitForAlert(am, (a) => a.labels.alertname === 'ScrapeFailing' && a.status.inhibitedBy.length > 0);
      expect(failing.status.state).toBe('suppressed');
      expect(failing.labels).toMatchObject({ instance: UNREACHABLE_TARGET, severity: 'warning' });
      expect(failing.status.inhibitedBy).toContain(down.fingerprint);

      const watchdog = await waitForAlert(am, (a) => a.labels.alertname === 'Watchdog');
      expect(watchdog.status.state).toBe('active');
      expect(watchdog.labels.severity).toBe('none');
    });

    it('the unreachable target is down with the connection error as its last error', async () => {
      const target = await eventually(async () => {
        const body = await getJson<{ data: { activeTargets: Target[] } }>(`${prom}/api/v1/targets?state=active`);
        const t = body.data.activeTargets.find((x) => x.labels.job === 'unreachable');
        return t && t.health !== 'unknown' ? t : undefined;
      }, 'a scrape of the unreachable target');
      expect(target.health).toBe('down');
      expect(target.labels.instance).toBe(UNREACHABLE_TARGET);
      expect(target.lastError).toMatch(/connection refused/);
    });

    it('rules: firing alerts, healthy recording rules, and one rule that fails at every evaluation', async () => {
      const rules = await eventually(async () => {
        const body = await getJson<{ data: { groups: { rules: Rule[] }[] } }>(`${prom}/api/v1/rules`);
        const all = body.data.groups.flatMap((g) => g.rules);
        return all.some((r) => r.name === 'job:up:broken_match' && r.health === 'err') ? all : undefined;
      }, 'an evaluation of job:up:broken_match');
      const byName = new Map(rules.map((r) => [r.name, r]));
      expect(byName.get('Watchdog')?.state).toBe('firing');
      expect(byName.get('TargetDown')?.state).toBe('firing');
      expect(byName.get('HighMemoryPressure')?.state).toBe('inactive');
      expect(byName.get('job:up:sum')?.health).toBe('ok');
      expect(byName.get('job:up:broken_match')?.lastError).toMatch(/many-to-many matching not allowed|duplicate series/);
    });
  });

  describe('Alertmanager helpers', () => {
    it('postAlerts, createSilence and expireSilence act on a posted alert', async () => {
      const labels = { alertname: 'TelemcpSelfCheck', run, severity: 'info', team: 'infra' };
      await postAlerts(am, [{ labels, annotations: { summary: 'posted by metrics-env.test.ts' } }]);
      // Only this alert: the controlled target's alert above carries the same run label.
      const mine = (a: AmAlert) => a.labels.alertname === 'TelemcpSelfCheck' && a.labels.run === run;
      await waitForAlert(am, (a) => mine(a) && a.status.state === 'active');

      const id = await createSilence(am, { alertname: 'TelemcpSelfCheck', run }, { comment: 'self-check', minutes: 5 });
      try {
        const silenced = await waitForAlert(am, (a) => mine(a) && a.status.silencedBy.includes(id));
        expect(silenced.status.state).toBe('suppressed');
      } finally {
        await expireSilence(am, id);
      }
      await waitForAlert(am, (a) => mine(a) && a.status.state === 'active' && a.status.silencedBy.length === 0);

      // Resolved: an endsAt in the past takes it out of the active alerts.
      await postAlerts(am, [{ labels, endsAt: new Date().toISOString() }]);
      await eventually(async () => ((await listAlerts(am)).some(mine) ? undefined : true), 'the posted alert resolved');
    });
  });

  describe('node exporter', () => {
    it('serves textfile metrics dropped into NODE_EXPORTER_TEXTFILE_DIR, and Prometheus scrapes them', async () => {
      const dir = requireTextfileDir();
      const remove = await writeTextfile(dir, `selfcheck_${run}`, `# TYPE telemcp_selfcheck_textfile gauge\ntelemcp_selfcheck_textfile{run="${run}"} 1\n`);
      try {
        const text = await (await fetch(`${nodeExporter}/metrics`)).text();
        expect(text).toContain(`telemcp_selfcheck_textfile{run="${run}"} 1`);
        const [s] = await waitForScrape(prom, `telemcp_selfcheck_textfile{run="${run}"}`);
        expect(s.metric.job).toBe('node');
      } finally {
        await remove();
      }
    });
  });
});
