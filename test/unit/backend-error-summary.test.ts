import { describe, expect, it } from 'vitest';
import { describeBackendError, summarizeBackendError } from '../../src/backends/error-summary.js';

/** The shapes Elasticsearch 8.x answers with, as documented; the values are what a hostile query drags in. */
const SECRET = 'hunter2';
const shardFailure = {
  shard: 0,
  index: 'logs-a',
  node: 'n1',
  reason: {
    type: 'query_shard_exception',
    reason: `failed to create query: For input string: "${SECRET}"`,
    index_uuid: 'u',
    index: 'logs-a',
    caused_by: { type: 'number_format_exception', reason: `For input string: "${SECRET}"` },
  },
};
const searchPhase = {
  root_cause: [{ type: 'query_shard_exception', reason: `failed to create query: For input string: "${SECRET}"`, index: 'logs-a' }],
  type: 'search_phase_execution_exception',
  reason: 'all shards failed',
  phase: 'query',
  grouped: true,
  failed_shards: [shardFailure],
  caused_by: { type: 'number_format_exception', reason: `For input string: "${SECRET}"` },
};

describe('backend errors reach the caller as types and a safe summary', () => {
  it('a whole-search failure keeps its types, drops every reason text', () => {
    const text = describeBackendError(searchPhase);
    expect(text).not.toContain(SECRET);
    expect(text).toBe('search_phase_execution_exception (caused by query_shard_exception, number_format_exception): a value is not a number where the field expects one');
  });

  it('a shard failure reason (elk_query shard_failures) the same way', () => {
    const text = describeBackendError(shardFailure.reason);
    expect(text).not.toContain(SECRET);
    expect(summarizeBackendError(shardFailure.reason).types).toEqual(['query_shard_exception', 'number_format_exception']);
  });

  it.each<[string, unknown]>([
    ['a type that is not an identifier', { type: `x ${SECRET}`, reason: SECRET }],
    ['a reason without type', { reason: SECRET }],
    ['a string', SECRET],
    ['null', null],
  ])('%s → no type, a generic summary', (_label, error) => {
    const text = describeBackendError(error);
    expect(text).toBe('the backend reported an error');
  });

  it('an unknown type is named, with a generic summary', () => {
    expect(describeBackendError({ type: 'some_new_exception', reason: SECRET })).toBe('some_new_exception: the backend reported an error');
  });

  it('a cyclic or huge error object is walked a bounded number of steps', () => {
    const cyclic: Record<string, unknown> = { type: 'illegal_state_exception' };
    cyclic.caused_by = cyclic;
    expect(describeBackendError(cyclic)).toBe('illegal_state_exception: the cluster hit an internal error');
    const wide = { type: 'search_phase_execution_exception', root_cause: Array.from({ length: 100_000 }, (_, i) => ({ type: `t${i}_exception` })) };
    expect(summarizeBackendError(wide).types.length).toBeLessThanOrEqual(4);
  });
});
