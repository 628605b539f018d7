/**
 * Index expressions against ALLOWED_INDEX_PATTERNS (SECURITY.md P-04, H-16..H-27), the pure
 * part: parsing an expression, the pattern containment test, and checking what the cluster's
 * `_resolve/index` says an expression really reaches (aliases and data streams included).
 * The caller sends `expand_wildcards=open` and calls checkResolvedIndices before searching.
 */
import { TelemcpError } from '../../core/errors.js';
import { quoteForMessage as quote } from '../../security/strict-json.js';
import { globMatches } from '../../security/glob.js';

/**
 * `GET /_resolve/index/<expr>` (Elasticsearch 7.9+ and OpenSearch 1.0+). The specification
 * types `alias.indices` and `data_stream.backing_indices` as "one name or a list", and newer
 * versions add fields (e.g. `mode`), so both forms are read and unknown fields ignored.
 */
export interface ResolveIndexResponse {
  indices?: Array<{ name: string; aliases?: string[]; attributes?: string[]; data_stream?: string; mode?: string }>;
  aliases?: Array<{ name: string; indices: string | string[] }>;
  data_streams?: Array<{ name: string; backing_indices: string | string[]; timestamp_field?: string }>;
}

const MAX_EXPRESSION_CHARS = 4096;
/** Elasticsearch's own limit on an index name, in bytes; names here are ASCII. */
const MAX_NAME_CHARS = 255;
/** Lowercase ASCII letters, digits, `-`, `_`, `.`, `+` and the `*` wildcard: safe in a URL path. */
const NAME_CHARS = /^[a-z0-9._*+-]+$/;
const PATH_CHARS = ['/', '\\', '?', '#', '"', '<', '>', '|', '%'];
const NAME_HINT = 'index names use lowercase letters, digits, "-", "_", "." and "+", with "*" as a wildcard; separate several with commas';

/**
 * Decodes percent-encoding once, splits the comma-separated expression and refuses what cannot be checked against the
 * allowlist: date math, remote clusters, exclusions, `_all`, API paths (`_security`),
 * path and URL characters (H-21) and non-canonical spellings. Returns the names in order,
 * without duplicates.
 */
export function parseIndexExpression(expr: string): string[] {
  if (typeof expr !== 'string' || expr.length === 0) {
    throw invalid('the index expression is empty', 'name an index, alias, data stream or pattern, e.g. "logs-*"');
  }
  if (expr.length > MAX_EXPRESSION_CHARS) {
    throw invalid(`the index expression is longer than ${MAX_EXPRESSION_CHARS} characters`, 'use a wildcard pattern instead of listing many names');
  }
  const decoded = decodeOnce(expr);
  const names: string[] = [];
  for (const item of decoded.split(',')) {
    checkName(item, expr);
    if (!names.includes(item)) names.push(item);
  }
  return names;
}

/**
 * A caller may percent-encode what it would type in a URL (`%3Clogs-%7Bnow%2Fd%7D%3E`). The
 * expression is decoded once and decided on what it says, so an encoded form gets the same
 * answer as the plain one; a `%` still there afterwards (double encoding) is refused as a path
 * character.
 */
function decodeOnce(expr: string): string {
  if (!expr.includes('%')) return expr;
  try {
    return decodeURIComponent(expr);
  } catch {
    throw invalid(`the index expression ${quote(expr)} has a malformed percent-encoding`, `write the names plainly, e.g. "logs-*"; ${NAME_HINT}`);
  }
}

