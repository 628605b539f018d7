import { describe, expect, it } from 'vitest';
import { TelemcpError } from '../../src/core/errors.js';
import { DEFAULT_QUERY_LIMITS, guardQueryDsl, type QueryLimits } from '../../src/backends/elasticsearch/query-guard.js';
import { regexpProblem, regexpStartsAnywhere } from '../../src/security/regexp-cost.js';
import { parseStrictJson } from '../../src/security/strict-json.js';

function refusal(body: unknown, limits?: Partial<QueryLimits>): TelemcpError {
  try {
    guardQueryDsl(body, limits);
  } catch (err) {
    expect(err).toBeInstanceOf(TelemcpError);
    return err as TelemcpError;
  }
  throw new Error(`expected the body to be refused: ${JSON.stringify(body)?.slice(0, 200)}`);
}

/** Bodies are written as JSON text and parsed strictly, as a front door would. */
const json = (text: string): unknown => parseStrictJson(text, { maxDepth: 64 });

/** `{"bool":{"must":…}}` nested `depth` times around `inner`, built without recursion. */
function nestedBool(depth: number, inner: unknown = { match_all: {} }): Record<string, unknown> {
  let q: unknown = inner;
  for (let i = 0; i < depth; i++) q = { bool: { must: q } };
  return q as Record<string, unknown>;
}

/** Aggregations nested `levels` deep, each a terms agg of `size`, with an optional leaf. */
function nestedTerms(levels: number, size: number, leaf?: Record<string, unknown>): Record<string, unknown> {
  let aggs: Record<string, unknown> | undefined = leaf;
  for (let l = levels; l >= 1; l--) {
    const def: Record<string, unknown> = { terms: { field: `f${l}`, size } };
    if (aggs) def.aggs = aggs;
    aggs = { [`l${l}`]: def };
  }
  return { size: 0, aggs };
}

const script = { script: { source: 'true', lang: 'painless' } };

describe('guardQueryDsl: scripts are denied anywhere (P-01, H-01..H-10)', () => {
  it.each<[string, unknown]>([
    ['H-01 script query', { query: { script: { script: { source: 'true' } } } }],
    ['H-03 function_score script_score', json('{"query":{"function_score":{"functions":[{"script_score":{"script":"1"}}]}}}')],
    ['script_score query', { query: { script_score: { query: { match_all: {} }, script: { source: '1' } } } }],
    ['H-05 terms agg script', json('{"aggs":{"x":{"terms":{"script":{"source":"doc[\'a\'].value"}}}}}')],
    ['H-07 runtime_mappings', json('{"runtime_mappings":{"f":{"type":"keyword","script":{"source":"emit(\'x\')"}}}}')],
    ['runtime_mappings nested in a query', { query: { bool: { runtime_mappings: { f: { type: 'keyword' } } } } }],
    ['script_fields', { script_fields: { f: { script: { source: '1' } } } }],
    ['sort by _script', { sort: [{ _script: { type: 'number', script: { source: '1' }, order: 'asc' } }] }],
    ['scripted_metric agg', { aggs: { m: { scripted_metric: { map_script: 'x' } } } }],
    ['bucket_script pipeline', { aggs: { h: { date_histogram: { field: 't', fixed_interval: '1h' }, aggs: { r: { bucket_script: { buckets_path: {}, script: 'x' } } } } } }],
    ['bucket_selector pipeline', { aggs: { h: { terms: { field: 'a' }, aggs: { s: { bucket_selector: { buckets_path: {} } } } } } }],
    ['moving_fn script string', { aggs: { h: { date_histogram: { field: 't' }, aggs: { m: { moving_fn: { buckets_path: 'x', window: 3, script: 'MovingFunctions.max(values)' } } } } } }],
    ['terms_set minimum_should_match_script', { query: { terms_set: { tags: { terms: ['a'], minimum_should_match_script: { source: '1' } } } } }],
    ['significant_terms script_heuristic', { aggs: { s: { significant_terms: { field: 'a', script_heuristic: { script: 'x' } } } } }],
    ['intervals filter script', { query: { intervals: { f: { match: { query: 'a', filter: { script: { source: 'x' } } } } } } }],
    ['init/map/combine/reduce_script keys', { aggs: { m: { weighted_avg: { init_script: 'x' } } } }],
    [
      'H-09 script six levels deep in bool.filter[].bool.should[]',
      {
        query: {
          bool: {
            filter: [{ bool: { should: [{ bool: { must: [{ nested: { path: 'a', query: { bool: { filter: [script] } } } }] } }] } }],
          },
        },
      },
    ],
    ['script inside a filter aggregation', { aggs: { f: { filter: { bool: { must: [script] } } } } }],
    ['script inside rescore', { rescore: { window_size: 10, query: { rescore_query: { function_score: { script_score: { script: 'x' } } } } } }],
    ['script inside post_filter', { post_filter: script }],
    ['script inside highlight_query', { highlight: { fields: { message: { highlight_query: script } } } }],
    ['script inside knn.filter', { knn: { field: 'v', query_vector: [1], k: 5, num_candidates: 10, filter: script } }],
    ['"Script" (case is not a loophole)', { query: { Script: { source: 'true' } } }],
    ['"SCRIPT_SCORE"', { query: { function_score: { functions: [{ SCRIPT_SCORE: { source: '1' } }] } } }],
    ['"Runtime_Mappings" at the top', { Runtime_Mappings: { f: {} } }],
    ['unicode escape scr\\u0069pt (the guard sees decoded keys)', json('{"query":{"scr\\u0069pt":{"source":"true"}}}')],
    ['unicode escape in _script sort', json('{"sort":[{"\\u005fscript":{"script":"1"}}]}')],
    ['an aggregation named "script"', { aggs: { script: { terms: { field: 'a' } } } }],
    ['lang painless outside a script object', { query: { foo: { lang: 'painless', source: 'x' } } }],
    ['lang Mustache (any case, padded)', { query: { foo: { lang: ' Mustache ' } } }],
    ['lang expression', { query: { foo: { lang: 'expression' } } }],
    ['stored search template', { query: { template: { id: 'stored-template', params: { q: 'x' } } } }],
    ['inline search template', { query: { template: { source: '{"match":{"a":"{{q}}"}}' } } }],
    ['phrase suggester collate (mustache)', { suggest: { s: { text: 'x', phrase: { field: 'a', collate: { query: { source: '{}' } } } } } }],
  ])('%s', (_name, body) => {
    const err = refusal(body);
    expect(err.code).toBe('query_denied');
    expect(err.status).toBe(403);
    expect(err.hint).toBeTruthy();
  });

  it('tells the model what to do instead', () => {
    const err = refusal({ query: { script: { script: 'true' } } });
    expect(err.message).toContain('scripts are not allowed');
    expect(err.message).toContain('$.query.script');
    expect(err.hint).toContain('read-only');
    expect(err.hint).toContain('range query');
  });

  it('points at the buried script', () => {
    const err = refusal({ query: { bool: { filter: [{ bool: { should: [{ match: { a: 1 } }, script] } }] } } });
    expect(err.details?.path).toBe('$.query.bool.filter[0].bool.should[1].script');
  });
});

