import { LOG_SOURCE } from '../../backends/capabilities.js';
import { z } from 'zod';
import type { BurstGroup, RankedService } from '../../analysis/correlate/correlate.js';
import { defineTool } from '../tool.js';
import { logToolCache } from '../cache-windows.js';
import { runAnalysis } from '../analysis-thread.js';
import { burstOut, toBurstOut } from './burst-output.js';
import { describeSource, describeWindow, sourceOut, windowOut } from './common.js';
import { incidentInput, readIncidentSamples } from './incident-events.js';

const MAX_TEMPLATE = 200;
const cut = (s: string): string => (s.length > MAX_TEMPLATE ? `${s.slice(0, MAX_TEMPLATE - 1)}…` : s);
const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

const rankedOut = z.object({
  service: z.string(),
  template: z.string(),
  role: z.string(),
  signature: z.string().nullable(),
  count: z.number(),
  onset: z.string(),
  status: z.enum(['ongoing', 'resolved']),
  confidence: z.number(),
  shared_traces: z.number(),
  lag_s: z.number().optional(),
  evidence: z.array(z.string()),
});
const groupOut = z.object({ services: z.array(z.string()), template: z.string(), count: z.number(), onset: z.string(), end: z.string().nullable(), status: z.enum(['ongoing', 'resolved']) });

function rankedOf(r: RankedService): z.infer<typeof rankedOut> {
  return {
    service: r.service,
    template: cut(r.template),
    role: r.role,
    signature: r.semantic ?? null,
    count: r.count,
    onset: new Date(r.onsetMs).toISOString(),
    status: r.status,
    confidence: r.confidence,
    shared_traces: r.sharedTraces,
    ...(r.lagS !== undefined ? { lag_s: r.lagS } : {}),
    evidence: r.evidence,
  };
}

function groupOf(g: BurstGroup): z.infer<typeof groupOut> {
  return { services: g.services, template: cut(g.template), count: g.count, onset: new Date(g.onsetMs).toISOString(), end: iso(g.endMs), status: g.status };
}

export const logsCorrelate = defineTool({
  name: 'logs_correlate',
  title: 'Correlate errors across services',
  description:
    'Evidence behind an incident: bursting error templates joined across services by trace id and time lag; cause then symptoms, sample traces, and what is unrelated.',
  readme: 'the evidence behind an incident: bursting error templates joined across services by trace id and time lag, ranked as likely cause then symptoms, links, sample traces; unrelated bursts, resolved spikes and steady noise set apart',
  toolset: 'logs',
  requires: [LOG_SOURCE],
  leastRole: 'elk_viewer',
  input: z.object(incidentInput).strict(),
  output: z.object({
    summary: z.string(),
    source: sourceOut,
    window: windowOut,
    /** Start of the lookback read before the window as a baseline. */
    analysed_from: z.string(),
    bucket_seconds: z.number(),
    events: z.object({ sampled: z.number(), total: z.number(), errors: z.number(), warnings: z.number(), with_trace: z.number() }),
    error_bursts: z.array(burstOut),
    incident: z
      .object({
        status: z.enum(['ongoing', 'resolved']),
        onset: z.string(),
        end: z.string().nullable(),
        count: z.number(),
        ranked: z.array(rankedOut),
        links: z.array(z.object({ leader: z.string(), follower: z.string(), lag_s: z.number(), correlation: z.number(), shared_traces: z.number() })),
        precursors: z.array(z.object({ service: z.string(), template: z.string(), onset: z.string(), count: z.number() })),
        traces: z.object({ joined: z.number(), cross_service: z.number(), sample: z.array(z.string()) }),
      })
      .nullable(),
    other_bursts: z.array(groupOut),
    resolved_spikes: z.array(groupOut),
    steady: z.array(z.object({ service: z.string(), template: z.string(), severity: z.string(), count: z.number(), per_bucket: z.number(), presence: z.number() })),
    truncated: z.boolean(),
    notes: z.array(z.string()).optional(),
    partial: z.boolean().optional(),
  }),
  cache: logToolCache(),
  async handler(input, ctx) {
    const read = await readIncidentSamples(ctx, input);
    const c = await runAnalysis('correlateIncident', read.analysis, ctx.signal);
    const incident = c.incident;
    const cause = incident?.ranked[0];
    // Exact counts of the caller's window; the sample also covers the lookback before it.
    const exact = read.windowTotals;
    const summary = cause
      ? `Likely cause: ${cause.service} ("${cut(cause.template).slice(0, 100)}"), from ${new Date(cause.onsetMs).toISOString()}; ${incident.ranked.length - 1} dependent service(s); ${incident.traces.crossService} traces cross services.`
      : `No correlated error burst: ${exact.errors} errors and ${exact.warnings} warnings in the window, ${c.resolvedSpikes.length} resolved spike(s), ${c.steady.length} steady stream(s).`;
    return {
      summary,
      source: describeSource(ctx, read.source, read.sample.scope),
      window: describeWindow(read.window),
      bucket_seconds: c.window.bucketMs / 1000,
      analysed_from: new Date(read.analysis.windowStartMs).toISOString(),
      events: { sampled: read.sample.records.length, total: exact.errors + exact.warnings, errors: exact.errors, warnings: exact.warnings, with_trace: c.events.withTrace },
      error_bursts: c.overall.bursts.map(toBurstOut),
      incident: incident
        ? {
            status: incident.status,
            onset: new Date(incident.onsetMs).toISOString(),
            end: iso(incident.endMs),
            count: incident.count,
            ranked: incident.ranked.map(rankedOf),
            links: incident.links.map((l) => ({
              leader: `${l.leader.service}: ${cut(l.leader.template)}`,
              follower: `${l.follower.service}: ${cut(l.follower.template)}`,
              lag_s: l.lagS,
              correlation: l.correlation,
              shared_traces: l.sharedTraces,
            })),
            precursors: incident.precursors.map((p) => ({ service: p.service, template: cut(p.template), onset: new Date(p.onsetMs).toISOString(), count: p.count })),
            traces: { joined: incident.traces.joined, cross_service: incident.traces.crossService, sample: incident.traces.sample },
          }
        : null,
      other_bursts: c.otherBursts.map(groupOf),
      resolved_spikes: c.resolvedSpikes.map(groupOf),
      steady: c.steady.map((s) => ({ service: s.service, template: cut(s.template), severity: s.severity, count: s.count, per_bucket: s.level, presence: s.presence })),
      truncated: c.truncated || c.overall.truncated || read.sample.records.length < read.sample.total,
      ...(read.notes.length ? { notes: read.notes } : {}),
      ...(read.sample.partial ? { partial: true } : {}),
    };
  },
});