function checkName(name: string, expr: string): void {
  const shown = quote(name);
  if (name.length === 0) {
    throw invalid(`the index expression ${quote(expr)} has an empty item`, 'remove the extra comma; separate names with a single comma and no spaces');
  }
   
  if (/[\s\u0000-\u001f\u007f-\u009f]/.test(name)) {
    throw invalid(`index name ${shown} contains whitespace or control characters`, NAME_HINT);
  }
  // Date math (`<logs-{now/d}>`) names indices by the server's clock, which the allowlist cannot see.
  if (name.startsWith('<')) {
    throw denied(`date math ${shown} is not supported`, 'date math is not supported; name the indices or use a wildcard, e.g. "logs-2026.01.*"');
  }
  if (name.includes(':')) {
    throw denied(`remote cluster reference ${shown} is not allowed`, 'search the local cluster only: drop the "cluster:" prefix');
  }
  if (name.startsWith('-')) {
    throw invalid(`exclusion ${shown} is not supported`, 'list the indices or patterns to search instead of excluding some');
  }
  if (name === '_all') {
    throw denied('"_all" is not allowed', 'name the indices or a pattern inside ALLOWED_INDEX_PATTERNS, e.g. "logs-*"');
  }
  const pathChar = PATH_CHARS.find((c) => name.includes(c));
  if (pathChar !== undefined || name.includes('..')) {
    throw invalid(`index name ${shown} contains ${quote(pathChar ?? '..')}, which is not allowed in index names`, NAME_HINT);
  }
  if (name !== name.toLowerCase()) {
    throw invalid(`index name ${shown} has uppercase letters; index names are lowercase`, `use ${quote(name.toLowerCase())}`);
  }
  if (name.startsWith('_') || name.startsWith('+')) {
    throw invalid(`index name ${shown} starts with ${quote(name[0])}`, 'names starting with "_" are API endpoints, not indices; names cannot start with "+"');
  }
  if (!NAME_CHARS.test(name) || name === '.') {
    throw invalid(`index name ${shown} contains characters outside [a-z0-9._*+-]`, NAME_HINT);
  }
  if (name.length > MAX_NAME_CHARS) {
    throw invalid(`index name ${shown} is longer than ${MAX_NAME_CHARS} characters`, NAME_HINT);
  }
}

/**
 * True when every index the (possibly wildcarded) `pattern` can name is inside an allowed glob.
 *
 * Why matching the requested string literally is a sound containment test: allowed globs have
 * no literal `*`, so when an allowed glob A matches the text of pattern R, each `*` of R is
 * consumed by some `*` of A. Replace that `*` of R by any string and the same `*` of A consumes
 * the string instead, so A still matches: every expansion of R is in A. The converse does not
 * hold (R may be covered only by a union of globs), so the test can refuse but never over-allow.
 *
 * Dot-prefixed names are hidden or system indices (`.security-7`, `.kibana*`, `.tasks`, H-23):
 * only an allowed pattern that itself starts with a dot can cover them, never a bare `*`.
 * Remote names (`cluster:index`) are never covered.
 */
export function isCoveredByAllowlist(pattern: string, allow: readonly string[]): boolean {
  if (pattern.length === 0 || pattern.includes(':')) return false;
  const hidden = pattern.startsWith('.');
  return allow.some((glob) => {
    const g = glob.trim();
    return g.length > 0 && (!hidden || g.startsWith('.')) && globMatches(g, pattern);
  });
}

/**
 * Whether a concrete index from a cluster-wide listing (_cat/shards) may be named to the
 * caller: covered by the allowlist, or a data stream backing index
 * (`.ds-<stream>-<yyyy.MM.dd>-<generation>`, or `.ds-<stream>-<generation>` before 7.11)
 * of a data stream that is covered.
 */
export function isVisibleConcreteIndex(name: string, allow: readonly string[]): boolean {
  if (isCoveredByAllowlist(name, allow)) return true;
  const backing = /^\.ds-(.+?)-(?:\d{4}\.\d{2}\.\d{2}-)?\d{6}$/.exec(name);
  return backing !== null && isCoveredByAllowlist(backing[1], allow);
}

/** parseIndexExpression, then every name must be covered; returns the names. */
export function checkIndexExpression(expr: string, allow: readonly string[]): string[] {
  const names = parseIndexExpression(expr);
  for (const name of names) {
    if (!isCoveredByAllowlist(name, allow)) throw outside(`index ${quote(name)} is outside ALLOWED_INDEX_PATTERNS`, name, allow);
  }
  return names;
}

/**
 * Checks what an expression resolved to (H-27): an alias inside the allowlist may point at an
 * index outside it, so every alias name and every alias target must be covered; every data
 * stream must be covered, which then covers its backing indices (`.ds-…`); every concrete
 * index must be covered or be a backing index of a covered data stream. Anything remote is
 * refused. A response that does not have the documented shape is refused too.
 */
