import { z } from 'zod';
import { TelemcpError } from '../../core/errors.js';
import { ALERT_SOURCE } from '../../backends/metrics/module.js';
import { parseConfigYaml, type AlertmanagerApi, type AmAlert, type AmSilence } from '../../backends/metrics/alertmanager.js';
import { labelValue, matchesAll, parseMatchers, parseRouting, renderMatcher, silenceMatcher, type RoutingConfig } from '../../analysis/metrics/alert-routing.js';
import { auditSilences, type SilenceFinding } from '../../analysis/metrics/silence-audit.js';
import { defineTool, type ToolContext } from '../tool.js';
import { decodeOffsetCursor, encodeOffsetCursor } from '../elk/common.js';
import {
  countAlerts,
  expectsNotification,
  groupAlerts,
  identity,
  isInhibited,
  isSilenced,
  notifyingReceivers,
  severityOf,
  severityRank,
  shortTime,
  userText,
  type Counts,
} from './alerts-report.js';
import { whyAnswer } from './alerts-why.js';

const MAX_SILENCES = 20;
const MAX_FINDINGS = 20;
const MAX_WARNINGS = 5;
const MAX_RECEIVERS = 20;

const NO_CONTROL = /^[^\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]{0,127}$/;
/** Plain text: no control, bidi or zero-width characters (checked, not listed in the schema, to keep tools/list small). */
const plain = (max: number) => z.string().max(max).refine((v) => NO_CONTROL.test(v), { message: 'must not contain control or invisible characters' });
const labelSet = z
  .record(z.string().regex(LABEL_NAME), plain(256))
  .refine((l) => Object.keys(l).length >= 1 && Object.keys(l).length <= 20, { message: 'give 1 to 20 labels' });

/** One Alertmanager matcher, on a plain label name: what /api/v2/alerts?filter= takes. */
function matcherProblem(text: string): string | undefined {
  try {
    const parsed = parseMatchers(text);
    if (parsed.length !== 1) return 'must hold exactly one matcher';
    if (!LABEL_NAME.test(parsed[0].name)) return 'must match on a label name such as namespace';
    if (parsed[0].unsupported) return `has a regex that cannot be checked (${parsed[0].unsupported})`;
    // Escapes in a quoted value (\r, \x00) must not bring back what the raw text may not hold.
    if (!NO_CONTROL.test(parsed[0].value)) return 'must not contain control or invisible characters, escaped or not';
  } catch (err) {
    return `is not a matcher (${(err as Error).message.slice(0, 80)})`;
  }
  return undefined;
}

const matcherString = plain(256).superRefine((text, ctx) => {
    const problem = matcherProblem(text);
    if (problem) ctx.addIssue({ code: 'custom', message: `${problem}; write e.g. namespace="payments" or severity=~"critical|warning"` });
  });

const silenceOut = z.object({
  id: z.string(),
  state: z.enum(['active', 'pending']),
  matchers: z.array(z.string()),
  starts_at: z.string(),
  ends_at: z.string(),
  created_by: z.string(),
  comment: z.string(),
  mutes: z.number().describe('firing alerts it mutes (pending: would mute)'),
});

const refOut = z.object({ id: z.string(), comment: z.string(), created_by: z.string(), ends_at: z.string() });
const inhibitorOut = z.object({ alertname: z.string(), labels: z.string(), fingerprint: z.string(), rule: z.string().optional() });
const routeOut = z.object({
  path: z.string(),
  matchers: z.array(z.string()),
  receiver: z.string(),
  notifies: z.boolean().optional(),
  continue: z.boolean(),
  group_by: z.array(z.string()),
  group_wait: z.string(),
  repeat_interval: z.string(),
  mute_time_intervals: z.array(z.string()).optional(),
  active_time_intervals: z.array(z.string()).optional(),
});

