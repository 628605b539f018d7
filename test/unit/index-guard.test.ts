import { describe, expect, it } from 'vitest';
import { TelemcpError, type ErrorCode } from '../../src/core/errors.js';
import {
  checkIndexExpression,
  checkResolvedIndices,
  isCoveredByAllowlist,
  isVisibleConcreteIndex,
  parseIndexExpression,
  type ResolveIndexResponse,
} from '../../src/backends/elasticsearch/index-guard.js';
import { globMatches } from '../../src/security/glob.js';

/** SECURITY.md's corpus assumes this allowlist. */
const ALLOW = ['logs-*', 'metrics-*'];

function refusal(fn: () => unknown): TelemcpError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TelemcpError);
    return err as TelemcpError;
  }
  throw new Error('expected a refusal');
}

describe('parseIndexExpression', () => {
  it.each<[string, string[]]>([
    ['logs-2026.01.01', ['logs-2026.01.01']],
    ['logs-*', ['logs-*']],
    ['logs-*,metrics-*', ['logs-*', 'metrics-*']],
    ['logs-a,logs-a,logs-b', ['logs-a', 'logs-b']],
    ['*', ['*']],
    ['.kibana*', ['.kibana*']],
    ['my_index+v2', ['my_index+v2']],
    ['logs-*-eu-*', ['logs-*-eu-*']],
    ['logs-%61%2Clogs-b', ['logs-a', 'logs-b']],
  ])('%s → %j', (expr, names) => {
    expect(parseIndexExpression(expr)).toEqual(names);
  });

  it.each<[string, string, ErrorCode]>([
    // H-21 and other path / URL tricks → invalid_input
    ['H-21 path traversal', 'logs-2026.01.01/../_security/_authenticate', 'invalid_input'],
    ['slash', 'logs/x', 'invalid_input'],
    ['backslash', 'logs\\x', 'invalid_input'],
    ['query string', 'logs-*?pretty', 'invalid_input'],
    ['fragment', 'logs-#x', 'invalid_input'],
    ['double quote', 'logs-"x', 'invalid_input'],
    ['pipe', 'logs-a|b', 'invalid_input'],
    ['greater-than', 'logs>x', 'invalid_input'],
    ['percent encoding', 'logs-%2F..%2F_security', 'invalid_input'],
    ['double-encoded date math (decoded once, a % remains)', '%253Clogs-%257Bnow%252Fd%257D%253E', 'invalid_input'],
    ['malformed percent-encoding', 'logs-%zz', 'invalid_input'],
    ['encoded exclusion', '%2Dlogs-x', 'invalid_input'],
    ['dot dot', 'logs..x', 'invalid_input'],
    ['bare dot dot', '..', 'invalid_input'],
    ['bare dot', '.', 'invalid_input'],
    ['space', 'logs-a, logs-b', 'invalid_input'],
    ['tab', 'logs-a\tx', 'invalid_input'],
    ['CRLF', 'logs-a\r\nHost: evil', 'invalid_input'],
    ['NUL', 'logs-a\u0000', 'invalid_input'],
    ['DEL', 'logs-a\u007f', 'invalid_input'],
    ['empty expression', '', 'invalid_input'],
    ['empty item', 'logs-a,,logs-b', 'invalid_input'],
    ['trailing comma', 'logs-a,', 'invalid_input'],
    ['uppercase', 'Logs-*', 'invalid_input'],
    ['API endpoint', '_security', 'invalid_input'],
    ['_cat', '_cat', 'invalid_input'],
    ['_ALL uppercase', '_ALL', 'invalid_input'],
    ['leading plus', '+logs-*', 'invalid_input'],
    ['unicode', 'logs-é', 'invalid_input'],
    ['fullwidth letters', 'ｌｏｇｓ', 'invalid_input'],
    ['braces', 'logs-{a}', 'invalid_input'],
    ['too long', `logs-${'a'.repeat(300)}`, 'invalid_input'],
    ['too long expression', Array.from({ length: 1000 }, (_, i) => `logs-${i}`).join(','), 'invalid_input'],
    // refused by policy → index_pattern_denied
    ['date math', '<logs-{now/d}>', 'index_pattern_denied'],
    ['date math with format and zone', '<logs-{now/d{yyyy.MM.dd|+12:00}}>', 'index_pattern_denied'],
    ['date math in a list', 'logs-a,<logs-{now/M}>', 'index_pattern_denied'],
    ['_all', '_all', 'index_pattern_denied'],
    ['_all in a list', 'logs-*,_all', 'index_pattern_denied'],
    ['exclusion (unsupported)', 'logs-*,-logs-secret', 'invalid_input'],
    ['leading exclusion (unsupported)', '-secrets', 'invalid_input'],
    ['encoded date math (decoded once, then decided like the plain form)', '%3Clogs-%7Bnow%2Fd%7D%3E', 'index_pattern_denied'],
    ['encoded remote', 'remote%3Alogs-*', 'index_pattern_denied'],
    ['H-19 remote', 'remote:logs-*', 'index_pattern_denied'],
    ['H-19 any remote', '*:logs-*', 'index_pattern_denied'],
    ['remote with a traversal', 'remote:../x', 'index_pattern_denied'],
    ['local cluster prefix', ':logs-a', 'index_pattern_denied'],
    ['remote in a list', 'logs-a,c1:logs-a', 'index_pattern_denied'],
  ])('%s (%s) → %s', (_name, expr, code) => {
    const err = refusal(() => parseIndexExpression(expr));
    expect(err.code).toBe(code);
    expect(err.hint).toBeTruthy();
  });

  it('explains date math and lowercase fixes', () => {
    expect(refusal(() => parseIndexExpression('<logs-{now/d}>')).hint).toContain('date math is not supported; name the indices or use a wildcard');
    expect(refusal(() => parseIndexExpression('Logs-A')).hint).toBe('use "logs-a"');
  });

  it('refuses a non-string at run time', () => {
    expect(refusal(() => parseIndexExpression(42 as unknown as string)).code).toBe('invalid_input');
  });
});

