/**
 * The one pipeline (src/tools/invoke.ts) on its own: a fake tool registered in-process, no
 * backend, no front door. Each step of DESIGN.md's pipeline is checked where it can go wrong:
 * what runs before the handler (role, input, rate limit, guards), what happens to the result
 * (bound, scrub), what is recorded (audit, metrics), and how every failure maps to the error table.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Backends } from '../../src/backends/backends.js';
import { capability, type BackendInstance, type Guard } from '../../src/backends/module.js';
import { fakeBackends } from '../helpers/backends.js';
import { ERROR_STATUS, TelemcpError, type ErrorCode } from '../../src/core/errors.js';
import { createLogger } from '../../src/core/logger.js';
import type { AuditRecord, AuditSink } from '../../src/security/audit.js';
import { RateLimiter } from '../../src/security/rate-limit.js';
import { Metrics } from '../../src/telemetry/metrics.js';
import { invokeTool, type Runtime } from '../../src/tools/invoke.js';
import { ToolRegistry } from '../../src/tools/registry.js';
import { manifest } from '../../src/tools/toolsets.js';
import { defineTool, target, type Caller } from '../../src/tools/tool.js';
import { testConfig } from '../helpers/config.js';

const CODES = Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]];

/** What the handler saw on each call: a refused call must leave no entry here. */
interface HandlerCall {
  input: Record<string, unknown>;
  guarded: { scope?: string; body?: Record<string, unknown> };
}

/** Guards of a made-up backend: the pipeline must run whatever guard a target names, knowing no backend. */
const SCOPE_GUARD = capability<Guard<string, string>>('guard:fake-scope');
const BODY_GUARD = capability<Guard<Record<string, unknown>, Record<string, unknown>>>('guard:fake-body');

/** The body guard the fake backend provides: refuses a script, and sets the server's own timeout. */
function fakeBodyGuard(body: Record<string, unknown>): Record<string, unknown> {
  if ('script' in body) throw new TelemcpError('query_denied', 'Scripts are not allowed.');
  return { ...body, timeout: '4s' };
}

function fakeTool(calls: HandlerCall[]) {
  return defineTool({
    name: 'fake_probe',
    title: 'Pipeline probe',
    description: 'In-process fake: echoes, pads, fails or hangs on request.',
    toolset: 'fake',
    leastRole: 'elk_operator',
    input: z
      .object({
        text: z.string().max(200).default(''),
        pad: z.number().int().min(0).max(100_000).default(0),
        index: z.string().optional(),
        /** Which backend instance checks the scope; `soft` skips the check when none provides it. */
        source: z.string().optional(),
        soft: z.boolean().optional(),
        body: z.record(z.string(), z.unknown()).optional(),
        outcome: z.enum(['ok', 'fail', 'crash', 'hang']).default('ok'),
        code: z.enum(CODES).default('backend_error'),
      })
      .strict(),
    output: z.record(z.string(), z.unknown()),
    targets: (input) => [...(input.index !== undefined ? [target(SCOPE_GUARD, input.index, { source: input.source, ifProvided: input.soft })] : []), ...(input.body !== undefined ? [target(BODY_GUARD, input.body)] : [])],
    async handler(input, ctx) {
      const guarded = { scope: ctx.guarded.get(SCOPE_GUARD), body: ctx.guarded.get(BODY_GUARD) };
      calls.push({ input, guarded: JSON.parse(JSON.stringify(guarded)) as HandlerCall['guarded'] });
      if (input.outcome === 'fail') throw new TelemcpError(input.code, `the fake failed with ${input.code}; password=hunter2`, { hint: 'retry with token=abc123secret' });
      if (input.outcome === 'crash') throw new Error('ECONNRESET at /srv/internal/secret-path.js:12');
      // Ignores ctx.signal on purpose: the pipeline's deadline must hold even for such a handler.
      if (input.outcome === 'hang') return new Promise<never>(() => {});
      return { summary: input.text, padding: 'x'.repeat(input.pad), guarded, api_key: 'sk-should-never-leave' };
    },
  });
}

/** Keeps records in memory; `failOn` makes it refuse a phase, as a full disk would. */
class MemoryAudit implements AuditSink {
  readonly records: AuditRecord[] = [];
  constructor(private readonly failOn?: 'before' | 'after') {}
  async write(record: AuditRecord): Promise<void> {
    if (record.phase === this.failOn) throw new TelemcpError('backend_unavailable', 'The audit log cannot be written, so the call was refused.');
    this.records.push(record);
  }
  close(): void {}
}

