import { z } from 'zod';
import type { Backends } from '../backends/backends.js';
import { roleAllows, type Role, type ToolRole } from '../core/roles.js';
import type { AnyTool, ToolDefinition } from './tool.js';
import type { Toolset } from './toolsets.js';
import type { AnyPrompt } from './prompt.js';
import { matchTemplate, type ResourceListing, type SavedSearch } from './resource.js';
import { DISCOVERY_TOOLSET, LISTED_META_TOOLS, categoryTool, type DiscoveryMode } from './discovery/index.js';

export interface ToolListing {
  name: string;
  title: string;
  description: string;
  /** The toolset the tool belongs to (`discovery` for the meta-tools and the per-toolset tools). */
  toolset: string;
  inputSchema: Record<string, unknown>;
  outputSchema: Record<string, unknown>;
  annotations: ToolDefinition['annotations'];
  /** Least role that may call the tool (seed 000's RBAC, shown to callers). */
  role: ToolRole;
}

/** A served toolset of the catalog, with the tools it serves. */
export interface CatalogToolset {
  name: string;
  description: string;
  tools: AnyTool[];
}

/** Served whatever TOOLSETS says: telemcp_status, and the discovery tools that reach every other tool. */
const ALWAYS_SERVED = new Set(['server', DISCOVERY_TOOLSET]);

/**
 * The tools this process serves, fixed at start-up from the toolsets whose backends are
 * configured. Listings are computed once; a caller sees only what its role may call.
 *
 * Served are the catalog's tools, the discovery meta-tools and one tool per catalog toolset (for
 * TOOL_DISCOVERY=categories). Every served tool can be called by name in every mode: the mode
 * decides only what a listing shows, so a client that cached names keeps working.
 */
export class ToolRegistry {
  private readonly tools = new Map<string, AnyTool>();
  private readonly listings = new Map<string, ToolListing>();
  private readonly catalog: CatalogToolset[] = [];
  /** The per-toolset tools as each role sees them (only the tools it may call), built on first listing. */
  private readonly categoryListings = new Map<Role, ToolListing[]>();
  readonly hiddenToolsets: { name: string; reason: string }[] = [];
  /** Toolsets served in part, and why the rest of their tools are not. */
  readonly narrowedToolsets: { name: string; reason: string }[] = [];
  private readonly prompts = new Map<string, AnyPrompt>();
  private readonly resources: ResourceListing[] = [];

  /** `chosen`: the operator's TOOLSETS, when set; the `server` and `discovery` toolsets are served whatever it says. */
  constructor(toolsets: Toolset[], backends: Backends, chosen?: readonly string[]) {
    const pendingSearches: SavedSearch[] = [];
    for (const set of toolsets) {
      if (chosen && !ALWAYS_SERVED.has(set.name) && !chosen.includes(set.name)) {
        this.hiddenToolsets.push({ name: set.name, reason: `not in TOOLSETS (${chosen.join(',')})` });
        continue;
      }
      const { tools, hidden, partial } = set.availability(backends);
      if (hidden) {
        this.hiddenToolsets.push({ name: set.name, reason: hidden });
        continue;
      }
      if (partial) this.narrowedToolsets.push({ name: set.name, reason: partial });
      for (const tool of tools) this.serve(tool);
      if (set.name !== DISCOVERY_TOOLSET && tools.length) this.catalog.push({ name: set.name, description: set.description, tools });
      for (const prompt of set.prompts ?? []) {
        if (this.prompts.has(prompt.name)) throw new Error(`duplicate prompt name ${prompt.name}`);
        this.prompts.set(prompt.name, prompt);
      }
      pendingSearches.push(...(set.savedSearches ?? []));
    }
    for (const set of this.catalog) this.serve(categoryTool(set, set.tools));
    // A saved search is served when its tool is: it runs that tool, with that tool's least role.
    for (const search of pendingSearches) {
      const tool = this.tools.get(search.tool);
      if (tool) this.resources.push({ ...search, leastRole: tool.leastRole });
    }
  }

  private serve(tool: AnyTool): void {
    if (this.tools.has(tool.name)) throw new Error(`duplicate tool name ${tool.name}`);
    this.tools.set(tool.name, tool);
    this.listings.set(tool.name, listingOf(tool));
  }

