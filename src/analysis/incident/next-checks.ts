import type { Correlation } from '../correlate/correlate.js';
import { isElasticsearchSemantic } from '../correlate/semantics.js';
import { toRecommendInput } from './recommend-input.js';
import type { IncidentSummary, NextCheck } from './types.js';

const MAX_CHECKS = 5;
/** Start checks this long before the onset, so the calls show the baseline the burst rose from. */
const LEAD_MS = 15 * 60_000;
const QUERY_WORDS = 3;
const STOP_WORDS = new Set(['with', 'from', 'that', 'this', 'after', 'before', 'for', 'the', 'and', 'into', 'while', 'when', 'request']);

/** A few literal words of a template (its variable parts left out), for a message query that finds its lines. */
export function queryWords(template: string): string | undefined {
  const words = (template.replace(/<\*>/g, ' ').match(/[A-Za-z][A-Za-z]{3,}/g) ?? []).filter((w) => !STOP_WORDS.has(w.toLowerCase()));
  const distinct = [...new Set(words)].slice(0, QUERY_WORDS);
  return distinct.length ? distinct.join(' ') : undefined;
}

/** Where the incident was read and what the caller may call: checks name only those tools, on the same logs. */
export interface NextCheckContext {
  /** Tools the caller can call now (its role, the configured backends). */
  callable: readonly string[];
  /** The log source and scope the incident was read from, passed on so a check reads the same logs. */
  source?: string;
  scope?: string;
}

/** Records without a service are grouped as this; a filter on it matches nothing. */
const NO_SERVICE = 'unknown';

/**
 * Read-only calls that confirm or refute the diagnosis, most telling first, with arguments
 * ready to send: follow one failing trace, read the cause's own errors around the onset, its
 * APM latency and error rate, the cluster when the cause is Elasticsearch, then the rule
 * library's advice for the cause's pattern. Only tools the caller can call now are named, on the
 * logs the incident came from, and never with a filter that matches nothing (a service the
 * records did not name).
 */
export function nextChecks(summary: Omit<IncidentSummary, 'next_checks'>, correlation: Correlation, context?: NextCheckContext): NextCheck[] {
  const can = (tool: string) => context === undefined || context.callable.includes(tool);
  const on = { ...(context?.source ? { source: context.source } : {}), ...(context?.scope ? { scope: context.scope } : {}) };
  const incident = correlation.incident;
  const cause = summary.likely_cause;
  const checks: NextCheck[] = [];
  if (!incident || !cause) {
    if (can('logs_patterns')) {
      checks.push({
        tool: 'logs_patterns',
        args: { ...on, log_level: 'error', start_time: new Date(correlation.window.startMs).toISOString(), end_time: new Date(correlation.window.endMs).toISOString() },
        why: 'no burst here: list the error patterns of the window to see whether anything else changed',
      });
    }
    return checks;
  }
  const window = {
    start_time: new Date(incident.onsetMs - LEAD_MS).toISOString(),
    ...(incident.endMs === null ? {} : { end_time: new Date(Math.min(correlation.window.endMs, incident.endMs + LEAD_MS)).toISOString() }),
  };
  const service = cause.service === NO_SERVICE ? undefined : cause.service;
  const trace = incident.traces.sample[0];
  if (trace && can('logs_search')) {
    checks.push({
      tool: 'logs_search',
      args: { ...on, trace_id: trace, ...window, sort: 'asc', limit: 50 },
      why: `follow one failing request across ${summary.services.slice(0, 4).join(', ')} in the order the services logged`,
    });
  }
  const query = queryWords(cause.template);
  if (can('logs_search')) {
    checks.push({
      tool: 'logs_search',
      args: { ...on, ...(service ? { service_name: service } : {}), log_level: 'error', ...(query ? { query } : {}), ...window, sort: 'asc', limit: 20 },
      why: `the first errors of ${cause.service}, the likely cause, from before its onset`,
    });
  }
  if (service && can('elk_apm_summary')) {
    checks.push({
      tool: 'elk_apm_summary',
      args: { service_name: service, ...window },
      why: `latency and failure rate of ${service} before and since the onset`,
    });
  }
  if (isElasticsearchSemantic(incident.ranked[0].semantic) && can('elk_cluster_health')) {
    checks.push({ tool: 'elk_cluster_health', args: { include_shards: true }, why: 'the cause is an Elasticsearch cluster condition' });
  }
  if (can('elk_recommend_fix')) checks.push({ tool: 'elk_recommend_fix', args: { ...toRecommendInput(summary) }, why: `safe fixes for ${cause.service}'s pattern` });
  return checks.slice(0, MAX_CHECKS);
}
