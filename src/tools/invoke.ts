import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { TelemcpError, toTelemcpError, type ErrorBody } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Config } from '../config/load.js';
import type { Backends } from '../backends/backends.js';
import type { GuardKey } from '../backends/module.js';
import type { AuditRecord, AuditSink } from '../security/audit.js';
import { RateLimiter } from '../security/rate-limit.js';
import { roleAllows, type ToolRole } from '../core/roles.js';
import { scrubResult } from '../security/scrub.js';
import { redactString, redactValue } from '../core/redact.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { ToolRegistry } from './registry.js';
import { PreparedAnswer, type QueryCache } from './query-cache.js';
import type { Caller, GuardedTargets, ToolContext, ToolDefinition, ToolTarget } from './tool.js';

export interface Runtime {
  config: Config;
  registry: ToolRegistry;
  backends: Backends;
  rateLimiter: RateLimiter;
  /** The ingest endpoints' own budget per key (INGEST_RATE_LIMIT_PER_MINUTE), apart from tool calls'. */
  ingestRateLimiter: RateLimiter;
  audit: AuditSink;
  metrics: Metrics;
  log: Logger;
  /** Answers of windowed backend reads, for repeated calls; absent when QUERY_CACHE_MAX_BYTES is 0. */
  queryCache?: QueryCache;
}

export type InvokeResult =
  | { ok: true; toolName: string; data: unknown; /** data serialised once, for front doors to send as is */ json: string; bytes: number }
  | { ok: false; toolName: string; error: ErrorBody; status: number; cancelled?: boolean };

export interface InvokeOptions {
  /** Caller-side cancellation (MCP notifications/cancelled, a closed HTTP connection). */
  signal?: AbortSignal;
  onProgress?: (done: number, total?: number, message?: string) => void;
}

const CANCELLED = Symbol('cancelled');

/** What a tool without targets is handed: the logs_* tools and most others declare none. */
const NOTHING_GUARDED: GuardedTargets = { get: () => undefined };

/** What a meta-tool's inner call is limited by: nothing more than the outer call already took. */
const NO_FURTHER_LIMIT = new RateLimiter(Infinity, Infinity);

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => {
      const path = i.path.length ? i.path.join('.') : 'input';
      if (i.code === 'unrecognized_keys') return `${path}: unknown argument(s) ${i.keys.map((k) => JSON.stringify(k)).join(', ')}`;
      return `${path}: ${i.message}`;
    })
    .join('; ');
}

function parseInput(entry: PipelineEntry, raw: unknown): unknown {
  const parsed = entry.input.safeParse(raw ?? {});
  if (!parsed.success) {
    throw new TelemcpError('invalid_input', `Invalid arguments for ${entry.name}: ${describeIssues(parsed.error)}`, {
      hint: `Fix the arguments named above; the ${entry.schemaName} of ${entry.name} lists every accepted argument and its limits.`,
    });
  }
  return parsed.data;
}

/**
 * One thing the pipeline runs for a caller: a tool call, a prompt, a resource read. The pipeline
 * does the rest the same way for each: audit, role, input, rate limit, bound, scrub, metrics.
 */
export interface PipelineEntry {
  /** What audit records and metrics call it (`incident_summary`, `prompt:investigate_errors`, `resource:telemcp://status`). */
  name: string;
  leastRole: ToolRole;
  input: z.ZodType;
  /** Where a caller reads the accepted arguments (for the invalid_input hint). */
  schemaName: string;
  run(input: unknown): Promise<unknown>;
}

/** What the pipeline is asked to run: the entry when it exists, or how to say it does not. */
export interface PipelineRequest {
  /** The name as the caller sent it, for the audit record of an unknown one. */
  requested: string;
  entry: PipelineEntry | undefined;
  notFound: () => TelemcpError;
}

/**
 * The one pipeline every front door calls. Order: role → input → rate limit → guards →
 * query cache → handler under a deadline → scrub → output bound → audit + metrics. The rate
 * limit runs before the guards (a change from DESIGN.md's listing) because the index guard
 * itself calls the backend (_resolve/index), and that must be limited too. An answer from the
 * query cache has passed the role check, rate limit and guards of this call like any other, so
 * a changed role or allowlist applies at once. Never throws.
 */
export async function invokeTool(rt: Runtime, toolName: string, rawInput: unknown, given: Caller, opts: InvokeOptions = {}): Promise<InvokeResult> {
  const tool = rt.registry.get(toolName);
  // Fixed here so a meta-tool's inner call (call_tool) is audited under the same request id as the call that made it.
  const caller = given.requestId ? given : { ...given, requestId: randomUUID() };
  return runPipeline(
    rt,
    {
      requested: toolName,
      entry: tool && { name: tool.name, leastRole: tool.leastRole, input: tool.input, schemaName: 'inputSchema', run: (input) => runUnderDeadline(rt, tool, input, caller, opts) },
      notFound: () =>
        new TelemcpError('tool_not_found', `No tool named ${JSON.stringify(String(toolName).slice(0, 64))}.`, {
          hint: 'List the tools (tools/list or GET /mcp/tools) and use one of their names.',
        }),
    },
    rawInput,
    caller,
  );
}