describe('globMatches', () => {
  it.each<[string, string, boolean]>([
    ['logs-*', 'logs-2026', true],
    ['logs-*', 'logs-', true],
    ['logs-*', 'log', false],
    ['*', '', true],
    ['*', 'anything', true],
    ['a*b*c', 'aXbYc', true],
    ['a*b*c', 'aXbY', false],
    ['*-eu', 'logs-eu', true],
    ['*-eu', 'logs-eu-x', false],
    ['logs', 'logs', true],
    ['logs', 'logs2', false],
    ['a**b', 'ab', true],
    ['a.b', 'axb', false],
    ['a+b', 'aab', false],
    ['(x)*', '(x)yz', true],
    ['[a]*', 'a', false],
  ])('%s ~ %s → %s', (glob, text, expected) => {
    expect(globMatches(glob, text)).toBe(expected);
  });

  it('stays fast on adversarial input (no backtracking blow-up)', () => {
    const glob = `${'a*'.repeat(30)}b`;
    expect(globMatches(glob, 'a'.repeat(255))).toBe(false);
  });
});

describe('isCoveredByAllowlist: sound containment, requested * taken literally', () => {
  it.each<[string, string[], boolean]>([
    ['logs-2026.01.01', ALLOW, true],
    ['logs-*', ALLOW, true],
    ['logs-2026.*', ALLOW, true],
    ['logs-*-eu', ALLOW, true],
    ['metrics-*', ALLOW, true],
    ['secrets', ALLOW, false],
    ['l*', ALLOW, false], // could name lsecrets
    ['log*', ALLOW, false],
    ['*logs-*', ALLOW, false], // could name secret-logs-x
    ['*', ALLOW, false],
    ['*', ['*'], true],
    ['*', ['**'], true],
    ['*', ['logs-*', '*'], true],
    ['logs-*', ['logs-a*', 'logs-b*'], false], // a union could cover it; refusing is the safe side
    ['logs-a', ['logs-a'], true],
    ['logs-ab', ['logs-a'], false],
    ['logs-a*', ['logs-a'], false],
    ['anything', [], false],
    ['logs-a', ['  logs-*  ', ''], true],
    // H-23: hidden and system indices need an allowed pattern that starts with a dot
    ['.security-7', ALLOW, false],
    ['.security-7', ['*'], false],
    ['.kibana*', ['*'], false],
    ['.tasks', ['*', 'logs-*'], false],
    ['.kibana_1', ['.kibana*'], true],
    ['.kibana*', ['.kibana*'], true],
    ['.kibana*', ['.*'], true],
    ['.security-7', ['.kibana*'], false],
    ['.ds-logs-a-2026.01.01-000001', ALLOW, false],
    // remote names are never covered, whatever the allowlist says
    ['remote:logs-a', ['*'], false],
    ['remote:logs-a', ['remote:logs-*'], false],
    ['', ['*'], false],
  ])('%s against %j → %s', (pattern, allow, expected) => {
    expect(isCoveredByAllowlist(pattern, allow)).toBe(expected);
  });

  it('never covers a pattern that can expand outside the allowed glob (property check)', () => {
    // For small alphabets, every expansion of a covered pattern must match an allowed glob.
    const allow = ['ab*', 'c*d'];
    const alphabet = ['a', 'b', 'c', 'd', '*'];
    const fills = ['', 'a', 'b', 'c', 'd', 'ab', 'dc'];
    const patterns: string[] = [''];
    for (let len = 0; len < 4; len++) {
      for (const p of [...patterns]) for (const ch of alphabet) patterns.push(p + ch);
    }
    for (const p of patterns) {
      if (!p || !isCoveredByAllowlist(p, allow)) continue;
      const stars = p.split('*').length - 1;
      const combos = stars === 0 ? [[]] : fills.flatMap((f) => (stars === 1 ? [[f]] : fills.map((g) => [f, g, ...Array(stars - 2).fill('')])));
      for (const combo of combos) {
        let i = 0;
        const expansion = p.replace(/\*/g, () => combo[i++] ?? '');
        expect(allow.some((g) => globMatches(g, expansion)), `${p} → ${expansion}`).toBe(true);
      }
    }
  });
});

