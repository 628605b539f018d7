import { describe, expect, it } from 'vitest';
import { TelemcpError } from '../../src/core/errors.js';
import type { VictoriaLogsApi, VlParams } from '../../src/backends/victorialogs/client.js';
import { DEFAULT_LOGSQL_LIMITS, checkFilter, logsqlGuard, normalizeLogsql } from '../../src/backends/victorialogs/logsql-guard.js';

const NOW = Date.parse('2026-12-07T12:00:00Z');
const HOUR = 3_600_000;

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof TelemcpError ? err.code : 'not a TelemcpError';
  }
  return undefined;
}

describe('checkFilter', () => {
  it.each(['*', '', '   ', '_msg:*', '"_msg":*', '( * )', '((_msg:*))', 'service.name:*', '* AND *', 'error OR *', '(a) or (_msg:*)', '_msg:~".*"', 'x:~""', '{}', '_stream:{}', '"*"'])(
    'refuses %j, which matches everything, as query_denied',
    (filter) => {
      expect(code(() => checkFilter(filter))).toBe('query_denied');
    },
  );

  it.each(['error', 'error *', '"service.name":="api"', 'service.name:in("a","b")', '_stream:{app="x"}', 'NOT debug', '-debug', 'a OR b', '(a OR b) c', '"a | b"', "'x # y'", 'level:i("err"*)', '_msg:~"time.*out"', 'x:in()', 'x:in(a, "b,c", \'d\', 7)', 'x:contains_all("a\\"b", c)'])(
    'accepts %j',
    (filter) => {
      expect(checkFilter(filter)).toBe(filter.trim());
    },
  );

  it.each(['a | delete', 'a |limit 99999', 'a # hide the rest', 'options(ignore_global_time_filter=true) a', 'OPTIONS (concurrency=1) a', 'x:in(* | fields y)', 'x:in(*)', 'x:in(_time:5m error)', 'x:contains_any(a:b)', '-x:in("a", y:*)'])('refuses %j (not a plain filter) as query_denied', (filter) => {
    expect(code(() => checkFilter(filter))).toBe('query_denied');
  });

  it.each(['"unterminated', 'a)', '(a', 'f:in("a"', '_stream:{a="b"', `a\u0000b`, 'x'.repeat(5000)])('refuses malformed %j as invalid_input', (filter) => {
    expect(code(() => checkFilter(filter))).toBe('invalid_input');
  });
});

describe('normalizeLogsql', () => {
  it('injects the last hour and the default limit when missing, and says so', () => {
    const n = normalizeLogsql({ query: 'error' }, DEFAULT_LOGSQL_LIMITS, NOW);
    expect(n).toEqual({ filter: '(error)', start: NOW - HOUR, end: NOW, limit: 200, injected: ['window', 'limit'] });
  });

  it('keeps the caller\'s window and limit', () => {
    const n = normalizeLogsql({ query: 'error', start: NOW - 2 * HOUR, end: NOW - HOUR, limit: 50 }, DEFAULT_LOGSQL_LIMITS, NOW);
    expect(n).toEqual({ filter: '(error)', start: NOW - 2 * HOUR, end: NOW - HOUR, limit: 50, injected: [] });
  });

  it('ends a window given only its start at now', () => {
    expect(normalizeLogsql({ query: 'error', start: NOW - 2 * HOUR }, DEFAULT_LOGSQL_LIMITS, NOW)).toMatchObject({ end: NOW, injected: ['window_end', 'limit'] });
  });

  it('compiles the JSON form with every value quoted', () => {
    const n = normalizeLogsql({ filter: { 'service.name': 'api', _search: 'a | b # c' } }, DEFAULT_LOGSQL_LIMITS, NOW);
    expect(n.filter).toBe('(("service.name":="api" AND "_msg":"a | b # c"))');
  });

  it('refuses a window over the cap, a reversed window, a limit over the cap, and neither or both forms', () => {
    expect(code(() => normalizeLogsql({ query: 'e', start: NOW - 32 * 24 * HOUR }, DEFAULT_LOGSQL_LIMITS, NOW))).toBe('invalid_input');
    expect(code(() => normalizeLogsql({ query: 'e', start: NOW, end: NOW - HOUR }, DEFAULT_LOGSQL_LIMITS, NOW))).toBe('invalid_input');
    expect(code(() => normalizeLogsql({ query: 'e', limit: 1001 }, DEFAULT_LOGSQL_LIMITS, NOW))).toBe('invalid_input');
    expect(code(() => normalizeLogsql({ query: 'e', limit: 0 }, DEFAULT_LOGSQL_LIMITS, NOW))).toBe('invalid_input');
    expect(code(() => normalizeLogsql({}, DEFAULT_LOGSQL_LIMITS, NOW))).toBe('invalid_input');
    expect(code(() => normalizeLogsql({ query: 'e', filter: { a: 1 } }, DEFAULT_LOGSQL_LIMITS, NOW))).toBe('invalid_input');
  });

  it('refuses a JSON filter that matches everything', () => {
    expect(code(() => normalizeLogsql({ filter: { _msg: { _exists: true } } }, DEFAULT_LOGSQL_LIMITS, NOW))).toBe('query_denied');
  });
});

describe('logsqlGuard', () => {
  /** A stand-in for the client that records what the approved reads send. */
  function fakeApi(rows: Record<string, string>[][]) {
    const sent: { query: string; limit: number; params: VlParams }[] = [];
    const api = {
      query: async (query: string, limit: number, params: VlParams) => {
        sent.push({ query, limit, params });
        return rows.shift() ?? [];
      },
    } as unknown as VictoriaLogsApi;
    return { api, sent };
  }

  it('runs only the approved filter with the server\'s pipes, window and timeout', async () => {
    const { api, sent } = fakeApi([
      [{ _time: '2026-12-07T11:59:00Z', _msg: 'boom', 'service.name': 'api', 'log.level': 'ERROR', other: 'x' }],
      [{ telemcp_n: '42' }],
      [{ _time: '2026-12-07T11:00:00Z', telemcp_n: '40' }, { _time: '2026-12-07T11:30:00Z', telemcp_n: '2' }],
    ]);
    const guard = logsqlGuard(api, { timeoutMs: 15_000 });
    const a = await guard({ query: 'boom', start: NOW - HOUR, end: NOW, limit: 10 }, new AbortController().signal);
    expect(a.logsql).toBe('(boom) | sort by (_time desc) | limit 10');
    expect(a.timeout).toBe('15s');
    const signal = new AbortController().signal;
    const lines = await a.lines(signal);
    expect(lines).toEqual([{ record: { ts: NOW - 60_000, message: 'boom', service: 'api', level: 'error' }, fields: { other: 'x' } }]);
    expect(await a.count(signal)).toBe(42);
    expect(await a.histogram(NOW - HOUR, 30 * 60_000, 2, signal)).toEqual([40, 2]);
    expect(sent.map((s) => s.query)).toEqual(['(boom) | sort by (_time desc) | limit 10', '(boom) | stats count() telemcp_n', '(boom) | stats by (_time:1800000ms) count() telemcp_n']);
    expect(sent[0]!.limit).toBe(10);
    for (const s of sent) expect(s.params).toEqual({ start: new Date(NOW - HOUR).toISOString(), end: new Date(NOW + 1).toISOString(), timeout: '15s' });
  });

  it('refuses before any request', () => {
    const { api, sent } = fakeApi([]);
    const guard = logsqlGuard(api, { timeoutMs: 1000 });
    expect(code(() => guard({ query: '*' }, new AbortController().signal))).toBe('query_denied');
    expect(sent).toEqual([]);
  });
});