interface Harness {
  rt: Runtime;
  audit: MemoryAudit;
  calls: HandlerCall[];
  guardedIndices: string[];
}

/**
 * A Runtime with only the fake tool. `indexGuard` is the fake backend's scope guard; without it
 * no backend provides one. The body guard is always provided.
 */
function harness(settings: Record<string, string> = {}, opts: { audit?: MemoryAudit; indexGuard?: (expr: string) => Promise<string>; backends?: Backends } = {}): Harness {
  const config = testConfig({ MAX_RESPONSE_BYTES: '2048', BACKEND_TIMEOUT_MS: '100', ...settings });
  const calls: HandlerCall[] = [];
  const guardedIndices: string[] = [];
  const indexGuard = opts.indexGuard;
  const scopeGuard = async (expr: string) => {
    guardedIndices.push(expr);
    return indexGuard!(expr);
  };
  const backends: Backends = opts.backends ?? fakeBackends([[BODY_GUARD, fakeBodyGuard], ...(indexGuard ? [[SCOPE_GUARD, scopeGuard] as [typeof SCOPE_GUARD, unknown]] : [])]);
  const registry = new ToolRegistry([manifest({ name: 'fake', description: 'pipeline test fakes', tools: [fakeTool(calls)] })], backends);
  const audit = opts.audit ?? new MemoryAudit();
  const rt: Runtime = {
    config,
    registry,
    backends,
    rateLimiter: new RateLimiter(config.RATE_LIMIT_PER_MINUTE, config.MAX_CONCURRENT_PER_KEY),
    ingestRateLimiter: new RateLimiter(config.INGEST_RATE_LIMIT_PER_MINUTE, config.MAX_CONCURRENT_PER_KEY),
    audit,
    metrics: new Metrics(),
    log: createLogger('silent'),
  };
  return { rt, audit, calls, guardedIndices };
}

const operator: Caller = { id: 'key-operator', role: 'elk_operator', transport: 'direct', requestId: 'req-1' };
const viewer: Caller = { id: 'key-viewer', role: 'elk_viewer', transport: 'direct' };
const shipper: Caller = { id: 'key-ingest', role: 'ingest', transport: 'rest' };

async function failure(h: Harness, input: unknown, caller: Caller = operator) {
  const res = await invokeTool(h.rt, 'fake_probe', input, caller);
  if (res.ok) throw new Error(`expected a failure, got ${res.json}`);
  return res;
}