describe('checkIndexExpression', () => {
  it('returns the names when every one is covered', () => {
    expect(checkIndexExpression('logs-*,metrics-2026.01', ALLOW)).toEqual(['logs-*', 'metrics-2026.01']);
  });

  it.each<[string, string, ErrorCode]>([
    ['H-17 one name outside', 'logs-*,secrets', 'index_pattern_denied'],
    ['a pattern wider than the allowlist', 'log*', 'index_pattern_denied'],
    ['bare *', '*', 'index_pattern_denied'],
    ['H-23 .security-7', '.security-7', 'index_pattern_denied'],
    ['H-23 .kibana*', '.kibana*', 'index_pattern_denied'],
    ['H-23 .tasks', '.tasks', 'index_pattern_denied'],
    ['H-19 remote', 'remote:logs-*', 'index_pattern_denied'],
    ['H-21 traversal', 'logs-2026.01.01/../_security/_authenticate', 'invalid_input'],
  ])('%s (%s) → %s', (_name, expr, code) => {
    expect(refusal(() => checkIndexExpression(expr, ALLOW)).code).toBe(code);
  });

  it('names the index and the allowed patterns', () => {
    const err = refusal(() => checkIndexExpression('logs-*,secrets', ALLOW));
    expect(err.message).toBe('index "secrets" is outside ALLOWED_INDEX_PATTERNS');
    expect(err.hint).toBe('allowed patterns: logs-*, metrics-*');
    expect(err.status).toBe(403);
  });

  it('explains hidden indices and an empty allowlist', () => {
    expect(refusal(() => checkIndexExpression('.tasks', ALLOW)).hint).toContain('hidden or system');
    expect(refusal(() => checkIndexExpression('logs-a', [])).hint).toContain('ALLOWED_INDEX_PATTERNS is empty');
  });
});

