/**
 * The LogsQL the VictoriaLogs log source builds (src/backends/victorialogs/logsql.ts): every
 * value quoted, levels in every spelling, the message syntax of the other sources, buckets on
 * the window's grid, the API's exclusive end, and `_time` read to the nanosecond.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_VL_FIELDS, inFilter, logsqlFilter, textFilter, timeBucket, timeNanos, windowParams } from '../../src/backends/victorialogs/logsql.js';
import { victoriaLogsAllows } from '../../src/backends/victorialogs/client.js';
import type { LogQuery } from '../../src/backends/capabilities.js';
import { thrownError } from '../helpers/errors.js';

const window: LogQuery = { from: new Date('2025-01-01T00:00:00Z'), to: new Date('2025-01-01T01:00:00Z') };

describe('VictoriaLogs LogsQL', () => {
  it('matches every record when nothing filters', () => {
    expect(logsqlFilter(window, DEFAULT_VL_FIELDS)).toBe('*');
  });

  it('quotes every field name and value: services, trace ids exact; levels in every spelling', () => {
    expect(logsqlFilter({ ...window, services: ['checkout', 'a"b'], traceIds: ['t-1'] }, DEFAULT_VL_FIELDS)).toBe('"service.name":in("checkout", "a\\"b") "trace.id":in("t-1")');
    const levels = logsqlFilter({ ...window, levels: ['warn'] }, DEFAULT_VL_FIELDS)!;
    expect(levels.startsWith('"log.level":in(')).toBe(true);
    for (const spelling of ['"warn"', '"WARN"', '"Warn"', '"warning"', '"WARNING"', '"Warning"']) expect(levels).toContain(spelling);
    expect(logsqlFilter({ ...window, services: ['x'] }, { ...DEFAULT_VL_FIELDS, service: 'app' })).toBe('"app":in("x")');
  });

  it('keeps hostile values inside one string literal', () => {
    for (const value of ['a" OR "b', '|', '* | delete', '_stream:{a="b"}', 'x\ny', 'x\\', '\u202e', '# comment', ') or (']) {
      const filter = inFilter('service.name', [value]);
      // One literal: the text between in( and ) is a single Go-quoted string that decodes back to the value.
      const literal = filter.slice('"service.name":in('.length, -1);
      expect(JSON.parse(literal), value).toBe(value);
      expect(filter).not.toMatch(/\n/);
    }
  });

  it('message words: all required, case-insensitive phrases, prefixes, alternatives and negations', () => {
    expect(textFilter('timeout')).toBe('"_msg":i("timeout")');
    expect(textFilter('"connection refused" timeo*')).toBe('"_msg":i("connection refused") "_msg":i("timeo"*)');
    expect(textFilter('error|fatal -retry')).toBe('("_msg":i("error") OR "_msg":i("fatal")) NOT "_msg":i("retry")');
    expect(textFilter('"x\\"y"')).toBe('"_msg":i("x\\"y")');
    // Punctuation-only words are dropped; a query of nothing else matches nothing.
    expect(textFilter('| stats count()')).toBe('"_msg":i("stats") "_msg":i("count")');
    expect(textFilter('"|"')).toBeNull();
    expect(textFilter('   ')).toBeUndefined();
    expect(logsqlFilter({ ...window, text: '"--"' }, DEFAULT_VL_FIELDS)).toBeUndefined();
  });

  it('refuses the wildcards the other sources refuse', () => {
    expect(thrownError(() => logsqlFilter({ ...window, text: '*error' }, DEFAULT_VL_FIELDS)).code).toBe('invalid_input');
    expect(thrownError(() => logsqlFilter({ ...window, text: 'ab*' }, DEFAULT_VL_FIELDS)).code).toBe('invalid_input');
  });

  it('time buckets on the grid of the window start (VictoriaLogs puts buckets at k·step − offset)', () => {
    expect(timeBucket(60_000, Date.parse('2025-01-01T00:00:00Z'))).toBe('_time:60000ms');
    expect(timeBucket(60_000, Date.parse('2025-01-01T00:00:17Z'))).toBe('_time:60000ms offset 43000ms');
    const start = Date.parse('2025-01-01T00:00:17Z');
    const offset = 43_000;
    // A record at start + 5 s falls in the bucket starting at start.
    const t = start + 5_000;
    expect(Math.floor((t + offset) / 60_000) * 60_000 - offset).toBe(start);
  });

  it('the window: start inclusive, end exclusive one millisecond after `to`', () => {
    expect(windowParams(window.from, window.to)).toEqual({ start: '2025-01-01T00:00:00.000Z', end: '2025-01-01T01:00:00.001Z' });
  });

  it('reads `_time` to the nanosecond', () => {
    expect(timeNanos('2025-03-14T09:04:01.25Z')).toBe(1741943041250000000n);
    expect(timeNanos('2025-03-14T09:04:01Z')).toBe(1741943041000000000n);
    expect(timeNanos('2025-03-14T09:04:01.000000001Z')).toBe(1741943041000000001n);
    expect(thrownError(() => timeNanos('yesterday')).code).toBe('backend_error');
  });

  it('the client reaches the select endpoints and /health only', () => {
    expect(victoriaLogsAllows('POST', '/select/logsql/query')).toBe(true);
    expect(victoriaLogsAllows('GET', '/select/logsql/stats_query_range')).toBe(true);
    expect(victoriaLogsAllows('GET', '/health')).toBe(true);
    for (const [method, path] of [
      ['POST', '/insert/jsonline'],
      ['GET', '/internal/force_flush'],
      ['POST', '/health'],
      ['DELETE', '/select/logsql/query'],
      ['GET', '/select/logsql/tail'],
      ['GET', '/select/logsql/query/x'],
    ] as const) {
      expect(victoriaLogsAllows(method, path), `${method} ${path}`).toBe(false);
    }
  });
});