describe('invokeTool: what runs before the handler', () => {
  it('runs the handler with the parsed input (defaults applied) and returns the data with its size', async () => {
    const h = harness();
    const res = await invokeTool(h.rt, 'fake_probe', { text: 'hello' }, operator);
    if (!res.ok) throw new Error(JSON.stringify(res.error));
    expect(h.calls).toEqual([{ input: { text: 'hello', pad: 0, outcome: 'ok', code: 'backend_error' }, guarded: {} }]);
    expect(res.toolName).toBe('fake_probe');
    expect(res.data).toMatchObject({ summary: 'hello' });
    expect(res.bytes).toBe(Buffer.byteLength(res.json, 'utf8'));
    expect(JSON.parse(res.json)).toEqual(res.data);
  });

  it('accepts the dotted alias of a tool name and reports the canonical name', async () => {
    const h = harness();
    const res = await invokeTool(h.rt, 'fake.probe', {}, operator);
    expect(res).toMatchObject({ ok: true, toolName: 'fake_probe' });
  });

  it.each([
    ['a role below the least role', viewer],
    ['the ingest role, which may call no tool', shipper],
  ])('refuses %s with permission_denied before parsing or running anything', async (_label, caller) => {
    const h = harness();
    // The input is invalid too: the role check comes first, so the answer must not reveal the schema.
    const res = await failure(h, { unknown_argument: true }, caller);
    expect(res.status).toBe(403);
    expect(res.error.code).toBe('permission_denied');
    expect(res.error.message).toContain('elk_operator');
    expect(h.calls).toEqual([]);
  });

  it.each([
    ['an unknown argument', { text: 'a', execute: true }, 'execute'],
    ['a wrong type', { pad: 'lots' }, 'pad'],
    ['a value over its bound', { pad: 100_001 }, 'pad'],
    ['a string over its bound', { text: 'y'.repeat(201) }, 'text'],
  ])('refuses %s with invalid_input naming the argument and a hint', async (_label, input, argument) => {
    const h = harness();
    const res = await failure(h, input);
    expect(res.status).toBe(400);
    expect(res.error.code).toBe('invalid_input');
    expect(res.error.message).toContain(argument);
    expect(res.error.hint).toContain('inputSchema');
    expect(h.calls).toEqual([]);
  });

  it('treats a missing input as {} (every argument of the fake has a default)', async () => {
    const h = harness();
    expect((await invokeTool(h.rt, 'fake_probe', undefined, operator)).ok).toBe(true);
    expect(h.calls).toHaveLength(1);
  });

  it('answers tool_not_found (404) for an unknown name, audited under a bounded name', async () => {
    const h = harness();
    const res = await invokeTool(h.rt, 'x'.repeat(500), {}, operator);
    expect(res).toMatchObject({ ok: false, status: 404, error: { code: 'tool_not_found' } });
    expect(h.audit.records.map((r) => r.tool.length)).toEqual([80, 80]);
  });

  it('takes a rate-limit token only for a valid call, and answers rate_limited (429) with retry_after', async () => {
    const h = harness({ RATE_LIMIT_PER_MINUTE: '1' });
    await failure(h, { bogus: 1 });
    expect((await invokeTool(h.rt, 'fake_probe', {}, operator)).ok).toBe(true);
    const res = await failure(h, {});
    expect(res.status).toBe(429);
    expect(res.error.code).toBe('rate_limited');
    expect(res.error.retry_after).toBeGreaterThanOrEqual(1);
    expect(h.calls).toHaveLength(1);
    // Keys have separate buckets: another caller is not limited by this one.
    expect((await invokeTool(h.rt, 'fake_probe', {}, { ...operator, id: 'key-other' })).ok).toBe(true);
  });

  it("runs a target's guard before the handler: a refused body is query_denied and the handler never runs", async () => {
    const h = harness();
    const res = await failure(h, { body: { query: { match_all: {} }, script: { source: 'doc.x.value > 1' } } });
    expect(res.status).toBe(403);
    expect(res.error.code).toBe('query_denied');
    expect(h.calls).toEqual([]);
  });

  it("hands the handler the guard's copy of the body, never the raw one", async () => {
    const h = harness({ BACKEND_TIMEOUT_MS: '5000' });
    const res = await invokeTool(h.rt, 'fake_probe', { body: { query: { match_all: {} }, timeout: '10m' } }, operator);
    expect(res.ok).toBe(true);
    expect(h.calls[0].guarded.body).toMatchObject({ query: { match_all: {} }, timeout: '4s' });
    expect(h.calls[0].input.body).toEqual({ query: { match_all: {} }, timeout: '10m' });
  });

  it('asks the backend that provides the guard to check a target and passes on only its answer', async () => {
    const h = harness({}, { indexGuard: async () => 'logs-app-2026' });
    const res = await invokeTool(h.rt, 'fake_probe', { index: 'logs-*' }, operator);
    expect(res.ok).toBe(true);
    expect(h.guardedIndices).toEqual(['logs-*']);
    expect(h.calls[0].guarded).toEqual({ scope: 'logs-app-2026' });
  });

  it("passes on the index guard's refusal without running the handler", async () => {
    const h = harness({}, { indexGuard: async (expr) => Promise.reject(new TelemcpError('index_pattern_denied', `${expr} is outside ALLOWED_INDEX_PATTERNS.`)) });
    const res = await failure(h, { index: 'secrets-*' });
    expect(res).toMatchObject({ status: 403, error: { code: 'index_pattern_denied' } });
    expect(h.calls).toEqual([]);
  });

  it("asks the instance a target names, and refuses an instance that does not exist, naming the ones that do", async () => {
    const instance = (name: string): BackendInstance => ({ kind: 'fake', name, provides: new Map([[SCOPE_GUARD, (expr: string) => `${name}:${expr}`]]), close: () => {} });
    const h = harness({}, { backends: new Backends([instance('eu'), instance('us')]) });
    expect((await invokeTool(h.rt, 'fake_probe', { index: 'logs-*' }, operator)).ok).toBe(true);
    expect((await invokeTool(h.rt, 'fake_probe', { index: 'logs-*', source: 'us' }, operator)).ok).toBe(true);
    expect(h.calls.map((c) => c.guarded.scope)).toEqual(['eu:logs-*', 'us:logs-*']);
    const res = await failure(h, { index: 'logs-*', source: 'asia' });
    expect(res).toMatchObject({ status: 400, error: { code: 'invalid_input', hint: 'Pass source as one of: eu, us.' } });
    expect(h.calls).toHaveLength(2);
  });

  it('skips a target marked ifProvided when no backend provides its guard, and still checks it when one does', async () => {
    const none = harness();
    expect((await invokeTool(none.rt, 'fake_probe', { index: 'logs-*', soft: true }, operator)).ok).toBe(true);
    expect(none.calls[0].guarded).toEqual({});
    const denying = harness({}, { indexGuard: async () => Promise.reject(new TelemcpError('index_pattern_denied', 'outside the allowlist')) });
    expect((await failure(denying, { index: 'secrets-*', soft: true })).error.code).toBe('index_pattern_denied');
    expect(denying.calls).toEqual([]);
  });

  it('names how to enable a missing guard from the modules that provide it', async () => {
    const backends = new Backends([], [{ kind: 'scopes', description: 'a backend with scopes', provides: [SCOPE_GUARD], enable: 'set SCOPES_URL' }]);
    const res = await failure(harness({}, { backends }), { index: 'logs-*' });
    expect(res).toMatchObject({ status: 503, error: { code: 'backend_unavailable', hint: 'Set SCOPES_URL.' } });
  });

  it('refuses a target with backend_unavailable (503) when no configured backend provides its guard', async () => {
    const h = harness();
    const res = await failure(h, { index: 'logs-*' });
    expect(res).toMatchObject({ status: 503, error: { code: 'backend_unavailable' } });
    expect(h.calls).toEqual([]);
  });
});

