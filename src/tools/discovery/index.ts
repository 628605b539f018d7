import { callTool } from './call_tool.js';
import { describeTool } from './describe_tool.js';
import { listTools } from './list_tools.js';
import { searchTools } from './search_tools.js';
import type { DiscoveryMode } from './catalog.js';

export { DISCOVERY_TOOLSET, type DiscoveryMode } from './catalog.js';
export { categoryTool } from './category.js';

/** The meta-tools: served in every mode, callable by name like any tool. */
export const discoveryTools = [listTools, searchTools, describeTool, callTool];

/**
 * Which meta-tools tools/list shows beside the catalog in each mode. describe_tool is in all of
 * them: listings carry compact output schemas, and it gives the full ones.
 */
export const LISTED_META_TOOLS: Record<DiscoveryMode, readonly string[]> = {
  full: [describeTool.name],
  base: [listTools.name, searchTools.name, describeTool.name, callTool.name],
  categories: [describeTool.name],
};