describe('guardQueryDsl: pagination and profiling are owned by the server (P-08, H-25)', () => {
  it.each<[string, unknown]>([
    ['H-25 pit', { query: { match_all: {} }, pit: { id: 'pit-on-secrets', keep_alive: '1h' } }],
    ['scroll', { scroll: '10m' }],
    ['SCROLL (any case)', { SCROLL: '10m' }],
    ['slice', { slice: { id: 0, max: 2 } }],
    ['pit nested in a clause', { query: { bool: { pit: { id: 'x' } } } }],
    ['scroll_id', { query: { scroll_id: 'x' } }],
    ['indices_boost', { indices_boost: [{ secrets: 2 }] }],
    ['profile true', { profile: true }],
    ['profile "true"', { profile: 'true' }],
  ])('%s → query_denied', (_name, body) => {
    expect(refusal(body).code).toBe('query_denied');
  });

  it('drops profile:false instead of refusing it', () => {
    expect(guardQueryDsl({ profile: false })).toEqual({ timeout: '25s' });
  });
});

describe('guardQueryDsl: cross-index references (P-03, H-12..H-15)', () => {
  it.each<[string, unknown]>([
    ['H-13 more_like_this like[]._index', json('{"query":{"more_like_this":{"fields":["*"],"like":[{"_index":"secrets","_id":"1"}]}}}')],
    ['unlike item with _index', { query: { more_like_this: { fields: ['a'], like: 'text', unlike: [{ _index: 'secrets', _id: '2' }] } } }],
    ['like given as one object', { query: { more_like_this: { like: { _index: 'secrets', _id: '1' } } } }],
    ['mlt short name', { query: { mlt: { like: [{ _index: 'secrets', _id: '1' }] } } }],
    ['artificial doc with _index', { query: { more_like_this: { like: [{ _index: 'secrets', doc: { a: 'b' } }] } } }],
    ['more_like_this inside bool.should', { query: { bool: { should: [{ more_like_this: { like: [{ _index: 'secrets', _id: '1' }] } }] } } }],
    ['H-15 geo_shape indexed_shape', json('{"query":{"geo_shape":{"loc":{"indexed_shape":{"index":"secrets","id":"1","path":"shape"}}}}}')],
    ['shape indexed_shape', { query: { shape: { geometry: { indexed_shape: { index: 'secrets', id: '1' } } } } }],
    ['terms lookup', { query: { terms: { user: { index: 'secrets', id: '2', path: 'followers' } } } }],
    ['terms lookup without index', { query: { terms: { user: { id: '2', path: 'followers' } } } }],
    ['terms lookup in bool.filter', { query: { bool: { filter: [{ terms: { user: { index: 'secrets', id: '1', path: 'p' } } }] } } }],
    ['terms lookup inside a filter aggregation', { aggs: { f: { filter: { terms: { user: { index: 'secrets', id: '1', path: 'p' } } } } } }],
    ['terms lookup in post_filter', { post_filter: { terms: { user: { index: 'secrets', id: '1', path: 'p' } } } }],
    ['percolate a stored document', { query: { percolate: { field: 'q', index: 'secrets', id: '1' } } }],
    ['percolate by id', { query: { percolate: { field: 'q', id: '1' } } }],
  ])('%s → query_denied', (_name, body) => {
    const err = refusal(body);
    expect(err.code).toBe('query_denied');
    expect(err.hint).toContain('cross-index');
  });

  it.each<[string, unknown]>([
    ['more_like_this with text', { query: { more_like_this: { fields: ['message'], like: ['disk full'], min_term_freq: 1 } } }],
    ['more_like_this with a document of the searched index', { query: { more_like_this: { fields: ['message'], like: [{ _id: '1' }] } } }],
    ['filtering on the _index field', { query: { terms: { _index: ['logs-a', 'logs-b'] } } }],
    ['terms query with boost', { query: { terms: { tag: ['a', 'b'], boost: 2 } } }],
    ['terms agg with order and include partition', { size: 0, aggs: { t: { terms: { field: 'a', order: { _count: 'desc' }, include: { partition: 0, num_partitions: 4 } } } } }],
    ['composite sources terms', { size: 0, aggs: { c: { composite: { size: 100, sources: [{ host: { terms: { field: 'host' } } }] } } } }],
    ['geo_shape inline', { query: { geo_shape: { loc: { shape: { type: 'point', coordinates: [1, 2] } } } } }],
  ])('%s is allowed', (_name, body) => {
    expect(() => guardQueryDsl(body)).not.toThrow();
  });
});