describe('checkResolvedIndices (H-27)', () => {
  const ds = (name: string, backing: string[]): NonNullable<ResolveIndexResponse['data_streams']>[number] => ({
    name,
    backing_indices: backing,
    timestamp_field: '@timestamp',
  });

  it.each<[string, ResolveIndexResponse]>([
    ['empty', { indices: [], aliases: [], data_streams: [] }],
    ['fields missing', {}],
    ['concrete indices', { indices: [{ name: 'logs-a', attributes: ['open'] }, { name: 'metrics-b', aliases: ['other'], attributes: ['open'] }], aliases: [], data_streams: [] }],
    ['alias inside pointing inside', { indices: [], aliases: [{ name: 'logs-current', indices: ['logs-2026.01', 'logs-2026.02'] }], data_streams: [] }],
    ['data stream and its backing indices', {
      indices: [{ name: '.ds-logs-app-2026.01.01-000001', attributes: ['hidden', 'open'], data_stream: 'logs-app' }],
      aliases: [],
      data_streams: [ds('logs-app', ['.ds-logs-app-2026.01.01-000001', '.ds-logs-app-2026.01.02-000002'])],
    }],
    ['backing index tagged with an allowed data stream only', { indices: [{ name: '.ds-logs-app-2026.01.01-000001', attributes: ['open'], data_stream: 'logs-app' }] }],
    ['data stream alias pointing to an allowed data stream', { aliases: [{ name: 'logs-all', indices: ['logs-app', 'logs-web'] }] }],
    ['backing_indices / alias.indices given as one string', { aliases: [{ name: 'logs-x', indices: 'logs-a' }], data_streams: [ds('logs-app', [])].map((d) => ({ ...d, backing_indices: '.ds-logs-app-1' })) }],
    ['extra fields of newer versions', { indices: [{ name: 'logs-a', attributes: ['open'], mode: 'logsdb' }] } as ResolveIndexResponse],
  ])('accepts %s', (_name, resolved) => {
    expect(() => checkResolvedIndices(resolved, ALLOW)).not.toThrow();
  });

  it.each<[string, ResolveIndexResponse, string]>([
    ['alias name outside', { aliases: [{ name: 'secret-alias', indices: ['logs-a'] }] }, 'alias "secret-alias"'],
    ['concrete index outside', { indices: [{ name: 'secrets', attributes: ['open'] }] }, 'index "secrets"'],
    ['data stream outside', { data_streams: [ds('secrets-ds', ['.ds-secrets-ds-1'])] }, 'data stream "secrets-ds"'],
    ['backing index of a data stream outside', { indices: [{ name: '.ds-secrets-ds-1', attributes: ['open'], data_stream: 'secrets-ds' }] }, '".ds-secrets-ds-1"'],
    ['backing index with no data stream named', { indices: [{ name: '.ds-logs-app-1', attributes: ['open'] }] }, '".ds-logs-app-1"'],
  ])('refuses %s', (_name, resolved, phrase) => {
    const err = refusal(() => checkResolvedIndices(resolved, ALLOW));
    expect(err.code).toBe('index_pattern_denied');
    expect(err.message).toContain(phrase);
    expect(err.hint).toContain('allowed patterns: logs-*, metrics-*');
  });

  it.each<[string, ResolveIndexResponse, string]>([
    ['H-27 alias logs-x → secrets', { indices: [], aliases: [{ name: 'logs-x', indices: ['secrets'] }], data_streams: [] }, 'secrets'],
    ['alias to several, one outside', { aliases: [{ name: 'logs-x', indices: ['logs-a', 'secrets', 'logs-b'] }] }, 'secrets'],
    ['alias → hidden system index', { aliases: [{ name: 'logs-x', indices: ['.security-7'] }] }, '.security-7'],
    ['alias pointing to a backing index of another stream', { aliases: [{ name: 'logs-x', indices: ['.ds-secrets-1'] }], data_streams: [ds('logs-app', ['.ds-logs-app-1'])] }, '.ds-secrets-1'],
  ])('refuses %s without naming the target outside the allowlist', (_name, resolved, target) => {
    const err = refusal(() => checkResolvedIndices(resolved, ALLOW));
    expect(err.code).toBe('index_pattern_denied');
    expect(err.message).toBe('alias "logs-x" points to an index outside ALLOWED_INDEX_PATTERNS');
    expect(`${err.message} ${err.hint}`).not.toContain(target);
    expect(err.hint).toContain('narrower pattern');
  });

  it.each<[string, ResolveIndexResponse]>([
    ['remote concrete index', { indices: [{ name: 'remoteCluster1:logs-01', attributes: ['open'] }] }],
    ['remote alias target', { aliases: [{ name: 'logs-x', indices: ['c1:logs-a'] }] }],
    ['remote data stream', { data_streams: [ds('c1:logs-app', [])] }],
    ['remote backing index', { data_streams: [ds('logs-app', ['c1:.ds-logs-app-1'])] }],
  ])('refuses %s', (_name, resolved) => {
    const err = refusal(() => checkResolvedIndices(resolved, ['*']));
    expect(err.code).toBe('index_pattern_denied');
    expect(err.message).toContain('remote cluster');
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['indices not an array', { indices: {} }],
    ['an entry without a name', { indices: [{ attributes: ['open'] }] }],
    ['an empty name', { aliases: [{ name: '', indices: [] }] }],
    ['alias targets not names', { aliases: [{ name: 'logs-x', indices: [1] }] }],
    ['an ES error body', { error: { type: 'index_not_found_exception' }, status: 404, indices: 'x' }],
  ])('refuses a malformed response (%s) as backend_error', (_name, resolved) => {
    expect(refusal(() => checkResolvedIndices(resolved as ResolveIndexResponse, ALLOW)).code).toBe('backend_error');
  });

  it('accepts the documented Elasticsearch example once the allowlist covers it', () => {
    // GET /_resolve/index/f*?expand_wildcards=all, from the Elasticsearch reference (remote entry removed).
    const resolved: ResolveIndexResponse = {
      indices: [
        { name: 'foo_closed', attributes: ['closed'] },
        { name: 'freeze-index', aliases: ['f-alias'], attributes: ['open'] },
      ],
      aliases: [{ name: 'f-alias', indices: ['freeze-index', 'my-index-000001'] }],
      data_streams: [{ name: 'foo', backing_indices: ['.ds-foo-2099.03.07-000001'], timestamp_field: '@timestamp' }],
    };
    expect(refusal(() => checkResolvedIndices(resolved, ['f*'])).message).toBe(
      'alias "f-alias" points to an index outside ALLOWED_INDEX_PATTERNS',
    );
    expect(() => checkResolvedIndices(resolved, ['f*', 'my-index-*'])).not.toThrow();
  });
});

describe('isVisibleConcreteIndex', () => {
  const allow = ['logs-*'];
  it.each([
    ['logs-app', true],
    ['.ds-logs-app-2026.11.21-000001', true],
    ['.ds-logs-app-000003', true],
    ['.ds-secrets-2026.11.21-000001', false],
    ['.security-7', false],
    ['secrets', false],
    ['.ds-logs-app-2026.11.21-000001x', false],
  ])('%s → %s', (name, visible) => {
    expect(isVisibleConcreteIndex(name, allow)).toBe(visible);
  });
});
