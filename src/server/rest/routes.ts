import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { TelemcpError } from '../../core/errors.js';
import { invokeTool, type InvokeResult, type Runtime } from '../../tools/invoke.js';
import type { Caller } from '../../tools/tool.js';
import { getPrompt, readResource } from '../../tools/prompts-resources.js';
import { toMcpPrompt } from '../mcp/mcp-server.js';

const executeBody = z
  .object({
    tool_name: z.string().min(1).max(128),
    input: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

export function parseExecuteBody(body: unknown): { tool_name: string; input: Record<string, unknown> } {
  const parsed = executeBody.safeParse(body ?? {});
  if (!parsed.success) {
    throw new TelemcpError('invalid_input', `Request body must be {"tool_name": string, "input": object}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`, {
      hint: 'Send {"tool_name":"elk_cluster_health","input":{}}; list tools with GET /mcp/tools.',
    });
  }
  return parsed.data;
}

export function sendInvokeResult(reply: FastifyReply, result: InvokeResult): FastifyReply {
  if (result.ok) {
    // The pipeline already serialised (and measured) the data: splice it in rather than serialise twice.
    return reply.code(200).type('application/json; charset=utf-8').send(`{"ok":true,"tool_name":${JSON.stringify(result.toolName)},"data":${result.json}}`);
  }
  if (result.error.retry_after !== undefined) reply.header('retry-after', String(result.error.retry_after));
  return reply.code(result.status).send({ ok: false, tool_name: result.toolName, error: result.error });
}

const promptBody = z.object({ name: z.string().min(1).max(128), arguments: z.record(z.string(), z.unknown()).default({}) }).strict();
const readBody = z.object({ uri: z.string().min(1).max(1024) }).strict();

function parseBody<T>(schema: z.ZodType<T>, body: unknown, example: string): T {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) {
    throw new TelemcpError('invalid_input', `Request body must be ${example}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`, {
      hint: `Send ${example}.`,
    });
  }
  return parsed.data;
}

/** A prompt's, resource's or tool description's result in the REST envelope; errors as /mcp/execute sends them. */
function sendResult(reply: FastifyReply, result: InvokeResult, key: 'prompt' | 'resource' | 'tool'): FastifyReply {
  if (!result.ok) return sendInvokeResult(reply, result);
  return reply.code(200).type('application/json; charset=utf-8').send(`{"ok":true,${JSON.stringify(key)}:${result.json}}`);
}

/**
 * Seed 000's REST facade: GET /mcp/tools (GET /mcp/tools/NAME: one in full) and POST /mcp/execute; and the MCP prompts and
 * resources (GET /mcp/prompts, POST /mcp/prompts/get, GET /mcp/resources, POST /mcp/resources/read),
 * all over the one pipeline.
 */
export function registerRestRoutes(fastify: FastifyInstance, rt: Runtime, callerOf: (req: { caller?: Caller }) => Caller): void {
  // The tools tools/list shows in this TOOL_DISCOVERY mode, with full output schemas; one tool in full is describe_tool's answer.
  fastify.get('/mcp/tools', async (req) => ({ ok: true, tools: rt.registry.listFor(callerOf(req).role, rt.config.TOOL_DISCOVERY) }));
  fastify.get<{ Params: { name: string } }>('/mcp/tools/:name', async (req, reply) => sendResult(reply, await invokeTool(rt, 'describe_tool', { name: req.params.name }, callerOf(req)), 'tool'));
  fastify.get('/mcp/prompts', async (req) => ({ ok: true, prompts: rt.registry.promptsFor(callerOf(req).role).map(toMcpPrompt) }));
  fastify.post('/mcp/prompts/get', async (req, reply) => {
    const body = parseBody(promptBody, req.body, '{"name": "investigate_errors", "arguments": {"service_name": "…"}}');
    return sendResult(reply, await getPrompt(rt, body.name, body.arguments, callerOf(req)), 'prompt');
  });
  fastify.get('/mcp/resources', async (req) => {
    const listed = rt.registry.resourcesFor(callerOf(req).role);
    return {
      ok: true,
      resources: listed.flatMap((r) => (r.uri ? [{ uri: r.uri, name: r.name, title: r.title, description: r.description, tool: r.tool, args: r.args }] : [])),
      resource_templates: listed.flatMap((r) => (r.uriTemplate ? [{ uri_template: r.uriTemplate, name: r.name, title: r.title, description: r.description, tool: r.tool, args: r.args }] : [])),
    };
  });
  fastify.post('/mcp/resources/read', async (req, reply) => {
    const body = parseBody(readBody, req.body, '{"uri": "telemcp://status"}');
    return sendResult(reply, await readResource(rt, body.uri, callerOf(req)), 'resource');
  });

  fastify.post('/mcp/execute', async (req, reply) => {
    const body = parseExecuteBody(req.body);
    const controller = new AbortController();
    const onClose = () => {
      if (!reply.sent) controller.abort();
    };
    req.raw.socket.once('close', onClose);
    try {
      const result = await invokeTool(rt, body.tool_name, body.input, callerOf(req), { signal: controller.signal });
      return sendInvokeResult(reply, result);
    } finally {
      req.raw.socket.off('close', onClose);
    }
  });
}