describe('guardQueryDsl: what the guard cannot see through is refused (wrapper, templates, stored queries)', () => {
  // {"terms":{"event.duration":{"index":"secrets-vault","id":"2","path":"note"}}}: a terms lookup into a denied index.
  const LOOKUP_B64 = Buffer.from('{"terms":{"event.duration":{"index":"secrets-vault","id":"2","path":"note"}}}').toString('base64');
  const wrapper = { wrapper: { query: LOOKUP_B64 } };
  it.each<[string, unknown]>([
    ['wrapper as the query', { size: 1, query: wrapper }],
    ['wrapper in bool.filter', { query: { bool: { filter: [wrapper] } } }],
    ['wrapper six levels deep', { query: { bool: { must: [{ bool: { should: [{ bool: { filter: [{ constant_score: { filter: wrapper } }] } }] } }] } } }],
    ['wrapper in function_score.query', { query: { function_score: { query: wrapper } } }],
    ['wrapper in nested.query', { query: { nested: { path: 'p', query: wrapper } } }],
    ['wrapper in has_child.query', { query: { has_child: { type: 'c', query: wrapper } } }],
    ['wrapper in dis_max.queries', { query: { dis_max: { queries: [wrapper] } } }],
    ['wrapper in boosting.negative', { query: { boosting: { positive: { match_all: {} }, negative: wrapper, negative_boost: 0.5 } } }],
    ['wrapper in post_filter', { post_filter: wrapper }],
    ['wrapper in a filter aggregation', { size: 0, aggs: { f: { filter: wrapper } } }],
    ['wrapper in a filters aggregation', { size: 0, aggs: { f: { filters: { filters: { a: wrapper } } } } }],
    ['wrapper in rescore', { rescore: { window_size: 10, query: { rescore_query: wrapper } } }],
    ['wrapper in highlight_query', { highlight: { fields: { message: { highlight_query: wrapper } } } }],
    ['wrapper in knn.filter', { knn: { field: 'v', query_vector: [1, 2], k: 1, num_candidates: 2, filter: wrapper } }],
    ['wrapper in inner_hits of collapse', { collapse: { field: 'a', inner_hits: { name: 'x', size: 1, sort: [wrapper] } } }],
    ['"Wrapper" (case varied)', { query: { Wrapper: { query: LOOKUP_B64 } } }],
    ['"WRAPPER" (upper case)', { query: { WRAPPER: { query: LOOKUP_B64 } } }],
    ['"wr\\u0061pper" (escaped key, raw text)', json(`{"query":{"wr\\u0061pper":{"query":"${LOOKUP_B64}"}}}`)],
    ['wrapper with a plain JSON string', { query: { wrapper: { query: '{"match_all":{}}' } } }],
    ['wrapper with an empty object', { query: { wrapper: {} } }],
    ['an aggregation named "wrapper"', { size: 0, aggs: { wrapper: { terms: { field: 'a' } } } }],
    ['rule query (rulesets stored by id)', { query: { rule: { ruleset_ids: ['r1'], match_criteria: { q: 'x' }, organic: { match_all: {} } } } }],
    ['rule_query (8.10-8.14 name)', { query: { rule_query: { ruleset_id: 'r1', match_criteria: {}, organic: { match_all: {} } } } }],
    ['percolate with an inline document (runs stored queries)', { query: { percolate: { field: 'q', document: { message: 'x' } } } }],
    ['percolate documents in bool.should', { query: { bool: { should: [{ percolate: { field: 'q', documents: [{ a: 1 }] } }] } } }],
    ['stored search template by id (top-level id)', { id: 'my-template', params: { q: 'x' } }],
    ['inline search template (top-level source)', { source: '{"query":{"match":{"m":"{{q}}"}}}', params: { q: 'x' } }],
    ['template query', { query: { template: { id: 'stored' } } }],
    ['stored script by id', { query: { script: { script: { id: 'stored-script' } } } }],
  ])('%s → query_denied', (_name, body) => {
    const err = refusal(body);
    expect(err.code).toBe('query_denied');
  });

  it('says what to do instead and where the construct is', () => {
    const err = refusal({ query: { bool: { filter: [wrapper] } } });
    expect(err.message).toContain('$.query.bool.filter[0].wrapper');
    expect(err.hint).toMatch(/plain query DSL/);
  });

  it.each<[string, unknown]>([
    ['a field named "rule" in a term query', { query: { term: { rule: 'r-1' } } }],
    ['ECS rule.name', { query: { term: { 'rule.name': 'x' } } }],
    ['a field named "id"', { query: { term: { id: '42' } } }],
    ['a match on a field named "source"', { query: { match: { source: 'x' } } }],
  ])('%s is allowed', (_name, body) => {
    expect(() => guardQueryDsl(body)).not.toThrow();
  });
});