const output = z.object({
  summary: z.string(),
  source: z.string(),
  alertmanager: z.object({ version: z.string().optional(), cluster: z.string(), peers: z.number() }),
  counts: z.object({
    firing: z.number(),
    active: z.number(),
    silenced: z.number(),
    inhibited: z.number(),
    muted: z.number(),
    unprocessed: z.number(),
    active_unnotified: z.number().optional().describe('active alerts whose receivers all notify nobody'),
    by_severity: z.record(z.string(), z.number()),
  }),
  groups: z.array(
    z.object({
      alertname: z.string(),
      severity: z.string().optional(),
      namespace: z.string().optional(),
      count: z.number(),
      state: z.enum(['active', 'suppressed', 'unprocessed', 'mixed']),
      active: z.number().optional().describe('not all active: how many are (absent: none)'),
      silenced: z.number().optional().describe('absent: none'),
      inhibited: z.number().optional().describe('absent: none'),
      since: z.string(),
      instances: z.array(z.string()),
      more_instances: z.number().optional(),
      receivers: z.array(z.string()),
      silenced_by: z.array(z.object({ id: z.string(), comment: z.string() })).optional().describe('the rest of each silence is in silences.list'),
      inhibited_by: z.array(z.object({ alertname: z.string(), on: z.string(), fingerprint: z.string() })).optional(),
      muted_by: z.array(z.string()).optional(),
      summary: z.string().optional(),
    }),
  ),
  receivers: z.array(z.object({ name: z.string(), integrations: z.array(z.string()), notifies: z.boolean() })).describe('receivers named above: integration kinds only, never their settings'),
  silences: z.object({
    active: z.number(),
    pending: z.number(),
    expired: z.number(),
    scope: z.enum(['all', 'filter']),
    list: z.array(silenceOut),
    audit: z.array(z.object({ silence_id: z.string(), kind: z.string(), severity: z.enum(['critical', 'warning', 'info']), finding: z.string() })),
  }),
  why: z
    .object({
      query: z.string(),
      firing: z.number(),
      verdict: z.string(),
      alerts: z.array(
        z.object({
          labels: z.string(),
          state: z.string(),
          since: z.string(),
          receivers: z.array(z.string()),
          routes: z.array(routeOut).optional(),
          silenced_by: z.array(refOut).optional(),
          inhibited_by: z.array(inhibitorOut).optional(),
          muted_by: z.array(z.string()).optional(),
          verdict: z.string(),
        }),
      ),
      routes_if_fired: z.array(routeOut).optional(),
    })
    .optional(),
  warnings: z.array(z.string()).optional(),
  recommendation: z.array(z.string()),
  truncated: z.boolean(),
  next_cursor: z.string().optional(),
});
type Output = z.infer<typeof output>;

/** The Alertmanager `source` names, or the first configured; an unknown name is the caller's to fix. */
function alertSource(ctx: Pick<ToolContext, 'backends'>, source: string | undefined): { name: string; api: AlertmanagerApi } {
  const all = ctx.backends.all(ALERT_SOURCE);
  const names = [...all.keys()];
  if (!names.length) throw new TelemcpError('backend_unavailable', 'No Alertmanager is configured.', { hint: 'Set ALERTMANAGER_URL (the Alertmanager that Prometheus sends alerts to).' });
  if (source === undefined) return { name: names[0], api: all.get(names[0])! };
  const api = all.get(source);
  if (!api) {
    throw new TelemcpError('invalid_input', `No Alertmanager named ${JSON.stringify(source.slice(0, 40))}.`, {
      hint: names.length === 1 ? `Pass source as ${names[0]}, or omit it.` : `Pass source as one of: ${names.join(', ')}.`,
    });
  }
  return { name: source, api };
}

/** The caller's filter as Alertmanager matcher expressions. */
function filterMatchers(filter: Record<string, string> | string[] | undefined): string[] | undefined {
  if (filter === undefined) return undefined;
  if (Array.isArray(filter)) return filter.map((text) => renderMatcher(parseMatchers(text)[0]));
  return Object.entries(filter).map(([name, value]) => renderMatcher({ name, op: '=', value }));
}

/** Alertmanager refuses a filter it cannot parse with 400: the caller's to fix, not a backend failure. */
async function filtered(api: AlertmanagerApi, filter: string[], signal: AbortSignal): Promise<AmAlert[]> {
  try {
    return await api.alerts({ filter }, signal);
  } catch (err) {
    if (err instanceof TelemcpError && err.details?.backend_status === 400) {
      throw new TelemcpError('invalid_input', `Alertmanager refused the filter ${filter.join(', ').slice(0, 200)}.`, { hint: 'Use matchers such as namespace="payments" or severity=~"critical|warning" (RE2 regexes, no lookaround).' });
    }
    throw err;
  }
}

function wouldMute(matchers: AmSilence['matchers'], alerts: readonly AmAlert[]): boolean {
  const compiled = matchers.map(silenceMatcher);
  return compiled.length > 0 && alerts.some((a) => matchesAll(compiled, a.labels));
}

