import { z } from 'zod';
import { METRIC_SOURCE } from '../../backends/metrics/module.js';
import type { PromRule, RuleGroup, TargetHealth } from '../../backends/metrics/prometheus.js';
import { defineTool } from '../tool.js';
import { clip, iso, metricApi, sourceArg } from './common.js';
import { labelText } from './labels.js';

const MAX_LIST = 100;

const downTarget = z.object({
  job: z.string(),
  instance: z.string(),
  health: z.enum(['down', 'unknown', 'up']),
  last_error: z.string(),
  last_scrape: z.string().optional(),
  scrape_interval: z.string().optional(),
  scrape_url: z.string().optional(),
});

const alertRule = z.object({
  alertname: z.string(),
  state: z.enum(['firing', 'pending', 'inactive']),
  severity: z.string().optional(),
  group: z.string(),
  /** The expression as written, with its threshold. */
  expr: z.string(),
  for: z.string().optional(),
  active: z.number().describe('alerts of this rule in this state'),
  since: z.string().optional().describe('earliest activeAt'),
  instances: z.array(z.string()).describe('label sets of up to 5 active alerts'),
  summary: z.string().optional(),
});

const ruleError = z.object({ group: z.string(), rule: z.string(), type: z.enum(['alerting', 'recording']), last_error: z.string(), last_evaluation: z.string().optional() });

function seconds(s: number | undefined): string | undefined {
  if (!s) return undefined;
  return s % 3600 === 0 ? `${s / 3600}h` : s % 60 === 0 ? `${s / 60}m` : `${s}s`;
}

/** The end of a Go error chain says what happened ("Get …: dial tcp …: connect: connection refused" → "connection refused"). */
function reasonOf(error: string): string {
  const tail = error.split(': ').at(-1)!.trim();
  return (tail.length >= 8 ? tail : error).slice(0, 80);
}

function earliest(dates: (string | undefined)[]): string | undefined {
  const ms = dates.map((d) => (d ? Date.parse(d) : NaN)).filter((n) => Number.isFinite(n) && n > 0);
  return ms.length ? iso(Math.min(...ms)) : undefined;
}

function targetRow(t: TargetHealth): z.infer<typeof downTarget> {
  return {
    job: t.labels.job ?? t.scrapePool,
    instance: t.labels.instance ?? '',
    health: t.health,
    last_error: clip(t.lastError, 300),
    ...(t.lastScrape && !t.lastScrape.startsWith('0001') ? { last_scrape: iso(Date.parse(t.lastScrape)) } : {}),
    ...(t.scrapeInterval ? { scrape_interval: t.scrapeInterval } : {}),
    scrape_url: clip(t.scrapeUrl, 200),
  };
}

function ruleRow(group: RuleGroup, r: PromRule): z.infer<typeof alertRule> {
  const alerts = r.alerts ?? [];
  const state = r.state ?? (alerts.some((a) => a.state === 'firing') ? 'firing' : alerts.some((a) => a.state === 'pending') ? 'pending' : 'inactive');
  const active = alerts.filter((a) => a.state === state);
  return {
    alertname: r.name,
    state,
    ...(r.labels?.severity ? { severity: r.labels.severity } : {}),
    group: group.name,
    expr: clip(r.query, 300),
    ...(r.duration ? { for: seconds(r.duration) } : {}),
    active: active.length,
    ...(earliest(active.map((a) => a.activeAt)) ? { since: earliest(active.map((a) => a.activeAt)) } : {}),
    instances: active.slice(0, 5).map((a) => labelText(Object.fromEntries(Object.entries(a.labels).filter(([k]) => k !== 'alertname' && k !== 'severity')))),
    ...(r.annotations?.summary ? { summary: clip(r.annotations.summary) } : {}),
  };
}

