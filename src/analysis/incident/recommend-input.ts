import { MAX_RECOMMENDATIONS } from '../recommend/index.js';
import type { IncidentSummary } from './types.js';

/** The input of elk_recommend_fix: { findings, max_recommendations }. */
export interface RecommendFixInput {
  findings: Record<string, unknown>;
  max_recommendations: number;
}

/**
 * The summary as elk_recommend_fix input. Only the likely cause's templates go in, as
 * `top_error_messages` (a container the rule library reads as log lines, weighted by count):
 * the fix belongs to the cause, and the symptoms' timeouts and 5xx would otherwise pull
 * generic "find the slow dependency" advice to the top. Non-incidents never go in.
 */
export function toRecommendInput(summary: Pick<IncidentSummary, 'what' | 'status' | 'since' | 'likely_cause'>, maxRecommendations = 5): RecommendFixInput {
  const cause = summary.likely_cause;
  const messages = cause
    ? [
        { message: cause.template, count: cause.count, service: cause.service },
        ...cause.other_templates.map((t) => ({ message: t.template, count: t.count, service: cause.service })),
      ]
    : [];
  return {
    findings: {
      incident: {
        summary: summary.what,
        status: summary.status,
        ...(summary.since ? { since: summary.since } : {}),
        top_error_messages: messages,
      },
    },
    max_recommendations: Math.min(MAX_RECOMMENDATIONS, Math.max(1, Math.floor(maxRecommendations))),
  };
}