describe('guardQueryDsl: regexps that can match from anywhere count as leading wildcards', () => {
  it.each<[string, unknown]>([
    ['the reported .*a.*b.*c.* on a keyword', { query: { regexp: { 'message.keyword': '.*a.*b.*c.*' } } }],
    ['.+ in the value form', { query: { regexp: { message: { value: '.+error' } } } }],
    ['[^x]* at the start', { query: { regexp: { message: '[^/]*/api' } } }],
    ['an alternation with one anywhere branch', { query: { regexp: { message: 'get|.*post' } } }],
    ['a group starting with .*', { query: { regexp: { message: '(.*timeout)' } } }],
    ['an optional literal before .*', { query: { regexp: { message: 'x?.*y' } } }],
    ['@ (any string)', { query: { regexp: { message: '@error' } } }],
    ['~ complement', { query: { regexp: { message: '~(foo)' } } }],
    ['[a-z]+ (a wide class repeated)', { query: { regexp: { message: '[a-z]+error' } } }],
    ['.{2,10}', { query: { regexp: { message: '.{2,10}err' } } }],
    ['"Regexp" (case varied)', { query: { Regexp: { message: '.*x' } } }],
    ['in intervals', { query: { intervals: { message: { regexp: { pattern: '.*x' } } } } }],
    ['in span_multi', { query: { span_multi: { match: { regexp: { message: { value: '.*x' } } } } } }],
    ['inside bool.must_not', { query: { bool: { must_not: [{ regexp: { message: '.*x' } }] } } }],
    ['in a filter aggregation', { size: 0, aggs: { f: { filter: { regexp: { message: '.*x' } } } } }],
  ])('%s → query_denied', (_name, body) => {
    const err = refusal(body);
    expect(err.code).toBe('query_denied');
    expect(err.message).toContain('from anywhere');
  });

  it.each<[string, unknown]>([
    ['err.*', { query: { regexp: { message: 'err.*' } } }],
    ['a literal then a class', { query: { regexp: { path: '/api/v[0-9]+/.*' } } }],
    ['a narrow class repeated', { query: { regexp: { code: '[0-9]{3}' } } }],
    ['a single leading dot', { query: { regexp: { code: '.rror' } } }],
    ['terms agg include .*x (the aggregation scans every term anyway)', { size: 0, aggs: { t: { terms: { field: 'a', size: 5, include: '.*x' } } } }],
  ])('%s is allowed', (_name, body) => {
    expect(() => guardQueryDsl(body)).not.toThrow();
  });
});