describe('invokeTool: the result on its way out', () => {
  it('refuses a result over MAX_RESPONSE_BYTES with response_too_large (413) and a hint to narrow the call', async () => {
    const h = harness({ MAX_RESPONSE_BYTES: '2048' });
    const res = await failure(h, { pad: 2048 });
    expect(res.status).toBe(413);
    expect(res.error.code).toBe('response_too_large');
    expect(res.error.message).toContain('2048');
    expect(res.error.hint).toMatch(/narrow/i);
  });

  it('lets a result just under MAX_RESPONSE_BYTES through, measured in UTF-8 bytes of what is sent', async () => {
    const h = harness({ MAX_RESPONSE_BYTES: '2048' });
    const small = await invokeTool(h.rt, 'fake_probe', { pad: 0 }, operator);
    if (!small.ok) throw new Error(JSON.stringify(small.error));
    const fits = 2048 - small.bytes;
    const res = await invokeTool(h.rt, 'fake_probe', { pad: fits }, operator);
    expect(res).toMatchObject({ ok: true, bytes: 2048 });
    expect((await failure(h, { pad: fits + 1 })).error.code).toBe('response_too_large');
  });

  it('masks secrets and strips control characters in the result, by value and by key name', async () => {
    const h = harness();
    const res = await invokeTool(h.rt, 'fake_probe', { text: 'connect with password=hunter2\u0007 now' }, operator);
    if (!res.ok) throw new Error(JSON.stringify(res.error));
    expect(res.json).not.toContain('hunter2');
    expect(res.json).not.toContain('sk-should-never-leave');
    expect(res.json).not.toContain('\\u0007');
    expect(res.data).toMatchObject({ api_key: '***' });
  });
});

