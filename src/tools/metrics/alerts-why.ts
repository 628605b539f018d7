import type { AmAlert, AmSilence } from '../../backends/metrics/alertmanager.js';
import { inhibitorsOf, labelValue, renderMatcher, routeOf, type Labels, type MatchedRoute, type RoutingConfig } from '../../analysis/metrics/alert-routing.js';
import {
  inhibitorRef,
  isInhibited,
  isMuted,
  isSilenced,
  labelsText,
  notifyingReceivers,
  silenceRef,
  userText,
  type InhibitorRef,
  type SilenceRef,
} from './alerts-report.js';
import { iso } from './common.js';

const MAX_EXPLAINED = 3;
const MAX_ROUTES = 5;
const MAX_MATCHERS = 5;

export interface RouteOut {
  path: string;
  matchers: string[];
  receiver: string;
  notifies?: boolean;
  continue: boolean;
  group_by: string[];
  group_wait: string;
  repeat_interval: string;
  mute_time_intervals?: string[];
  active_time_intervals?: string[];
}

export interface WhyAlert {
  labels: string;
  state: AmAlert['status']['state'];
  since: string;
  receivers: string[];
  routes?: RouteOut[];
  silenced_by?: SilenceRef[];
  inhibited_by?: (InhibitorRef & { rule?: string })[];
  muted_by?: string[];
  verdict: string;
}

export interface WhyAnswer {
  query: string;
  firing: number;
  verdict: string;
  alerts: WhyAlert[];
  /** When nothing matching fires: where an alert with these labels would go. */
  routes_if_fired?: RouteOut[];
}

type Outcome = 'unprocessed' | 'silenced' | 'inhibited' | 'muted' | 'notifies_nobody' | 'notified' | 'unknown';
const OUTCOME_ORDER: Outcome[] = ['notifies_nobody', 'silenced', 'inhibited', 'muted', 'unprocessed', 'unknown', 'notified'];
const OUTCOME_TEXT: Record<Outcome, string> = {
  unprocessed: 'not yet processed',
  silenced: 'silenced',
  inhibited: 'inhibited',
  muted: 'muted by a time interval',
  notifies_nobody: 'routed only to receivers that notify nobody',
  notified: 'active and routed to a receiver that notifies',
  unknown: 'active (receivers not readable)',
};

export interface WhyContext {
  alerts: readonly AmAlert[];
  routing?: RoutingConfig;
  silences: ReadonlyMap<string, AmSilence>;
  byFingerprint: ReadonlyMap<string, AmAlert>;
  source: string;
  now: number;
  /** Whether the caller can call prom_targets_rules on this server (the hint names it then). */
  canCheckRules: boolean;
}

function routesOut(routes: MatchedRoute[], routing: RoutingConfig): RouteOut[] {
  return routes.slice(0, MAX_ROUTES).map((r) => {
    const notifies = routing.receivers.get(r.receiver) ? (routing.receivers.get(r.receiver)!.integrations.length > 0) : undefined;
    return {
      path: r.path,
      matchers: r.matchers.slice(0, MAX_MATCHERS).map((m) => userText(m, 120)),
      receiver: userText(r.receiver, 120),
      ...(notifies !== undefined ? { notifies } : {}),
      continue: r.continue,
      group_by: r.group_by.slice(0, 10),
      group_wait: r.group_wait,
      repeat_interval: r.repeat_interval,
      ...(r.mute_time_intervals ? { mute_time_intervals: r.mute_time_intervals.slice(0, 5) } : {}),
      ...(r.active_time_intervals ? { active_time_intervals: r.active_time_intervals.slice(0, 5) } : {}),
    };
  });
}

function outcomeOf(a: AmAlert, routing: RoutingConfig | undefined): Outcome {
  if (a.status.state === 'unprocessed') return 'unprocessed';
  if (isSilenced(a)) return 'silenced';
  if (isInhibited(a)) return 'inhibited';
  if (isMuted(a)) return 'muted';
  const notifying = notifyingReceivers(a, routing);
  if (notifying === undefined) return 'unknown';
  return notifying.length ? 'notified' : 'notifies_nobody';
}

