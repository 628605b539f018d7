/**
 * SECURITY.md §8, generalised: each row names its corpus id, the call and the decision every
 * front door must return. `es_search` of the corpus is telemcp's `elk_query`
 * ({index_pattern, body}, role elk_operator).
 */
import type { ToolCall } from './front-doors.js';

export type ExpectedCode = 'query_denied' | 'invalid_input' | 'index_pattern_denied' | 'permission_denied';

export interface CorpusRow {
  id: string;
  name: string;
  call: ToolCall;
  expect: ExpectedCode;
  /**
   * What the backend may see: 'none' (decided before any backend call, A-08) or
   * 'resolve_only' (alias resolution via _resolve/index, never a search).
   */
  backend?: 'none' | 'resolve_only';
}

const q = (body: unknown, index = 'logs-*'): ToolCall => ({ tool: 'elk_query', args: { index_pattern: index, body } as Record<string, unknown> });
const rawQ = (bodyText: string, index = 'logs-*'): ToolCall => ({ tool: 'elk_query', raw: `{"index_pattern":${JSON.stringify(index)},"body":${bodyText}}` });
const idx = (index: string): ToolCall => q({ query: { match_all: {} }, size: 1 }, index);

const SCRIPT = { script: { source: 'true' } };
const b64 = (query: unknown): string => Buffer.from(JSON.stringify(query)).toString('base64');

/** `{"bool":{"filter":[{"bool":{"should":[ … ]}}]}}`, `levels` times around `inner`. */
function buried(levels: number, inner: unknown): unknown {
  let node = inner;
  for (let i = 0; i < levels; i++) node = { bool: { [i % 2 === 0 ? 'filter' : 'should']: [node] } };
  return node;
}

/**
 * A search body whose deepest container sits at level `depth` (the body itself is level 1):
 * `{"query":{"bool":{"must":…{"script":{"source":"1"}}…}}}`, the script's value deepest.
 */
export function bodyOfDepth(depth: number): string {
  // body(1) + query value … : the holder {"script":…} and its value add 2, each bool/must pair 2,
  // one bool/must/[…] wrapper 3 when an odd number of levels remains.
  let rest = depth - 3;
  let text = '{"script":{"source":"1"}}';
  if (rest % 2 === 1) {
    text = `{"bool":{"must":[${text}]}}`;
    rest -= 3;
  }
  for (; rest > 0; rest -= 2) text = `{"bool":{"must":${text}}}`;
  return `{"query":${text}}`;
}

/** Depth of a JSON text: the deepest container level (the outermost is 1). */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') max = Math.max(max, ++depth);
    else if (c === '}' || c === ']') depth--;
  }
  return max;
}

/** 10,000 JSON levels of bool.must (5,000 bool/must pairs), built as text: no serialiser recursion. */
export function deepBoolText(pairs: number): string {
  return `{"query":${'{"bool":{"must":'.repeat(pairs)}{"match_all":{}}${'}}'.repeat(pairs)}}`;
}