/** The pipeline around any entry (tools: invokeTool; prompts and resources: prompts-resources.ts). Never throws. */
export async function runPipeline(rt: Runtime, request: PipelineRequest, rawInput: unknown, caller: Caller): Promise<InvokeResult> {
  const requestId = caller.requestId ?? randomUUID();
  const started = process.hrtime.bigint();
  const entry = request.entry;
  const name = entry?.name ?? 'unknown';
  const base: AuditBase = { request_id: requestId, tool: entry?.name ?? redactString(String(request.requested)).slice(0, 80), caller: caller.id, role: caller.role, transport: caller.transport };
  let release: (() => void) | undefined;
  let phase: 'before' | 'after' = 'before';
  rt.metrics.inFlight.inc();
  try {
    await rt.audit.write({ ...base, phase: 'before', input: rawInput });
    phase = 'after';
    if (!entry) throw request.notFound();
    if (!roleAllows(caller.role, entry.leastRole)) {
      throw new TelemcpError('permission_denied', `${entry.name} needs role ${entry.leastRole}; this API key has ${caller.role}.`, {
        hint: 'Use what your role lists, or ask for a key with the needed role.',
      });
    }
    const input = parseInput(entry, rawInput);
    try {
      release = rt.rateLimiter.acquire(caller.id);
    } catch (err) {
      rt.metrics.rateLimited.inc();
      throw err;
    }
    const data = await entry.run(input);
    // The query cache hands over answers it has scrubbed and serialised already (a hit, or what it kept).
    const prepared = data instanceof PreparedAnswer ? data : undefined;
    const scrubbed = prepared ? prepared.data : scrubResult(data);
    const text = prepared ? prepared.json : JSON.stringify(scrubbed);
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > rt.config.MAX_RESPONSE_BYTES) {
      throw new TelemcpError('response_too_large', `The result of ${entry.name} is ${bytes} bytes, over MAX_RESPONSE_BYTES (${rt.config.MAX_RESPONSE_BYTES}).`, {
        hint: 'Narrow the call: a smaller limit, a tighter index_pattern or time range, or fewer fields.',
      });
    }
    await finish(rt, base, 'allowed', 200, 'ok', started, bytes, prepared?.cache);
    return { ok: true, toolName: name, data: scrubbed, json: text, bytes };
  } catch (err) {
    if (err === CANCELLED) {
      await safeAudit(rt, base, name, 'cancelled', 499, 'cancelled', started);
      return { ok: false, toolName: name, status: 499, cancelled: true, error: { code: 'backend_timeout', message: 'Cancelled by the caller.' } };
    }
    const e = toTelemcpError(err);
    if (e.code === 'internal_error') rt.log.error({ err: err as Error, request_id: requestId, tool: name }, 'tool failed');
    const decision = e.status === 401 || e.status === 403 || e.status === 400 || e.status === 404 || e.status === 429 ? 'denied' : 'failed';
    if (phase === 'after') await safeAudit(rt, base, name, decision, e.status, e.code, started);
    else rt.metrics.toolCalls.labels(name, e.code).inc();
    const body = e.toBody();
    body.message = redactString(body.message);
    if (body.hint !== undefined) body.hint = redactString(body.hint);
    if (body.details !== undefined) body.details = redactValue(body.details);
    return { ok: false, toolName: name, status: e.status, error: body };
  } finally {
    release?.();
    rt.metrics.inFlight.dec();
  }
}

type AuditBase = Pick<AuditRecord, 'request_id' | 'tool' | 'caller' | 'role' | 'transport'>;

async function finish(rt: Runtime, base: AuditBase, decision: 'allowed', status: number, outcome: string, started: bigint, bytes: number, cache: 'hit' | 'miss' | undefined): Promise<void> {
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await rt.audit.write({ ...base, phase: 'after', decision, status, code: outcome, latency_ms: Math.round(seconds * 1000), result_bytes: bytes, ...(cache ? { cache } : {}) });
  rt.metrics.toolCalls.labels(base.tool, outcome).inc();
  rt.metrics.toolLatency.labels(base.tool).observe(seconds);
}

/** The "after" record of a failed call; a failing audit sink here must not mask the original error. */
async function safeAudit(rt: Runtime, base: AuditBase, label: string, decision: 'denied' | 'failed' | 'cancelled', status: number, code: string, started: bigint): Promise<void> {
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  // `label` is the entry's own name, or "unknown": a caller's made-up names never become metric labels.
  rt.metrics.toolCalls.labels(label, code).inc();
  try {
    await rt.audit.write({ ...base, phase: 'after', decision, status, code, latency_ms: Math.round(seconds * 1000) });
  } catch {
    // already failing; the sink reported its own failure
  }
}

