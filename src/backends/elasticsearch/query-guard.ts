/**
 * The query guard: every raw Elasticsearch/OpenSearch search body passes here before it leaves
 * the process (SECURITY.md P-01..P-08). It walks the parsed body once, iteratively and with a
 * depth cap checked before each descent, so a 10,000-level body is refused after 48 steps
 * (H-33). It returns a copy built from exactly what it checked, with the server's timeout:
 * callers must send that copy (JSON.stringify of it), never the caller's original text.
 *
 * Key decisions, each fail-closed:
 * - Denied keys are matched case-insensitively. Elasticsearch keys are case-sensitive, so
 *   `Script` is not a script to ES today; refusing it anyway costs nothing legitimate and does
 *   not bet on every ES/OpenSearch version and plugin parsing names exactly.
 * - Keys are looked at after JSON decoding, so `"scr\u0069pt"` is `script` here too.
 * - Script-family keys are refused wherever they appear, even where they would be a field or
 *   aggregation name (`{"term":{"script":…}}`): a rename is cheap, a missed script is not.
 * - Numbers that cap cost must be JSON integers: ES coerces `"size":"100000"` from a string,
 *   so strings are refused rather than trusted to mean what they look like.
 */
import { TelemcpError } from '../../core/errors.js';
import { PROTOTYPE_KEYS, formatJsonPath, quoteForMessage } from '../../security/strict-json.js';
import { regexpProblem, regexpStartsAnywhere } from '../../security/regexp-cost.js';

export interface QueryLimits {
  /** Largest `size` (hits returned). */
  maxSize: number;
  /** Largest `from`; deeper paging uses search_after. */
  maxFrom: number;
  /** Largest `size` of one bucket aggregation (terms, composite, grids, …). */
  maxAggSize: number;
  /** Aggregations nest at most this many levels (top-level `aggs` is level 1). */
  maxAggDepth: number;
  /** Largest product of bucket counts along one chain of nested aggregations. */
  maxAggBuckets: number;
  /** Largest `size` of a top_hits / top_metrics aggregation. */
  maxTopHitsSize: number;
  /** Most values in `search_after`. */
  maxSearchAfterValues: number;
  /** Objects and arrays nest at most this many levels (the body itself is level 1). */
  maxDepth: number;
  /** Longest regexp pattern. */
  maxRegexpLength: number;
  /** Largest `max_expansions` / `fuzzy_max_expansions` (fuzzy and prefix expansion). */
  maxExpansions: number;
  /** Sent as the body's `timeout`, replacing whatever the caller asked for (H-39). */
  serverTimeout: string;
}

export const DEFAULT_QUERY_LIMITS: Readonly<QueryLimits> = Object.freeze({
  maxSize: 100,
  maxFrom: 1000,
  maxAggSize: 1000,
  maxAggDepth: 3,
  maxAggBuckets: 10_000,
  maxTopHitsSize: 10,
  maxSearchAfterValues: 16,
  maxDepth: 48,
  maxRegexpLength: 256,
  maxExpansions: 50,
  serverTimeout: '25s',
});

const ALLOWED_TOP_LEVEL_KEYS: readonly string[] = [
  'query', 'aggs', 'aggregations', 'size', 'from', 'sort', '_source', 'fields', 'docvalue_fields',
  'track_total_hits', 'highlight', 'post_filter', 'collapse', 'min_score', 'search_after',
  'terminate_after', 'timeout', 'version', 'seq_no_primary_term', 'explain', 'stored_fields',
  'suggest', 'knn', 'rescore',
];
const ALLOWED_TOP_LEVEL = new Set(ALLOWED_TOP_LEVEL_KEYS);

/**
 * script, _script (sort), script_score, script_fields, script_heuristic, scripted_metric,
 * bucket_script, init/map/combine/reduce_script, minimum_should_match_script, …: every ES key
 * that carries code has "script" as a whole `_`-separated word. Field names like
 * "description" or "transcript" do not match.
 */
