/**
 * alerts_active against the real Alertmanager of scripts/test-env.sh (0.35, with
 * test/fixtures/metrics/alertmanager.yml), through the one pipeline. Setup posts alerts carrying a
 * `test_run` label of their own (Prometheus sends its own alerts to the same Alertmanager) and
 * creates silences on them: a critical and a warning on one instance (the fixture's inhibit rule
 * mutes the warning), a silenced critical alert, a silence matching nothing, one ending within the
 * hour, an alert only `default-null` receives (no integration: nobody is notified), and one that
 * `continue` sends to two receivers. Also: an unknown source, Alertmanager down, a silence comment
 * with a secret and control characters, and 300 alerts in one answer.
 */
import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../src/app.js';
import { invokeTool, type InvokeResult, type Runtime } from '../../src/tools/invoke.js';
import { ToolRegistry } from '../../src/tools/registry.js';
import { TOOLSETS, manifest } from '../../src/tools/toolsets.js';
import { metricsManifest } from '../../src/tools/metrics/index.js';
import { alertsActive } from '../../src/tools/metrics/alerts_active.js';
import { testConfig } from '../helpers/config.js';
import { CALLERS, uniqueSuffix } from '../helpers/es-fixtures.js';
import { closeServer, listenOnLoopback } from '../helpers/loopback.js';
import { createSilence, expireSilence, listAlerts, postAlerts, requireMetricsUrl, waitForAlert, type PostableAlert } from '../helpers/metrics-env.js';

const AM = requireMetricsUrl('TEST_ALERTMANAGER_URL');
const PROM = requireMetricsUrl('TEST_PROMETHEUS_URL');
const RUN = `am-${uniqueSuffix()}`;
const BULK = `${RUN}-bulk`;

/** The pipeline of this app, with alerts_active in the metrics toolset if it is not registered there yet. */
function runtimeOf(app: App): Runtime {
  if (app.rt.registry.get('alerts_active')) return app.rt;
  const toolsets = TOOLSETS.map((t) => (t.name === 'metrics' ? manifest({ ...metricsManifest, tools: [...metricsManifest.tools, alertsActive] }) : t));
  return { ...app.rt, registry: new ToolRegistry(toolsets, app.rt.backends, app.rt.config.TOOLSETS) };
}

async function callOn(rt: Runtime, input: unknown): Promise<InvokeResult> {
  return invokeTool(rt, 'alerts_active', input, CALLERS.viewer);
}

interface Group {
  alertname: string;
  severity?: string;
  count: number;
  state: string;
  since: string;
  instances: string[];
  receivers: string[];
  active?: number;
  silenced?: number;
  inhibited?: number;
  silenced_by?: { id: string; comment: string }[];
  inhibited_by?: { alertname: string; on: string; fingerprint: string }[];
  summary?: string;
}
interface Answer {
  summary: string;
  source: string;
  counts: { firing: number; active: number; silenced: number; inhibited: number; active_unnotified?: number; by_severity: Record<string, number> };
  groups: Group[];
  receivers: { name: string; integrations: string[]; notifies: boolean }[];
  silences: { scope: string; list: { id: string; state: string; comment: string; created_by: string; mutes: number }[]; audit: { silence_id: string; kind: string; severity: string; finding: string }[] };
  why?: { firing: number; verdict: string; alerts: { verdict: string; receivers: string[]; routes?: { receiver: string; notifies?: boolean; continue: boolean }[]; inhibited_by?: { alertname: string; rule?: string }[]; silenced_by?: { id: string }[] }[] };
  truncated: boolean;
  next_cursor?: string;
}

const alert = (alertname: string, labels: Record<string, string>, annotations: Record<string, string> = {}, startedMinutesAgo = 0): PostableAlert => ({
  labels: { alertname, test_run: RUN, ...labels },
  annotations,
  startsAt: new Date(Date.now() - startedMinutesAgo * 60_000).toISOString(),
});