describe('guardQueryDsl: expensive text queries (P-07, H-35..H-38)', () => {
  it.each<[string, unknown]>([
    ['H-35 regexp as given', json('{"query":{"regexp":{"message":{"value":"(.*a){25}","max_determinized_states":100000000}}}}')],
    ['max_determinized_states with a harmless pattern', { query: { regexp: { message: { value: 'err.*', max_determinized_states: 20000 } } } }],
    ['max_determinized_states in query_string', { query: { query_string: { query: 'a', max_determinized_states: 100000 } } }],
    ['max_determinized_states in completion regex', { suggest: { s: { regex: 'n.*', completion: { field: 's', regex: { max_determinized_states: 1e6 } } } } }],
    ['nested quantifier (.*a){25}', { query: { regexp: { message: '(.*a){25}' } } }],
    ['alternation under + (a|aa)+', { query: { regexp: { message: { value: '(a|aa)+' } } } }],
    ['(a+)+', { query: { regexp: { message: '(a+)+' } } }],
    ['((a)*)+', { query: { regexp: { message: '((a)*)+' } } }],
    ['((a|b))*', { query: { regexp: { message: '((a|b))*' } } }],
    ['(x.*){2,}', { query: { regexp: { message: 'pre(x.*){2,}post' } } }],
    ['large counted repetition', { query: { regexp: { message: 'a{1000}' } } }],
    ['large repetition range', { query: { regexp: { message: '.{0,5000}' } } }],
    ['pattern longer than 256', { query: { regexp: { message: 'a'.repeat(257) } } }],
    ['regexp in intervals', { query: { intervals: { message: { regexp: { pattern: '(a|aa)+' } } } } }],
    ['regexp in span_multi', { query: { span_multi: { match: { regexp: { message: '(a+)+' } } } } }],
    ['terms agg include regex', { size: 0, aggs: { t: { terms: { field: 'a', include: '(a|aa)+' } } } }],
    ['H-37 query_string as given', json('{"query":{"query_string":{"query":"/.*(a|aa)+$/","allow_leading_wildcard":true,"default_field":"*"}}}')],
    ['query_string allow_leading_wildcard "true"', { query: { query_string: { query: 'a', allow_leading_wildcard: 'true' } } }],
    ['query_string /regex/', { query: { query_string: { query: 'message:/err.*/' } } }],
    ['query_string unterminated /', { query: { query_string: { query: 'path:/api' } } }],
    ['query_string default_field *', { query: { query_string: { query: 'a', default_field: '*' } } }],
    ['query_string fields ["*"]', { query: { query_string: { query: 'a', fields: ['message', '*'] } } }],
    ['query_string fields ["*.*^2"]', { query: { query_string: { query: 'a', fields: ['*.*^2'] } } }],
    ['query_string leading * term', { query: { query_string: { query: 'level:error AND message:*timeout' } } }],
    ['query_string leading ? term', { query: { query_string: { query: '?rror' } } }],
    ['query_string leading wildcard after NOT', { query: { query_string: { query: 'NOT *x' } } }],
    ['query_string leading wildcard in a group', { query: { query_string: { query: 'message:(*x OR y)' } } }],
    ['query_string leading wildcard after -', { query: { query_string: { query: 'a -*x' } } }],
    ['simple_query_string fields ["*"]', { query: { simple_query_string: { query: 'a', fields: ['*'] } } }],
    ['simple_query_string allow_leading_wildcard', { query: { simple_query_string: { query: 'a', allow_leading_wildcard: true } } }],
    ['wildcard *foo', { query: { wildcard: { message: { value: '*foo' } } } }],
    ['wildcard ?oo short form', { query: { wildcard: { message: '?oo' } } }],
    ['wildcard "wildcard" parameter', { query: { wildcard: { message: { wildcard: '*foo' } } } }],
    ['wildcard bare *', { query: { wildcard: { message: '*' } } }],
    ['wildcard in intervals', { query: { intervals: { message: { wildcard: { pattern: '*x' } } } } }],
    ['wildcard in span_multi', { query: { span_multi: { match: { wildcard: { message: { value: '*x' } } } } } }],
    ['prefix *', { query: { prefix: { message: { value: '*a' } } } }],
  ])('%s → query_denied', (_name, body) => {
    expect(refusal(body).code).toBe('query_denied');
  });

  it.each<[string, unknown]>([
    ['fuzzy max_expansions 51', { query: { fuzzy: { user: { value: 'ki', max_expansions: 51 } } } }],
    ['match max_expansions 1000', { query: { match: { message: { query: 'x', fuzziness: 'AUTO', max_expansions: 1000 } } } }],
    ['match_phrase_prefix max_expansions', { query: { match_phrase_prefix: { message: { query: 'x', max_expansions: 500 } } } }],
    ['query_string fuzzy_max_expansions', { query: { query_string: { query: 'x~', fuzzy_max_expansions: 100 } } }],
    ['max_expansions as a string', { query: { fuzzy: { user: { value: 'ki', max_expansions: '10' } } } }],
  ])('%s → invalid_input', (_name, body) => {
    const err = refusal(body);
    expect(err.code).toBe('invalid_input');
    expect(err.message).toContain('from 0 to 50');
  });

  it.each<[string, unknown]>([
    ['regexp simple', { query: { regexp: { message: 'err.*' } } }],
    ['regexp class and small repetition', { query: { regexp: { code: { value: '[0-9]{3}', flags: 'ALL' } } } }],
    ['regexp alternation not under a quantifier', { query: { regexp: { method: '(get|post)' } } }],
    ['regexp quantified group without inner quantifier', { query: { regexp: { id: '(ab)+c' } } }],
    ['regexp with quantifiers inside a class', { query: { regexp: { id: '([*+]a)+' } } }],
    ['regexp with an escaped paren', { query: { regexp: { id: '\\(a+\\)+' } } }],
    ['regexp with a quoted literal', { query: { regexp: { id: '"(a+)"+' } } }],
    ['regexp exactly 256 long', { query: { regexp: { message: 'a'.repeat(256) } } }],
    ['query_string plain', { query: { query_string: { query: 'level:error AND host:web-* AND NOT status:200' } } }],
    ['query_string match all *:*', { query: { query_string: { query: '*:*' } } }],
    ['query_string exists field:*', { query: { query_string: { query: 'error.code:*' } } }],
    ['query_string open range', { query: { query_string: { query: 'bytes:[* TO 100] AND ms:{10 TO *}' } } }],
    ['query_string escaped slash', { query: { query_string: { query: 'path:\\/api\\/v1' } } }],
    ['query_string quoted slash and star', { query: { query_string: { query: 'url:"/api/*x"' } } }],
    ['query_string inner and trailing wildcards', { query: { query_string: { query: 'host:web-*-eu AND logs-*x' } } }],
    ['query_string named fields', { query: { query_string: { query: 'x', fields: ['message', 'error.*'] } } }],
    ['simple_query_string with a path', { query: { simple_query_string: { query: '"/api/v1" +timeout', fields: ['message'] } } }],
    ['wildcard with a literal prefix', { query: { wildcard: { message: { value: 'err*r?' } } } }],
    ['prefix', { query: { prefix: { 'host.name': 'web-' } } }],
    ['fuzzy max_expansions 50', { query: { fuzzy: { user: { value: 'ki', max_expansions: 50 } } } }],
    ['a field named "wildcard" in match', { query: { match: { wildcard: '*not a pattern here*' } } }],
    ['completion suggester prefix', { suggest: { s: { prefix: 'nir', completion: { field: 'suggest' } } } }],
  ])('%s is allowed', (_name, body) => {
    expect(() => guardQueryDsl(body)).not.toThrow();
  });
});