const SCRIPT_KEY = /(?:^|_)script(?:s|ed)?(?:_|$)/;
/** Script-carrying keys without "script" in their name (bucket_selector's condition is a script). */
const SCRIPT_LIKE_KEYS = new Set(['runtime_mappings', 'bucket_selector']);
const SCRIPT_LANGS = new Set(['painless', 'expression', 'mustache']);
/** A `template` object with any of these is a search template (stored or inline). */
const TEMPLATE_KEYS = ['source', 'inline', 'id', 'file', 'params', 'lang', 'stored'];
/** Pagination state lives on the server (H-25, P-08): a PIT or scroll could outlive the call or point at another index. */
const PAGINATION_KEYS = new Set(['pit', 'scroll', 'scroll_id', 'slice']);
/** A terms value holding any of these is a terms lookup: ES fetches the terms from a document of any index. */
const TERMS_LOOKUP_KEYS = ['index', 'id', 'path', 'routing'];
const LIKE_CONTEXT_KEYS = new Set(['more_like_this', 'mlt', 'like', 'unlike']);
/**
 * Keys whose content the guard cannot see through, refused wherever they appear: `wrapper`
 * holds a base64-encoded query the cluster decodes and runs (terms lookups, scripts, anything),
 * and `rule_query` applies query rules stored by id. Refusing beats decoding and re-guarding:
 * it keeps the guard from becoming a second parser of the cluster's encodings, and no question
 * needs an encoded query that the plain query cannot ask.
 */
const OPAQUE_KEYS = new Set(['wrapper', 'rule_query']);
/** A `rule` object with any of these is a query-rules query (rulesets stored by id), not a field. */
const RULE_QUERY_KEYS = ['ruleset_ids', 'ruleset_id', 'match_criteria', 'organic'];
/** Top-level keys of a search-template request (stored by id or inline): not a search body. */
const SEARCH_TEMPLATE_TOP_LEVEL = new Set(['id', 'source', 'params', 'template', 'inline', 'file']);

/**
 * What the keys of an object mean, which decides the rules that apply to them:
 * 'dsl' — query types, parameters or field names; 'agg_map' — the value of `aggs`, keys are
 * aggregation names the caller chose; 'agg_def' — one aggregation: its type, `aggs`, `meta`.
 */
type Role = 'dsl' | 'agg_map' | 'agg_def';

interface PathLink {
  readonly up: PathLink | null;
  readonly key: string | number;
}

interface WalkNode {
  readonly value: unknown;
  readonly path: PathLink | null;
  readonly depth: number;
  readonly role: Role;
  /** Inside more_like_this / like / unlike, where `_index` names a document source. */
  readonly inLike: boolean;
  /** Aggregation level of the enclosing aggregation definition (0 outside aggregations). */
  readonly aggLevel: number;
  /** Product of bucket counts of the enclosing aggregations. */
  readonly buckets: number;
}

/**
 * Checks a search body and returns the copy to send, or throws TelemcpError:
 * query_denied for what telemcp never runs (scripts, templates, cross-index reads,
 * caller-held pagination, runaway regexps), invalid_input for limits the caller can fix.
 */
export function guardQueryDsl(body: unknown, limits: Partial<QueryLimits> = {}): Record<string, unknown> {
  const lim = withDefaults(limits);
  if (!isPlainObject(body)) {
    throw new TelemcpError('invalid_input', `the search body must be a JSON object, got ${describeType(body)}`, {
      hint: 'send an object such as {"query":{"match":{"message":"timeout"}},"size":20}',
    });
  }
  checkTopLevel(body, lim);
  walk(body, lim);
  // Everything reachable was checked above and is plain JSON data no deeper than maxDepth,
  // so this round trip cannot recurse deeply and yields exactly the checked content.
  const copy = JSON.parse(JSON.stringify(body)) as Record<string, unknown>;
  if (copy.profile === false) delete copy.profile;
  copy.timeout = lim.serverTimeout;
  return copy;
}

function withDefaults(limits: Partial<QueryLimits>): QueryLimits {
  const merged: QueryLimits = { ...DEFAULT_QUERY_LIMITS };
  for (const [k, v] of Object.entries(limits) as Array<[keyof QueryLimits, unknown]>) {
    if (v !== undefined) (merged as unknown as Record<string, unknown>)[k] = v;
  }
  return merged;
}

