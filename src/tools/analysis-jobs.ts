import { detectBursts, type BucketSeries, type BurstOptions } from '../analysis/bursts/detect.js';
import { foldCounts, type CountedMessage, type FoldOptions } from '../analysis/templates/fold-counts.js';
import { errorsAnswer, withSamples, type ErrorEvidence, type SampleDoc } from './elk/detect-errors-answer.js';
import { exactPatterns } from './logs/exact-patterns.js';
import { correlateIncident, samplePatterns, summarizeIncidentSample, templateBursts } from './logs/sample-analysis.js';
import type { LogSample } from '../backends/capabilities.js';
import { findingsFromBody, type FindingsOptions } from './metrics/series-findings.js';
import { changesFromBodies } from './metrics/changes-from-bodies.js';

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
  exactPatterns,
  foldCounts: ({ groups, options }: { groups: CountedMessage<SampleDoc>[]; options: FoldOptions }) => foldCounts(groups, options).templates,
  errorsAnswer: ({ evidence, input }: { evidence: ErrorEvidence; input: ErrorsInput }) => errorsAnswer(evidence, input),
  /**
   * Patterns and answer in one job, when no backend call comes between them: the (up to 200,000)
   * counted messages cross once, the patterns never cross back. `docs` lend the patterns samples.
   */
  changesFromBodies,
  findingsFromBody: ({ body, options }: { body: string; options: FindingsOptions }) => findingsFromBody(body, options),
  errorsFromCounts: ({ groups, docs, options, evidence, input }: { groups: CountedMessage<SampleDoc>[]; docs: SampleDoc[]; options: FoldOptions; evidence: Omit<ErrorEvidence, 'patterns'>; input: ErrorsInput }) =>
    errorsAnswer({ ...evidence, patterns: foldCounts(withSamples(groups, docs), options).templates }, input),
};

type ErrorsInput = { service_name?: string; top_n: number };

export type AnalysisJobs = typeof ANALYSIS_JOBS;
export type AnalysisJob = keyof AnalysisJobs;
