import { z } from 'zod';
import { roleRank } from '../../core/roles.js';
import { defineTool, type AnyTool } from '../tool.js';
import { DISCOVERY_TOOLSET, catalogOf, dataOf, summaryOf } from './catalog.js';

/**
 * The one tool standing for a toolset when TOOL_DISCOVERY=categories: it runs one of `tools`,
 * chosen by name, through the pipeline as the caller. The registry serves it with all the
 * toolset's tools and lists it, per role, with only those the role may call.
 */
export function categoryTool(set: { name: string; description: string }, tools: AnyTool[]): AnyTool {
  const names = tools.map((t) => t.name) as [string, ...string[]];
  return defineTool({
    name: set.name,
    title: `${set.name} tools`,
    description: `${set.description}. Runs one of these tools (describe_tool gives its arguments):\n${tools.map((t) => `- ${t.name}: ${summaryOf(t.description)}`).join('\n')}`,
    toolset: DISCOVERY_TOOLSET,
    leastRole: tools.map((t) => t.leastRole).reduce((a, b) => (roleRank(a) <= roleRank(b) ? a : b)),
    idempotent: tools.every((t) => t.annotations.idempotentHint),
    openWorld: tools.some((t) => t.annotations.openWorldHint),
    input: z
      .object({
        tool: z.enum(names).describe('The tool to run'),
        arguments: z.record(z.string(), z.unknown()).default({}).describe("Its arguments, per describe_tool's inputSchema"),
      })
      .strict(),
    output: z.record(z.string(), z.unknown()),
    async handler(input, ctx) {
      return dataOf(await catalogOf(ctx).call(input.tool, input.arguments));
    },
  });
}
