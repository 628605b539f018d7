/**
 * metrics_changes and the metrics playbooks on the real Prometheus and VictoriaMetrics: series
 * with planted change points (a rise that holds, a drop to zero, a rise that also happened at
 * the same time yesterday) written through the servers' own ingestion APIs; the window starts
 * after some onsets. The prompts' steps are then run as the tool calls they name.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../src/app.js';
import { getPrompt } from '../../src/tools/prompts-resources.js';
import { testConfig } from '../helpers/config.js';
import { CALLERS, callOk } from '../helpers/es-fixtures.js';
import { plantSeries, requireMetricsUrl } from '../helpers/metrics-env.js';

const STEP = 60_000;
const DAY = 86_400_000;
const RUN = `c${Date.now().toString(36)}`;
const NOW = Math.floor(Date.now() / STEP) * STEP;
const START = NOW - 4 * 3_600_000;
const RISE = NOW - 50 * 60_000;
const DROP = NOW - 20 * 60_000;
/** The window asked about starts after RISE (onset before the window) for one call. */
const LATE = NOW - 30 * 60_000;

const wobble = (level: number, i: number) => Number((level * (1 + 0.04 * Math.sin(i * 2.3))).toFixed(4));

function series(from: number, to: number, level: (t: number) => number): [number, number][] {
  const out: [number, number][] = [];
  for (let t = from, i = 0; t <= to; t += STEP, i++) out.push([t, wobble(level(t), i)]);
  return out;
}

interface Changes {
  summary: string;
  analysed: number;
  changed: number;
  window: { day_earlier: boolean; step: string };
  series: { labels: Record<string, string>; what: string; changes: { at: string; direction: string; still: boolean; baseline: string; before_window?: boolean }[] }[];
  next_checks: { tool: string }[];
}

const isoZ = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

describe('metrics_changes on planted change points', () => {
  const prom = requireMetricsUrl('TEST_PROMETHEUS_URL');
  const vm = requireMetricsUrl('TEST_VICTORIAMETRICS_URL');
  let app: App;

  beforeAll(async () => {
    const m = 'planted_queue_depth';
    await plantSeries(prom, vm, [
      // Rises 5× 50 minutes ago and stays up.
      { name: m, labels: { queue: 'orders', run: RUN }, points: series(START, NOW, (t) => (t >= RISE ? 200 : 40)) },
      // Falls to zero 20 minutes ago.
      { name: m, labels: { queue: 'emails', run: RUN }, points: series(START, NOW, (t) => (t >= DROP ? 0 : 30)) },
      // Rises 50 minutes ago, as it did yesterday at the same time: a daily batch, not news.
      { name: m, labels: { queue: 'batch', run: RUN }, points: [...series(START - DAY, NOW - DAY, (t) => (t >= RISE - DAY ? 200 : 40)), ...series(START, NOW, (t) => (t >= RISE ? 200 : 40))] },
      { name: m, labels: { queue: 'steady', run: RUN }, points: series(START, NOW, () => 12) },
    ]);
    app = buildApp(testConfig({ PROMETHEUS_URL: prom, PROMETHEUS_INSTANCES: 'vm', PROMETHEUS_VM_URL: vm, EMBEDDED_STORE: 'off' }));
  }, 120_000);

  afterAll(async () => {
    await app?.close();
  });

  const expr = `planted_queue_depth{run="${RUN}"}`;
  const window = { expr, start: isoZ(NOW - 2 * 3_600_000), end: isoZ(NOW), step: '1m' };

  it.each(['prometheus', 'vm'])('names the rise and the drop at their minute on %s, not the daily batch, not the steady queue', async (source) => {
    const res = await callOk<Changes>(app, 'metrics_changes', { ...window, source });
    expect(res.window).toMatchObject({ day_earlier: true, step: '60s' });
    expect(res.analysed).toBe(4);
    const byQueue = Object.fromEntries(res.series.map((s) => [s.labels.queue, s]));
    expect(Object.keys(byQueue).sort()).toEqual(['emails', 'orders']);
    expect(byQueue.orders.changes).toEqual([expect.objectContaining({ at: isoZ(RISE), direction: 'rise', still: true })]);
    expect(byQueue.orders.what).toMatch(/^rose 5(\.\d+)?× at \d\d:\d\dZ \(40 → 200\), still up/);
    expect(byQueue.emails.changes).toEqual([expect.objectContaining({ at: isoZ(DROP), direction: 'drop', still: true })]);
    expect(byQueue.emails.what).toMatch(/^fell to 0 at \d\d:\d\dZ \(was 30\), still down/);
    expect(res.summary).toMatch(/^2 of 4 series changed between/);
  });

  it('with the preceding window only, the daily batch is a change too', async () => {
    const res = await callOk<Changes>(app, 'metrics_changes', { ...window, baseline: 'preceding' });
    expect(res.window.day_earlier).toBe(false);
    expect(res.series.map((s) => s.labels.queue).sort()).toEqual(['batch', 'emails', 'orders']);
  });

  it('a window that starts after the onset still names it, marked as before the window', async () => {
    const res = await callOk<Changes>(app, 'metrics_changes', { expr, start: isoZ(LATE), end: isoZ(NOW), step: '1m' });
    const orders = res.series.find((s) => s.labels.queue === 'orders')!;
    expect(orders.changes[0]).toMatchObject({ at: isoZ(RISE), still: true, before_window: true });
  });

  it('suggests only tools this server serves', async () => {
    const res = await callOk<Changes>(app, 'metrics_changes', window);
    // No log source and no Alertmanager here: nothing to suggest.
    expect(res.next_checks).toEqual([]);
  });
});

