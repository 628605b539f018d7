import type { FastifyInstance } from 'fastify';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { invokeTool, type Runtime } from '../../tools/invoke.js';
import type { Caller } from '../../tools/tool.js';
import { InFlightCalls } from '../inflight.js';
import { parseExecuteBody } from '../rest/routes.js';
import { redactString } from '../../core/redact.js';
import { createMcpServer } from './mcp-server.js';
import { envelopeProblem, jsonRpcCodeFor, sendJsonRpcError, type JsonRpcMessage } from './jsonrpc.js';
import { jsonRpcIdOf } from '../../security/strict-json.js';

/**
 * MCP Streamable HTTP at /mcp, stateless: every POST gets a fresh server bound to the
 * authenticated caller, so any replica can answer and there is no session to hijack.
 * Seed 000's JSON-RPC methods mcp.list_tools / mcp.execute are answered here too.
 */
export function registerStreamableHttp(fastify: FastifyInstance, rt: Runtime, callerOf: (req: { caller?: Caller }) => Caller): void {
  const inflight = new InFlightCalls();

  fastify.post('/mcp', async (req, reply) => {
    const problem = envelopeProblem(req.body);
    const msg = req.body as JsonRpcMessage;
    if (problem) {
      rt.metrics.httpRejections.labels('jsonrpc_envelope').inc();
      return sendJsonRpcError(reply, 400, jsonRpcIdOf(msg), -32600, `Invalid Request: ${problem}`);
    }
    const caller = callerOf(req);

    if (msg.method === 'mcp.list_tools') {
      return reply.send({ jsonrpc: '2.0', id: msg.id ?? null, result: { tools: rt.registry.listFor(caller.role, rt.config.TOOL_DISCOVERY) } });
    }
    if (msg.method === 'mcp.execute') {
      const params = msg.params as Record<string, unknown> | undefined;
      let body: ReturnType<typeof parseExecuteBody>;
      try {
        body = parseExecuteBody(params);
      } catch (err) {
        const e = err as { message: string; code: 'invalid_input' };
        return sendJsonRpcError(reply, 400, msg.id, -32602, redactString(e.message), { code: e.code });
      }
      const result = await invokeTool(rt, body.tool_name, body.input, { ...caller, transport: 'jsonrpc' });
      if (result.ok) return reply.send({ jsonrpc: '2.0', id: msg.id ?? null, result: { ok: true, tool_name: result.toolName, data: result.data } });
      if (result.error.retry_after !== undefined) reply.header('retry-after', String(result.error.retry_after));
      return sendJsonRpcError(reply, result.status, msg.id, jsonRpcCodeFor(result.error.code), result.error.message, { ...result.error, tool_name: result.toolName });
    }
    if (msg.method === 'notifications/cancelled') {
      const params = msg.params as { requestId?: unknown } | undefined;
      inflight.cancel(caller.id, params?.requestId);
      return reply.code(202).send();
    }

    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    const server = createMcpServer(rt, caller, {
      track: (requestId, controller) =>
        inflight.track(caller.id, requestId, () => {
          // A cancelled request gets no JSON-RPC response: drop the transport's pending
          // answer and end this HTTP exchange empty.
          controller.abort();
          void transport.close();
          if (!reply.raw.headersSent) reply.raw.writeHead(202).end();
        }),
    });
    reply.hijack();
    reply.raw.on('error', () => {});
    reply.raw.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req.raw, reply.raw, req.body);
  });

  // Stateless: there is no server-initiated stream to open and no session to delete.
  const notAllowed = async (_req: unknown, reply: import('fastify').FastifyReply) =>
    reply.code(405).header('allow', 'POST').send({ jsonrpc: '2.0', id: null, error: { code: -32000, message: 'Method not allowed: this server is stateless; use POST /mcp.' } });
  fastify.get('/mcp', notAllowed);
  fastify.delete('/mcp', notAllowed);
}
