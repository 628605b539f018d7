/**
 * elk_recommend_fix through the one pipeline of a real app with no backend configured: the
 * advice toolset needs none, the seed's example call works as written, and the input is checked.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { invokeTool } from '../../src/tools/invoke.js';
import type { Caller } from '../../src/tools/tool.js';
import { testConfig } from '../helpers/config.js';

const app = buildApp(testConfig());
const viewer: Caller = { id: 'unit-viewer', role: 'elk_viewer', transport: 'direct' };
const call = (input: unknown) => invokeTool(app.rt, 'elk_recommend_fix', input, viewer);

afterAll(() => app.close());

describe('elk_recommend_fix', () => {
  it('is listed for a viewer without any backend, read-only and closed-world', () => {
    const listing = app.rt.registry.listFor('elk_viewer').find((t) => t.name === 'elk_recommend_fix');
    expect(listing).toBeDefined();
    expect(listing!.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false, openWorldHint: false });
    expect(app.rt.registry.hiddenToolsets.map((h) => h.name)).not.toContain('advice');
  });

  it("answers the seed's example call", async () => {
    const res = await call({ findings: { cluster_health: { status: 'yellow', metrics: { unassigned_shards: 2 } } } });
    if (!res.ok) throw new Error(JSON.stringify(res.error));
    const data = res.data as { summary: string; recommendations: { id: string; evidence: unknown[]; check: string; fix: string }[]; truncated: boolean; matched: number };
    expect(data.recommendations.map((r) => r.id)).toEqual(['cluster_yellow', 'unassigned_shards']);
    expect(data.recommendations[0].evidence).toContainEqual({ path: 'cluster_health.status', value: 'yellow' });
    expect(data.truncated).toBe(false);
    expect(data.matched).toBe(2);
  });

  it('lists 5 by default and at most max_recommendations', async () => {
    const messages = ['timeout a', 'Connection refused', '502 Bad Gateway', 'OutOfMemoryError', 'getaddrinfo ENOTFOUND x', 'x509: certificate has expired', '429 Too Many Requests'];
    const findings = { top_error_messages: messages.map((message) => ({ message, count: 1 })) };
    const byDefault = await call({ findings });
    expect(byDefault.ok && (byDefault.data as { recommendations: unknown[]; truncated: boolean })).toMatchObject({ truncated: true });
    expect(byDefault.ok && (byDefault.data as { recommendations: unknown[] }).recommendations).toHaveLength(5);
    const two = await call({ findings, max_recommendations: 2 });
    expect(two.ok && (two.data as { recommendations: unknown[] }).recommendations).toHaveLength(2);
  });

  it.each([
    ['findings missing', {}],
    ['findings an array', { findings: [1, 2] }],
    ['findings a string', { findings: 'cluster is yellow' }],
    ['max_recommendations over 20', { findings: {}, max_recommendations: 21 }],
    ['max_recommendations 0', { findings: {}, max_recommendations: 0 }],
    ['an unknown argument', { findings: {}, execute: true }],
  ])('refuses %s with invalid_input', async (_label, input) => {
    const res = await call(input);
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.error.code).toBe('invalid_input');
  });

  it('garbage findings get unmatched hints, not an error', async () => {
    const res = await call({ findings: { a: [null, true, { b: 'ok' }] } });
    if (!res.ok) throw new Error(JSON.stringify(res.error));
    const data = res.data as { recommendations: unknown[]; unmatched: string[] };
    expect(data.recommendations).toEqual([]);
    expect(data.unmatched.length).toBeGreaterThan(0);
  });
});