function checkTopLevel(body: Record<string, unknown>, lim: QueryLimits): void {
  for (const key of Object.keys(body)) {
    const value = body[key];
    const lower = key.toLowerCase();
    const at = formatJsonPath([key]);
    if (PAGINATION_KEYS.has(lower)) throw paginationDenied(key, at);
    if (lower === 'indices_boost') throw indicesBoostDenied(at);
    if (lower === 'profile') {
      if (value === false) continue;
      throw new TelemcpError('query_denied', `"profile" is not allowed (at ${at})`, {
        hint: 'remove "profile": query profiling exposes cluster internals and is not available through telemcp',
        details: { path: at },
      });
    }
    if (lower === 'runtime_mappings' || SCRIPT_KEY.test(lower)) throw scriptDenied(key, at);
    if (SEARCH_TEMPLATE_TOP_LEVEL.has(lower)) throw templateDenied(at);
    if (!ALLOWED_TOP_LEVEL.has(key)) {
      throw new TelemcpError('invalid_input', `unknown search body key ${quoteForMessage(key)}`, {
        hint: `use only these top-level keys: ${ALLOWED_TOP_LEVEL_KEYS.join(', ')}`,
        details: { path: at },
      });
    }
  }
  if (Object.hasOwn(body, 'size')) checkInteger(body.size, 'size', lim.maxSize, formatJsonPath(['size']), 'page with "from" or "search_after"');
  if (Object.hasOwn(body, 'from')) checkInteger(body.from, 'from', lim.maxFrom, formatJsonPath(['from']), 'page further with "search_after" and the sort values of the last hit');
  if (Object.hasOwn(body, 'search_after')) checkSearchAfter(body.search_after, lim);
}

function checkSearchAfter(value: unknown, lim: QueryLimits): void {
  const at = formatJsonPath(['search_after']);
  const fix = `"search_after" takes the sort values of the last hit: an array of 1 to ${lim.maxSearchAfterValues} strings, numbers, booleans or nulls`;
  if (!Array.isArray(value) || value.length === 0 || value.length > lim.maxSearchAfterValues) {
    const got = Array.isArray(value) ? `${value.length} values` : describeType(value);
    throw new TelemcpError('invalid_input', `"search_after" must hold 1 to ${lim.maxSearchAfterValues} values, got ${got}`, {
      hint: fix,
      details: { path: at },
    });
  }
  value.forEach((v, i) => {
    const ok = v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
    if (!ok) {
      throw new TelemcpError('invalid_input', `"search_after" value ${i} is ${describeType(v)}`, {
        hint: fix,
        details: { path: formatJsonPath(['search_after', i]) },
      });
    }
  });
}

/** Depth-first over the body with an explicit stack; the depth cap is tested before descending. */
function walk(body: Record<string, unknown>, lim: QueryLimits): void {
  const stack: WalkNode[] = [{ value: body, path: null, depth: 1, role: 'dsl', inLike: false, aggLevel: 0, buckets: 1 }];
  while (stack.length > 0) {
    const node = stack.pop() as WalkNode;
    const { value } = node;
    if (Array.isArray(value)) {
      if (Object.getPrototypeOf(value) !== Array.prototype) throw notJson(node.path, 'an array subclass');
      for (let i = value.length - 1; i >= 0; i--) {
        push(stack, node, i, value[i], { role: 'dsl', inLike: node.inLike }, lim);
      }
    } else if (isPlainObject(value)) {
      visitObject(stack, node, value, lim);
    } else {
      checkScalar(value, node.path);
    }
  }
}

function push(
  stack: WalkNode[],
  parent: WalkNode,
  key: string | number,
  value: unknown,
  ctx: { role: Role; inLike: boolean; aggLevel?: number; buckets?: number },
  lim: QueryLimits,
): void {
  const path: PathLink = { up: parent.path, key };
  if (value !== null && typeof value === 'object') {
    if (parent.depth + 1 > lim.maxDepth) {
      const at = render(path);
      throw new TelemcpError('invalid_input', `the search body nests deeper than ${lim.maxDepth} levels (at ${at})`, {
        hint: `nest at most ${lim.maxDepth} levels: combine clauses in one bool instead of bools inside bools`,
        details: { path: at, max_depth: lim.maxDepth },
      });
    }
  } else {
    // Scalars are checked at once: no need to stack them.
    checkScalar(value, path);
    return;
  }
  stack.push({
    value,
    path,
    depth: parent.depth + 1,
    role: ctx.role,
    inLike: ctx.inLike,
    aggLevel: ctx.aggLevel ?? parent.aggLevel,
    buckets: ctx.buckets ?? parent.buckets,
  });
}

