import { describe, expect, it } from 'vitest';
import { parsePromql, type PromqlShape } from '../../src/backends/metrics/promql-ast.js';
import {
  CHECKS,
  CHECK_CAP,
  CHECK_IDS,
  HOST_FACT_IDS,
  certNameMatch,
  certQuery,
  classifyCertNames,
  hostCountQuery,
  hostFactsQuery,
  jobsQuery,
  presenceQuery,
  promString,
  reQuote,
  splitFacts,
  type Scope,
} from '../../src/tools/metrics/host-facts-queries.js';

/** Every query host_facts sends for a scope (certificate queries with two metric names). */
function allQueries(s: Scope): string[] {
  return [jobsQuery(s), hostCountQuery(s), hostFactsQuery(s, CHECK_CAP), presenceQuery(s), ...CHECK_IDS.map((id) => CHECKS[id](s)), certQuery(['x509_cert_not_after', 'probe_ssl_earliest_cert_expiry'], s), certNameMatch(s)];
}

/** The structure of an expression with label values blanked: what a value must not be able to change. */
function structure(shape: PromqlShape): unknown {
  return {
    selectors: shape.selectors.map((s) => ({ metric: s.metric, matchers: s.matchers.map((m) => `${m.name}${m.op}`), range: s.rangeMs })),
    calls: shape.calls.map((c) => c.fn),
    subqueries: shape.subqueries.length,
  };
}

const HOSTILE = [
  'x"} or vector(1) or {a="',
  'x\\"} or vector(1) or {a=\\"',
  "x'} or vector(1) or {a='",
  'x`} or vector(1) or {a=`',
  '.*',
  'a|b',
  '\\',
  'x"}[5m]) or on() count({__name__=~".+"}) or (y{z="',
  'ünïcödé 🙂 "quoted"',
];

describe('a caller-supplied label value cannot change a query', () => {
  it.each(HOSTILE)('instance %j stays one literal instance matcher in every query', (instance) => {
    const benign = allQueries({ jobs: ['node'], instance: 'benign' });
    const hostile = allQueries({ jobs: ['node'], instance });
    hostile.forEach((expr, i) => {
      const shape = parsePromql(expr);
      // Same selectors, matchers, functions and subqueries as with a plain value…
      expect(structure(shape)).toEqual(structure(parsePromql(benign[i])));
      // …and every selector carries the value verbatim, as an equality (never a regex).
      for (const s of shape.selectors) expect(s.matchers.filter((m) => m.name === 'instance')).toEqual([{ name: 'instance', op: '=', value: instance }]);
      expect(shape.calls.map((c) => c.fn)).not.toContain('vector');
    });
  });

  it.each(HOSTILE)('job %j and a list of instances are quoted inside their regexes', (value) => {
    for (const expr of allQueries({ jobs: [value, 'node'], instances: [value, '10.0.0.1:9100'] })) {
      for (const s of parsePromql(expr).selectors) {
        const job = s.matchers.find((m) => m.name === 'job')!;
        const inst = s.matchers.find((m) => m.name === 'instance')!;
        expect(job.op).toBe('=~');
        // The regex matches exactly the two values and nothing else (RE2 and JS agree on these escapes).
        const re = (p: string) => new RegExp(`^(?:${p})$`, 'u');
        expect(re(job.value).test(value) && re(job.value).test('node')).toBe(true);
        expect(re(job.value).test('nodeX') || re(job.value).test('other')).toBe(false);
        expect(re(inst.value).test(value) && re(inst.value).test('10.0.0.1:9100')).toBe(true);
        expect(re(inst.value).test('10.0.0.119100')).toBe(false);
      }
    }
  });

  it('escapes like Go string literals and RE2 QuoteMeta', () => {
    expect(promString('a"b\\c\nd')).toBe('"a\\"b\\\\c\\nd"');
    expect(promString('\ud800x')).toBe('"\ufffdx"');
    expect(reQuote('10.0.0.1:9100|.*')).toBe('10\\.0\\.0\\.1:9100\\|\\.\\*');
  });
});

