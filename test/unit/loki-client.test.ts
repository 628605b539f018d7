import { describe, expect, it } from 'vitest';
import { lokiAllows, queryError } from '../../src/backends/loki/client.js';

describe('the Loki client reaches read endpoints only', () => {
  it.each([
    ['POST', '/loki/api/v1/query_range'],
    ['GET', '/loki/api/v1/query_range'],
    ['POST', '/loki/api/v1/query'],
    ['POST', '/loki/api/v1/series'],
    ['GET', '/loki/api/v1/labels'],
    ['GET', '/loki/api/v1/label/service_name/values'],
    ['GET', '/ready'],
    ['GET', '/loki/api/v1/status/buildinfo'],
  ] as const)('allows %s %s', (method, path) => {
    expect(lokiAllows(method, path)).toBe(true);
  });

  it.each([
    ['POST', '/loki/api/v1/push'],
    ['POST', '/api/prom/push'],
    ['POST', '/loki/api/v1/delete'],
    ['DELETE', '/loki/api/v1/delete'],
    ['PUT', '/loki/api/v1/delete'],
    ['POST', '/flush'],
    ['GET', '/loki/api/v1/tail'],
    ['POST', '/loki/api/v1/rules/ns'],
    ['DELETE', '/loki/api/v1/query_range'],
    ['POST', '/loki/api/v1/labels'],
    ['GET', '/loki/api/v1/label/a.b/values'],
    ['GET', '/loki/api/v1/label/x/values/../../push'],
    ['GET', '/config'],
    ['GET', '/metrics'],
  ] as const)('refuses %s %s', (method, path) => {
    expect(lokiAllows(method as 'GET', path)).toBe(false);
  });
});

describe('Loki errors as telemcp errors', () => {
  const secret = 'card=4111111111111111';

  it('a parse error is invalid_input naming the query sent, not Loki\'s text', () => {
    const err = queryError(400, `parse error at line 1, col 5: syntax error: unexpected IDENTIFIER near ${secret}`, '{app="api"} |= "x"');
    expect(err.code).toBe('invalid_input');
    expect(err.message).toContain('{app=\\"api\\"} |= \\"x\\"');
    expect(JSON.stringify(err)).not.toContain(secret);
  });

  it('Loki\'s limits are invalid_input naming the limit', () => {
    for (const [text, limit] of [
      ['max entries limit per query exceeded, limit > max_entries_limit_per_query (6000 > 5000)', 'max_entries_limit_per_query'],
      ['the query time range exceeds the limit (query length: 744h0m0s, limit: 721h0m0s)', 'max_query_length'],
      ['maximum number of series (500) reached for a single query; consider reducing query cardinality', 'max_query_series'],
    ]) {
      const err = queryError(400, text!, '{a="b"}');
      expect(err.code).toBe('invalid_input');
      expect(err.message).toContain(limit);
    }
  });

  it('other failures are backend_error without Loki\'s text', () => {
    for (const [status, text] of [[400, `failed to parse line: ${secret}`], [500, `rpc error: ${secret}`], [422, secret]] as const) {
      const err = queryError(status, text, '{a="b"}');
      expect(err.code).toBe('backend_error');
      expect(JSON.stringify(err)).not.toContain(secret);
    }
  });
});