function visitObject(stack: WalkNode[], node: WalkNode, obj: Record<string, unknown>, lim: QueryLimits): void {
  const keys = Object.keys(obj);
  for (const key of keys) checkKey(key, obj[key], node, lim);

  if (node.role === 'agg_map') {
    const level = node.aggLevel + 1;
    if (level > lim.maxAggDepth) {
      const at = render(node.path);
      throw new TelemcpError('invalid_input', `aggregations nest ${level} levels deep at ${at}; at most ${lim.maxAggDepth} are allowed`, {
        hint: `nest at most ${lim.maxAggDepth} levels of aggregations: drop an inner level or split the question into several searches`,
        details: { path: at, max_agg_depth: lim.maxAggDepth },
      });
    }
    for (let k = keys.length - 1; k >= 0; k--) {
      const name = keys[k];
      const def = obj[name];
      if (!isPlainObject(def)) {
        throw new TelemcpError('invalid_input', `aggregation ${quoteForMessage(name)} must be an object`, {
          hint: 'write each aggregation as {"<name>":{"<type>":{…}}}, e.g. {"by_host":{"terms":{"field":"host.name","size":10}}}',
          details: { path: render({ up: node.path, key: name }) },
        });
      }
      push(stack, node, name, def, { role: 'agg_def', inLike: false, aggLevel: level }, lim);
    }
    return;
  }

  if (node.role === 'agg_def') {
    let factor = 1;
    for (const key of keys) {
      const lower = key.toLowerCase();
      if (lower === 'aggs' || lower === 'aggregations' || lower === 'meta') continue;
      const body = obj[key];
      if (isPlainObject(body)) factor *= aggregationBuckets(lower, body, { up: node.path, key }, lim);
    }
    const buckets = node.buckets * factor;
    if (buckets > lim.maxAggBuckets) {
      const at = render(node.path);
      throw new TelemcpError(
        'invalid_input',
        `nested aggregations could return up to ${buckets} buckets at ${at} (product of the nested sizes); at most ${lim.maxAggBuckets} are allowed`,
        {
          hint: `lower the "size" of the outer aggregations so their product stays within ${lim.maxAggBuckets}, or split the question into several searches`,
          details: { path: at, max_agg_buckets: lim.maxAggBuckets },
        },
      );
    }
    for (let k = keys.length - 1; k >= 0; k--) {
      const key = keys[k];
      const lower = key.toLowerCase();
      const value = obj[key];
      if ((lower === 'aggs' || lower === 'aggregations') && isPlainObject(value)) {
        push(stack, node, key, value, { role: 'agg_map', inLike: false, aggLevel: node.aggLevel, buckets }, lim);
      } else {
        push(stack, node, key, value, { role: 'dsl', inLike: false, buckets }, lim);
      }
    }
    return;
  }

  checkQueryClauses(obj, node, lim);
  const isRoot = node.path === null;
  for (let k = keys.length - 1; k >= 0; k--) {
    const key = keys[k];
    const lower = key.toLowerCase();
    const value = obj[key];
    if (isRoot && (key === 'aggs' || key === 'aggregations') && isPlainObject(value)) {
      push(stack, node, key, value, { role: 'agg_map', inLike: false, aggLevel: 0, buckets: 1 }, lim);
    } else {
      push(stack, node, key, value, { role: 'dsl', inLike: node.inLike || LIKE_CONTEXT_KEYS.has(lower) }, lim);
    }
  }
}

