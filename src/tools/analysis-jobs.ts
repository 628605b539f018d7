import { detectBursts, type BucketSeries, type BurstOptions } from '../analysis/bursts/detect.js';
import { groupByTemplate, type MessageGroup } from '../analysis/templates/group.js';
import { errorsAnswer, type ErrorEvidence, type SampleDoc } from './elk/detect-errors-answer.js';
import { correlateIncident, samplePatterns, summarizeIncidentSample, templateBursts } from './logs/sample-analysis.js';
import type { LogSample } from '../backends/capabilities.js';

/**
 * The tools' heavy analysis, by name: what runs in the analysis thread (analysis-thread.ts).
 * Each job takes one structured-cloneable value and returns one; none does I/O.
 */
export const ANALYSIS_JOBS = {
  samplePatterns: ({ sample, topN }: { sample: LogSample; topN: number }) => samplePatterns(sample, topN),
  detectBursts: ({ series, options }: { series: BucketSeries; options?: BurstOptions }) => detectBursts(series, options),
  templateBursts,
  correlateIncident,
  summarizeIncident: summarizeIncidentSample,
  groupByTemplate: (groups: MessageGroup<SampleDoc>[]) => groupByTemplate(groups),
  errorsAnswer: ({ evidence, input }: { evidence: ErrorEvidence; input: ErrorsInput }) => errorsAnswer(evidence, input),
  /** Patterns and answer in one job, when no backend call comes between them: the patterns never cross back. */
  errorsFromGroups: ({ groups, evidence, input }: { groups: MessageGroup<SampleDoc>[]; evidence: Omit<ErrorEvidence, 'patterns'>; input: ErrorsInput }) =>
    errorsAnswer({ ...evidence, patterns: groupByTemplate(groups) }, input),
};

type ErrorsInput = { service_name?: string; top_n: number };

export type AnalysisJobs = typeof ANALYSIS_JOBS;
export type AnalysisJob = keyof AnalysisJobs;