describe('guardQueryDsl: sizes are validated, never clamped (P-05, H-28..H-32)', () => {
  it.each<[string, unknown, string]>([
    ['H-29 size -1', { size: -1 }, 'from 0 to 100'],
    ['H-29 size "100"', json('{"size":"100"}'), 'from 0 to 100'],
    ['H-29 size 1e309', json('{"size":1e309}'), 'from 0 to 100'],
    ['H-29 size 1.5', { size: 1.5 }, 'from 0 to 100'],
    ['size 101', { size: 101 }, 'from 0 to 100'],
    ['size 10000', { size: 10_000 }, 'from 0 to 100'],
    ['size null', { size: null }, 'from 0 to 100'],
    ['size true', { size: true }, 'from 0 to 100'],
    ['size NaN', { size: Number.NaN }, 'from 0 to 100'],
    ['from 1001', { from: 1001 }, 'from 0 to 1000'],
    ['from -5', { from: -5 }, 'from 0 to 1000'],
    ['from "10"', { from: '10' }, 'from 0 to 1000'],
    ['H-31 4-level nested terms (size 1000) + top_hits 100', nestedTerms(4, 1000, { top: { top_hits: { size: 100 } } }), 'nest'],
    ['4 levels of small aggs', nestedTerms(4, 2), 'nest 4 levels'],
    ['terms 1000 × terms 100', nestedTerms(2, 1000, { inner: { terms: { field: 'z', size: 100 } } }), 'buckets'],
    ['3 levels of terms 100', nestedTerms(3, 100), 'buckets'],
    ['terms size 1001', { aggs: { t: { terms: { field: 'a', size: 1001 } } } }, 'from 0 to 1000'],
    ['terms size "10"', { aggs: { t: { terms: { field: 'a', size: '10' } } } }, 'from 0 to 1000'],
    ['composite size 2000', { aggs: { c: { composite: { size: 2000, sources: [] } } } }, 'from 0 to 1000'],
    ['multi_terms size', { aggs: { m: { multi_terms: { terms: [{ field: 'a' }, { field: 'b' }], size: 5000 } } } }, 'from 0 to 1000'],
    ['geotile_grid default size 10000', { aggs: { g: { geotile_grid: { field: 'loc' } } } }, 'unless "size" is set'],
    ['auto_date_histogram buckets', { aggs: { h: { auto_date_histogram: { field: 't', buckets: 5000 } } } }, 'from 0 to 1000'],
    ['terms shard_size', { aggs: { t: { terms: { field: 'a', shard_size: 1_000_000 } } } }, 'from 0 to 10000'],
    ['top_hits size 11', { aggs: { t: { terms: { field: 'a' }, aggs: { h: { top_hits: { size: 11 } } } } } }, 'from 0 to 10'],
    ['top_metrics size 100', { aggs: { t: { top_metrics: { metrics: { field: 'a' }, sort: { t: 'desc' }, size: 100 } } } }, 'from 0 to 10'],
    ['"aggregations" spelling', { aggregations: { t: { terms: { field: 'a', size: 5000 } } } }, 'from 0 to 1000'],
    ['filters × terms', { aggs: { f: { filters: { filters: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`f${i}`, { match_all: {} }])) }, aggs: { t: { terms: { field: 'a', size: 1000 } } } } } }, 'buckets'],
    ['range × terms', { aggs: { r: { range: { field: 'b', ranges: Array.from({ length: 11 }, (_, i) => ({ from: i })) }, aggs: { t: { terms: { field: 'a', size: 1000 } } } } } }, 'buckets'],
  ])('%s → invalid_input', (_name, body, phrase) => {
    const err = refusal(body);
    expect(err.code).toBe('invalid_input');
    expect(err.status).toBe(400);
    expect(err.message).toContain(phrase);
  });

  it('names the allowed maximum in a fixable way', () => {
    const err = refusal({ size: 500 });
    expect(err.message).toBe('"size" must be an integer from 0 to 100, got 500');
    expect(err.hint).toContain('between 0 and 100');
    expect(refusal(json('{"size":"100"}')).message).toContain('the string "100"');
    expect(refusal(json('{"size":1e309}')).message).toContain('Infinity');
  });

  it('H-31 is refused at the first level whose bucket product passes the cap', () => {
    const err = refusal(nestedTerms(4, 1000, { top: { top_hits: { size: 100 } } }));
    expect(err.message).toContain('up to 1000000 buckets at $.aggs.l1.aggs.l2');
    expect(err.hint).toContain('within 10000');
  });

  it.each<[string, unknown]>([
    ['size 0 and 100, from 1000', { size: 100, from: 1000 }],
    ['size 0', { size: 0 }],
    ['size written as 1e2', json('{"size":1e2}')],
    ['date_histogram + terms + top_hits within limits', {
      size: 0,
      query: { range: { '@timestamp': { gte: 'now-24h' } } },
      aggs: {
        per_hour: {
          date_histogram: { field: '@timestamp', fixed_interval: '1h', min_doc_count: 0 },
          aggs: { by_host: { terms: { field: 'host.name', size: 10 }, aggs: { sample: { top_hits: { size: 5, _source: ['message'] } } } } },
        },
      },
    }],
    ['3 levels: terms 100 × terms 10 × terms 10', nestedTerms(3, 10, undefined)],
    ['terms 1000 × terms 10', nestedTerms(1, 1000, { inner: { terms: { field: 'z', size: 10 } } })],
    ['geotile_grid with size', { aggs: { g: { geotile_grid: { field: 'loc', size: 1000 } } } }],
    ['metrics and pipeline aggs', { size: 0, aggs: { h: { date_histogram: { field: 't', calendar_interval: '1d' }, aggs: { avg_ms: { avg: { field: 'ms' } }, d: { derivative: { buckets_path: 'avg_ms' } } } }, p: { percentiles: { field: 'ms' } } } }],
    ['agg meta', { aggs: { t: { terms: { field: 'a' }, meta: { color: 'blue' } } } }],
  ])('%s is allowed', (_name, body) => {
    expect(() => guardQueryDsl(body)).not.toThrow();
  });

  it('limits can be raised or lowered by the caller', () => {
    expect(() => guardQueryDsl({ size: 500 }, { maxSize: 500 })).not.toThrow();
    expect(refusal({ size: 11 }, { maxSize: 10 }).message).toContain('from 0 to 10,');
    expect(refusal(nestedTerms(2, 2), { maxAggDepth: 1 }).message).toContain('at most 1');
    expect(() => guardQueryDsl({ size: 50 }, { maxSize: undefined })).not.toThrow();
  });
});