/** Rules that depend only on a key (and its value), wherever it appears. */
function checkKey(key: string, value: unknown, node: WalkNode, lim: QueryLimits): void {
  const lower = key.toLowerCase();
  const at = (): string => render({ up: node.path, key });
  if (PROTOTYPE_KEYS.has(key)) {
    const path = at();
    throw new TelemcpError('invalid_input', `key ${quoteForMessage(key)} is not allowed (at ${path})`, {
      hint: `remove ${quoteForMessage(key)}: __proto__, constructor and prototype are refused to prevent prototype pollution`,
      details: { path },
    });
  }
  if (SCRIPT_KEY.test(lower) || SCRIPT_LIKE_KEYS.has(lower)) throw scriptDenied(key, at());
  if (lower === 'lang' && typeof value === 'string' && SCRIPT_LANGS.has(value.trim().toLowerCase())) {
    throw scriptDenied(key, at());
  }
  if (lower === 'template' && isPlainObject(value) && TEMPLATE_KEYS.some((k) => Object.hasOwn(value, k))) throw templateDenied(at());
  if (OPAQUE_KEYS.has(lower)) throw opaqueDenied(key, at());
  if (lower === 'rule' && isPlainObject(value) && RULE_QUERY_KEYS.some((k) => Object.hasOwn(value, k))) throw opaqueDenied(key, at());
  if (lower === 'collate') {
    const path = at();
    throw new TelemcpError('query_denied', `suggester "collate" is not allowed (at ${path})`, {
      hint: 'remove "collate": it renders a mustache template on the cluster',
      details: { path },
    });
  }
  if (PAGINATION_KEYS.has(lower)) throw paginationDenied(key, at());
  if (lower === 'indices_boost') throw indicesBoostDenied(at());
  if (lower === 'indexed_shape') {
    throw crossIndexDenied(at(), 'pass the shape inline with "shape": {"type": …, "coordinates": …} instead of "indexed_shape"');
  }
  if (lower === '_index' && node.inLike) {
    throw crossIndexDenied(at(), 'pass the text to compare in "like" (e.g. "like": ["text"]) or a document from the searched index without "_index"');
  }
  if (lower === 'max_determinized_states') {
    const path = at();
    throw new TelemcpError('query_denied', `"max_determinized_states" may not be set (at ${path})`, {
      hint: 'remove "max_determinized_states" and simplify the pattern; the cluster default bounds regexp cost',
      details: { path },
    });
  }
  if (lower === 'max_expansions' || lower === 'fuzzy_max_expansions') {
    checkInteger(value, key, lim.maxExpansions, at(), 'use a more specific term or a lower fuzziness');
  }
}

/** Rules for query clauses, in ordinary DSL positions (not aggregation names or types). */
function checkQueryClauses(obj: Record<string, unknown>, node: WalkNode, lim: QueryLimits): void {
  for (const key of Object.keys(obj)) {
    const lower = key.toLowerCase();
    const value = obj[key];
    if (!isPlainObject(value)) continue;
    const here: PathLink = { up: node.path, key };
    switch (lower) {
      case 'terms':
        for (const [field, spec] of Object.entries(value)) {
          if (isPlainObject(spec) && TERMS_LOOKUP_KEYS.some((k) => Object.hasOwn(spec, k))) {
            throw crossIndexDenied(render({ up: here, key: field }), 'list the terms in an array: "terms": {"field": ["a", "b"]}');
          }
        }
        break;
      case 'percolate':
        if (Object.hasOwn(value, 'index') || Object.hasOwn(value, 'id')) {
          throw crossIndexDenied(render(here), 'match the document against a query you write instead of percolating a stored one');
        }
        // Percolation runs the queries stored in the index's documents, which the guard never sees.
        throw opaqueDenied(key, render(here));
      case 'regexp':
        forEachPattern(value, ['value', 'pattern'], here, (pattern, at) => {
          checkRegexp(pattern, at, lim);
          checkRegexpStart(pattern, at);
        });
        break;
      case 'wildcard':
        forEachPattern(value, ['value', 'wildcard', 'pattern'], here, checkNoLeadingWildcard);
        break;
      case 'prefix':
        forEachPattern(value, ['value', 'prefix'], here, checkNoLeadingWildcard);
        break;
      case 'query_string':
      case 'simple_query_string':
        checkQueryString(lower, value, here);
        break;
      default:
        break;
    }
  }
}