describe('invokeTool: failures map to the error table', () => {
  it.each(CODES)('a handler failing with %s answers that code with its status from the table', async (code) => {
    const h = harness();
    const res = await failure(h, { outcome: 'fail', code });
    expect(res.status).toBe(ERROR_STATUS[code]);
    expect(res.error.code).toBe(code);
    // Secrets in a failure's message and hint are masked like those in a result.
    expect(JSON.stringify(res.error)).not.toMatch(/hunter2|abc123secret/);
  });

  it('turns an unexpected exception into internal_error (500) without its message or stack', async () => {
    const h = harness();
    const res = await failure(h, { outcome: 'crash' });
    expect(res.status).toBe(500);
    expect(res.error.code).toBe('internal_error');
    expect(JSON.stringify(res.error)).not.toMatch(/ECONNRESET|secret-path/);
  });

  it('answers backend_timeout (504) at the deadline even when the handler ignores its abort signal', async () => {
    const h = harness({ BACKEND_TIMEOUT_MS: '100' });
    const res = await failure(h, { outcome: 'hang' });
    expect(res.status).toBe(504);
    expect(res.error.code).toBe('backend_timeout');
    expect(res.cancelled).toBeUndefined();
  });

  it('answers a caller cancellation as cancelled, audited as such', async () => {
    const h = harness({ BACKEND_TIMEOUT_MS: '60000' });
    const controller = new AbortController();
    const pending = invokeTool(h.rt, 'fake_probe', { outcome: 'hang' }, operator, { signal: controller.signal });
    // Cancel once the handler has started, as an MCP client's notifications/cancelled would.
    await expect.poll(() => h.calls.length).toBe(1);
    controller.abort();
    const res = await pending;
    expect(res).toMatchObject({ ok: false, cancelled: true, status: 499 });
    expect(h.audit.records.at(-1)).toMatchObject({ phase: 'after', decision: 'cancelled', status: 499 });
  });
});

describe('invokeTool: audit and metrics', () => {
  it('writes a before and an after record per call, with the request id, caller and outcome', async () => {
    const h = harness();
    await invokeTool(h.rt, 'fake_probe', { text: 'a' }, operator);
    expect(h.audit.records).toEqual([
      { phase: 'before', request_id: 'req-1', tool: 'fake_probe', caller: 'key-operator', role: 'elk_operator', transport: 'direct', input: { text: 'a' } },
      expect.objectContaining({ phase: 'after', request_id: 'req-1', tool: 'fake_probe', decision: 'allowed', status: 200, code: 'ok', result_bytes: expect.any(Number) }),
    ]);
  });

  it.each([
    ['a refused role', viewer, {}, 'denied', 403, 'permission_denied'],
    ['invalid input', operator, { nope: 1 }, 'denied', 400, 'invalid_input'],
    ['a failing backend', operator, { outcome: 'fail', code: 'backend_error' }, 'failed', 502, 'backend_error'],
    ['a crash', operator, { outcome: 'crash' }, 'failed', 500, 'internal_error'],
  ])('records %s as %s with its status and code', async (_label, caller, input, decision, status, code) => {
    const h = harness();
    await invokeTool(h.rt, 'fake_probe', input, caller);
    expect(h.audit.records.map((r) => r.phase)).toEqual(['before', 'after']);
    expect(h.audit.records[1]).toMatchObject({ decision, status, code });
  });

  it('gives every call its own request id when the front door did not set one', async () => {
    const h = harness();
    await invokeTool(h.rt, 'fake_probe', {}, viewer);
    await invokeTool(h.rt, 'fake_probe', {}, viewer);
    const ids = new Set(h.audit.records.map((r) => r.request_id));
    expect(ids.size).toBe(2);
  });

  it('refuses the call (fail-closed) when the before record cannot be written, and runs nothing', async () => {
    const h = harness({}, { audit: new MemoryAudit('before') });
    const res = await failure(h, {});
    expect(res).toMatchObject({ status: 503, error: { code: 'backend_unavailable' } });
    expect(h.calls).toEqual([]);
  });

  it('counts each outcome under the tool name and leaves nothing in flight', async () => {
    const h = harness();
    await invokeTool(h.rt, 'fake_probe', {}, operator);
    await invokeTool(h.rt, 'fake_probe', {}, viewer);
    await invokeTool(h.rt, 'fake_probe', { outcome: 'fail', code: 'backend_timeout' }, operator);
    const calls = await h.rt.metrics.toolCalls.get();
    const count = (outcome: string) => calls.values.find((v) => v.labels.tool === 'fake_probe' && v.labels.outcome === outcome)?.value;
    expect([count('ok'), count('permission_denied'), count('backend_timeout')]).toEqual([1, 1, 1]);
    expect((await h.rt.metrics.inFlight.get()).values[0].value).toBe(0);
  });
});