export function checkResolvedIndices(resolved: ResolveIndexResponse, allow: readonly string[]): void {
  if (resolved === null || typeof resolved !== 'object') throw badResponse('not an object');
  const indices = listOf(resolved.indices, 'indices');
  const aliases = listOf(resolved.aliases, 'aliases');
  const dataStreams = listOf(resolved.data_streams, 'data_streams');

  const backingOfAllowed = new Set<string>();
  for (const ds of dataStreams) {
    const name = nameOf(ds, 'data_streams');
    requireCovered(name, allow, `data stream ${quote(name)} is outside ALLOWED_INDEX_PATTERNS`);
    for (const backing of namesOf(ds.backing_indices, 'data_streams[].backing_indices')) {
      refuseRemote(backing);
      backingOfAllowed.add(backing);
    }
  }
  // The cluster also tags each backing index with its data stream.
  const coveredBacking = (item: { name: string; data_stream?: unknown }): boolean =>
    backingOfAllowed.has(item.name) ||
    (typeof item.data_stream === 'string' && isCoveredByAllowlist(item.data_stream, allow));

  for (const alias of aliases) {
    const name = nameOf(alias, 'aliases');
    requireCovered(name, allow, `alias ${quote(name)} is outside ALLOWED_INDEX_PATTERNS`);
    for (const target of namesOf(alias.indices, 'aliases[].indices')) {
      refuseRemote(target);
      if (!isCoveredByAllowlist(target, allow) && !backingOfAllowed.has(target)) {
        // The target's name is itself outside the allowlist, so it is not revealed.
        throw new TelemcpError('index_pattern_denied', `alias ${quote(name)} points to an index outside ALLOWED_INDEX_PATTERNS`, {
          hint: `use a narrower pattern that does not match the alias ${quote(name)}, or name the indices you need`,
        });
      }
    }
  }
  for (const index of indices) {
    const name = nameOf(index, 'indices');
    refuseRemote(name);
    if (!isCoveredByAllowlist(name, allow) && !coveredBacking(index)) {
      throw outside(`index ${quote(name)} is outside ALLOWED_INDEX_PATTERNS`, name, allow);
    }
  }
  // indices[].aliases only lists other names of an index already checked above: not a target.
}

function requireCovered(name: string, allow: readonly string[], message: string): void {
  refuseRemote(name);
  if (!isCoveredByAllowlist(name, allow)) throw outside(message, name, allow);
}

function refuseRemote(name: string): void {
  if (name.includes(':')) {
    throw denied(`remote cluster index ${quote(name)} is not allowed`, 'search the local cluster only: drop the "cluster:" prefix');
  }
}

function listOf(value: unknown, field: string): Array<Record<string, unknown> & { name: string }> {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw badResponse(`"${field}" is not an array`);
  for (const item of value) {
    if (item === null || typeof item !== 'object' || typeof (item as { name?: unknown }).name !== 'string') {
      throw badResponse(`an entry of "${field}" has no name`);
    }
  }
  return value as Array<Record<string, unknown> & { name: string }>;
}

function nameOf(item: { name: string }, field: string): string {
  if (item.name.length === 0) throw badResponse(`an entry of "${field}" has an empty name`);
  return item.name;
}

/** "One name or a list": a string may also be comma-separated, as index lists are in ES. */
function namesOf(value: unknown, field: string): string[] {
  if (value === undefined) return [];
  const list = typeof value === 'string' ? value.split(',') : value;
  if (!Array.isArray(list) || list.some((n) => typeof n !== 'string' || n.length === 0)) {
    throw badResponse(`"${field}" is not a list of names`);
  }
  return list as string[];
}

function invalid(message: string, hint: string): TelemcpError {
  return new TelemcpError('invalid_input', message, { hint });
}

function denied(message: string, hint: string): TelemcpError {
  return new TelemcpError('index_pattern_denied', message, { hint });
}

function outside(message: string, name: string, allow: readonly string[]): TelemcpError {
  const patterns = allow.map((p) => p.trim()).filter((p) => p.length > 0);
  let hint = patterns.length > 0
    ? `allowed patterns: ${patterns.join(', ')}`
    : 'no index patterns are allowed on this server (ALLOWED_INDEX_PATTERNS is empty)';
  if (name.startsWith('.')) hint += '; names starting with "." are hidden or system indices and need an allowed pattern that starts with "."';
  return new TelemcpError('index_pattern_denied', message, { hint });
}

function badResponse(problem: string): TelemcpError {
  return new TelemcpError('backend_error', `unexpected _resolve/index response: ${problem}`, {
    hint: 'the index expression could not be verified, so the search was not sent; retry, or check the cluster version',
  });
}