export function operatorRows(secretsIndex: string): CorpusRow[] {
  const rows: CorpusRow[] = [
    // P-01 scripts anywhere (H-01..H-10)
    { id: 'H-01', name: 'script query', call: q({ query: { script: SCRIPT } }), expect: 'query_denied' },
    { id: 'H-01', name: 'script query in bool.filter', call: q({ query: { bool: { filter: [{ script: SCRIPT }] } } }), expect: 'query_denied' },
    { id: 'H-01', name: 'mixed-case key "Script"', call: q({ query: { Script: { script: 'true' } } }), expect: 'query_denied' },
    { id: 'H-01', name: 'unicode-escaped key "scr\\u0069pt" (raw text)', call: rawQ('{"query":{"scr\\u0069pt":{"scr\\u0069pt":{"source":"true"}}}}'), expect: 'query_denied' },
    { id: 'H-03', name: 'function_score script_score', call: q({ query: { function_score: { functions: [{ script_score: { script: '1' } }] } } }), expect: 'query_denied' },
    { id: 'H-03', name: 'script_score query', call: q({ query: { script_score: { query: { match_all: {} }, script: { source: '1' } } } }), expect: 'query_denied' },
    { id: 'H-05', name: 'terms agg script', call: q({ aggs: { x: { terms: { script: { source: "doc['a'].value" } } } } }), expect: 'query_denied' },
    { id: 'H-05', name: 'scripted_metric agg', call: q({ size: 0, aggs: { m: { scripted_metric: { init_script: 'x', map_script: 'x', combine_script: 'x', reduce_script: 'x' } } } }), expect: 'query_denied' },
    { id: 'H-05', name: 'bucket_script pipeline under a sub-aggregation', call: q({ aggs: { h: { terms: { field: 'a', size: 5 }, aggs: { r: { bucket_script: { buckets_path: { c: '_count' }, script: 'params.c' } } } } } }), expect: 'query_denied' },
    { id: 'H-05', name: 'bucket_selector pipeline', call: q({ aggs: { h: { terms: { field: 'a', size: 5 }, aggs: { s: { bucket_selector: { buckets_path: { c: '_count' } } } } } } }), expect: 'query_denied' },
    { id: 'H-07', name: 'runtime_mappings', call: q({ runtime_mappings: { f: { type: 'keyword', script: { source: "emit('x')" } } } }), expect: 'query_denied' },
    { id: 'H-07', name: 'runtime_mappings without a script key', call: q({ runtime_mappings: { f: { type: 'keyword' } } }), expect: 'query_denied' },
    { id: 'H-07', name: 'script_fields', call: q({ script_fields: { f: { script: { source: '1' } } } }), expect: 'query_denied' },
    { id: 'H-07', name: 'sort by _script', call: q({ sort: [{ _script: { type: 'number', script: { source: '1' }, order: 'asc' } }] }), expect: 'query_denied' },
    { id: 'H-09', name: 'script buried 6 levels in bool.filter/should arrays', call: q({ query: buried(6, { script: SCRIPT }) }), expect: 'query_denied' },
    { id: 'H-09', name: 'script buried 12 levels deep', call: q({ query: buried(12, { script: SCRIPT }) }), expect: 'query_denied' },
    { id: 'H-09', name: 'lang: painless anywhere', call: q({ query: { match: { message: { query: 'x', lang: 'painless' } } } }), expect: 'query_denied' },
    { id: 'H-09', name: 'inline search template', call: q({ query: { template: { source: '{"match_all":{}}' } } }), expect: 'query_denied' },
    { id: 'H-09', name: 'suggester collate (mustache)', call: q({ suggest: { s: { text: 'x', phrase: { field: 'message', collate: { query: { source: { match: { message: '{{suggestion}}' } } } } } } } }), expect: 'query_denied' },

    // H-83 (issue 10): what the guard cannot see through is refused wherever it appears, in any spelling
    { id: 'H-83', name: 'wrapper holding a terms lookup into the denied index', call: q({ size: 1, query: { wrapper: { query: b64({ terms: { 'event.duration': { index: secretsIndex, id: '1', path: 'secret' } } }) } } }), expect: 'query_denied' },
    { id: 'H-83', name: 'wrapper holding a script', call: q({ query: { wrapper: { query: b64({ script: SCRIPT }) } } }), expect: 'query_denied' },
    { id: 'H-83', name: 'wrapper holding a wrapper', call: q({ query: { wrapper: { query: b64({ wrapper: { query: b64({ match_all: {} }) } }) } } }), expect: 'query_denied' },
    { id: 'H-83', name: 'wrapper holding plain JSON text', call: q({ query: { wrapper: { query: '{"match_all":{}}' } } }), expect: 'query_denied' },
    { id: 'H-83', name: 'wrapper buried 6 levels in bool.filter/should arrays', call: q({ query: buried(6, { wrapper: { query: b64({ match_all: {} }) } }) }), expect: 'query_denied' },
    { id: 'H-83', name: 'wrapper in function_score.query', call: q({ query: { function_score: { query: { wrapper: { query: b64({ match_all: {} }) } } } } }), expect: 'query_denied' },
    { id: 'H-83', name: 'wrapper in post_filter', call: q({ post_filter: { wrapper: { query: b64({ match_all: {} }) } } }), expect: 'query_denied' },
    { id: 'H-83', name: 'wrapper in a filter aggregation', call: q({ size: 0, aggs: { f: { filter: { wrapper: { query: b64({ match_all: {} }) } } } } }), expect: 'query_denied' },
    { id: 'H-83', name: 'wrapper in rescore', call: q({ rescore: { window_size: 5, query: { rescore_query: { wrapper: { query: b64({ match_all: {} }) } } } } }), expect: 'query_denied' },
    { id: 'H-83', name: '"Wrapper" (mixed case)', call: q({ query: { Wrapper: { query: b64({ match_all: {} }) } } }), expect: 'query_denied' },
    { id: 'H-83', name: '"WRAPPER" (upper case) in bool.must', call: q({ query: { bool: { must: [{ WRAPPER: { query: b64({ match_all: {} }) } }] } } }), expect: 'query_denied' },
    { id: 'H-83', name: 'unicode-escaped key "wr\u0061pper" (raw text)', call: rawQ(`{"query":{"wr\\u0061pper":{"query":"${b64({ match_all: {} })}"}}}`), expect: 'query_denied' },
    { id: 'H-83', name: 'percolate an inline document (runs stored queries)', call: q({ query: { percolate: { field: 'q', document: { message: 'x' } } } }), expect: 'query_denied' },
    { id: 'H-83', name: 'rule query (rulesets stored by id)', call: q({ query: { rule: { ruleset_ids: ['r'], match_criteria: { q: 'x' }, organic: { match_all: {} } } } }), expect: 'query_denied' },
    { id: 'H-83', name: 'stored search template by id', call: q({ id: 'stored-template', params: { q: 'x' } }), expect: 'query_denied' },
    { id: 'H-83', name: 'inline search template source', call: q({ source: '{"query":{"match":{"message":"{{q}}"}}}', params: { q: 'x' } }), expect: 'query_denied' },
    { id: 'H-83', name: 'stored script by id', call: q({ query: { script: { script: { id: 'stored-script' } } } }), expect: 'query_denied' },

    // H-84 (issue 10): a regexp that can match from anywhere is a leading wildcard, in every query type that takes one
    { id: 'H-84', name: 'regexp .*a.*b.*c.* on a keyword', call: q({ query: { regexp: { 'message.keyword': '.*a.*b.*c.*' } } }), expect: 'query_denied' },
    { id: 'H-84', name: 'regexp .+ in the value form', call: q({ query: { regexp: { message: { value: '.+error' } } } }), expect: 'query_denied' },
    { id: 'H-84', name: 'regexp [^/]* at the start', call: q({ query: { regexp: { message: '[^/]*api' } } }), expect: 'query_denied' },
    { id: 'H-84', name: 'regexp alternation with an anywhere branch', call: q({ query: { regexp: { message: 'get|.*post' } } }), expect: 'query_denied' },
    { id: 'H-84', name: 'regexp @ (any string)', call: q({ query: { regexp: { message: '@x' } } }), expect: 'query_denied' },
    { id: 'H-84', name: '"Regexp" (mixed case) in bool.filter', call: q({ query: { bool: { filter: [{ Regexp: { message: '.*x' } }] } } }), expect: 'query_denied' },
    { id: 'H-84', name: 'intervals regexp rule', call: q({ query: { intervals: { message: { regexp: { pattern: '.*x' } } } } }), expect: 'query_denied' },
    { id: 'H-84', name: 'span_multi regexp', call: q({ query: { span_multi: { match: { regexp: { message: { value: '.*x' } } } } } }), expect: 'query_denied' },
    { id: 'H-84', name: 'query_string /.*x/', call: q({ query: { query_string: { query: 'message:/.*x/' } } }), expect: 'query_denied' },

    // P-03 cross-index references (H-12..H-15)
    { id: 'H-13', name: 'more_like_this like _index', call: q({ query: { more_like_this: { fields: ['*'], like: [{ _index: 'secrets', _id: '1' }] } } }), expect: 'query_denied' },
    { id: 'H-13', name: 'more_like_this unlike _index', call: q({ query: { more_like_this: { fields: ['message'], like: 'x', unlike: [{ _index: secretsIndex, _id: '1' }] } } }), expect: 'query_denied' },
    { id: 'H-15', name: 'geo_shape indexed_shape', call: q({ query: { geo_shape: { loc: { indexed_shape: { index: 'secrets', id: '1', path: 'shape' } } } } }), expect: 'query_denied' },
    { id: 'H-15', name: 'terms lookup into another index', call: q({ query: { terms: { 'user.id': { index: secretsIndex, id: '1', path: 'uid' } } } }), expect: 'query_denied' },
    { id: 'H-15', name: 'percolate a stored document', call: q({ query: { percolate: { field: 'q', index: 'secrets', id: '1' } } }), expect: 'query_denied' },
    { id: 'H-15', name: 'indices_boost', call: q({ indices_boost: [{ secrets: 2 }] }), expect: 'query_denied' },

    // P-08 server-owned pagination and timeouts (H-25, H-39..H-41)
    { id: 'H-25', name: 'pit in body', call: q({ pit: { id: 'c2VjcmV0cw==', keep_alive: '1h' } }), expect: 'query_denied' },
    { id: 'H-25', name: 'scroll in body', call: q({ scroll: '1h', query: { match_all: {} } }), expect: 'query_denied' },
    { id: 'H-25', name: 'scroll_id in body', call: q({ scroll_id: 'DXF1ZXJ5QW5kRmV0Y2gBAAAAAAAAAD4WYm9laVYtZndUQlNsdDcwakFMNjU1QQ==' }), expect: 'query_denied' },
    { id: 'H-25', name: 'sliced search', call: q({ slice: { id: 0, max: 2 }, query: { match_all: {} } }), expect: 'query_denied' },
    { id: 'H-39', name: 'tool-level scroll argument', call: { tool: 'elk_query', args: { index_pattern: 'logs-*', body: {}, scroll: '1h' } }, expect: 'invalid_input' },
    { id: 'H-39', name: 'tool-level timeout argument', call: { tool: 'elk_query', args: { index_pattern: 'logs-*', body: {}, timeout: '1h' } }, expect: 'invalid_input' },
    { id: 'H-41', name: 'search_after with 10,000 values', call: q({ sort: [{ '@timestamp': 'asc' }], search_after: Array.from({ length: 10_000 }, (_, i) => i) }), expect: 'invalid_input' },
    { id: 'H-41', name: 'search_after with an object value', call: q({ sort: [{ '@timestamp': 'asc' }], search_after: [{ a: 1 }] }), expect: 'invalid_input' },
    { id: 'H-41', name: 'search_after as a string', call: q({ sort: [{ '@timestamp': 'asc' }], search_after: 'abc' }), expect: 'invalid_input' },

    // P-05 size/from/aggregation caps (H-28..H-32): rejected, never clamped
    { id: 'H-29', name: 'size -1', call: q({ size: -1 }), expect: 'invalid_input' },
    { id: 'H-29', name: 'size "100" (string)', call: q({ size: '100' }), expect: 'invalid_input' },
    { id: 'H-29', name: 'size 1e309 (raw text, overflows to Infinity)', call: rawQ('{"size":1e309}'), expect: 'invalid_input' },
    { id: 'H-29', name: 'size 1.5', call: q({ size: 1.5 }), expect: 'invalid_input' },
    { id: 'H-29', name: 'size 10000', call: q({ size: 10_000 }), expect: 'invalid_input' },
    { id: 'H-29', name: 'from 100000', call: q({ from: 100_000 }), expect: 'invalid_input' },
    { id: 'H-29', name: 'from -5', call: q({ from: -5 }), expect: 'invalid_input' },
    {
      id: 'H-31',
      name: '4-level nested terms (size 1000) + top_hits size 100',
      call: q({ size: 0, aggs: { a: { terms: { field: 'a', size: 1000 }, aggs: { b: { terms: { field: 'b', size: 1000 }, aggs: { c: { terms: { field: 'c', size: 1000 }, aggs: { d: { terms: { field: 'd', size: 1000 }, aggs: { h: { top_hits: { size: 100 } } } } } } } } } } } }),
      expect: 'invalid_input',
    },
    { id: 'H-31', name: '2-level terms 1000 × 1000 buckets', call: q({ size: 0, aggs: { a: { terms: { field: 'a', size: 1000 }, aggs: { b: { terms: { field: 'b', size: 1000 } } } } } }), expect: 'invalid_input' },
    { id: 'H-31', name: 'top_hits size 100', call: q({ size: 0, aggs: { a: { terms: { field: 'a', size: 5 }, aggs: { h: { top_hits: { size: 100 } } } } } }), expect: 'invalid_input' },
    { id: 'H-31', name: 'composite size 100000', call: q({ size: 0, aggs: { c: { composite: { size: 100_000, sources: [{ a: { terms: { field: 'a' } } }] } } } }), expect: 'invalid_input' },
    { id: 'H-31', name: 'geohash_grid with its 10,000-bucket default', call: q({ size: 0, aggs: { g: { geohash_grid: { field: 'loc' } } } }), expect: 'invalid_input' },

    // P-06 JSON depth (H-33, H-34)
    { id: 'H-33', name: '10,000-level nested bool.must (raw text)', call: rawQ(deepBoolText(5_000)), expect: 'invalid_input' },
    { id: 'H-33', name: '60-level nested bool.must', call: rawQ(deepBoolText(30)), expect: 'invalid_input' },

    // P-07 regexp / wildcard / query_string cost (H-35..H-38)
    { id: 'H-35', name: 'regexp (.*a){25} with max_determinized_states', call: q({ query: { regexp: { message: { value: '(.*a){25}', max_determinized_states: 100_000_000 } } } }), expect: 'query_denied' },
    { id: 'H-35', name: 'regexp (.*a){25}', call: q({ query: { regexp: { message: '(.*a){25}' } } }), expect: 'query_denied' },
    { id: 'H-35', name: 'regexp a{1000}', call: q({ query: { regexp: { message: { value: 'a{1000}' } } } }), expect: 'query_denied' },
    { id: 'H-35', name: 'regexp of 300 characters', call: q({ query: { regexp: { message: 'a'.repeat(300) } } }), expect: 'query_denied' },
    { id: 'H-35', name: 'terms agg include regexp (a+)+', call: q({ size: 0, aggs: { t: { terms: { field: 'a', size: 5, include: '(a+)+' } } } }), expect: 'query_denied' },
    { id: 'H-37', name: 'query_string /.*(a|aa)+$/, leading wildcard, default_field *', call: q({ query: { query_string: { query: '/.*(a|aa)+$/', allow_leading_wildcard: true, default_field: '*' } } }), expect: 'query_denied' },
    { id: 'H-37', name: 'query_string regex only', call: q({ query: { query_string: { query: 'message:/joh?n(ath[oa]n)/' } } }), expect: 'query_denied' },
    { id: 'H-37', name: 'query_string leading wildcard term', call: q({ query: { query_string: { query: 'message:*rror', default_field: 'message' } } }), expect: 'query_denied' },
    { id: 'H-37', name: 'query_string over every field', call: q({ query: { query_string: { query: 'error', default_field: '*' } } }), expect: 'query_denied' },
    { id: 'H-37', name: 'simple_query_string fields ["*"]', call: q({ query: { simple_query_string: { query: 'error', fields: ['*'] } } }), expect: 'query_denied' },
    { id: 'H-37', name: 'wildcard with leading *', call: q({ query: { wildcard: { message: '*error' } } }), expect: 'query_denied' },
    { id: 'H-37', name: 'wildcard value with leading ?', call: q({ query: { wildcard: { message: { value: '?rror' } } } }), expect: 'query_denied' },
    { id: 'H-37', name: 'prefix with leading *', call: q({ query: { prefix: { message: { value: '*x' } } } }), expect: 'query_denied' },
    { id: 'H-37', name: 'fuzzy max_expansions 10000', call: q({ query: { fuzzy: { message: { value: 'eror', max_expansions: 10_000 } } } }), expect: 'invalid_input' },
    { id: 'H-37', name: 'match fuzzy_max_expansions as a string', call: q({ query: { query_string: { query: 'eror~', default_field: 'message', fuzzy_max_expansions: '50' } } }), expect: 'invalid_input' },
    { id: 'H-37', name: 'profile: true', call: q({ profile: true, query: { match_all: {} } }), expect: 'query_denied' },
    { id: 'H-37', name: 'unknown top-level body key', call: q({ stats: ['x'], query: { match_all: {} } }), expect: 'invalid_input' },
    { id: 'H-37', name: 'body is an array', call: { tool: 'elk_query', args: { index_pattern: 'logs-*', body: [] } }, expect: 'invalid_input' },

    // P-02 duplicate keys and prototype keys, sent as raw text (H-11, H-69)
    { id: 'H-11', name: 'duplicate "query" in the body (raw text)', call: rawQ('{"query":{"match_all":{}},"query":{"script":{"script":{"source":"true"}}}}'), expect: 'invalid_input' },
    { id: 'H-11', name: 'duplicate via escape: "query" and "qu\\u0065ry"', call: rawQ('{"query":{"match_all":{}},"qu\\u0065ry":{"script":{"script":"1"}}}'), expect: 'invalid_input' },
    { id: 'H-11', name: 'duplicate index_pattern argument', call: { tool: 'elk_query', raw: '{"index_pattern":"logs-*","index_pattern":"secrets","body":{}}' }, expect: 'invalid_input' },
    { id: 'H-69', name: '__proto__ in the arguments (raw text)', call: { tool: 'elk_query', raw: '{"__proto__":{"role":"elk_admin_readonly"},"index_pattern":"secrets","body":{}}' }, expect: 'invalid_input' },
    { id: 'H-69', name: 'constructor.prototype in the body (raw text)', call: rawQ('{"query":{"match_all":{}},"constructor":{"prototype":{"polluted":true}}}'), expect: 'invalid_input' },

    // P-04 index expressions (H-16..H-27)
    { id: 'H-17', name: 'logs-*,secrets', call: idx('logs-*,secrets'), expect: 'index_pattern_denied' },
    { id: 'H-17', name: `logs-*,${secretsIndex}`, call: idx(`logs-*,${secretsIndex}`), expect: 'index_pattern_denied' },
    { id: 'H-17', name: 'secrets', call: idx('secrets'), expect: 'index_pattern_denied' },
    { id: 'H-17', name: 'secrets*', call: idx('secrets*'), expect: 'index_pattern_denied' },
    { id: 'H-19', name: 'remote:logs-*', call: idx('remote:logs-*'), expect: 'index_pattern_denied' },
    { id: 'H-19', name: '*:logs-*', call: idx('*:logs-*'), expect: 'index_pattern_denied' },
    { id: 'H-21', name: 'logs-2026.01.01/../_security/_authenticate', call: idx('logs-2026.01.01/../_security/_authenticate'), expect: 'invalid_input' },
    { id: 'H-21', name: 'logs-*/_search', call: idx('logs-*/_search'), expect: 'invalid_input' },
    { id: 'H-21', name: 'logs-*?pretty', call: idx('logs-*?pretty'), expect: 'invalid_input' },
    { id: 'H-23', name: 'URL-encoded date math %3Clogs-%7Bnow%2Fd%7D%3E (decoded once, decided as date math)', call: idx('%3Clogs-%7Bnow%2Fd%7D%3E'), expect: 'index_pattern_denied' },
    { id: 'H-21', name: 'double-encoded date math (a % remains after one decoding)', call: idx('%253Clogs-%257Bnow%252Fd%257D%253E'), expect: 'invalid_input' },
    { id: 'H-17', name: 'URL-encoded comma logs-*%2Csecrets', call: idx('logs-*%2Csecrets'), expect: 'index_pattern_denied' },
    { id: 'H-21', name: '..', call: idx('..'), expect: 'invalid_input' },
    { id: 'H-21', name: '_security', call: idx('_security'), expect: 'invalid_input' },
    { id: 'H-21', name: 'uppercase LOGS-*', call: idx('LOGS-*'), expect: 'invalid_input' },
    { id: 'H-21', name: 'CRLF header injection in the index', call: idx('logs-*\r\nX-Injected: 1'), expect: 'invalid_input' },
    { id: 'H-21', name: 'trailing comma', call: idx('logs-*,'), expect: 'invalid_input' },
    { id: 'H-21', name: 'empty index_pattern', call: idx(''), expect: 'invalid_input' },
    { id: 'H-23', name: '.security-7', call: idx('.security-7'), expect: 'index_pattern_denied' },
    { id: 'H-23', name: '.kibana*', call: idx('.kibana*'), expect: 'index_pattern_denied' },
    { id: 'H-23', name: '.tasks', call: idx('.tasks'), expect: 'index_pattern_denied' },
    { id: 'H-23', name: '_all', call: idx('_all'), expect: 'index_pattern_denied' },
    { id: 'H-23', name: '*', call: idx('*'), expect: 'index_pattern_denied' },
    { id: 'H-23', name: '-logs-x (exclusions are unsupported)', call: idx('-logs-x'), expect: 'invalid_input' },
    { id: 'H-23', name: 'logs-*,-logs-x (exclusions are unsupported)', call: idx('logs-*,-logs-x'), expect: 'invalid_input' },
    { id: 'H-23', name: 'encoded exclusion %2Dlogs-x', call: idx('logs-*,%2Dlogs-x'), expect: 'invalid_input' },
    { id: 'H-23', name: '<logs-{now/d}> (date math)', call: idx('<logs-{now/d}>'), expect: 'index_pattern_denied' },
    { id: 'H-23', name: 'elk_indices_summary: .security-7 (another tool, same argument)', call: { tool: 'elk_indices_summary', args: { index_pattern: '.security-7' } }, expect: 'index_pattern_denied' },
    { id: 'H-23', name: 'elk_indices_summary: remote:logs-*', call: { tool: 'elk_indices_summary', args: { index_pattern: 'remote:logs-*' } }, expect: 'index_pattern_denied' },
    { id: 'H-21', name: 'elk_indices_summary: path traversal', call: { tool: 'elk_indices_summary', args: { index_pattern: 'logs-*/../_security' } }, expect: 'invalid_input' },

    // P-12 no caller-chosen hosts/tenants/headers (H-61)
    { id: 'H-61', name: 'tenant: "other"', call: { tool: 'elk_query', args: { index_pattern: 'logs-*', body: {}, tenant: 'other' } }, expect: 'invalid_input' },
    { id: 'H-61', name: 'tenant with CRLF + Authorization header', call: { tool: 'elk_query', args: { index_pattern: 'logs-*', body: {}, tenant: 'a\r\nAuthorization: Basic YWRtaW46YWRtaW4=' } }, expect: 'invalid_input' },
    { id: 'H-61', name: 'header-like argument X-Scope-OrgID', call: { tool: 'elk_query', args: { index_pattern: 'logs-*', body: {}, 'X-Scope-OrgID': 'other' } }, expect: 'invalid_input' },
    { id: 'H-61', name: 'headers object argument', call: { tool: 'elk_query', args: { index_pattern: 'logs-*', body: {}, headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } } }, expect: 'invalid_input' },
    { id: 'H-61', name: 'caller-chosen host', call: { tool: 'elk_query', args: { index_pattern: 'logs-*', body: {}, host: 'http://evil.example:9200' } }, expect: 'invalid_input' },
    { id: 'H-61', name: 'elk_cluster_health with tenant + CRLF', call: { tool: 'elk_cluster_health', args: { tenant: 'x\r\nX-Scope-OrgID: other' } }, expect: 'invalid_input' },
    { id: 'H-61', name: 'elk_indices_summary with X-Scope-OrgID', call: { tool: 'elk_indices_summary', args: { 'X-Scope-OrgID': 'other' } }, expect: 'invalid_input' },
  ];
  return rows.map((r) => ({ backend: 'none', ...r }));
}

