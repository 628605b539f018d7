import { z } from 'zod';
import { TelemcpError } from '../../core/errors.js';
import { roleAllows } from '../../core/roles.js';
import { defineTool } from '../tool.js';
import { DISCOVERY_TOOLSET, catalogOf, summaryOf } from './catalog.js';

export const listTools = defineTool({
  name: 'list_tools',
  title: 'List tools',
  description: 'The tools you may call, grouped by toolset, one line each. describe_tool shows one in full; call_tool runs it.',
  toolset: DISCOVERY_TOOLSET,
  leastRole: 'elk_viewer',
  openWorld: false,
  input: z
    .object({
      toolset: z.string().min(1).max(64).optional().describe('Only this toolset'),
      limit: z.number().int().min(1).max(200).default(100),
      cursor: z.string().regex(/^\d{1,6}$/).optional().describe('next_cursor of the previous call'),
    })
    .strict(),
  output: z.object({
    summary: z.string(),
    toolsets: z.array(z.object({ name: z.string(), description: z.string(), tools: z.array(z.object({ name: z.string(), summary: z.string() })) })),
    total: z.number(),
    truncated: z.boolean(),
    next_cursor: z.string().optional(),
  }),
  async handler(input, ctx) {
    const visible = catalogOf(ctx)
      .registry.toolsets()
      .map((set) => ({ set, tools: set.tools.filter((t) => roleAllows(ctx.caller.role, t.leastRole)) }))
      .filter((s) => s.tools.length);
    const chosen = input.toolset === undefined ? visible : visible.filter((s) => s.set.name === input.toolset);
    if (!chosen.length) {
      throw new TelemcpError('invalid_input', `No toolset ${JSON.stringify(input.toolset)} among yours.`, { hint: `Use one of: ${visible.map((s) => s.set.name).join(', ')}; or leave toolset out.` });
    }
    const all = chosen.flatMap(({ set, tools }) => tools.map((tool) => ({ set, tool })));
    const start = Number(input.cursor ?? 0);
    const page = all.slice(start, start + input.limit);
    const toolsets: { name: string; description: string; tools: { name: string; summary: string }[] }[] = [];
    for (const { set, tool } of page) {
      if (toolsets.at(-1)?.name !== set.name) toolsets.push({ name: set.name, description: set.description, tools: [] });
      toolsets.at(-1)!.tools.push({ name: tool.name, summary: summaryOf(tool.description) });
    }
    const end = start + page.length;
    return {
      summary: `${all.length} tools in ${chosen.length} toolsets${page.length < all.length ? `; ${start + 1}-${end} here` : ''}. describe_tool NAME gives its arguments; call_tool runs it.`,
      toolsets,
      total: all.length,
      truncated: end < all.length,
      ...(end < all.length ? { next_cursor: String(end) } : {}),
    };
  },
});
