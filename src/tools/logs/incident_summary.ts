import { LOG_SOURCE } from '../../backends/capabilities.js';
import { z } from 'zod';
import { defineTool } from '../tool.js';
import { logToolCache } from '../cache-windows.js';
import { runAnalysis } from '../analysis-thread.js';
import { describeSource, describeWindow, sourceOut, windowOut } from './common.js';
import { incidentInput, readIncidentSamples } from './incident-events.js';

const templateCount = z.object({ template: z.string(), count: z.number() });

export const incidentSummary = defineTool({
  name: 'incident_summary',
  title: 'Incident summary',
  description:
    'What is going wrong and why: since when (even before your window), how many, which services, likely cause with evidence, symptoms, silent services, next read-only checks. Feed it to elk_recommend_fix.',
  readme: 'one findings object: what, since when, how many, which services, the likely cause with evidence, symptoms, what is not the incident, and ready-to-send read-only next checks (including the `elk_recommend_fix` call)',
  toolset: 'logs',
  requires: [LOG_SOURCE],
  leastRole: 'elk_viewer',
  input: z.object(incidentInput).strict(),
  output: z.object({
    what: z.string(),
    since: z.string().nullable(),
    status: z.enum(['ongoing', 'resolved', 'silent', 'none']),
    count: z.number(),
    count_in_window: z.number(),
    count_exact: z.boolean(),
    began_before_window: z.boolean(),
    template_counts: z.enum(['exact', 'estimate']),
    silent_services: z.array(z.object({ service: z.string(), since: z.string(), usual_per_min: z.number() })),
    services: z.array(z.string()),
    likely_cause: z
      .object({
        service: z.string(),
        template: z.string(),
        signature: z.string().nullable(),
        role: z.string(),
        count: z.number(),
        onset: z.string(),
        confidence: z.number(),
        evidence: z.array(z.string()),
        other_templates: z.array(templateCount),
      })
      .nullable(),
    symptoms: z.array(
      z.object({
        service: z.string(),
        template: z.string(),
        signature: z.string().nullable(),
        count: z.number(),
        lag_s: z.number(),
        shared_traces: z.number(),
        confidence: z.number(),
        evidence: z.array(z.string()),
      }),
    ),
    evidence: z.array(z.string()),
    next_checks: z.array(z.object({ tool: z.string(), args: z.record(z.string(), z.unknown()), why: z.string() })),
    non_incidents: z.array(z.object({ kind: z.string(), service: z.string(), template: z.string(), count: z.number(), note: z.string() })),
    other_bursts: z.array(z.object({ services: z.array(z.string()), template: z.string(), count: z.number(), since: z.string() })),
    source: sourceOut,
    window: windowOut,
    /** Start of the lookback read before the window as a baseline (sampled counts records from here). */
    analysed_from: z.string(),
    sampled: z.number(),
    total: z.number(),
    truncated: z.boolean(),
    notes: z.array(z.string()).optional(),
    partial: z.boolean().optional(),
  }),
  cache: logToolCache(),
  async handler(input, ctx) {
    const read = await readIncidentSamples(ctx, input);
    // Next checks name only what this caller can call, on the logs this summary read.
    const checks = { callable: ctx.callableTools(), source: read.source.name, ...(input.scope ? { scope: input.scope } : {}) };
    const summary = await runAnalysis('summarizeIncident', { ...read.analysis, checks }, ctx.signal);
    const { window: _engineWindow, truncated, ...findings } = summary;
    return {
      ...findings,
      source: describeSource(ctx, read.source, read.sample.scope),
      window: describeWindow(read.window),
      analysed_from: new Date(read.analysis.windowStartMs).toISOString(),
      sampled: read.sample.records.length,
      total: read.windowTotals.errors + read.windowTotals.warnings,
      truncated: truncated || read.sample.records.length < read.sample.total,
      ...(read.notes.length ? { notes: read.notes } : {}),
      ...(read.sample.partial ? { partial: true } : {}),
    };
  },
});
