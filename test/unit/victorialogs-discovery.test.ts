import { describe, expect, it } from 'vitest';
import { TelemcpError } from '../../src/core/errors.js';
import type { VictoriaLogsApi, VlHitsSeries, VlValueHits } from '../../src/backends/victorialogs/client.js';
import { DISCOVERY_LIMITS, discoveryFilter, discoveryGuard, normalizeDiscovery, type DiscoveredHits, type DiscoveredValues } from '../../src/backends/victorialogs/discovery.js';

const NOW = Date.parse('2026-12-07T12:00:00Z');
const HOUR = 3_600_000;
const signal = new AbortController().signal;

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof TelemcpError ? err.code : 'not a TelemcpError';
  }
  return undefined;
}

describe('discoveryFilter', () => {
  it('sends * for no filter, and for a filter that matches everything', () => {
    expect(discoveryFilter({})).toBe('*');
    expect(discoveryFilter({ query: ' _msg:* ' })).toBe('*');
    expect(discoveryFilter({ query: 'error OR *' })).toBe('*');
  });

  it('sends the caller\'s filter in parentheses, the JSON form compiled with its values quoted', () => {
    expect(discoveryFilter({ query: '"service.name":="api" error' })).toBe('("service.name":="api" error)');
    expect(discoveryFilter({ filter: { 'service.name': 'a" | delete' } })).toBe('("service.name":="a\\" | delete")');
  });

  it.each([
    ['a pipe', 'error | delete', 'query_denied'],
    ['a comment', 'error # x', 'query_denied'],
    ['options()', 'options(ignore_global_time_filter=true) error', 'query_denied'],
    ['a subquery', 'x:in(_time:1d *)', 'query_denied'],
    ['unbalanced parentheses', '(error', 'invalid_input'],
    ['a filter that is too long', `"${'x'.repeat(5000)}"`, 'invalid_input'],
  ])('refuses %s', (_name, query, expected) => {
    expect(code(() => discoveryFilter({ query }))).toBe(expected);
  });

  it('refuses both forms at once', () => {
    expect(code(() => discoveryFilter({ query: 'error', filter: { a: 'b' } }))).toBe('invalid_input');
  });
});

describe('normalizeDiscovery', () => {
  it('injects the last hour and the default limit; hits also a step of about sixty buckets', () => {
    expect(normalizeDiscovery({ what: 'fields' }, NOW)).toEqual({ what: 'fields', filter: '*', start: NOW - HOUR, end: NOW, limit: DISCOVERY_LIMITS.defaultValues, injected: ['window', 'limit'] });
    const hits = normalizeDiscovery({ what: 'hits' }, NOW);
    expect(hits).toMatchObject({ limit: DISCOVERY_LIMITS.defaultGroups, stepMs: 60_000, injected: ['window', 'limit', 'step', 'window aligned to whole steps'] });
    // hits counts whole buckets of the server's grid: the window becomes those buckets.
    expect(hits).toMatchObject({ start: Math.floor((NOW - HOUR) / 60_000) * 60_000, end: Math.floor(NOW / 60_000) * 60_000 + 59_999 });
    expect(normalizeDiscovery({ what: 'hits', start: NOW - 24 * HOUR, end: NOW }, NOW).stepMs).toBe(30 * 60_000);
    expect(normalizeDiscovery({ what: 'hits', start: NOW - 31 * 24 * HOUR, end: NOW }, NOW).stepMs).toBe(86_400_000);
  });

  it.each([
    ['a window over 31 days', { what: 'fields' as const, start: NOW - 32 * 24 * HOUR, end: NOW }],
    ['end before start', { what: 'fields' as const, start: NOW, end: NOW - 1 }],
    ['a limit over the cap', { what: 'streams' as const, limit: DISCOVERY_LIMITS.maxValues + 1 }],
    ['more hit groups than the cap', { what: 'hits' as const, limit: DISCOVERY_LIMITS.maxGroups + 1 }],
    ['a step under a second', { what: 'hits' as const, stepMs: 500 }],
    ['too many buckets', { what: 'hits' as const, start: NOW - 24 * HOUR, end: NOW, stepMs: 60_000 }],
    ['a step for fields', { what: 'fields' as const, stepMs: 60_000 }],
    ['field_values without a field', { what: 'field_values' as const }],
    ['a field that is not a name', { what: 'field_values' as const, field: 'a"b' }],
    ['a field for streams', { what: 'streams' as const, field: 'host' }],
  ])('refuses %s as invalid_input', (_name, req) => {
    expect(code(() => normalizeDiscovery(req, NOW))).toBe('invalid_input');
  });
});

