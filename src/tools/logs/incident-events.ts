import { z } from 'zod';
import type { TimeWindow } from '../../core/time.js';
import type { LogSample, LogSource } from '../../backends/capabilities.js';
import type { ToolContext } from '../tool.js';
import { dayEarlier, logScopeInput, sampleNote, scopedRequest } from './common.js';
import type { IncidentInput } from './sample-analysis.js';

/** Inputs of the tools that explain an incident from warnings and errors. */
export const incidentInput = {
  ...logScopeInput,
  sample_size: z.number().int().min(100).max(5000).default(3000),
  compare_day_earlier: z.boolean().default(true),
};

export interface IncidentSamples {
  source: LogSource;
  window: TimeWindow;
  sample: LogSample;
  /** What the analysis thread mines and correlates (sample-analysis.ts). */
  analysis: IncidentInput;
  notes: string[];
}

/** Warnings and errors of the window, and of the same window a day earlier where the source keeps it. */
export async function readIncidentSamples(
  ctx: ToolContext,
  input: { source?: string; scope?: string; start_time?: string; end_time?: string; service_name?: string; sample_size: number; compare_day_earlier: boolean },
): Promise<IncidentSamples> {
  const { source, window, query } = scopedRequest(ctx, input, { levels: ['error', 'warn'] });
  const limit = Math.min(input.sample_size, source.capabilities.maxSample);
  const notes: string[] = [];
  const useDayEarlier = input.compare_day_earlier && source.capabilities.pastWindows;
  const [sample, earlier] = await Promise.all([
    source.sample(query, { limit, strategy: 'spread' }, ctx.signal),
    useDayEarlier ? source.sample(dayEarlier(query), { limit: Math.max(100, Math.floor(limit / 2)), strategy: 'spread' }, ctx.signal) : Promise.resolve(undefined),
  ]);
  notes.push(...sample.notes);
  const note = sampleNote(sample);
  if (note) notes.push(note);
  if (sample.total === 0) {
    // Without levels there are no warnings or errors to read: say so rather than "no incident".
    const { levels: _levels, ...everyLevel } = query;
    const byLevel = await source.countBy(everyLevel, { by: 'level', limit: 1 }, ctx.signal);
    if (byLevel.total > 0 && byLevel.values.length === 0) {
      notes.push(`None of the ${byLevel.total} records in the window carry a level, so there are no warnings or errors to explain; logs_bursts and logs_patterns with log_level "any" read them all.`);
    }
  }
  return {
    source,
    window,
    sample,
    analysis: { sample, ...(earlier ? { earlier } : {}), windowStartMs: window.from.getTime(), windowEndMs: window.to.getTime() },
    notes,
  };
}