describe('the metrics playbooks name calls that run', () => {
  const prom = requireMetricsUrl('TEST_PROMETHEUS_URL');
  const am = requireMetricsUrl('TEST_ALERTMANAGER_URL');
  let app: App;

  beforeAll(() => {
    app = buildApp(testConfig({ PROMETHEUS_URL: prom, ALERTMANAGER_URL: am, EMBEDDED_STORE: 'off' }));
  });

  afterAll(async () => {
    await app?.close();
  });

  /** Every `tool {json}` a prompt names, with its arguments: the JSON read to its closing brace, strings respected. */
  function callsIn(text: string): { tool: string; args: Record<string, unknown> }[] {
    const out: { tool: string; args: Record<string, unknown> }[] = [];
    for (const m of text.matchAll(/\b([a-z]+_[a-z_]+) \{/g)) {
      let depth = 0;
      let inString = false;
      let end = -1;
      for (let i = m.index + m[1].length + 1; i < text.length && end < 0; i++) {
        const c = text[i];
        if (inString) {
          if (c === '\\') i++;
          else if (c === '"') inString = false;
        } else if (c === '"') inString = true;
        else if (c === '{') depth++;
        else if (c === '}' && --depth === 0) end = i;
      }
      out.push({ tool: m[1], args: JSON.parse(text.slice(m.index + m[1].length + 1, end + 1)) as Record<string, unknown> });
    }
    return out;
  }

  it.each([
    ['triage_now', { namespace: 'payments' }, ['alerts_active', 'prom_targets_rules', 'promql_query', 'host_facts', 'metrics_changes']],
    ['capacity_check', { horizon: '7d' }, ['host_facts', 'promql_query', 'metrics_changes']],
    ['crashloop_playbook', { namespace: 'payments' }, ['promql_query', 'metrics_changes']],
  ])('%s: every step is a call this server accepts', async (name, args, tools) => {
    const res = await getPrompt(app.rt, name, args, CALLERS.admin);
    expect(res.ok).toBe(true);
    const text = (res as { data: { messages: { content: { text: string } }[] } }).data.messages[0].content.text;
    const calls = callsIn(text).filter((c) => !JSON.stringify(c.args).includes('<'));
    expect([...new Set(calls.map((c) => c.tool))]).toEqual(tools);
    for (const c of calls) await callOk(app, c.tool, c.args);
    // No log source is configured: no step names a log tool.
    expect(text).not.toMatch(/incident_summary|logs_patterns/);
  });
});