const ALERTS: PostableAlert[] = [
  alert('ItTargetDown', { severity: 'critical', instance: 'host-a:9100' }, { summary: 'host-a:9100 is down', description: 'x'.repeat(500) }, 2),
  alert('ItHighLatency', { severity: 'warning', instance: 'host-a:9100' }),
  alert('ItDiskFull', { severity: 'critical', instance: 'host-b:9100' }),
  alert('ItNobody', { severity: 'warning', instance: 'host-c:9100' }),
  alert('ItPayments', { severity: 'critical', namespace: 'payments', instance: 'host-d:9100' }),
  alert('ItFlapping', { severity: 'info', instance: 'host-e:9100' }),
];
const SECRET = 'abcd1234efgh5678ijkl';

describe('alerts_active on a real Alertmanager', () => {
  let app: App;
  let rt: Runtime;
  const silences: Record<string, string> = {};

  const ok = async (input: unknown): Promise<Answer> => {
    const res = await callOn(rt, input);
    if (!res.ok) throw new Error(`alerts_active failed: ${JSON.stringify(res.error)}`);
    return res.data as Answer;
  };

  beforeAll(async () => {
    await postAlerts(AM, ALERTS);
    silences.critical = await createSilence(AM, { alertname: 'ItDiskFull', test_run: RUN }, { comment: `disk swap planned, token=${SECRET} \u001b[31mred\u001b[0m\u0007 done`, minutes: 240, createdBy: 'it-oncall' });
    silences.nothing = await createSilence(AM, { alertname: 'ItNeverFires', test_run: RUN }, { comment: 'waiting for a fix', minutes: 240 });
    silences.soon = await createSilence(AM, { alertname: 'ItFlapping', test_run: RUN }, { comment: 'flapping, short', minutes: 30 });
    await waitForAlert(AM, (a) => a.labels.test_run === RUN && a.labels.alertname === 'ItHighLatency' && a.status.inhibitedBy.length > 0);
    await waitForAlert(AM, (a) => a.labels.test_run === RUN && a.labels.alertname === 'ItDiskFull' && a.status.silencedBy.includes(silences.critical));
    app = buildApp(testConfig({ ALERTMANAGER_URL: AM, PROMETHEUS_URL: PROM }));
    rt = runtimeOf(app);
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    for (const id of Object.values(silences)) await expireSilence(AM, id).catch(() => {});
    const mine = (await listAlerts(AM)).filter((a) => a.labels.test_run === RUN || a.labels.test_run === BULK);
    const now = new Date().toISOString();
    if (mine.length) await postAlerts(AM, mine.map((a) => ({ labels: a.labels, startsAt: a.startsAt, endsAt: now })));
  });

  it('groups what fires, with exact counts, worst first, and says what is muted by what', async () => {
    const a = await ok({ filter: { test_run: RUN } });
    expect(a.source).toBe('alertmanager');
    expect(a.counts).toMatchObject({ firing: 6, active: 3, silenced: 2, inhibited: 1, by_severity: { critical: 3, warning: 2, info: 1 } });
    // Critical first, active before muted, the longest firing first.
    expect(a.groups.map((g) => g.alertname)).toEqual(['ItTargetDown', 'ItPayments', 'ItDiskFull', 'ItNobody', 'ItHighLatency', 'ItFlapping']);
    const byName = Object.fromEntries(a.groups.map((g) => [g.alertname, g]));
    expect(byName.ItTargetDown).toMatchObject({ severity: 'critical', count: 1, state: 'active', instances: ['host-a:9100'], receivers: ['pager'], summary: 'host-a:9100 is down' });
    expect(Date.parse(byName.ItTargetDown.since)).toBeGreaterThan(Date.now() - 10 * 60_000);
    expect(Date.parse(byName.ItTargetDown.since)).toBeLessThan(Date.parse(byName.ItPayments.since));
    expect(byName.ItPayments.receivers).toEqual(['pager', 'team-payments']);
    expect(byName.ItNobody.receivers).toEqual(['default-null']);
    expect(byName.ItHighLatency).toMatchObject({ state: 'suppressed', inhibited: 1, inhibited_by: [{ alertname: 'ItTargetDown', on: 'host-a:9100' }] });
    expect(byName.ItDiskFull).toMatchObject({ state: 'suppressed', silenced: 1, silenced_by: [{ id: silences.critical }] });
    // Counts a state already says are left out: an active group is all active, a muted one has none.
    expect(Object.keys(byName.ItTargetDown)).not.toContain('active');
    expect(Object.keys(byName.ItDiskFull)).not.toContain('inhibited');
    expect(a.silences.list.find((l) => l.id === silences.critical)).toMatchObject({ created_by: 'it-oncall' });
    expect(a.receivers).toEqual(
      expect.arrayContaining([
        { name: 'pager', integrations: ['webhook'], notifies: true },
        { name: 'default-null', integrations: [], notifies: false },
      ]),
    );
    expect(a.counts.active_unnotified).toBe(1);
    expect(a.summary).toMatch(/^6 alerts firing matching test_run="am-[0-9a-f]+": 3 critical \(ItTargetDown on host-a:9100 since \d\d:\d\dZ, via pager; ItPayments on host-d:9100 since \d\d:\d\dZ, via pager, team-payments; ItDiskFull silenced\), 2 warning \(ItNobody on host-c:9100 since \d\d:\d\dZ, notifying nobody; 1 inhibited by ItTargetDown\), 1 info \(ItFlapping silenced\); 1 silence hides a critical alert; 1 active alert\(s\) reach only receivers that notify nobody\.$/);
    expect(a.truncated).toBe(false);
    // No receiver setting leaves the tool: the fixture's webhook URLs point at 127.0.0.1:19098.
    expect(JSON.stringify(a)).not.toContain('19098');
  });

  it('audits the silences: the one hiding a critical alert, the one matching nothing, the one ending within the hour', async () => {
    const a = await ok({ filter: { test_run: RUN } });
    expect(a.silences.scope).toBe('filter');
    expect(a.silences.list.map((s) => s.id).sort()).toEqual(Object.values(silences).sort());
    const kinds = a.silences.audit.map((f) => [f.silence_id, f.kind, f.severity]);
    expect(kinds).toEqual(
      expect.arrayContaining([
        [silences.critical, 'hides_critical', 'critical'],
        [silences.nothing, 'matches_nothing', 'info'],
        [silences.soon, 'expires_soon', 'warning'],
      ]),
    );
    expect(a.silences.audit[0].kind).toBe('hides_critical');
    expect(a.silences.list.find((s) => s.id === silences.critical)!.mutes).toBe(1);
  });

  it('returns a silence comment sanitised and with its secret masked', async () => {
    const a = await ok({ filter: { test_run: RUN } });
    const text = JSON.stringify(a);
    expect(text).not.toContain(SECRET);
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/);
    const comment = a.silences.list.find((s) => s.id === silences.critical)!.comment;
    expect(comment).toBe('disk swap planned, token=*** red done');
  });

  it('filters with matcher expressions and leaves suppressed alerts out on request, counting them still', async () => {
    const a = await ok({ filter: [`test_run="${RUN}"`, 'severity=~"critical|warning"'], include_suppressed: false });
    expect(a.counts).toMatchObject({ firing: 5, silenced: 1, inhibited: 1 });
    expect(a.groups.map((g) => g.alertname)).toEqual(['ItTargetDown', 'ItPayments', 'ItNobody']);
  });

  it('why: an alert routed only to a receiver without integrations notifies nobody', async () => {
    const a = await ok({ filter: { test_run: RUN }, why: { alertname: 'ItNobody', test_run: RUN } });
    expect(a.why).toMatchObject({ firing: 1 });
    expect(a.why!.verdict).toMatch(/routed only to receivers that notify nobody/);
    expect(a.why!.alerts[0].verdict).toMatch(/Not notified: routed to default-null, which has no integration configured/);
    expect(a.why!.alerts[0].routes).toEqual([expect.objectContaining({ receiver: 'default-null', notifies: false })]);
  });

  it('why: continue sends an alert to two receivers; inhibited and silenced alerts say by what', async () => {
    const payments = await ok({ why: { alertname: 'ItPayments', test_run: RUN } });
    expect(payments.why!.alerts[0].routes!.map((r) => [r.receiver, r.continue, r.notifies])).toEqual([
      ['pager', true, true],
      ['team-payments', false, true],
    ]);
    expect(payments.why!.alerts[0].verdict).toMatch(/^Active and routed to pager \(webhook\), team-payments \(webhook\): first sent after group_wait 1s/);

    const latency = await ok({ why: { alertname: 'ItHighLatency', test_run: RUN } });
    expect(latency.why!.alerts[0].inhibited_by![0]).toMatchObject({ alertname: 'ItTargetDown', rule: 'inhibit rule 0: source {severity="critical"} → target {severity="warning"}, equal [instance]' });
    expect(latency.why!.alerts[0].verdict).toMatch(/^Not notified: inhibited by ItTargetDown/);

    const disk = await ok({ why: { alertname: 'ItDiskFull', test_run: RUN } });
    expect(disk.why!.alerts[0].silenced_by).toEqual([expect.objectContaining({ id: silences.critical })]);
    expect(disk.why!.alerts[0].verdict).toMatch(new RegExp(`^Not notified: silenced by ${silences.critical} \\(created by it-oncall`));
  });

  it('why: an alert that is not firing sends the caller to the rule state', async () => {
    const a = await ok({ why: { alertname: 'ItNeverFires', test_run: RUN } });
    expect(a.why).toMatchObject({ firing: 0, alerts: [] });
    expect(a.why!.verdict).toMatch(/is firing in Alertmanager alertmanager.*prom_targets_rules.*it would go to default-null \(which notifies nobody\)/);
  });

  it('answers invalid_input for an unknown source, naming the configured one, and for a malformed matcher', async () => {
    const res = await callOn(rt, { source: 'eu' });
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.error.code).toBe('invalid_input');
    expect(res.error.hint).toMatch(/alertmanager/);
    for (const filter of [['severity=="x'], ['a="1", b="2"'], { 'bad-label': 'x' }, { namespace: 'a\u0000b' }]) {
      const bad = await callOn(rt, { filter });
      expect(bad.ok, JSON.stringify(filter)).toBe(false);
      if (!bad.ok) expect(bad.error.code).toBe('invalid_input');
    }
  });

  it('bounds the answer with 300 alerts: a page of groups, exact counts, a cursor to the next page', async () => {
    const bulk = Array.from({ length: 300 }, (_, i) => ({ labels: { alertname: `ItBulk${String(i % 150).padStart(3, '0')}`, severity: i % 3 === 0 ? 'critical' : 'warning', instance: `bulk-${i}:9100`, test_run: BULK }, annotations: { summary: `bulk alert ${i} `.repeat(40) } }));
    await postAlerts(AM, bulk);
    await waitForAlert(AM, (a) => a.labels.test_run === BULK && a.labels.instance === 'bulk-299:9100');
    const res = await callOn(rt, { filter: { test_run: BULK } });
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    const a = res.data as Answer;
    expect(a.counts.firing).toBe(300);
    expect(a.groups).toHaveLength(20);
    expect(a.truncated).toBe(true);
    expect(a.groups.every((g) => (g.summary ?? '').length <= 201)).toBe(true);
    expect(res.bytes).toBeLessThan(40_000);
    const next = await ok({ filter: { test_run: BULK }, cursor: a.next_cursor });
    expect(next.groups[0].alertname).not.toBe(a.groups[0].alertname);
    const max = await callOn(rt, { filter: { test_run: BULK }, limit: 100 });
    expect(max.ok && max.bytes).toBeLessThan(150_000);
  });
});

describe('alerts_active with Alertmanager down', () => {
  it('answers backend_unavailable with a hint', async () => {
    // A port that was free a moment ago: nothing listens there.
    const server = createServer();
    const port = await listenOnLoopback(server);
    await closeServer(server);
    const app = buildApp(testConfig({ ALERTMANAGER_URL: `http://127.0.0.1:${port}` }));
    try {
      const res = await callOn(runtimeOf(app), {});
      expect(res.ok).toBe(false);
      if (res.ok) return;
      expect(res.error.code).toBe('backend_unavailable');
      expect(res.error.hint).toMatch(/Alertmanager is down or ALERTMANAGER_URL is wrong/);
    } finally {
      await app.close();
    }
  });
});
