import { z } from 'zod';
import { TelemcpError, type ErrorCode } from '../core/errors.js';
import { invokeTool, runPipeline, type InvokeOptions, type InvokeResult, type Runtime } from './invoke.js';
import type { Caller } from './tool.js';

/**
 * Prompts and resources through the same pipeline as tool calls (role, input, rate limit,
 * bound, scrub, audit). A prompt is built for the caller (it names only tools the caller may
 * call); a resource read runs its saved search as the caller, so the tool's own guards and audit
 * apply as well.
 */

/** prompts/get: the prompt's description and messages, as `data`. */
export function getPrompt(rt: Runtime, name: string, args: unknown, caller: Caller): Promise<InvokeResult> {
  const prompt = rt.registry.prompt(name);
  return runPipeline(
    rt,
    {
      requested: `prompt:${name}`,
      entry: prompt && {
        name: `prompt:${prompt.name}`,
        leastRole: prompt.leastRole,
        input: prompt.args,
        schemaName: 'arguments',
        run: async (input) => prompt.build(input as never, { callableTools: () => rt.registry.listFor(caller.role).map((l) => l.name) }),
      },
      notFound: () =>
        new TelemcpError('tool_not_found', `No prompt named ${JSON.stringify(name.slice(0, 64))}.`, { hint: 'List the prompts (prompts/list or GET /mcp/prompts) and use one of their names.' }),
    },
    args,
    caller,
  );
}

const readInput = z.object({ uri: z.string().min(1).max(1024) }).strict();

/** resources/read: `{uri, mimeType, text}` with the saved search's result as JSON text, as `data`. */
export function readResource(rt: Runtime, uri: string, caller: Caller, opts: InvokeOptions = {}): Promise<InvokeResult> {
  const found = rt.registry.resource(uri);
  return runPipeline(
    rt,
    {
      requested: `resource:${uri}`,
      // Named by the saved search, not the URI: template parameters must not become metric labels.
      entry: found && {
        name: `resource:${found.search.name}`,
        leastRole: found.search.leastRole,
        input: readInput,
        schemaName: 'resources/read parameters',
        run: async () => {
          const result = await invokeTool(rt, found.search.tool, found.args, caller, opts);
          if (!result.ok) throw new TelemcpError(result.error.code as ErrorCode, result.error.message, { hint: result.error.hint, retryAfter: result.error.retry_after });
          return { uri, mimeType: 'application/json', text: result.json };
        },
      },
      notFound: () =>
        new TelemcpError('tool_not_found', `No resource ${JSON.stringify(uri.slice(0, 128))}.`, { hint: 'List the resources and templates (resources/list, resources/templates/list or GET /mcp/resources).' }),
    },
    { uri },
    caller,
  );
}