export const alertsActive = defineTool({
  name: 'alerts_active',
  title: 'Active alerts (Alertmanager)',
  description:
    "What Alertmanager has firing, grouped by alertname/severity/namespace: since when, on what, who is notified, what is silenced or inhibited and by what; a silence audit; `why` explains why nobody was paged for an alert.",
  readme:
    'Alertmanager: firing alerts grouped by alertname/severity/namespace (since, instances, receivers, silenced/inhibited by what), exact counts, a silence audit (hiding critical alerts, stale, ending within 1 h, longer than 7 d, over-broad), and `why`: the routes, receivers (do they notify anybody?), silences and inhibitions of an alert — with `ALERTMANAGER_URL`',
  toolset: 'metrics',
  requires: [ALERT_SOURCE],
  leastRole: 'elk_viewer',
  input: z
    .object({
      filter: z.union([labelSet, z.array(matcherString).min(1).max(10)]).optional().describe('Labels ({"namespace":"payments"}) or matchers (["severity=~\\"critical|warning\\""])'),
      include_suppressed: z.boolean().default(true).describe('List silenced/inhibited alerts in groups (always counted)'),
      why: z.union([plain(128).min(1), labelSet]).optional().describe('Alertname or labels: why was nobody paged for it?'),
      limit: z.number().int().min(1).max(100).default(20).describe('Groups per page'),
      cursor: z.string().max(200).optional().describe('next_cursor of the previous page'),
      source: z.string().regex(/^[a-z][a-z0-9_]{0,31}$/).optional().describe('Alertmanager instance (ALERTMANAGER_INSTANCES); default: the first'),
    })
    .strict(),
  output,
  async handler(input, ctx): Promise<Output> {
    const { name: source, api } = alertSource(ctx, input.source);
    const offset = decodeOffsetCursor(input.cursor);
    const filter = filterMatchers(input.filter);
    const [status, silenceList, all, selected] = await Promise.all([
      api.status(ctx.signal),
      api.silences(ctx.signal),
      api.alerts({}, ctx.signal),
      filter ? filtered(api, filter, ctx.signal) : undefined,
    ]);
    const now = Date.now();
    const alerts = selected ?? all;
    const warnings: string[] = [];
    let routing: RoutingConfig | undefined;
    const parsed = parseConfigYaml(status.config.original);
    if (parsed.error !== undefined || !status.config.original) {
      warnings.push(`The Alertmanager configuration could not be read (${parsed.error ?? 'empty'}): routes, and whether receivers notify anybody, are not shown.`);
    } else {
      const read = parseRouting(parsed.document);
      for (const p of read.problems) warnings.push(userText(`Configuration: ${p}`, 300));
      if (read.root) routing = read;
    }

    const silences = new Map<string, AmSilence>(silenceList.map((s) => [s.id, s]));
    const byFingerprint = new Map<string, AmAlert>(all.map((a) => [a.fingerprint, a]));
    const counts = countAlerts(alerts, routing);
    const listed = input.include_suppressed ? alerts : alerts.filter((a) => a.status.state !== 'suppressed');
    const allGroups = groupAlerts(listed, { silences, byFingerprint });
    const groups = allGroups.slice(offset, offset + input.limit);
    const more = offset + input.limit < allGroups.length;

    const audit = auditSilences(
      silenceList.map((s) => ({ id: s.id, state: s.status.state, matchers: s.matchers, startsAt: s.startsAt, endsAt: s.endsAt })),
      all.map((a) => ({ labels: a.labels, silencedBy: a.status.silencedBy })),
      now,
    );
    // With a filter, the silences that matter are those muting (or about to mute) what it selects,
    // and those written for the same labels (a stale silence for namespace=payments matches nothing).
    const selectedIds = filter ? new Set(alerts.flatMap((a) => a.status.silencedBy)) : undefined;
    const filterPairs = (filter ?? []).flatMap((text) => parseMatchers(text).filter((m) => m.op === '=').map((m) => [m.name, m.value]));
    const related = (s: AmSilence) =>
      selectedIds!.has(s.id) ||
      (s.status.state === 'pending' && (audit.effects.get(s.id)?.alerts ?? 0) > 0 && wouldMute(s.matchers, alerts)) ||
      s.matchers.some((m) => !m.isRegex && m.isEqual !== false && filterPairs.some(([k, v]) => m.name === k && m.value === v));
    const relevant = silenceList.filter((s) => audit.effects.has(s.id) && (!selectedIds || related(s)));
    const order = (s: AmSilence) => (s.status.state === 'active' ? 0 : 1);
    relevant.sort((a, b) => order(a) - order(b) || (audit.effects.get(b.id)!.critical - audit.effects.get(a.id)!.critical) || a.endsAt.localeCompare(b.endsAt));
    const relevantIds = new Set(relevant.map((s) => s.id));
    const findings: SilenceFinding[] = audit.findings.filter((f) => relevantIds.has(f.silence_id));

    const why = input.why === undefined ? undefined : whyAnswer(input.why, { alerts: all, routing, silences, byFingerprint, source, now, canCheckRules: ctx.callableTools().includes('prom_targets_rules') });

    const named = new Set([...groups.flatMap((g) => g.receivers), ...(why?.alerts.flatMap((a) => [...a.receivers, ...(a.routes ?? []).map((r) => r.receiver)]) ?? []), ...(why?.routes_if_fired ?? []).map((r) => r.receiver)]);
    const receivers = routing
      ? [...named].flatMap((n) => {
          const r = routing!.receivers.get(n);
          return r ? [{ name: userText(r.name, 120), integrations: r.integrations.slice(0, 10), notifies: r.integrations.length > 0 }] : [];
        })
      : [];

    const truncated = more || relevant.length > MAX_SILENCES || findings.length > MAX_FINDINGS || receivers.length > MAX_RECEIVERS;
    return {
      summary: summarize({ alerts, counts, routing, findings, filter, source, byFingerprint, now }),
      source,
      alertmanager: { ...(status.versionInfo.version ? { version: userText(status.versionInfo.version, 40) } : {}), cluster: userText(status.cluster.status, 20), peers: status.cluster.peers?.length ?? 0 },
      counts,
      groups,
      receivers: receivers.slice(0, MAX_RECEIVERS),
      silences: {
        ...audit.counts,
        scope: filter ? 'filter' : 'all',
        list: relevant.slice(0, MAX_SILENCES).map((s) => ({
          id: s.id,
          state: s.status.state === 'pending' ? 'pending' : 'active',
          matchers: s.matchers.slice(0, 8).map((m) => userText(renderMatcher({ name: m.name, op: m.isRegex ? (m.isEqual === false ? '!~' : '=~') : m.isEqual === false ? '!=' : '=', value: m.value }), 160)),
          starts_at: s.startsAt,
          ends_at: s.endsAt,
          created_by: userText(s.createdBy, 64),
          comment: userText(s.comment),
          mutes: audit.effects.get(s.id)!.alerts,
        })),
        audit: findings.slice(0, MAX_FINDINGS).map((f) => ({ ...f, finding: userText(f.finding, 400) })),
      },
      ...(why ? { why } : {}),
      ...(warnings.length ? { warnings: warnings.slice(0, MAX_WARNINGS) } : {}),
      recommendation: recommend({ counts, findings, alerts, routing, why, ctx, filter }),
      truncated,
      ...(more ? { next_cursor: encodeOffsetCursor(offset + input.limit) } : {}),
    };
  },
});