  /** Accepts seed 003's dotted names (`promql.query`) as aliases of the snake_case names. */
  get(name: string): AnyTool | undefined {
    return this.tools.get(name) ?? this.tools.get(name.replace(/\./g, '_'));
  }

  /** The full listing of any served tool, whatever the role. */
  listing(name: string): ToolListing | undefined {
    return this.listings.get(name);
  }

  /** The catalog's tools: every served tool but the discovery ones. */
  all(): AnyTool[] {
    return this.catalog.flatMap((set) => set.tools);
  }

  /** The catalog's toolsets, in order, with the tools each serves. */
  toolsets(): readonly CatalogToolset[] {
    return this.catalog;
  }

  /** The catalog's tools this role may call, with full schemas: what the discovery meta-tools list, search, describe and call. */
  catalogFor(role: Role): ToolListing[] {
    return this.all()
      .map((tool) => this.listings.get(tool.name)!)
      .filter((l) => roleAllows(role, l.role));
  }

  /** What tools/list (and GET /mcp/tools) shows this role in a TOOL_DISCOVERY mode; `full` by default. */
  listFor(role: Role, mode: DiscoveryMode = 'full'): ToolListing[] {
    const meta = LISTED_META_TOOLS[mode].map((name) => this.listings.get(name)!).filter((l) => roleAllows(role, l.role));
    if (mode === 'base') return meta;
    return [...(mode === 'categories' ? this.categoriesFor(role) : this.catalogFor(role)), ...meta];
  }

  /** One tool per toolset this role may use, naming (in its enum and description) only the tools the role may call. */
  private categoriesFor(role: Role): ToolListing[] {
    let listed = this.categoryListings.get(role);
    if (!listed) {
      listed = this.catalog.flatMap((set) => {
        const callable = set.tools.filter((t) => roleAllows(role, t.leastRole));
        return callable.length ? [listingOf(categoryTool(set, callable))] : [];
      });
      this.categoryListings.set(role, listed);
    }
    return listed;
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

function listingOf(tool: AnyTool): ToolListing {
  return {
    name: tool.name,
    title: tool.title,
    description: tool.description,
    toolset: tool.toolset,
    inputSchema: withoutNoOps(z.toJSONSchema(tool.input, { io: 'input', target: 'draft-2020-12' })) as Record<string, unknown>,
    outputSchema: allowingCachedAt(tool, withoutNoOps(z.toJSONSchema(tool.output, { io: 'output', target: 'draft-2020-12' })) as Record<string, unknown>),
    annotations: tool.annotations,
    role: tool.leastRole,
  };
}

/**
 * An answer from the query cache carries `cached_at` beside the tool's own fields: the schema of
 * a tool that opts in must not forbid extra fields (zod's output schemas do). tools/list's schema
 * never does (mcp-server.ts), and leaving the field unnamed there keeps the listing's bytes.
 */
function allowingCachedAt(tool: AnyTool, schema: Record<string, unknown>): Record<string, unknown> {
  if (!tool.cache || schema.additionalProperties !== false) return schema;
  const { additionalProperties: _closed, ...open } = schema;
  return open;
}

/**
 * Drops what zod emits for every record and JSON Schema holds anyway: `propertyNames: {type:
 * "string"}` (object keys are strings) and `additionalProperties: {}` (allowed by default). The
 * same schema, fewer bytes in every listing.
 */
function withoutNoOps(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutNoOps);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'propertyNames' && isStringType(value)) continue;
    if (key === 'additionalProperties' && isEmptyObject(value)) continue;
    if (DATA_KEYWORDS.has(key)) out[key] = value;
    // Under `properties` the keys are property names, not keywords: only their values are schemas.
    else if (key === 'properties' && value && typeof value === 'object') out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutNoOps(v)]));
    else out[key] = withoutNoOps(value);
  }
  return out;
}

/** Keywords whose values are data, not schemas: left as they are. */
const DATA_KEYWORDS = new Set(['default', 'const', 'enum', 'examples']);

const isEmptyObject = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0;
const isStringType = (v: unknown) => v !== null && typeof v === 'object' && Object.keys(v).length === 1 && (v as { type?: unknown }).type === 'string';