/**
 * Runs guards and handler under one abort signal that fires on caller cancellation or at
 * the deadline. The race makes the deadline absolute even for a handler that ignores it.
 * A call the query cache may answer is answered from it after the guards, or its handler's
 * answer is scrubbed here so that what is kept is what is sent.
 */
async function runUnderDeadline(rt: Runtime, tool: ToolDefinition, input: unknown, caller: Caller, opts: InvokeOptions): Promise<unknown> {
  const controller = new AbortController();
  const deadlineMs = rt.config.BACKEND_TIMEOUT_MS + 1000;
  let rejectAbort!: (reason: unknown) => void;
  const aborted = new Promise<never>((_, reject) => (rejectAbort = reject));
  const timer = setTimeout(() => {
    const reason = new TelemcpError('backend_timeout', `${tool.name} did not finish within ${deadlineMs} ms.`, {
      hint: 'Narrow the call (shorter time range, fewer indices, smaller limit) and retry.',
    });
    controller.abort(reason);
    rejectAbort(reason);
  }, deadlineMs);
  const onCancel = () => {
    controller.abort(CANCELLED);
    rejectAbort(CANCELLED);
  };
  if (opts.signal?.aborted) onCancel();
  opts.signal?.addEventListener('abort', onCancel, { once: true });
  try {
    // The window is resolved when the call starts, as the handler will resolve it.
    const plan = rt.queryCache?.plan(tool, input, caller, rt);
    const work = (async () => {
      const guarded = await runGuards(rt.backends, tool.targets?.(input as never, rt.config) ?? [], controller.signal);
      const ctx: ToolContext = {
        caller,
        signal: controller.signal,
        backends: rt.backends,
        config: rt.config,
        log: rt.log,
        progress: opts.onProgress ?? (() => {}),
        guarded,
        callableTools: () => rt.registry.listFor(caller.role).map((l) => l.name),
        catalog: {
          registry: rt.registry,
          // The inner call runs under this call's rate-limit token and slot: one request costs one,
          // and MAX_CONCURRENT_PER_KEY=1 cannot refuse a meta-tool its own inner call.
          call: (name, args) => invokeTool({ ...rt, rateLimiter: NO_FURTHER_LIMIT }, name, args, caller, { signal: controller.signal, onProgress: opts.onProgress }),
        },
      };
      if (!plan || !rt.queryCache) return tool.handler(input as never, ctx);
      return rt.queryCache.serve(plan, async () => scrubResult(await tool.handler(input as never, ctx)), controller.signal);
    })();
    work.catch(() => {});
    return await Promise.race([work, aborted]);
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onCancel);
  }
}

/**
 * Each target is checked by the guard its owning backend provides (the named instance when the
 * target names one), in the order the tool declared them.
 */
async function runGuards(backends: Backends, targets: readonly ToolTarget[], signal: AbortSignal): Promise<GuardedTargets> {
  if (!targets.length) return NOTHING_GUARDED;
  const approved = new Map<unknown, unknown>();
  for (const t of targets) {
    const providers = backends.all(t.guard as GuardKey<unknown, unknown>);
    const guard = t.source === undefined ? providers.values().next().value : providers.get(t.source);
    if (!guard) {
      if (t.ifProvided && providers.size === 0) continue;
      // A name the caller got wrong is theirs to fix; nothing configured is the operator's.
      if (providers.size > 0) {
        throw new TelemcpError('invalid_input', `No backend named ${JSON.stringify(t.source!.slice(0, 40))} can check what this tool reads.`, { hint: `Pass source as one of: ${[...providers.keys()].join(', ')}.` });
      }
      const enable = backends.enableHint(t.guard);
      throw new TelemcpError('backend_unavailable', 'No configured backend can check what this tool reads.', {
        hint: `${enable ? `${enable[0]!.toUpperCase()}${enable.slice(1)}` : 'Configure the backend this tool reads'}.`,
      });
    }
    approved.set(t.guard, await guard(t.value, signal));
  }
  return { get: (key) => approved.get(key) as never };
}

/**
 * Audit and count a request a front door refused before any tool call could start (strict
 * JSON, envelope, body size), so denied requests are on record at every door (D-05).
 */
export function recordRefusal(rt: Runtime, caller: Caller, status: number, code: string): Promise<void> {
  rt.metrics.toolCalls.labels('unknown', code).inc();
  return rt.audit
    .write({ request_id: caller.requestId ?? randomUUID(), tool: '(request)', caller: caller.id, role: caller.role, transport: caller.transport, phase: 'after', decision: 'denied', status, code })
    // the sink reported its own failure; the refusal stands either way
    .catch(() => {});
}
