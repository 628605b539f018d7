import type { Config } from '../../config/load.js';
import { TelemcpError } from '../../core/errors.js';
import type { InvokeResult } from '../invoke.js';
import type { Catalog, ToolContext } from '../tool.js';

/** The toolset of the meta-tools and of the per-toolset tools: never part of the catalog they reach. */
export const DISCOVERY_TOOLSET = 'discovery';

/** TOOL_DISCOVERY: what tools/list shows. */
export type DiscoveryMode = Config['TOOL_DISCOVERY'];

/** The catalog, which the pipeline hands every handler it runs. */
export function catalogOf(ctx: ToolContext): Catalog {
  if (!ctx.catalog) throw new TelemcpError('internal_error', 'This tool runs only through the tool pipeline.');
  return ctx.catalog;
}

/** The inner call's data, or its error thrown unchanged: a meta-tool answers exactly what the direct call would. */
export function dataOf(result: InvokeResult): Record<string, unknown> {
  if (result.ok) return result.data as Record<string, unknown>;
  const { code, message, hint, retry_after: retryAfter, details } = result.error;
  throw new TelemcpError(code, message, { hint, retryAfter, details });
}

const SUMMARY_CHARS = 110;

/** A description's first sentence, cut to one line: what list_tools and the per-toolset tools show of a tool. */
export function summaryOf(description: string): string {
  const sentence = description.split(/(?<!\b(?:e\.g|i\.e|etc))\.(?:\s|$)/)[0].trim();
  if (sentence.length <= SUMMARY_CHARS) return sentence;
  const cut = sentence.slice(0, SUMMARY_CHARS - 1);
  return `${cut.slice(0, Math.max(cut.lastIndexOf(' '), SUMMARY_CHARS / 2))}…`;
}

/** Names a discovery tool where a catalog tool is wanted: they only reach the catalog, never each other. */
export function notACatalogTool(name: string, hint: string): TelemcpError {
  return new TelemcpError('invalid_input', `${name} is a discovery tool, not one of the catalog's tools.`, { hint });
}