/** Calls `check` for a clause's patterns: `{"f":"pat"}`, `{"f":{"value":"pat"}}` or intervals' `{"pattern":"pat"}`. */
function forEachPattern(
  clause: Record<string, unknown>,
  patternKeys: readonly string[],
  here: PathLink,
  check: (pattern: string, at: string) => void,
): void {
  for (const [field, spec] of Object.entries(clause)) {
    const fieldPath: PathLink = { up: here, key: field };
    if (typeof spec === 'string') {
      check(spec, render(fieldPath));
    } else if (isPlainObject(spec)) {
      for (const k of patternKeys) {
        const p = spec[k];
        if (typeof p === 'string') check(p, render({ up: fieldPath, key: k }));
      }
    }
  }
}

function checkNoLeadingWildcard(pattern: string, at: string): void {
  if (pattern.startsWith('*') || pattern.startsWith('?')) {
    throw new TelemcpError('query_denied', `leading wildcard in ${quoteForMessage(pattern)} is not allowed (at ${at})`, {
      hint: 'a leading * or ? scans every term of the field: start the pattern with a literal (e.g. "err*"), or use match / exists',
      details: { path: at },
    });
  }
}

/**
 * A regexp query whose match can start anywhere walks every term of the field, as a leading
 * wildcard does. Aggregation include/exclude patterns are exempt: a terms aggregation visits
 * every term of the field anyway, so the pattern adds no scan.
 */
function checkRegexpStart(pattern: string, at: string): void {
  if (regexpStartsAnywhere(pattern)) {
    throw new TelemcpError('query_denied', `regexp ${quoteForMessage(pattern)} can match from anywhere in the term, like a leading wildcard (at ${at})`, {
      hint: 'a leading .* (or .+, [^x]*, [a-z]+, @, ~) scans every term of the field: start the pattern with literal characters (e.g. "err.*"), or use a match query on a text field',
      details: { path: at },
    });
  }
}

function checkRegexp(pattern: string, at: string, lim: QueryLimits): void {
  const problem = regexpProblem(pattern, lim.maxRegexpLength);
  if (problem) {
    throw new TelemcpError('query_denied', `regexp ${quoteForMessage(pattern)} ${problem} (at ${at})`, {
      hint: 'use a simpler pattern without nested quantifiers or alternation under a quantifier, or a term/prefix/match query',
      details: { path: at },
    });
  }
}

function checkQueryString(kind: string, clause: Record<string, unknown>, here: PathLink): void {
  const at = render(here);
  const deny = (what: string, hint: string): never => {
    throw new TelemcpError('query_denied', `${kind}: ${what} (at ${at})`, { hint, details: { path: at } });
  };
  const flag = clause.allow_leading_wildcard;
  if (flag === true || flag === 'true') {
    deny('"allow_leading_wildcard": true is not allowed', 'remove "allow_leading_wildcard" and start terms with a literal (e.g. "err*")');
  }
  const fields = [clause.default_field, ...(Array.isArray(clause.fields) ? clause.fields : [clause.fields])];
  if (fields.some((f) => typeof f === 'string' && /^[*.]+(?:\^[\d.]+)?$/.test(f.trim()))) {
    deny('searching every field ("*") is not allowed', 'name the fields to search, e.g. "fields": ["message", "error.message"]');
  }
  // Only the classic query_string syntax has /regex/ and leading-wildcard terms;
  // in simple_query_string "/" and "*" at a term's start are plain characters.
  if (kind === 'query_string' && typeof clause.query === 'string') {
    const problem = queryStringProblem(clause.query);
    if (problem === 'regex') {
      deny('regular expressions (/…/) are not allowed', 'escape "/" as "\\\\/" to search for a slash, or use a match query');
    }
    if (problem === 'leading_wildcard') {
      deny('terms starting with * or ? are not allowed', 'start each wildcard term with a literal (e.g. "err*"); use "field:*" to test that a field exists');
    }
  }
}

const QS_TERM_START = new Set([' ', '\t', '\n', '\r', '(', ')', ':', '[', ']', '{', '}']);
const QS_PREFIX_OPS = new Set(['+', '-', '!']);
const QS_TERM_END = new Set([' ', '\t', '\n', '\r', ')', ']', '}', ':']);

/**
 * Finds, outside quotes and escapes, a `/` (Lucene's regex delimiter) or a term that starts
 * with `*`/`?`. A lone `*` (`*:*`, `field:*`, `[* TO 5]`) is match-all/exists/open bound, cheap.
 */
