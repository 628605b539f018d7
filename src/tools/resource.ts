import type { ToolRole } from '../core/roles.js';

/**
 * A saved search served as an MCP resource (resources/list, resources/read): a named tool call
 * with fixed arguments. Reading it runs that call through the pipeline as the reader (role,
 * guards, deadline, bounds, audit), so a resource shows nothing its reader could not call.
 * A template (`uriTemplate` with `{name}` parameters) fills arguments from the URI.
 */
export interface SavedSearch {
  name: string;
  title: string;
  description: string;
  /** A fixed URI (`telemcp://searches/incident-last-hour`), or a template (`telemcp://services/{service_name}/incident`). */
  uri?: string;
  uriTemplate?: string;
  tool: string;
  /** The call's arguments; a template's parameters are added to them. */
  args: Record<string, unknown>;
}

/** A saved search with its least role: its tool's. */
export interface ResourceListing extends SavedSearch {
  leastRole: ToolRole;
}

const PARAM = /\{([a-z_][a-z0-9_]*)\}/g;
/** One template parameter: a path segment, percent-encoded. */
const SEGMENT = '([^/?#]{1,256})';

/** The template's parameters from a URI, or undefined when the URI is not one of its instances. */
export function matchTemplate(template: string, uri: string): Record<string, string> | undefined {
  const names: string[] = [];
  const pattern = template.replace(/[.*+?^${}()|[\]\\]/g, (c) => `\\${c}`).replace(/\\\{([a-z_][a-z0-9_]*)\\\}/g, (_m, name: string) => {
    names.push(name);
    return SEGMENT;
  });
  const m = new RegExp(`^${pattern}$`).exec(uri);
  if (!m) return undefined;
  try {
    return Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1])]));
  } catch {
    return undefined;
  }
}

export function templateParams(template: string): string[] {
  return [...template.matchAll(PARAM)].map((m) => m[1]);
}