describe('guardQueryDsl: search_after (H-41)', () => {
  it.each<[string, unknown]>([
    ['10,000 values', { search_after: Array.from({ length: 10_000 }, (_, i) => i) }],
    ['17 values', { search_after: Array.from({ length: 17 }, () => 'a') }],
    ['empty', { search_after: [] }],
    ['not an array', { search_after: '1700000000000' }],
    ['an object value', { search_after: [1, { a: 1 }] }],
    ['a nested array', { search_after: [[1]] }],
    ['Infinity from 1e309', json('{"search_after":[1e309]}')],
  ])('%s → invalid_input', (_name, body) => {
    const err = refusal(body);
    expect(err.code).toBe('invalid_input');
    expect(err.hint).toContain('1 to 16');
  });

  it.each<[string, unknown]>([
    ['2 values', { sort: [{ '@timestamp': 'desc' }, { _shard_doc: 'asc' }], search_after: [1_700_000_000_000, 'abc'] }],
    ['16 mixed primitives', { search_after: [1, 'a', true, null, 1.5, -2, 'b', false, 3, 4, 5, 6, 7, 8, 9, 10] }],
  ])('%s is allowed', (_name, body) => {
    expect(() => guardQueryDsl(body)).not.toThrow();
  });
});

describe('guardQueryDsl: depth (H-33, P-06)', () => {
  it('refuses a 10,000-level nested bool.must without recursing', () => {
    const err = refusal({ query: nestedBool(10_000) });
    expect(err.code).toBe('invalid_input');
    expect(err.message).toContain('deeper than 48 levels');
    expect(err.hint).toContain('bool');
  });

  it('refuses one level past maxDepth and accepts maxDepth exactly', () => {
    // body 1; 22 {bool:{must:…}} wrappers fill levels 2..45; term 46, a 47, value's container 48.
    expect(() => guardQueryDsl({ query: nestedBool(22, { term: { a: { value: 1 } } }) })).not.toThrow();
    const err = refusal({ query: nestedBool(22, { term: { a: { value: [1] } } }) });
    expect(err.message).toContain('deeper than 48 levels');
    expect(refusal({ query: nestedBool(5) }, { maxDepth: 10 }).message).toContain('deeper than 10');
  });

  it('counts arrays as levels too', () => {
    let v: unknown = 1;
    for (let i = 0; i < 60; i++) v = [v];
    expect(refusal({ search_after: v }).code).toBe('invalid_input');
    expect(refusal({ query: { terms: { f: v } } }).message).toContain('deeper than 48');
  });
});

describe('guardQueryDsl: body shape and JSON-only values', () => {
  it.each<[string, unknown]>([
    ['null', null],
    ['an array', [{ query: {} }]],
    ['a string', '{"query":{}}'],
    ['a number', 1],
    ['a Map', new Map([['query', {}]])],
    ['a class instance', new (class Body { query = {}; })()],
  ])('refuses %s as the body', (_name, body) => {
    expect(refusal(body).code).toBe('invalid_input');
  });

  it.each<[string, unknown]>([
    ['stats', { stats: ['group'] }],
    ['ext', { ext: {} }],
    ['retriever', { retriever: { standard: {} } }],
    ['Query (keys are case-sensitive for ES)', { Query: { match_all: {} } }],
    ['index (the index is a separate argument)', { index: 'secrets', query: {} }],
    ['track_scores', { track_scores: true }],
  ])('refuses the unknown top-level key %s, naming the allowed ones', (_name, body) => {
    const err = refusal(body);
    expect(err.code).toBe('invalid_input');
    expect(err.hint).toContain('query, aggs, aggregations, size, from');
  });

  it.each<[string, unknown]>([
    ['an own __proto__ key (JSON.parse makes one)', JSON.parse('{"query":{"bool":{"__proto__":{"must":[]}}}}')],
    ['constructor', { query: { constructor: { prototype: {} } } }],
    ['prototype', { aggs: { t: { terms: { field: 'a' }, aggs: { prototype: { max: { field: 'b' } } } } } }],
    ['undefined', { query: { term: { a: undefined } } }],
    ['a function', { query: { term: { a: () => 1 } } }],
    ['a Date', { query: { range: { t: { gte: new Date(0) } } } }],
    ['a bigint', { query: { term: { a: 1n } } }],
    ['a symbol', { query: { term: { a: Symbol('x') } } }],
    ['NaN', { query: { term: { a: Number.NaN } } }],
    ['Infinity in a range', json('{"query":{"range":{"bytes":{"gte":1e309}}}}')],
    ['a sparse array hole', { query: { bool: { must: [, { match_all: {} }] } } }],
  ])('refuses %s inside the body', (_name, body) => {
    expect(refusal(body).code).toBe('invalid_input');
  });
});

