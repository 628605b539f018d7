import { z } from 'zod';
import { jsonFilterSchema } from '../../backends/victorialogs/json-filter.js';
import { DISCOVER_WHAT, DISCOVERY_LIMITS, LOGSQL_DISCOVERY, type ApprovedDiscovery, type DiscoveredHits, type DiscoveredValues, type DiscoveryRequest } from '../../backends/victorialogs/discovery.js';
import { MAX_LOGSQL_CHARS } from '../../backends/victorialogs/logsql-guard.js';
import { TelemcpError } from '../../core/errors.js';
import { parseTime } from '../../core/time.js';
import { defineTool, target, type ToolContext } from '../tool.js';
import { nativeQueryCache } from '../cache-windows.js';

const timeArg = (what: string) => z.string().min(1).max(40).describe(`${what}: now-1h, 2026-12-07T14:00:00Z, or epoch seconds/ms`);
const STEP = /^(\d{1,7})(s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

type DiscoverInput = { what: DiscoveryRequest['what']; query?: string; filter?: unknown; start?: string; end?: string; field?: string; limit?: number; step?: string };

/** The call as the guard checks it: times and step resolved once to ms; what is missing stays missing, for the guard to inject. */
export function discoveryRequest(input: DiscoverInput, now = new Date()): DiscoveryRequest {
  const step = input.step !== undefined ? STEP.exec(input.step) : undefined;
  if (step === null) throw new TelemcpError('invalid_input', 'step must be a duration such as 30s, 5m, 1h or 1d.', { hint: 'Pass step: "5m", or leave it out for about 60 buckets.' });
  return {
    what: input.what,
    ...(input.query !== undefined ? { query: input.query } : {}),
    ...(input.filter !== undefined ? { filter: input.filter as DiscoveryRequest['filter'] } : {}),
    ...(input.start !== undefined ? { start: parseTime(input.start, now, false, 'start').getTime() } : {}),
    ...(input.end !== undefined ? { end: parseTime(input.end, now, true, 'end').getTime() } : {}),
    ...(input.field !== undefined ? { field: input.field } : {}),
    ...(input.limit !== undefined ? { limit: input.limit } : {}),
    ...(step ? { stepMs: Number(step[1]) * UNIT_MS[step[2]!]! } : {}),
  };
}

function sourceName(ctx: Pick<ToolContext, 'backends'>, source: string | undefined): string {
  return source ?? ctx.backends.all(LOGSQL_DISCOVERY).keys().next().value ?? 'victorialogs';
}

const iso = (ms: number) => new Date(ms).toISOString();

const NOUN: Record<DiscoveryRequest['what'], string> = { fields: 'field names', field_values: 'values', streams: 'streams', hits: 'groups' };

function emptyHints(a: ApprovedDiscovery): string[] {
  return [
    `No record between ${iso(a.start)} and ${iso(a.end)}${a.filter === '*' ? '' : ' matches the filter'}. Widen the window (start now-24h)${a.injected.includes('window') ? '; the server used the last hour because start was missing' : ''}.`,
    a.filter === '*'
      ? 'Check the source: the instance (and its AccountID/ProjectID tenant) may hold no logs in this window.'
      : a.what === 'field_values'
        ? `Loosen the filter, or check the field name: names are case-sensitive; list them with what: "fields" (${JSON.stringify(a.field)} may not exist).`
        : 'Loosen the filter: drop a condition; field names are case-sensitive, list them with what: "fields" and no filter.',
  ];
}

function valuesSummary(a: ApprovedDiscovery, v: DiscoveredValues): string {
  const noun = a.what === 'field_values' ? `values of ${a.field}` : NOUN[a.what];
  const distinct = v.distinctExact ? `${v.distinct}` : `at least ${v.distinct}`;
  const top = v.values
    .slice(0, 3)
    .map((x) => `${x.value.slice(0, 60)} (${x.hits})`)
    .join(', ');
  return `${distinct} ${noun} between ${iso(a.start)} and ${iso(a.end)}${v.values.length < v.distinct ? `; the top ${v.values.length} by records` : ''}${top ? `: ${top}${v.values.length > 3 ? ', …' : ''}` : ''}.`;
}

function hitsSummary(a: ApprovedDiscovery, h: DiscoveredHits): string {
  const all = h.groups.reduce((acc, g) => acc.map((n, i) => n + (g.counts[i] ?? 0)), new Array<number>(h.groups[0]?.counts.length ?? 0).fill(0));
  const peak = all.reduce((best, n, i) => (n > all[best]! ? i : best), 0);
  const named = h.groups.filter((g) => g.fields);
  return [
    `${h.total} records between ${iso(a.start)} and ${iso(a.end)} (exact), in ${h.stepMs / 1000}s buckets.`,
    h.total ? `Peak: ${all[peak]} in the bucket from ${iso(h.firstBucket + peak * h.stepMs)}.` : '',
    named.length ? `Top ${a.field}: ${named.slice(0, 3).map((g) => `${Object.values(g.fields!)[0]} (${g.total})`).join(', ')}.` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

const valueOut = z.object({ value: z.string(), hits: z.number(), stream: z.boolean().optional().describe('fields: the field makes streams (_stream)') });

export const vlogsDiscover = defineTool({
  name: 'vlogs_discover',
  title: 'VictoriaLogs discovery: fields, values, streams, hits',
  description:
    'What VictoriaLogs holds in a window (default last hour, at most 31d), optionally narrowed by a LogsQL filter or the JSON filter form: field names (fields), the values of one field (field_values), streams, or records over time (hits, grouped by a field). Top items by records with exact totals.',
  readme:
    'what VictoriaLogs holds in a window (default the last hour, at most 31 days), optionally narrowed by a LogsQL filter (`query`, the same rules as vlogs_query: no pipes, comments or `options(…)`) or the JSON filter form (`filter`): `what: "fields"` (field names with their records, stream fields marked), `"field_values"` (the values of `field`), `"streams"`, or `"hits"` (records per bucket, `step` default about 60 buckets, grouped by the top `field` values, the rest as one group); the top `limit` by records (values default 50, at most 500; hit groups default 5, at most 20) with exact distinct counts and totals, and hints when nothing matches',
  toolset: 'victorialogs',
  requires: [LOGSQL_DISCOVERY],
  leastRole: 'elk_viewer',
  input: z
    .object({
      what: z.enum(DISCOVER_WHAT).describe('fields | field_values | streams | hits'),
      query: z.string().min(1).max(MAX_LOGSQL_CHARS).optional().describe('A LogsQL filter narrowing the records, e.g. "service.name":="api"; no pipes'),
      filter: jsonFilterSchema.optional(),
      field: z.string().min(1).max(128).optional().describe('field_values: the field; hits: group by this field'),
      start: timeArg('Window start (default: end - 1h)').optional(),
      end: timeArg('Window end (default now)').optional(),
      limit: z.number().int().min(1).max(DISCOVERY_LIMITS.maxValues).optional().describe(`Items returned, most records first (default ${DISCOVERY_LIMITS.defaultValues}; hits: groups, default ${DISCOVERY_LIMITS.defaultGroups}, at most ${DISCOVERY_LIMITS.maxGroups})`),
      step: z.string().max(12).optional().describe('hits: bucket width such as 1m, 5m, 1h (default: about 60 buckets)'),
      source: z.string().regex(/^[a-z][a-z0-9_]{0,31}$/).optional().describe('Named instance to read (VICTORIALOGS_INSTANCES); default: the first configured'),
    })
    .strict(),
  output: z.object({
    summary: z.string(),
    source: z.string(),
    what: z.enum(DISCOVER_WHAT),
    query: z.object({ filter: z.string().describe('The filter as sent; * for every record of the window'), start: z.string(), end: z.string(), limit: z.number(), injected: z.array(z.string()) }),
    items: z.array(valueOut).optional().describe('fields, field_values, streams: the top by records'),
    distinct: z.number().optional().describe('Distinct fields, values or streams in the window'),
    distinct_exact: z.boolean().optional().describe('false: more than distinct exist (the server counts up to it); the items are still the exact top'),
    hits: z
      .object({
        step_seconds: z.number(),
        first_bucket: z.string(),
        total: z.number().describe('Records matching in the window (exact)'),
        groups: z.array(z.object({ fields: z.record(z.string(), z.string()).optional().describe('Absent: the records outside the listed groups'), total: z.number(), counts: z.array(z.number()) })),
      })
      .optional(),
    hints: z.array(z.string()).optional(),
    truncated: z.boolean(),
  }),
  cache: nativeQueryCache(LOGSQL_DISCOVERY),
  targets: (input) => [target(LOGSQL_DISCOVERY, discoveryRequest(input), { source: input.source })],
  async handler(input, ctx) {
    const a = ctx.guarded.get(LOGSQL_DISCOVERY);
    if (!a) throw new TelemcpError('backend_unavailable', 'No VictoriaLogs instance checked this request.', { hint: 'Set VICTORIALOGS_URL.' });
    const found = await a.read(ctx.signal);
    const base = { source: sourceName(ctx, input.source), what: a.what, query: { filter: a.filter, start: iso(a.start), end: iso(a.end), limit: a.limit, injected: a.injected } };
    if (found.kind === 'hits') {
      const hints = found.total === 0 ? emptyHints(a) : [];
      return {
        summary: hitsSummary(a, found),
        ...base,
        hits: { step_seconds: found.stepMs / 1000, first_bucket: iso(found.firstBucket), total: found.total, groups: found.groups.map((g) => ({ ...(g.fields ? { fields: g.fields } : {}), total: g.total, counts: g.counts })) },
        ...(hints.length ? { hints } : {}),
        truncated: found.othersGrouped,
      };
    }
    const hints = found.distinct === 0 ? emptyHints(a) : [];
    return {
      summary: found.distinct === 0 ? `Nothing between ${iso(a.start)} and ${iso(a.end)}: see hints.` : valuesSummary(a, found),
      ...base,
      items: found.values,
      distinct: found.distinct,
      distinct_exact: found.distinctExact,
      ...(hints.length ? { hints } : {}),
      truncated: found.values.length < found.distinct,
    };
  },
});