/** A VictoriaLogsApi answering from tables, recording what it was asked. */
function fakeApi(answers: { values?: VlValueHits[]; streamFields?: VlValueHits[]; hits?: VlHitsSeries[]; rows?: Record<string, string>[] }) {
  const asked: { method: string; query: string; args: unknown[] }[] = [];
  const api = {
    fieldNames: async (query: string, ...args: unknown[]) => (asked.push({ method: 'fieldNames', query, args }), answers.values ?? []),
    streamFieldNames: async (query: string, ...args: unknown[]) => (asked.push({ method: 'streamFieldNames', query, args }), answers.streamFields ?? []),
    fieldValues: async (query: string, ...args: unknown[]) => (asked.push({ method: 'fieldValues', query, args }), answers.values ?? []),
    streams: async (query: string, ...args: unknown[]) => (asked.push({ method: 'streams', query, args }), answers.values ?? []),
    hits: async (query: string, ...args: unknown[]) => (asked.push({ method: 'hits', query, args }), answers.hits ?? []),
    query: async (query: string, ...args: unknown[]) => (asked.push({ method: 'query', query, args }), answers.rows ?? []),
  };
  return { api: api as unknown as VictoriaLogsApi, asked };
}

describe('discoveryGuard', () => {
  it('lists fields most records first, marking stream fields, with the exact distinct count', async () => {
    const { api } = fakeApi({ values: [{ value: 'b', hits: 5 }, { value: 'a', hits: 5 }, { value: 'c', hits: 9 }], streamFields: [{ value: 'a', hits: 5 }] });
    const found = (await (await discoveryGuard(api, { timeoutMs: 30_000 })({ what: 'fields', limit: 2 }, signal)).read(signal)) as DiscoveredValues;
    expect(found).toEqual({ kind: 'values', values: [{ value: 'c', hits: 9 }, { value: 'a', hits: 5, stream: true }], distinct: 3, distinctExact: true });
  });

  it('counts the top values with a stats query when there are more distinct values than the server counts', async () => {
    const many = Array.from({ length: DISCOVERY_LIMITS.scanValues }, (_, i) => ({ value: `v${i}`, hits: 0 }));
    const { api, asked } = fakeApi({ values: many, rows: [{ req: 'hot', telemcp_n: '12' }] });
    const found = (await (await discoveryGuard(api, { timeoutMs: 30_000 })({ what: 'field_values', field: 'req', limit: 1 }, signal)).read(signal)) as DiscoveredValues;
    expect(found).toEqual({ kind: 'values', values: [{ value: 'hot', hits: 12 }], distinct: DISCOVERY_LIMITS.scanValues, distinctExact: false });
    expect(asked.map((a) => a.method)).toEqual(['fieldValues', 'query']);
    expect(asked[1]!.query).toBe('* | stats by ("req") count() telemcp_n | sort by (telemcp_n desc) | limit 1');
  });

  it('puts hits on a grid from the window, named groups first, the rest last', async () => {
    const start = NOW - HOUR;
    const t = (min: number) => new Date(start + min * 60_000).toISOString();
    const { api, asked } = fakeApi({
      hits: [
        { fields: {}, timestamps: [t(10)], values: [3], total: 3 },
        { fields: { level: 'error' }, timestamps: [t(0), t(50)], values: [1, 4], total: 5 },
      ],
    });
    const found = (await (await discoveryGuard(api, { timeoutMs: 30_000 })({ what: 'hits', field: 'level', start, end: NOW, stepMs: 10 * 60_000 }, signal)).read(signal)) as DiscoveredHits;
    expect(found.total).toBe(8);
    expect(found.firstBucket).toBe(start);
    expect(found.groups).toEqual([
      { fields: { level: 'error' }, total: 5, counts: [1, 0, 0, 0, 0, 4, 0] },
      { total: 3, counts: [0, 3, 0, 0, 0, 0, 0] },
    ]);
    expect(found.othersGrouped).toBe(true);
    expect(asked[0]!.args[0]).toEqual({ step: '600s', fields: ['level'], fieldsLimit: DISCOVERY_LIMITS.defaultGroups });
    expect(asked[0]!.args[1]).toMatchObject({ timeout: '30s' });
  });
});
