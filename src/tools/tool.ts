import type { z } from 'zod';
import type { Role, ToolRole } from '../core/roles.js';
import type { Config } from '../config/load.js';
import type { Backends } from '../backends/backends.js';
import type { Capability, GuardKey } from '../backends/module.js';
import type { Logger } from '../core/logger.js';
import type { ToolRegistry } from './registry.js';
import type { InvokeResult } from './invoke.js';
import type { CachePolicy } from './query-cache.js';

/** Who is calling, decided by the front door from credentials only (never from headers like X-Role). */
export interface Caller {
  /** Non-secret key identifier (hash prefix), or the local transport name. */
  id: string;
  role: Role;
  transport: 'rest' | 'mcp_http' | 'mcp_sse' | 'jsonrpc' | 'stdio' | 'cli' | 'direct';
  requestId?: string;
}

export interface ToolContext {
  caller: Caller;
  /** Aborted on caller cancellation or when the backend deadline passes. */
  signal: AbortSignal;
  backends: Backends;
  config: Config;
  log: Logger;
  /** Reports progress on multi-step tools; a no-op when the caller did not ask for it. */
  progress: (done: number, total?: number, message?: string) => void;
  /** What the pipeline's guards approved: the handler uses these, never the raw targets. */
  guarded: GuardedTargets;
  /** The tools this caller may call on this server, for answers that suggest a next call. */
  callableTools: () => readonly string[];
  /** For the discovery meta-tools; set by the pipeline, absent only where a test runs a handler without it. */
  catalog?: Catalog;
}

/** The served catalog, and the one pipeline to call its tools through as the same caller. */
export interface Catalog {
  registry: ToolRegistry;
  /** Runs a tool through invokeTool as this caller: its own role check, guards, bound and audit record. */
  call: (name: string, args: unknown) => Promise<InvokeResult>;
}

/** What the pipeline's guards approved, by guard: the handler reads these, never the raw targets. */
export interface GuardedTargets {
  get<In, Out>(guard: GuardKey<In, Out>): Out | undefined;
}

/**
 * Something a tool is about to touch, named with the guard of the backend that owns it. The
 * pipeline runs that guard before the handler, so no tool can forget one, and never names a backend.
 */
export interface ToolTarget {
  /** Made by target(), which checks that the value fits the guard. */
  guard: Capability<unknown>;
  value: unknown;
  /** The instance to ask (a `source` argument); the first that provides the guard otherwise. */
  source?: string;
  /**
   * Skip the check when no configured backend provides the guard (elk's log tools read the
   * embedded store without a cluster; the store checks its own dataset patterns).
   */
  ifProvided?: boolean;
}

/** A target: the value must be what its guard checks. */
export function target<In, Out>(guard: GuardKey<In, Out>, value: In, opts: Pick<ToolTarget, 'source' | 'ifProvided'> = {}): ToolTarget {
  return { guard, value, ...opts };
}

export interface ToolAnnotations {
  title: string;
  readOnlyHint: true;
  destructiveHint: false;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

export interface ToolDefinition<I extends z.ZodObject = z.ZodObject, O extends z.ZodType = z.ZodType> {
  name: string;
  title: string;
  description: string;
  /**
   * What the tool answers, in full, for the README's Tools table (scripts/readme-tables.ts, `npm run
   * docs`); never sent in tools/list, so it may say more than `description`, which falls in for it.
   */
  readme?: string;
  /** Toolset folder this tool belongs to; visibility is decided per toolset. */
  toolset: string;
  leastRole: ToolRole;
  /** Served only when a configured backend provides one of these (its toolset says how to enable one otherwise); absent: always served. */
  requires?: readonly Capability<unknown>[];
  input: I;
  output: O;
  annotations: ToolAnnotations;
  targets?: (input: z.infer<I>, config: Config) => readonly ToolTarget[];
  /** Opts the tool into the query cache: for tools reading a remote backend over a time window (tools/query-cache.ts). */
  cache?: CachePolicy<z.infer<I>>;
  handler: (input: z.infer<I>, ctx: ToolContext) => Promise<z.infer<O>>;
}

export const TOOL_NAME = /^[a-z0-9_]{1,64}$/;

/**
 * Declares a tool once; every front door serves it from this declaration. Tools are read-only
 * by construction: the annotations are fixed here rather than left to each tool.
 */
export function defineTool<I extends z.ZodObject, O extends z.ZodType>(
  def: Omit<ToolDefinition<I, O>, 'annotations'> & { idempotent?: boolean; openWorld?: boolean },
): ToolDefinition<I, O> {
  if (!TOOL_NAME.test(def.name)) throw new Error(`tool name ${def.name} must match ${TOOL_NAME}`);
  const { idempotent, openWorld, ...tool } = def;
  return {
    ...tool,
    annotations: { title: def.title, readOnlyHint: true, destructiveHint: false, idempotentHint: idempotent ?? true, openWorldHint: openWorld ?? true },
  };
}

/** A tool of any input/output shape, as held in toolset lists and the registry. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyTool = ToolDefinition<any, any>;