describe('guardQueryDsl: the returned copy', () => {
  it('H-39: replaces the caller timeout with the server timeout', () => {
    expect(guardQueryDsl({ query: { match_all: {} }, timeout: '1h' })).toEqual({ query: { match_all: {} }, timeout: '25s' });
    expect(guardQueryDsl({ timeout: { nested: 'junk' } }, { serverTimeout: '9s' }).timeout).toBe('9s');
    expect(guardQueryDsl({}).timeout).toBe(DEFAULT_QUERY_LIMITS.serverTimeout);
  });

  it('is a deep copy: the input is not modified and shares nothing with the output', () => {
    const body = { query: { bool: { filter: [{ term: { 'host.name': 'web-1' } }] } }, size: 10, timeout: '1h' };
    const before = structuredClone(body);
    const out = guardQueryDsl(body);
    expect(body).toEqual(before);
    (out.query as { bool: { filter: unknown[] } }).bool.filter.push({ match_all: {} });
    expect(body.query.bool.filter).toHaveLength(1);
  });

  it('keeps key order and all checked content', () => {
    const body = json(
      '{"size":20,"from":40,"query":{"bool":{"must":[{"match":{"message":"timeout"}}],"filter":[{"range":{"@timestamp":{"gte":"now-15m","lte":"now"}}},{"term":{"level":"error"}}],"must_not":[{"term":{"description":"script"}}]}},"sort":[{"@timestamp":"desc"}],"_source":["message","host.name"],"track_total_hits":true,"highlight":{"fields":{"message":{}}}}',
    ) as Record<string, unknown>;
    const out = guardQueryDsl(body);
    expect(Object.keys(out)).toEqual([...Object.keys(body), 'timeout']);
    expect(out).toEqual({ ...body, timeout: '25s' });
  });

  it.each<[string, unknown]>([
    ['fields containing "script" as a substring', { query: { bool: { must: [{ term: { description: 'x' } }, { match: { transcript: 'y' } }, { term: { javascript_error: true } }] } } }],
    ['a field named lang with a language', { query: { term: { lang: 'en' } } }],
    ['a field named template with a value', { query: { term: { template: 'welcome-email' } } }],
    ['normal bool/range/term', { query: { bool: { filter: [{ range: { ms: { gte: 100 } } }, { term: { status: 500 } }], should: [{ match_phrase: { message: 'connection reset' } }], minimum_should_match: 1 } } }],
    ['exists, ids, nested, has_child', { query: { bool: { should: [{ exists: { field: 'error' } }, { ids: { values: ['1'] } }, { nested: { path: 'n', query: { match_all: {} } } }, { has_child: { type: 'c', query: { match_all: {} } } }] } } }],
    ['collapse with inner_hits', { query: { match_all: {} }, collapse: { field: 'user', inner_hits: { name: 'last', size: 1 } } }],
    ['fields, docvalue_fields, stored_fields, version, seq_no_primary_term, explain', { fields: [{ field: '@timestamp', format: 'epoch_millis' }], docvalue_fields: ['a'], stored_fields: ['_none_'], version: true, seq_no_primary_term: true, explain: false }],
    ['min_score, terminate_after, track_total_hits number', { min_score: 0.5, terminate_after: 1000, track_total_hits: 10000 }],
    ['knn', { knn: { field: 'v', query_vector: [0.1, 0.2], k: 5, num_candidates: 50, filter: { term: { a: 'b' } } } }],
    ['term suggester', { suggest: { s: { text: 'eror', term: { field: 'message' } } } }],
  ])('%s is allowed', (_name, body) => {
    expect(() => guardQueryDsl(body)).not.toThrow();
  });
});

describe('regexpStartsAnywhere', () => {
  it.each<[string, boolean]>([
    ['.*', true],
    ['.+a', true],
    ['[^x]*a', true],
    ['[^x]+', true],
    ['(a|.*b)', true],
    ['a|b|.*c', true],
    ['(ab)?.*c', true],
    ['a*.*b', true],
    ['(.)+x', true],
    ['(.a)*b', true],
    ['.{3}x', true],
    ['[a-z0-9]*', true],
    ['@', true],
    ['~a', true],
    ['"".*x', true],
    ['.*&abc', true],
    ['err.*', false],
    ['(get|post)', false],
    ['a.*', false],
    ['.a', false],
    ['.?a', false],
    ['[Ee]rror.*', false],
    ['[0-9]{4}-.*', false],
    ['\\.*', false],
    ['"a.*"', false],
    ['<1-100>.*', false],
    [')).*', false],
    ['((', false],
    ['', false],
  ])('%s → %s', (pattern, anywhere) => {
    expect(regexpStartsAnywhere(pattern)).toBe(anywhere);
  });
});

describe('regexpProblem', () => {
  it.each<[string, boolean]>([
    ['(.*a){25}', true],
    ['(a|aa)+', true],
    ['(a|aa)*b', true],
    ['(a+)?', true],
    ['x(a(b|c))*', true],
    ['a{101}', true],
    ['a{2,101}', true],
    ['err.*', false],
    ['(get|post)', false],
    ['(ab)+', false],
    ['[(a+)+]', false],
    ['\\(a+\\)+', false],
    ['a{2,}', false],
    ['a{100}', false],
    ['', false],
    ['(((', false],
    [')))+', false],
  ])('%s → risky: %s', (pattern, risky) => {
    expect(regexpProblem(pattern, 256) !== null).toBe(risky);
  });
});
