import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  type CallToolResult,
  type Prompt,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { getPrompt, readResource } from '../../tools/prompts-resources.js';
import type { AnyPrompt } from '../../tools/prompt.js';
import { templateParams } from '../../tools/resource.js';
import { VERSION } from '../../core/version.js';
import type { ErrorBody } from '../../core/errors.js';
import { invokeTool, type InvokeResult, type Runtime } from '../../tools/invoke.js';
import type { ToolListing } from '../../tools/registry.js';
import type { DiscoveryMode } from '../../tools/discovery/index.js';
import type { Caller } from '../../tools/tool.js';

/**
 * A tool as tools/list offers it, within the catalog's byte budget (test/contract/tools.test.ts).
 * The output schema is cut to the names of the top-level fields: full output schemas were two
 * thirds of the listing, and the full one, with nested fields and descriptions, is what
 * describe_tool (and GET /mcp/tools) answer. The cut schema names no required field, so an error
 * result ({error}) validates against it too: SDK clients validate structuredContent even on
 * isError results. Of the annotations only those a read-only tool means are kept: the title is
 * the tool's own, and destructive/idempotent hints mean something only when readOnlyHint is false.
 */
export function toMcpTool(listing: ToolListing): Tool {
  const { $schema: _dropIn, ...input } = listing.inputSchema;
  const fields = Object.keys((listing.outputSchema.properties ?? {}) as Record<string, unknown>);
  return {
    name: listing.name,
    title: listing.title,
    description: listing.description,
    inputSchema: input as Tool['inputSchema'],
    outputSchema: fields.length ? { type: 'object', properties: Object.fromEntries(fields.map((f) => [f, {}])) } : { type: 'object' },
    annotations: { readOnlyHint: listing.annotations.readOnlyHint, openWorldHint: listing.annotations.openWorldHint },
  };
}

export function toMcpPrompt(prompt: AnyPrompt): Prompt {
  const shape = prompt.args.shape as Record<string, { isOptional(): boolean }>;
  return {
    name: prompt.name,
    title: prompt.title,
    description: prompt.description,
    arguments: Object.keys(shape).map((name) => ({ name, description: (prompt.argDescriptions as Record<string, string>)[name], required: !shape[name].isOptional() })),
  };
}

/** The MCP specification's code for a resources/read of an unknown URI. */
const RESOURCE_NOT_FOUND = -32002;

/**
 * Prompts and resources answer with JSON-RPC errors (MCP has no isError result for them): the
 * pipeline's code, message and hint in the message, the code and status in `data`.
 */
function mcpErrorOf(result: Extract<InvokeResult, { ok: false }>, notFound: number = ErrorCode.InvalidParams): McpError {
  const code = result.status === 404 ? notFound : result.status === 400 || result.status === 403 ? ErrorCode.InvalidParams : ErrorCode.InternalError;
  return new McpError(code, errorText(result.error), { code: result.error.code, status: result.status, ...(result.error.retry_after !== undefined ? { retry_after: result.error.retry_after } : {}) });
}

export function errorText(error: ErrorBody): string {
  return `${error.code}: ${error.message}${error.hint ? ` Hint: ${error.hint}` : ''}`;
}

export function toCallToolResult(result: InvokeResult): CallToolResult {
  if (result.ok) {
    return { content: [{ type: 'text', text: result.json }], structuredContent: result.data as Record<string, unknown> };
  }
  return { isError: true, content: [{ type: 'text', text: errorText(result.error) }], structuredContent: { error: result.error } as unknown as Record<string, unknown> };
}

/** How to begin, in each TOOL_DISCOVERY mode: telemcp_status is listed only in `full`. */
const DISCOVERY_HINT: Record<DiscoveryMode, string> = {
  full: 'Start with telemcp_status to see which backends are configured.',
  base: 'Find tools with list_tools or search_tools, read one with describe_tool, run it with call_tool; start with call_tool telemcp_status to see which backends are configured.',
  categories: 'Each tool runs one of its toolset\'s tools; describe_tool gives their arguments. Start with server (telemcp_status) to see which backends are configured.',
};

export interface McpServerHooks {
  /** Registers an in-flight call so a cancellation arriving on another HTTP request can abort it. */
  track?: (requestId: string | number, controller: AbortController) => () => void;
}

/**
 * An MCP server bound to one caller. It is the only place that speaks MCP to the pipeline:
 * tools/list and tools/call come straight from the registry and invokeTool.
 */
export function createMcpServer(rt: Runtime, caller: Caller, hooks: McpServerHooks = {}): Server {
  const server = new Server(
    { name: 'telemcp', version: VERSION, title: 'telemcp — read-only observability investigation' },
    {
      capabilities: { tools: { listChanged: false }, prompts: { listChanged: false }, resources: { listChanged: false, subscribe: false } },
      instructions: `telemcp is read-only. ${DISCOVERY_HINT[rt.config.TOOL_DISCOVERY]} Tool results lead with summary/findings; samples are bounded, follow next_cursor for more.`,
    },
  );
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: rt.registry.listFor(caller.role, rt.config.TOOL_DISCOVERY).map(toMcpTool) }));
  server.setRequestHandler(ListPromptsRequestSchema, async () => ({ prompts: rt.registry.promptsFor(caller.role).map(toMcpPrompt) }));
  server.setRequestHandler(GetPromptRequestSchema, async (request) => {
    const result = await getPrompt(rt, request.params.name, request.params.arguments ?? {}, caller);
    if (!result.ok) throw mcpErrorOf(result);
    return result.data as { description: string; messages: [] };
  });
  const resources = () => rt.registry.resourcesFor(caller.role);
  server.setRequestHandler(ListResourcesRequestSchema, async () => ({
    resources: resources().flatMap((r) => (r.uri ? [{ uri: r.uri, name: r.name, title: r.title, description: r.description, mimeType: 'application/json' }] : [])),
  }));
  server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => ({
    resourceTemplates: resources().flatMap((r) =>
      r.uriTemplate
        ? [{ uriTemplate: r.uriTemplate, name: r.name, title: r.title, description: `${r.description} Parameters: ${templateParams(r.uriTemplate).join(', ')}.`, mimeType: 'application/json' }]
        : [],
    ),
  }));
  server.setRequestHandler(ReadResourceRequestSchema, async (request, extra) => {
    const result = await readResource(rt, request.params.uri, caller, { signal: extra.signal });
    if (!result.ok) throw mcpErrorOf(result, RESOURCE_NOT_FOUND);
    return { contents: [result.data as { uri: string; mimeType: string; text: string }] };
  });
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const controller = new AbortController();
    const forward = () => controller.abort(extra.signal.reason);
    if (extra.signal.aborted) forward();
    extra.signal.addEventListener('abort', forward, { once: true });
    const untrack = hooks.track?.(extra.requestId, controller);
    const progressToken = request.params._meta?.progressToken;
    let lastProgress = -Infinity;
    try {
      const result = await invokeTool(rt, request.params.name, request.params.arguments, caller, {
        signal: controller.signal,
        onProgress:
          progressToken === undefined
            ? undefined
            : (done, total, message) => {
                // Progress must strictly increase and stop with the response.
                if (done <= lastProgress || controller.signal.aborted) return;
                lastProgress = done;
                void extra.sendNotification({ method: 'notifications/progress', params: { progressToken, progress: done, total, message } }).catch(() => {});
              },
      });
      return toCallToolResult(result);
    } finally {
      lastProgress = Infinity;
      untrack?.();
      extra.signal.removeEventListener('abort', forward);
    }
  });
  return server;
}