function queryStringProblem(query: string): 'regex' | 'leading_wildcard' | null {
  let inQuote = false;
  let atTermStart = true;
  for (let i = 0; i < query.length; i++) {
    const c = query[i];
    if (c === '\\') {
      i++;
      atTermStart = false;
      continue;
    }
    if (inQuote) {
      if (c === '"') inQuote = false;
      continue;
    }
    if (c === '"') {
      inQuote = true;
      atTermStart = false;
      continue;
    }
    if (c === '/') return 'regex';
    if (atTermStart && (c === '*' || c === '?')) {
      const next = query[i + 1];
      if (c === '?' || (next !== undefined && !QS_TERM_END.has(next))) return 'leading_wildcard';
    }
    atTermStart = QS_TERM_START.has(c) || (atTermStart && QS_PREFIX_OPS.has(c));
  }
  return null;
}

interface BucketAggSpec {
  /** Parameter that sets the bucket count. */
  param: 'size' | 'buckets';
  /** What ES uses when the parameter is absent. */
  dflt: number;
}

/** Aggregations whose bucket count is a request parameter (ES defaults). */
const SIZED_AGGS: Record<string, BucketAggSpec> = {
  terms: { param: 'size', dflt: 10 },
  multi_terms: { param: 'size', dflt: 10 },
  significant_terms: { param: 'size', dflt: 10 },
  significant_text: { param: 'size', dflt: 10 },
  categorize_text: { param: 'size', dflt: 10 },
  composite: { param: 'size', dflt: 10 },
  geohash_grid: { param: 'size', dflt: 10_000 },
  geotile_grid: { param: 'size', dflt: 10_000 },
  geohex_grid: { param: 'size', dflt: 10_000 },
  auto_date_histogram: { param: 'buckets', dflt: 10 },
  variable_width_histogram: { param: 'buckets', dflt: 10 },
};
/** Aggregations that return documents per bucket, capped by maxTopHitsSize. */
const HIT_AGGS = new Set(['top_hits', 'top_metrics']);
const RANGE_AGGS = new Set(['range', 'date_range', 'ip_range', 'geo_distance']);
/** Aggregations whose include/exclude may be a Lucene regexp. */
const REGEX_FILTER_AGGS = new Set(['terms', 'significant_terms', 'significant_text', 'rare_terms']);

/**
 * Checks one aggregation's size parameters and returns how many buckets it can produce per
 * parent bucket. Histograms and rare_terms count as 1: their bucket count follows from the data
 * and interval, which only the cluster's search.max_buckets bounds.
 */
function aggregationBuckets(type: string, body: Record<string, unknown>, here: PathLink, lim: QueryLimits): number {
  if (REGEX_FILTER_AGGS.has(type)) {
    for (const k of ['include', 'exclude']) {
      const v = body[k];
      if (typeof v === 'string') checkRegexp(v, render({ up: here, key: k }), lim);
    }
  }
  const sized = SIZED_AGGS[type];
  if (sized) {
    const at = render({ up: here, key: sized.param });
    if (Object.hasOwn(body, sized.param)) {
      checkInteger(body[sized.param], `${type}.${sized.param}`, lim.maxAggSize, at, 'ask for fewer buckets or split the question');
    } else if (sized.dflt > lim.maxAggSize) {
      throw new TelemcpError('invalid_input', `${type} returns ${sized.dflt} buckets unless "${sized.param}" is set (at ${render(here)})`, {
        hint: `set "${sized.param}" to at most ${lim.maxAggSize}`,
        details: { path: at },
      });
    }
    if (Object.hasOwn(body, 'shard_size')) {
      checkInteger(body.shard_size, `${type}.shard_size`, lim.maxAggBuckets, render({ up: here, key: 'shard_size' }), 'omit "shard_size" to let the cluster choose');
    }
    // size 0 must not zero the product and so exempt the levels below it.
    return Math.max(1, Object.hasOwn(body, sized.param) ? (body[sized.param] as number) : sized.dflt);
  }
  if (HIT_AGGS.has(type)) {
    if (Object.hasOwn(body, 'size')) {
      checkInteger(body.size, `${type}.size`, lim.maxTopHitsSize, render({ up: here, key: 'size' }), 'return fewer sample documents per bucket');
    }
    return 1;
  }
  if (type === 'filters') {
    const f = body.filters;
    const n = Array.isArray(f) ? f.length : isPlainObject(f) ? Object.keys(f).length : 1;
    return n + (body.other_bucket === true || typeof body.other_bucket_key === 'string' ? 1 : 0);
  }
  if (type === 'adjacency_matrix' && isPlainObject(body.filters)) {
    const n = Object.keys(body.filters).length;
    return (n * (n + 1)) / 2;
  }
  if (RANGE_AGGS.has(type) && Array.isArray(body.ranges)) return Math.max(1, body.ranges.length);
  return 1;
}

