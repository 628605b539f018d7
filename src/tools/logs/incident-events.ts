import { z } from 'zod';
import type { LogEvent } from '../../analysis/correlate/correlate.js';
import type { TimeWindow } from '../../core/time.js';
import type { LogSample, LogSource } from '../../backends/capabilities.js';
import type { ToolContext } from '../tool.js';
import { dayEarlier, logScopeInput, mineSamples, sampleNote, scopedRequest, toLogEvent } from './common.js';

/** Inputs of the tools that explain an incident from warnings and errors. */
export const incidentInput = {
  ...logScopeInput,
  sample_size: z.number().int().min(100).max(5000).default(3000),
  compare_day_earlier: z.boolean().default(true),
};

export interface IncidentEvents {
  source: LogSource;
  window: TimeWindow;
  sample: LogSample;
  events: LogEvent[];
  dayEarlier?: LogEvent[];
  notes: string[];
}

/**
 * Warnings and errors of the window (and of the same window a day earlier, where the source
 * keeps it), mined together into templates so that one message has one id in both.
 */
export async function readIncidentEvents(
  ctx: ToolContext,
  input: { source?: string; scope?: string; start_time?: string; end_time?: string; service_name?: string; sample_size: number; compare_day_earlier: boolean },
): Promise<IncidentEvents> {
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
  const { mined } = mineSamples(earlier ? [sample, earlier] : [sample]);
  return {
    source,
    window,
    sample,
    events: mined[0].map(toLogEvent),
    ...(earlier && earlier.records.length ? { dayEarlier: mined[1].map(toLogEvent) } : {}),
    notes,
  };
}