export const promTargetsRules = defineTool({
  name: 'prom_targets_rules',
  title: 'Prometheus targets and rules',
  description:
    'Scrape targets (down first, with last error) and rules: firing/pending alerts with their expression and threshold as written, rules failing to evaluate, groups too slow for their interval.',
  readme: 'scrape targets and their health (down targets first, last error), alerting rules with state, since, expression and threshold as written, recording/alerting rules failing to evaluate, rule groups slower than their interval',
  toolset: 'metrics',
  requires: [METRIC_SOURCE],
  leastRole: 'elk_viewer',
  input: z
    .object({
      job: z.string().max(200).optional().describe('Only targets and alert instances of this job'),
      include_healthy: z.boolean().default(false).describe('List healthy targets and inactive alerting rules too'),
      limit: z.number().int().min(1).max(MAX_LIST).default(30).describe('Most entries per list'),
      source: sourceArg,
    })
    .strict(),
  output: z.object({
    summary: z.string(),
    source: z.string(),
    targets: z.object({ total: z.number(), up: z.number(), down: z.number(), unknown: z.number(), by_job: z.array(z.object({ job: z.string(), up: z.number(), down: z.number() })) }),
    down_targets: z.array(downTarget),
    healthy_targets: z.array(downTarget).optional(),
    rules: z.object({ groups: z.number(), alerting: z.number(), recording: z.number(), firing: z.number(), pending: z.number(), failing: z.number() }),
    alerts: z.array(alertRule).describe('firing first, then pending (inactive with include_healthy)'),
    rule_errors: z.array(ruleError),
    slow_groups: z.array(z.object({ group: z.string(), interval: z.string().optional(), evaluation_seconds: z.number() })),
    warnings: z.array(z.string()).optional(),
    truncated: z.boolean(),
  }),
  async handler(input, ctx) {
    const { name, api } = metricApi(ctx, input.source);
    const [targetsRes, rulesRes] = await Promise.all([
      api.get<{ activeTargets?: TargetHealth[] }>('/api/v1/targets', { state: 'active' }, ctx.signal),
      api.get<{ groups?: RuleGroup[] }>('/api/v1/rules', {}, ctx.signal),
    ]);
    const all = (targetsRes.data.activeTargets ?? []).filter((t) => !input.job || (t.labels.job ?? t.scrapePool) === input.job);
    const rows = all.map(targetRow);
    const byJob = new Map<string, { job: string; up: number; down: number }>();
    for (const r of rows) {
      const j = byJob.get(r.job) ?? { job: r.job, up: 0, down: 0 };
      if (r.health === 'up') j.up++;
      else j.down++;
      byJob.set(r.job, j);
    }
    const down = rows.filter((r) => r.health !== 'up').sort((a, b) => (a.health === b.health ? a.job.localeCompare(b.job) || a.instance.localeCompare(b.instance) : a.health === 'down' ? -1 : 1));
    const healthy = rows.filter((r) => r.health === 'up');

    const groups = rulesRes.data.groups ?? [];
    const rules = groups.flatMap((g) => g.rules.map((r) => ({ g, r })));
    const alerting = rules.filter(({ r }) => r.type === 'alerting');
    const alertRows = alerting
      .map(({ g, r }) => ruleRow(g, r))
      .map((row) => (input.job ? { ...row, instances: row.instances.filter((i) => i.includes(`job=${JSON.stringify(input.job)}`)) } : row));
    const rank = { firing: 0, pending: 1, inactive: 2 } as const;
    const shownAlerts = alertRows.filter((a) => input.include_healthy || a.state !== 'inactive').sort((a, b) => rank[a.state] - rank[b.state] || b.active - a.active || a.alertname.localeCompare(b.alertname));
    const errors = rules
      .filter(({ r }) => r.health === 'err' || (r.lastError ?? '') !== '')
      .map(({ g, r }) => ({ group: g.name, rule: r.name, type: r.type, last_error: clip(r.lastError, 300), ...(r.lastEvaluation ? { last_evaluation: iso(Date.parse(r.lastEvaluation)) } : {}) }));
    const slow = groups
      .filter((g) => g.interval && g.evaluationTime !== undefined && g.evaluationTime > g.interval)
      .map((g) => ({ group: g.name, interval: seconds(g.interval), evaluation_seconds: Math.round(g.evaluationTime! * 1000) / 1000 }));

    const firing = alertRows.filter((a) => a.state === 'firing');
    const pending = alertRows.filter((a) => a.state === 'pending');
    const limit = input.limit;
    const truncated = down.length > limit || shownAlerts.length > limit || errors.length > limit || (input.include_healthy && healthy.length > limit);
    const parts = [
      rows.length === 0
        ? `no scrape targets${input.job ? ` of job ${input.job}` : ''} (this server scrapes nothing itself, or does not list its targets)`
        : `${rows.length} target${rows.length === 1 ? '' : 's'}${input.job ? ` of job ${input.job}` : ''}: ${down.length ? `${down.length} not up (${down.slice(0, 3).map((d) => `${d.job} ${d.instance}${d.last_error ? `: ${reasonOf(d.last_error)}` : ''}`).join('; ')}${down.length > 3 ? '; …' : ''})` : 'all up'}`,
      `${alerting.length} alerting rule${alerting.length === 1 ? '' : 's'}: ${firing.length} firing${firing.length ? ` (${firing.slice(0, 5).map((f) => `${f.alertname}${f.since ? ` since ${f.since}` : ''}`).join(', ')}${firing.length > 5 ? ', …' : ''})` : ''}, ${pending.length} pending`,
      errors.length ? `${errors.length} rule${errors.length === 1 ? '' : 's'} failing to evaluate (${errors.slice(0, 3).map((e) => e.rule).join(', ')})` : 'no rule evaluation errors',
      ...(slow.length ? [`${slow.length} rule group${slow.length === 1 ? '' : 's'} slower than ${slow.length === 1 ? 'its' : 'their'} interval`] : []),
    ];
    const warnings = [...targetsRes.warnings, ...rulesRes.warnings].map((w) => clip(w, 200));
    return {
      summary: `${parts.join('; ')}.`,
      source: name,
      targets: { total: rows.length, up: healthy.length, down: rows.filter((r) => r.health === 'down').length, unknown: rows.filter((r) => r.health === 'unknown').length, by_job: [...byJob.values()].sort((a, b) => b.down - a.down || a.job.localeCompare(b.job)).slice(0, limit) },
      down_targets: down.slice(0, limit),
      ...(input.include_healthy ? { healthy_targets: healthy.slice(0, limit) } : {}),
      rules: { groups: groups.length, alerting: alerting.length, recording: rules.length - alerting.length, firing: firing.length, pending: pending.length, failing: errors.length },
      alerts: shownAlerts.slice(0, limit),
      rule_errors: errors.slice(0, limit),
      slow_groups: slow.slice(0, limit),
      ...(warnings.length ? { warnings } : {}),
      truncated,
    };
  },
});