function describeRule(routing: RoutingConfig, index: number): string {
  const rule = routing.inhibitRules.find((r) => r.index === index);
  if (!rule) return `rule ${index}`;
  const side = (ms: typeof rule.source) => `{${ms.slice(0, 4).map(renderMatcher).join(', ')}}`;
  return userText(`inhibit rule ${index}${rule.name ? ` (${rule.name})` : ''}: source ${side(rule.source)} → target ${side(rule.target)}, equal [${rule.equal.join(', ')}]`, 300);
}

function explain(a: AmAlert, ctx: WhyContext): WhyAlert {
  const { routing } = ctx;
  const outcome = outcomeOf(a, routing);
  const receivers = [...new Set(a.receivers.map((r) => r.name))];
  const routes = routing ? routeOf(routing, a.labels) : undefined;
  const silencedBy = a.status.silencedBy.slice(0, 3).map((id) => silenceRef(id, ctx.silences));
  const inhibitedBy = a.status.inhibitedBy.slice(0, 3).map((fp) => {
    const ref = inhibitorRef(fp, ctx.byFingerprint);
    const source = ctx.byFingerprint.get(fp);
    const rule = routing && source ? inhibitorsOf(routing.inhibitRules, a.labels, [source])[0] : undefined;
    return { ...ref, ...(rule && routing ? { rule: describeRule(routing, rule.rule) } : {}) };
  });
  const since = Date.parse(a.startsAt);
  const notes: string[] = [];
  switch (outcome) {
    case 'unprocessed':
      notes.push('Alertmanager has received it but not processed it yet; ask again in a few seconds.');
      break;
    case 'silenced': {
      const s = silencedBy[0];
      notes.push(`Not notified: silenced by ${s.id}${s.created_by ? ` (created by ${s.created_by}` : ' ('}${s.ends_at ? `, until ${s.ends_at}` : ''}${s.comment ? `: "${s.comment}"` : ''}).`);
      break;
    }
    case 'inhibited': {
      const i = inhibitedBy[0];
      notes.push(`Not notified: inhibited by ${i.alertname} ${i.labels}${i.rule ? ` (${i.rule})` : ''}; it notifies again when that alert resolves.`);
      break;
    }
    case 'muted':
      notes.push(`Not notified now: muted by time interval(s) ${a.status.mutedBy!.slice(0, 3).join(', ')}.`);
      break;
    case 'notifies_nobody':
      notes.push(`Not notified: routed to ${receivers.join(', ')}, which ${receivers.length > 1 ? 'have' : 'has'} no integration configured (no *_configs), so nobody is notified.`);
      break;
    case 'notified': {
      const notifying = notifyingReceivers(a, routing)!;
      const kinds = notifying.map((r) => `${r} (${routing!.receivers.get(r)!.integrations.slice(0, 3).join(', ')})`);
      const first = routes?.find((r) => notifying.includes(r.receiver));
      notes.push(
        `Active and routed to ${kinds.join(', ')}${first ? `: first sent after group_wait ${first.group_wait}, then every ${first.repeat_interval} while firing` : ''}. If nobody received it, check delivery: alertmanager_notifications_failed_total by integration, and the Alertmanager log.`,
      );
      const silent = receivers.filter((r) => !notifying.includes(r));
      if (silent.length) notes.push(`${silent.join(', ')} notif${silent.length > 1 ? 'y' : 'ies'} nobody (no integration).`);
      break;
    }
    case 'unknown':
      notes.push(`Active and routed to ${receivers.join(', ') || 'no receiver'}; the configuration could not be read, so whether they notify anybody is unknown.`);
  }
  const timed = routes?.filter((r) => r.mute_time_intervals || r.active_time_intervals) ?? [];
  for (const r of timed.slice(0, 2)) {
    notes.push(`Route ${r.path} ${r.mute_time_intervals ? `mutes during ${r.mute_time_intervals.join(', ')}` : ''}${r.mute_time_intervals && r.active_time_intervals ? ' and ' : ''}${r.active_time_intervals ? `only notifies during ${r.active_time_intervals.join(', ')}` : ''}.`);
  }
  if (routes) {
    const ours = routes.map((r) => r.receiver);
    const theirs = a.receivers.map((r) => r.name);
    if (ours.join('\n') !== theirs.join('\n')) notes.push(`telemcp's reading of the route tree gives ${ours.join(', ') || 'nothing'}, Alertmanager says ${theirs.join(', ') || 'nothing'}: Alertmanager's answer is the one used above.`);
  }
  return {
    labels: labelsText(a.labels),
    state: a.status.state,
    since: Number.isFinite(since) ? iso(since) : '',
    receivers: receivers.slice(0, 5).map((r) => userText(r, 120)),
    ...(routes && routing ? { routes: routesOut(routes, routing) } : {}),
    ...(silencedBy.length ? { silenced_by: silencedBy } : {}),
    ...(inhibitedBy.length ? { inhibited_by: inhibitedBy } : {}),
    ...(a.status.mutedBy?.length ? { muted_by: a.status.mutedBy.slice(0, 3).map((m) => userText(m, 120)) } : {}),
    verdict: userText(notes.join(' '), 900),
  };
}

/** Why an alert (by alertname or labels) did or did not notify anybody, from Alertmanager's state and its configuration. */
export function whyAnswer(query: string | Record<string, string>, ctx: WhyContext): WhyAnswer {
  const wanted: Labels = typeof query === 'string' ? { alertname: query } : query;
  const queryText = typeof query === 'string' ? userText(query, 128) : labelsText(query);
  const matching = ctx.alerts.filter((a) => Object.entries(wanted).every(([k, v]) => labelValue(a.labels, k) === v));
  if (!matching.length) {
    const rules = ctx.canCheckRules ? 'check the rule state with prom_targets_rules' : "check the rule's state on Prometheus (its /alerts page)";
    const routes = ctx.routing ? routeOf(ctx.routing, wanted) : undefined;
    const goes = routes?.length
      ? ` If it fired with only these labels, it would go to ${routes.map((r) => `${r.receiver}${ctx.routing!.receivers.get(r.receiver)?.integrations.length === 0 ? ' (which notifies nobody)' : ''}`).join(', ')}.`
      : '';
    return {
      query: queryText,
      firing: 0,
      verdict: userText(
        `No alert matching ${queryText} is firing in Alertmanager ${ctx.source}: Prometheus has not sent it (the rule is not firing, still pending for its \`for:\` duration, failing to evaluate, or Prometheus cannot reach Alertmanager) — ${rules}.${goes}`,
        900,
      ),
      alerts: [],
      ...(routes && ctx.routing ? { routes_if_fired: routesOut(routes, ctx.routing) } : {}),
    };
  }
  const byOutcome = new Map<Outcome, AmAlert[]>();
  for (const a of matching) {
    const o = outcomeOf(a, ctx.routing);
    byOutcome.set(o, [...(byOutcome.get(o) ?? []), a]);
  }
  const ordered = OUTCOME_ORDER.filter((o) => byOutcome.has(o));
  // One alert per outcome, the worst outcomes first, so each different reason is explained once.
  const explained = ordered.slice(0, MAX_EXPLAINED).map((o) => explain(byOutcome.get(o)![0], ctx));
  const parts = ordered.map((o) => `${byOutcome.get(o)!.length} ${OUTCOME_TEXT[o]}`);
  return {
    query: queryText,
    firing: matching.length,
    verdict: userText(`${matching.length} firing alert(s) match ${queryText}: ${parts.join(', ')}. ${explained[0].verdict}`, 900),
    alerts: explained,
  };
}
