import { z } from 'zod';
import type { Backends } from '../backends/backends.js';
import { roleAllows, type Role, type ToolRole } from '../security/roles.js';
import type { AnyTool, ToolDefinition } from './tool.js';
import type { Toolset } from './toolsets.js';
import type { AnyPrompt } from './prompt.js';
import { matchTemplate, type ResourceListing, type SavedSearch } from './resource.js';

export interface ToolListing {
  name: string;
  title: string;
  description: string;
  inputSchema: Record<string, unknown>;
  outputSchema: Record<string, unknown>;
  annotations: ToolDefinition['annotations'];
  /** Least role that may call the tool (seed 000's RBAC, shown to callers). */
  role: ToolRole;
}

/**
 * The tools this process serves, fixed at start-up from the toolsets whose backends are
 * configured. Listings are computed once; a caller sees only what its role may call.
 */
export class ToolRegistry {
  private readonly tools = new Map<string, AnyTool>();
  private readonly listings = new Map<string, ToolListing>();
  readonly hiddenToolsets: { name: string; reason: string }[] = [];
  /** Toolsets served in part, and why the rest of their tools are not. */
  readonly narrowedToolsets: { name: string; reason: string }[] = [];
  private readonly prompts = new Map<string, AnyPrompt>();
  private readonly resources: ResourceListing[] = [];

  /** `chosen`: the operator's TOOLSETS, when set; the `server` toolset is served whatever it says. */
  constructor(toolsets: Toolset[], backends: Backends, chosen?: readonly string[]) {
    const pendingSearches: SavedSearch[] = [];
    for (const set of toolsets) {
      const reason = chosen && set.name !== 'server' && !chosen.includes(set.name) ? `not in TOOLSETS (${chosen.join(',')})` : set.unavailableReason(backends);
      if (reason) {
        this.hiddenToolsets.push({ name: set.name, reason });
        continue;
      }
      const narrowed = set.narrowed?.(backends);
      if (narrowed) this.narrowedToolsets.push({ name: set.name, reason: narrowed.reason });
      for (const tool of narrowed?.tools ?? set.tools) {
        if (this.tools.has(tool.name)) throw new Error(`duplicate tool name ${tool.name}`);
        this.tools.set(tool.name, tool);
        this.listings.set(tool.name, {
          name: tool.name,
          title: tool.title,
          description: tool.description,
          inputSchema: z.toJSONSchema(tool.input, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>,
          outputSchema: z.toJSONSchema(tool.output, { io: 'output', target: 'draft-2020-12' }) as Record<string, unknown>,
          annotations: tool.annotations,
          role: tool.leastRole,
        });
      }
      for (const prompt of set.prompts ?? []) {
        if (this.prompts.has(prompt.name)) throw new Error(`duplicate prompt name ${prompt.name}`);
        this.prompts.set(prompt.name, prompt);
      }
      pendingSearches.push(...(set.savedSearches ?? []));
    }
    // A saved search is served when its tool is: it runs that tool, with that tool's least role.
    for (const search of pendingSearches) {
      const tool = this.tools.get(search.tool);
      if (tool) this.resources.push({ ...search, leastRole: tool.leastRole });
    }
  }

  /** Accepts seed 003's dotted names (`promql.query`) as aliases of the snake_case names. */
  get(name: string): AnyTool | undefined {
    return this.tools.get(name) ?? this.tools.get(name.replace(/\./g, '_'));
  }

  all(): AnyTool[] {
    return [...this.tools.values()];
  }

  listFor(role: Role): ToolListing[] {
    return [...this.listings.values()].filter((l) => roleAllows(role, l.role));
  }

  prompt(name: string): AnyPrompt | undefined {
    return this.prompts.get(name);
  }

  promptsFor(role: Role): AnyPrompt[] {
    return [...this.prompts.values()].filter((p) => roleAllows(role, p.leastRole));
  }

  /** Saved searches this role may read: fixed URIs, and templates. */
  resourcesFor(role: Role): ResourceListing[] {
    return this.resources.filter((r) => roleAllows(role, r.leastRole));
  }

  /** The saved search a URI names, with the arguments its template fills; undefined for an unknown URI. */
  resource(uri: string): { search: ResourceListing; args: Record<string, unknown> } | undefined {
    for (const search of this.resources) {
      if (search.uri === uri) return { search, args: search.args };
      const params = search.uriTemplate ? matchTemplate(search.uriTemplate, uri) : undefined;
      if (params) return { search, args: { ...search.args, ...params } };
    }
    return undefined;
  }
}
