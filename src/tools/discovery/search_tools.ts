import { z } from 'zod';
import { TelemcpError } from '../../core/errors.js';
import type { ToolListing } from '../registry.js';
import { defineTool } from '../tool.js';
import { DISCOVERY_TOOLSET, catalogOf, summaryOf } from './catalog.js';

/** Per query word: in the tool's name counts most, then in an argument's name, then in its title or description. */
const WEIGHT = { name: 4, argument: 2, text: 1 };

/** Words that would match nearly every description. */
const STOP_WORDS = new Set(['the', 'and', 'for', 'with', 'from', 'what', 'which', 'how', 'are', 'any', 'all']);

function words(text: string): string[] {
  const kept = text
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length >= 3 && !STOP_WORDS.has(w))
    // A plural finds its singular too: "errors" matches elk_detect_errors and "error-level".
    .map((w) => (w.length > 3 && w.endsWith('s') ? w.slice(0, -1) : w));
  return [...new Set(kept)];
}

function score(listing: ToolListing, query: string[]): number {
  const args = Object.keys((listing.inputSchema.properties ?? {}) as Record<string, unknown>).join(' ');
  const text = `${listing.title} ${listing.description}`.toLowerCase();
  let total = 0;
  for (const w of query) {
    if (listing.name.includes(w)) total += WEIGHT.name;
    if (args.includes(w)) total += WEIGHT.argument;
    if (text.includes(w)) total += WEIGHT.text;
  }
  return total;
}

export const searchTools = defineTool({
  name: 'search_tools',
  title: 'Search tools',
  description: 'Finds the tools you may call by keywords over their names, descriptions and argument names, best first.',
  toolset: DISCOVERY_TOOLSET,
  leastRole: 'elk_viewer',
  openWorld: false,
  input: z
    .object({
      query: z.string().min(1).max(200).describe('Keywords, e.g. "error patterns" or "kibana"'),
      limit: z.number().int().min(1).max(20).default(5),
    })
    .strict(),
  output: z.object({
    summary: z.string(),
    matches: z.array(z.object({ name: z.string(), toolset: z.string(), summary: z.string(), arguments: z.array(z.string()), score: z.number() })),
    total_matches: z.number(),
    truncated: z.boolean(),
  }),
  async handler(input, ctx) {
    const query = words(input.query);
    if (!query.length) throw new TelemcpError('invalid_input', 'query holds no word of three letters or more.', { hint: 'Search with words, e.g. "logs" or "cluster health".' });
    const ranked = catalogOf(ctx)
      .registry.catalogFor(ctx.caller.role)
      .map((listing, order) => ({ listing, order, score: score(listing, query) }))
      .filter((r) => r.score > 0)
      .sort((a, b) => b.score - a.score || a.order - b.order);
    const matches = ranked.slice(0, input.limit).map(({ listing, score: s }) => ({
      name: listing.name,
      toolset: listing.toolset,
      summary: summaryOf(listing.description),
      arguments: Object.keys((listing.inputSchema.properties ?? {}) as Record<string, unknown>),
      score: s,
    }));
    return {
      summary: ranked.length ? `${ranked.length} tools match; best: ${matches[0].name}. describe_tool NAME gives its arguments.` : 'No tool matches; list_tools shows them all.',
      matches,
      total_matches: ranked.length,
      truncated: ranked.length > matches.length,
    };
  },
});