describe('every query is bounded by construction', () => {
  const scope: Scope = { jobs: ['node'] };
  it.each(CHECK_IDS)('%s returns at most CHECK_CAP series, worst first', (id) => {
    expect(CHECKS[id](scope)).toMatch(new RegExp(`^(topk|bottomk)\\(${CHECK_CAP}, `));
  });

  it('bounds each host fact by its own topk/bottomk and tags it', () => {
    const expr = hostFactsQuery(scope, 7);
    const parts = expr.split(' or label_replace(');
    expect(parts).toHaveLength(HOST_FACT_IDS.length);
    for (const p of parts) expect(p).toMatch(/^(label_replace\()?(topk|bottomk)\(7, /);
    expect(parsePromql(expr).selectors.every((s) => s.matchers.some((m) => m.name === 'job' && m.value === 'node'))).toBe(true);
  });

  it('counts jobs (at most 20), hosts and collectors instead of listing series', () => {
    expect(jobsQuery({})).toMatch(/^topk\(20, count by \(job\)/);
    expect(hostCountQuery({})).toMatch(/^count\(group by \(instance\)/);
    expect(presenceQuery(scope)).toMatch(/^count by \(__name__\)/);
    expect(certQuery(['x509_cert_not_after'], {})).toMatch(/^bottomk\(50, \{__name__=~"x509_cert_not_after"\}\)$/);
  });

  it('reads filesystems without pseudo filesystems and computes usage as df does', () => {
    const expr = CHECKS.fs_used_pct(scope);
    const fstype = parsePromql(expr).selectors[0].matchers.find((m) => m.name === 'fstype')!;
    expect(fstype.op).toBe('!~');
    for (const t of ['tmpfs', 'overlay', 'squashfs', 'nsfs', 'ramfs', 'devtmpfs', 'fuse.lxcfs']) expect(new RegExp(`^(?:${fstype.value})$`).test(t)).toBe(true);
    for (const t of ['ext4', 'xfs', 'btrfs', 'zfs', 'fuse_lxcfs']) expect(new RegExp(`^(?:${fstype.value})$`).test(t)).toBe(false);
    expect(expr).toContain('node_filesystem_size_bytes');
    expect(expr).toContain('node_filesystem_free_bytes');
    expect(expr).toContain('node_filesystem_avail_bytes');
  });

  it('predicts filling from the last 6 h of available bytes, within 24 h, for filesystems with an hour of samples', () => {
    const shape = parsePromql(CHECKS.fs_fill_hours(scope));
    expect(shape.calls.map((c) => c.fn).sort()).toEqual(['deriv', 'predict_linear']);
    expect(shape.selectors.map((s) => [s.metric, s.rangeMs, s.offsetMs])).toEqual([
      ['node_filesystem_avail_bytes', 6 * 3_600_000, 0],
      ['node_filesystem_avail_bytes', 6 * 3_600_000, 0],
      ['node_filesystem_avail_bytes', undefined, 3_600_000],
    ]);
    expect(CHECKS.fs_fill_hours(scope)).toMatch(/< 24\) and \(node_filesystem_avail_bytes\{[^}]*\} offset 1h\)\)$/);
  });
});

describe('the combined host query', () => {
  it('is split back by fact, without the tag', () => {
    const split = splitFacts([
      { metric: { instance: 'a:9100', job: 'node', telemcp_fact: 'memory_used_pct' }, value: [1, '12'] },
      { metric: { instance: 'b:9100', job: 'node', telemcp_fact: 'memory_used_pct' }, value: [1, '99'] },
      { metric: { instance: 'a:9100', job: 'node', telemcp_fact: 'no_such_fact' }, value: [1, '1'] },
      { metric: { instance: 'a:9100', job: 'node' }, value: [1, '1'] },
    ]);
    expect(split).toEqual({
      memory_used_pct: [
        { metric: { instance: 'a:9100', job: 'node' }, value: [1, '12'] },
        { metric: { instance: 'b:9100', job: 'node' }, value: [1, '99'] },
      ],
    });
  });
});

describe('certificate metric names found by the label values API', () => {
  it('keeps expiry times and seconds-left gauges apart and drops counters, histograms and booleans', () => {
    const { timestamps, secondsLeft } = classifyCertNames([
      'probe_ssl_earliest_cert_expiry',
      'cert_exporter_cert_expires_in_seconds',
      'x509_cert_expires_in_seconds',
      'x509_cert_expired',
      'apiserver_client_certificate_expiration_seconds_bucket',
      'apiserver_client_certificate_expiration_seconds_count',
      'my_cert_expiry_timestamp',
      'not a metric name"}',
    ]);
    expect(timestamps).toEqual(['probe_ssl_earliest_cert_expiry', 'x509_cert_not_after', 'ssl_cert_not_after', 'ssl_file_cert_not_after', 'certmanager_certificate_expiration_timestamp_seconds', 'my_cert_expiry_timestamp']);
    expect(secondsLeft).toEqual(['cert_exporter_cert_expires_in_seconds', 'x509_cert_expires_in_seconds']);
  });

  it('narrows the name lookup like the queries', () => {
    expect(certNameMatch({ instance: 'h:9100' })).toBe('{__name__=~"(?i).*cert.*expir.*",instance="h:9100"}');
  });
});
