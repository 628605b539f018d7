import { z } from 'zod';
import { TelemcpError } from '../../core/errors.js';
import { TOOL_ROLES, roleAllows } from '../../core/roles.js';
import { defineTool } from '../tool.js';
import { DISCOVERY_TOOLSET, catalogOf, notACatalogTool } from './catalog.js';

export const describeTool = defineTool({
  name: 'describe_tool',
  title: 'Describe a tool',
  description:
    'One tool in full: its arguments (input schema), output schema, annotations and least role. A failed call answers {error:{code,message,hint}}.',
  toolset: DISCOVERY_TOOLSET,
  leastRole: 'elk_viewer',
  openWorld: false,
  input: z.object({ name: z.string().min(1).max(128).describe('Tool name') }).strict(),
  output: z.object({
    name: z.string(),
    title: z.string(),
    description: z.string(),
    toolset: z.string(),
    role: z.enum(TOOL_ROLES).describe('Least role that may call it'),
    annotations: z.object({ title: z.string(), readOnlyHint: z.boolean(), destructiveHint: z.boolean(), idempotentHint: z.boolean(), openWorldHint: z.boolean() }),
    inputSchema: z.record(z.string(), z.unknown()),
    outputSchema: z.record(z.string(), z.unknown()),
  }),
  async handler(input, ctx) {
    const { registry } = catalogOf(ctx);
    const tool = registry.get(input.name);
    if (!tool) {
      throw new TelemcpError('tool_not_found', `No tool named ${JSON.stringify(input.name)}.`, { hint: 'list_tools or search_tools name the tools you may call.' });
    }
    if (tool.toolset === DISCOVERY_TOOLSET) throw notACatalogTool(tool.name, 'tools/list describes it; describe one of the tools it reaches.');
    // Worded as the pipeline words the refusal of a direct call: the same answer either way.
    if (!roleAllows(ctx.caller.role, tool.leastRole)) {
      throw new TelemcpError('permission_denied', `${tool.name} needs role ${tool.leastRole}; this API key has ${ctx.caller.role}.`, {
        hint: 'Use what your role lists, or ask for a key with the needed role.',
      });
    }
    const listing = registry.listing(tool.name)!;
    const { $schema: _in, ...inputSchema } = listing.inputSchema;
    const { $schema: _out, ...outputSchema } = listing.outputSchema;
    return { ...listing, inputSchema, outputSchema };
  },
});