/** Cost parameters must be JSON integers within 0..max: never clamped, never coerced from strings. */
function checkInteger(value: unknown, name: string, max: number, at: string, fix: string): void {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= max) return;
  throw new TelemcpError('invalid_input', `"${name}" must be an integer from 0 to ${max}, got ${describeValue(value)}`, {
    hint: `set "${name}" to a whole number between 0 and ${max}; ${fix}`,
    details: { path: at, max },
  });
}

function checkScalar(value: unknown, path: PathLink | null): void {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return;
    const at = render(path);
    throw new TelemcpError('invalid_input', `number at ${at} is not finite (JSON numbers like 1e309 overflow to Infinity)`, {
      hint: 'use a number within the double range',
      details: { path: at },
    });
  }
  throw notJson(path, describeType(value));
}

function notJson(path: PathLink | null, what: string): TelemcpError {
  const at = render(path);
  return new TelemcpError('invalid_input', `the search body holds ${what} at ${at}; only JSON values are accepted`, {
    hint: 'send plain JSON: objects, arrays, strings, finite numbers, booleans and null',
    details: { path: at },
  });
}

function scriptDenied(key: string, at: string): TelemcpError {
  return new TelemcpError('query_denied', `scripts are not allowed: ${quoteForMessage(key)} at ${at}`, {
    hint: 'telemcp is read-only and never runs code on the cluster: use a term/terms/range query, or a built-in aggregation over a field, instead of a script (rename an aggregation or field key that contains "script")',
    details: { path: at },
  });
}

function templateDenied(at: string): TelemcpError {
  return new TelemcpError('query_denied', `search templates are not allowed (at ${at})`, {
    hint: 'write the query itself instead of a template: telemcp does not render stored or inline templates',
    details: { path: at },
  });
}

function opaqueDenied(key: string, at: string): TelemcpError {
  return new TelemcpError('query_denied', `${quoteForMessage(key)} is not allowed: the cluster would run a query telemcp cannot check (at ${at})`, {
    hint: 'write the query itself as plain query DSL (match, term, range, bool, …): encoded (wrapper), stored (rule query) and percolated queries are refused; rename a field or aggregation that is called so',
    details: { path: at },
  });
}

function paginationDenied(key: string, at: string): TelemcpError {
  return new TelemcpError('query_denied', `${quoteForMessage(key)} is not allowed: the server owns pagination (at ${at})`, {
    hint: 'remove it; page with "from"/"size" or pass the last hit\'s sort values as "search_after"',
    details: { path: at },
  });
}

function indicesBoostDenied(at: string): TelemcpError {
  return new TelemcpError('query_denied', `"indices_boost" is not allowed (at ${at})`, {
    hint: 'remove "indices_boost": the index expression is checked separately; run one search per index if their scores must differ',
    details: { path: at },
  });
}

function crossIndexDenied(at: string, hint: string): TelemcpError {
  return new TelemcpError('query_denied', `the body reads a document from another index (at ${at})`, {
    hint: `cross-index references are not allowed, since they bypass the index allowlist; ${hint}`,
    details: { path: at },
  });
}

function render(path: PathLink | null): string {
  const segments: Array<string | number> = [];
  for (let p = path; p !== null; p = p.up) segments.push(p.key);
  return formatJsonPath(segments.reverse());
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (typeof value === 'object') return isPlainObject(value) ? 'an object' : 'a non-JSON object';
  return `a ${typeof value}`;
}

function describeValue(value: unknown): string {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : `${value} (1e309 and larger overflow)`;
  if (typeof value === 'string') return `the string ${quoteForMessage(value)}`;
  return describeType(value);
}
