import { z } from 'zod';
import { defineTool } from '../tool.js';
import { DISCOVERY_TOOLSET, catalogOf, dataOf, notACatalogTool } from './catalog.js';

export const callTool = defineTool({
  name: 'call_tool',
  title: 'Call a tool',
  description: "Runs one tool by name with its arguments, as you, and answers exactly what calling it directly would. describe_tool shows the arguments.",
  toolset: DISCOVERY_TOOLSET,
  leastRole: 'elk_viewer',
  // What the named tool does, it does: retrying may not answer the same, and it may reach any backend.
  idempotent: false,
  input: z
    .object({
      name: z.string().min(1).max(128).describe('Tool name, from list_tools or search_tools'),
      arguments: z.record(z.string(), z.unknown()).default({}).describe("Its arguments, per describe_tool's inputSchema"),
    })
    .strict(),
  output: z.record(z.string(), z.unknown()),
  async handler(input, ctx) {
    const catalog = catalogOf(ctx);
    // Meta-tools reach the catalog, never each other: no call_tool of call_tool, however deep.
    if (catalog.registry.get(input.name)?.toolset === DISCOVERY_TOOLSET) throw notACatalogTool(input.name, 'Call it directly, or name a tool from list_tools.');
    return dataOf(await catalog.call(input.name, input.arguments));
  },
});
