export { buildIncidentSummary, summarizeIncident } from './summary.js';
export { toRecommendInput, type RecommendFixInput } from './recommend-input.js';
export type { IncidentSummary, NextCheck, NonIncident, OtherBurst, SummaryCause, SummarySymptom } from './types.js';
export type { NextCheckContext } from './next-checks.js';