/** Rows for a viewer key: role first (A-06, H-79), index allowlist for viewer tools. */
export function viewerRows(): CorpusRow[] {
  const rows: CorpusRow[] = [
    { id: 'H-79', name: 'viewer calls elk_query (benign body)', call: q({ query: { match_all: {} }, size: 1 }), expect: 'permission_denied' },
    { id: 'H-79', name: 'viewer calls elk_query with a script', call: q({ query: { script: SCRIPT } }), expect: 'permission_denied' },
    { id: 'H-79', name: 'viewer calls elk_query on secrets', call: idx('secrets'), expect: 'permission_denied' },
    { id: 'A-08', name: 'viewer lists secrets-* with elk_indices_summary', call: { tool: 'elk_indices_summary', args: { index_pattern: 'secrets-*' } }, expect: 'index_pattern_denied' },
    { id: 'A-08', name: 'viewer lists logs-*,secrets', call: { tool: 'elk_indices_summary', args: { index_pattern: 'logs-*,secrets' } }, expect: 'index_pattern_denied' },
    { id: 'A-08', name: 'viewer lists .kibana*', call: { tool: 'elk_indices_summary', args: { index_pattern: '.kibana*' } }, expect: 'index_pattern_denied' },
  ];
  return rows.map((r) => ({ backend: 'none', ...r }));
}