interface SummaryInput {
  alerts: readonly AmAlert[];
  counts: Counts;
  routing: RoutingConfig | undefined;
  findings: SilenceFinding[];
  filter: string[] | undefined;
  source: string;
  byFingerprint: ReadonlyMap<string, AmAlert>;
  now: number;
}

/** One or two sentences: what fires by severity, on what, since when, via whom; what is muted by what; the worst silence finding. */
function summarize(s: SummaryInput): string {
  const scope = s.filter ? ` matching ${s.filter.join(', ')}` : '';
  const hides = new Set(s.findings.filter((f) => f.kind === 'hides_critical').map((f) => f.silence_id)).size;
  const broad = new Set(s.findings.filter((f) => f.kind === 'over_broad').map((f) => f.silence_id)).size;
  const hidesText = `${hides ? `; ${hides} silence${hides > 1 ? 's hide' : ' hides'} a critical alert` : ''}${broad ? `; ${broad} silence${broad > 1 ? 's are' : ' is'} over-broad` : ''}`;
  if (!s.alerts.length) return userText(`No alerts firing in Alertmanager ${s.source}${scope}${hidesText}.`, 600);
  const bySeverity = new Map<string, AmAlert[]>();
  for (const a of s.alerts) {
    const sev = severityOf(a) || 'unset';
    bySeverity.set(sev, [...(bySeverity.get(sev) ?? []), a]);
  }
  const parts = [...bySeverity.entries()]
    .sort(([a], [b]) => severityRank(a) - severityRank(b))
    .slice(0, 4)
    .map(([sev, list]) => {
      const details: string[] = [];
      const active = list.filter((a) => a.status.state === 'active');
      const byName = new Map<string, AmAlert[]>();
      for (const a of active) byName.set(labelValue(a.labels, 'alertname'), [...(byName.get(labelValue(a.labels, 'alertname')) ?? []), a]);
      const earliest = (list: AmAlert[]) => Math.min(...list.map((a) => Date.parse(a.startsAt)).filter(Number.isFinite));
      // The longest firing first: what started the incident.
      const named = [...byName.entries()].sort(([x, a], [y, b]) => earliest(a) - earliest(b) || x.localeCompare(y));
      for (const [name, same] of named.slice(0, 2)) {
        const since = earliest(same);
        const on = same.length === 1 ? identity(same[0].labels) : `${same.length} instances`;
        const via = [...new Set(same.flatMap((a) => notifyingReceivers(a, s.routing) ?? a.receivers.map((r) => r.name)))];
        details.push(`${name}${on ? ` on ${on}` : ''}${Number.isFinite(since) ? ` since ${shortTime(since, s.now)}` : ''}, ${via.length ? `via ${via.slice(0, 3).join(', ')}` : 'notifying nobody'}`);
      }
      if (byName.size > 2) details.push(`${byName.size - 2} more active`);
      const inhibited = list.filter(isInhibited);
      if (inhibited.length) {
        const by = [...new Set(inhibited.flatMap((a) => a.status.inhibitedBy).map((fp) => labelValue(s.byFingerprint.get(fp)?.labels ?? {}, 'alertname')).filter(Boolean))];
        details.push(`${inhibited.length} inhibited${by.length ? ` by ${by.slice(0, 2).join(', ')}` : ''}`);
      }
      const silenced = list.filter((a) => isSilenced(a) && !isInhibited(a));
      if (silenced.length) {
        const names = [...new Set(silenced.map((a) => labelValue(a.labels, 'alertname')))];
        details.push(silenced.length === 1 ? `${names[0]} silenced` : `${silenced.length} silenced: ${names.slice(0, 2).join(', ')}${names.length > 2 ? ', …' : ''}`);
      }
      return `${list.length} ${sev === 'unset' ? 'without severity' : sev}${details.length ? ` (${details.join('; ')})` : ''}`;
    });
  const unnotified = s.counts.active_unnotified ? `; ${s.counts.active_unnotified} active alert(s) reach only receivers that notify nobody` : '';
  return userText(`${s.alerts.length} alert${s.alerts.length > 1 ? 's' : ''} firing${scope}: ${parts.join(', ')}${bySeverity.size > 4 ? ', …' : ''}${hidesText}${unnotified}.`, 700);
}

function recommend(r: {
  counts: Counts;
  findings: SilenceFinding[];
  alerts: readonly AmAlert[];
  routing: RoutingConfig | undefined;
  why: ReturnType<typeof whyAnswer> | undefined;
  ctx: ToolContext;
  filter: string[] | undefined;
}): string[] {
  const out: string[] = [];
  const tools = new Set(r.ctx.callableTools());
  const hides = r.findings.filter((f) => f.kind === 'hides_critical');
  if (hides.length) out.push(`Review silence ${hides.slice(0, 2).map((f) => f.silence_id).join(', ')} with its creator: it hides a critical alert. telemcp never creates or expires silences; use amtool silence or the Alertmanager UI.`);
  const unnotified = r.alerts.filter((a) => expectsNotification(a) && notifyingReceivers(a, r.routing)?.length === 0);
  if (unnotified.length) {
    const names = [...new Set(unnotified.flatMap((a) => a.receivers.map((x) => x.name)))];
    out.push(`${unnotified.length} active alert(s) go only to ${names.slice(0, 3).join(', ')}, with no integration: add a *_configs entry to the receiver, or a route sending these alerts to one that notifies.`);
  }
  if (r.findings.some((f) => f.kind === 'over_broad')) out.push('Narrow over-broad silences to the alertname and instance they are meant for: a namespace- or match-all silence also hides new, unrelated alerts.');
  if (r.counts.firing === 0 && !r.why) {
    out.push(tools.has('prom_targets_rules') ? 'Nothing fires in Alertmanager: if something should, check the alerting rules (pending, failing, or not loaded) with prom_targets_rules.' : 'Nothing fires in Alertmanager: if something should, check the alerting rules on Prometheus (its /alerts page).');
  }
  if (r.counts.firing > 0 && tools.has('promql_query') && r.counts.by_severity.critical) out.push('For a critical alert, look at the series behind it with promql_query (its expression is in the rule, prom_targets_rules lists it).');
  return out.slice(0, 5);
}
