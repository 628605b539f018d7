/**
 * Alertmanager's routing, inhibition and matcher semantics, recomputed by analysis/metrics/alert-routing
 * and checked against answers Alertmanager 0.35 itself gave for the same configurations:
 *
 * - routing tables: `amtool config routes test --config.file=<config> <labels…>` (amtool built from the
 *   alertmanager v0.35.0 module, `go build ./cmd/amtool`, cached at ~/.cache/telemcp/bin/amtool), one
 *   run per label set; its answer (receivers in order) is recorded below as `receivers`;
 * - grouping: the same configuration loaded by the alertmanager binary, alerts POSTed to
 *   /api/v2/alerts, the group labels read back from /api/v2/alerts/groups;
 * - inhibition: alerts POSTed to a real Alertmanager with the configuration, each alert's
 *   status.inhibitedBy read back from /api/v2/alerts (Alertmanager names one source alert, of the
 *   first rule that applies; the labels of that source are recorded).
 *
 * The configurations: the route tree of Alertmanager's documented example (doc/examples/simple.yml,
 * receivers reduced to their names and kinds), the test environment's fixture, the default
 * configuration of the kube-prometheus-stack Helm chart (values.yaml `alertmanager.config`), and
 * one written here for the matcher forms and inheritance rules the others do not exercise.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfigYaml } from '../../src/backends/metrics/alertmanager.js';
import {
  inhibitorsOf,
  matchesAll,
  parseMatchers,
  parseRouting,
  receiverNotifies,
  renderMatcher,
  routeOf,
  silenceMatches,
  type Labels,
  type RoutingConfig,
} from '../../src/analysis/metrics/alert-routing.js';
import { translateRegex } from '../../src/analysis/metrics/re2.js';

function routing(yaml: string): RoutingConfig {
  const { document, error } = parseConfigYaml(yaml);
  expect(error).toBeUndefined();
  return parseRouting(document);
}

/** Parses `a=b c=d` the way amtool's command line takes labels. */
function labels(text: string): Labels {
  return Object.fromEntries(text.split(' ').filter(Boolean).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));
}

const receiversOf = (config: RoutingConfig, text: string) => routeOf(config, labels(text)).map((r) => r.receiver);

/** The route tree of Alertmanager's doc/examples/simple.yml. */
const SIMPLE = `
route:
  group_by: ['alertname', 'cluster', 'service']
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 3h
  receiver: team-X-mails
  routes:
    - matchers:
        - service=~"foo1|foo2|baz"
      receiver: team-X-mails
      routes:
        - matchers:
            - severity="critical"
          receiver: team-X-pager
    - matchers:
        - service="files"
      receiver: team-Y-mails
      routes:
        - matchers:
            - severity="critical"
          receiver: team-Y-pager
    - matchers:
        - service="database"
      receiver: team-DB-pager
      group_by: [alertname, cluster, database]
      routes:
        - matchers:
            - owner="team-X"
          receiver: team-X-pager
          continue: true
        - matchers:
            - owner="team-Y"
          receiver: team-Y-pager
inhibit_rules:
  - source_matchers: [severity="critical"]
    target_matchers: [severity="warning"]
    equal: [alertname, cluster, service]
receivers:
  - name: 'team-X-mails'
    email_configs:
      - to: 'team-x@example.org'
  - name: 'team-X-pager'
    email_configs:
      - to: 'team-x-critical@example.org'
    pagerduty_configs:
      - service_key: team-x-key-0123456789
  - name: 'team-Y-mails'
    email_configs:
      - to: 'team-y@example.org'
  - name: 'team-Y-pager'
    pagerduty_configs:
      - service_key: team-y-key-0123456789
  - name: 'team-DB-pager'
    pagerduty_configs:
      - service_key: team-db-key-0123456789
`;

/** Match forms and inheritance rules: match/match_re, unquoted values, several matchers in one entry, braces, `...`, `group_by: []`. */
const EDGE = `
route:
  receiver: fallback
  group_by: [alertname]
  group_wait: 10s
  routes:
    - receiver: anchored
      match_re:
        service: api
    - receiver: legacy-eq
      match:
        team: storage
        tier: "1"
    - receiver: unquoted
      matchers:
        - severity = page
        - env =~ prod|staging
    - receiver: multi-in-line
      matchers: ['cluster="eu-1", region!="west"']
    - receiver: neg-regex
      matchers: ['job!~"node.*"', 'alertname=~"Disk.+"']
    - receiver: all-labels
      group_by: ['...']
      matchers: ['group="all"']
      continue: true
      routes:
        - receiver: child-inherits
          matchers: [sub="1"]
    - receiver: empty-value
      matchers: ['owner=""', 'kind="orphan"']
    - receiver: case-insensitive
      matchers: ['component=~"(?i)database"']
    - receiver: braces
      matchers: ['{app="shop",stage=~"blue|green"}']
    - receiver: last-continue
      matchers: ['group="all"']
      group_by: []
      group_interval: 1m
receivers:
  - name: fallback
  - name: anchored
    webhook_configs: [{url: 'http://127.0.0.1:1/a'}]
  - name: legacy-eq
  - name: unquoted
  - name: multi-in-line
  - name: neg-regex
  - name: all-labels
  - name: child-inherits
  - name: empty-value
  - name: case-insensitive
  - name: braces
  - name: last-continue
`;

/** kube-prometheus-stack's default alertmanager.config (charts/kube-prometheus-stack/values.yaml). */
const KUBE_PROMETHEUS_STACK = `
global:
  resolve_timeout: 5m
inhibit_rules:
  - source_matchers:
      - 'severity = critical'
    target_matchers:
      - 'severity =~ warning|info'
    equal:
      - 'namespace'
      - 'alertname'
  - source_matchers:
      - 'severity = warning'
    target_matchers:
      - 'severity = info'
    equal:
      - 'namespace'
      - 'alertname'
  - source_matchers:
      - 'alertname = InfoInhibitor'
    target_matchers:
      - 'severity = info'
    equal:
      - 'namespace'
  - target_matchers:
      - 'alertname = InfoInhibitor'
route:
  group_by: ['namespace']
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 12h
  receiver: 'null'
  routes:
  - receiver: 'null'
    matchers:
      - alertname = "Watchdog"
receivers:
- name: 'null'
templates:
- '/etc/alertmanager/config/*.tmpl'
`;

/** Inhibition corner cases: a rule whose sides both match one alert, old-style source_match/target_match_re, an `equal` label missing on both sides. */
const TWO_SIDED = `
route:
  receiver: r
receivers:
  - name: r
inhibit_rules:
  - source_matchers: ['alertname="Maintenance"']
    target_matchers: ['severity="warning"']
    equal: [cluster]
  - source_matchers: ['team="db"']
    target_matchers: ['team="db"']
    equal: [cluster]
  - source_match:
      severity: critical
    target_match_re:
      severity: 'warn.*'
    equal: [zone]
`;

const FIXTURE = readFileSync(join(import.meta.dirname, '../fixtures/metrics/alertmanager.yml'), 'utf8');

// [labels as given to amtool, receivers amtool answered]
const SIMPLE_ROUTES: [string, string[]][] = [
  ['service=foo1', ['team-X-mails']],
  ['service=foo2 severity=critical', ['team-X-pager']],
  ['service=baz severity=warning', ['team-X-mails']],
  ['service=foo3 severity=critical', ['team-X-mails']],
  ['service=files', ['team-Y-mails']],
  ['service=files severity=critical', ['team-Y-pager']],
  ['service=database', ['team-DB-pager']],
  ['service=database owner=team-X', ['team-X-pager']],
  ['service=database owner=team-Y', ['team-Y-pager']],
  ['service=database owner=team-Z severity=critical', ['team-DB-pager']],
  ['service=database owner=team-X severity=critical', ['team-X-pager']],
  ['alertname=Foo', ['team-X-mails']],
  ['severity=critical', ['team-X-mails']],
  ['service=Files', ['team-X-mails']],
  ['service=foo1|foo2', ['team-X-mails']],
];

const EDGE_ROUTES: [string, string[]][] = [
  ['service=api', ['anchored']],
  ['service=api-gateway', ['fallback']],
  ['service=xapi', ['fallback']],
  ['team=storage tier=1', ['legacy-eq']],
  ['team=storage tier=2', ['fallback']],
  ['team=storage', ['fallback']],
  ['severity=page env=prod', ['unquoted']],
  ['severity=page env=production', ['fallback']],
  ['severity=page', ['fallback']],
  ['cluster=eu-1', ['multi-in-line']],
  ['cluster=eu-1 region=west', ['fallback']],
  ['cluster=eu-1 region=east', ['multi-in-line']],
  ['alertname=DiskFull job=app', ['neg-regex']],
  ['alertname=DiskFull job=node-exporter', ['fallback']],
  ['alertname=Disk job=app', ['fallback']],
  ['group=all', ['all-labels', 'last-continue']],
  ['group=all sub=1', ['child-inherits', 'last-continue']],
  ['group=all sub=2 service=api', ['anchored']],
  ['kind=orphan', ['empty-value']],
  ['kind=orphan owner=me', ['fallback']],
  ['component=DataBase', ['case-insensitive']],
  ['component=database-replica', ['fallback']],
  ['app=shop stage=green', ['braces']],
  ['app=shop stage=red', ['fallback']],
  ['service=api team=storage tier=1', ['anchored']],
  ['alertname=Anything', ['fallback']],
];

const FIXTURE_ROUTES: [string, string[]][] = [
  ['alertname=Watchdog', ['watchdog-null']],
  ['alertname=Watchdog severity=critical', ['watchdog-null']],
  ['severity=critical', ['pager']],
  ['severity=critical namespace=payments', ['pager', 'team-payments']],
  ['severity=warning namespace=billing', ['team-payments']],
  ['severity=warning namespace=payments-eu', ['default-null']],
  ['team=infra severity=warning', ['team-infra-slack']],
  ['team=infra severity=critical', ['pager']],
  ['team=infra severity=page', ['default-null']],
  ['alertname=X', ['default-null']],
];

const KPS_ROUTES: [string, string[]][] = [
  ['alertname=Watchdog', ['null']],
  ['alertname=KubePodCrashLooping severity=warning namespace=default', ['null']],
  ['alertname=InfoInhibitor', ['null']],
];

describe('routeOf answers as amtool config routes test does', () => {
  const cases = [
    ['simple.yml', SIMPLE, SIMPLE_ROUTES],
    ['edge cases', EDGE, EDGE_ROUTES],
    ['test fixture', FIXTURE, FIXTURE_ROUTES],
    ['kube-prometheus-stack', KUBE_PROMETHEUS_STACK, KPS_ROUTES],
  ] as const;
  for (const [name, yaml, table] of cases) {
    it(`${name}: ${table.length} label sets`, () => {
      const config = routing(yaml);
      expect(config.problems).toEqual([]);
      for (const [given, receivers] of table) expect(receiversOf(config, given), given).toEqual(receivers);
    });
  }

  it('covers at least 20 label sets on the documented example and the edge cases', () => {
    expect(SIMPLE_ROUTES.length + EDGE_ROUTES.length).toBeGreaterThanOrEqual(20);
  });
});

describe('inheritance along the tree', () => {
  it('inherits group_by and timings, replaces them where a route sets them (group labels as /api/v2/alerts/groups showed them)', () => {
    const config = routing(EDGE);
    const [allLabels, last] = routeOf(config, labels('alertname=A group=all x=1'));
    expect(allLabels).toMatchObject({ receiver: 'all-labels', group_by: ['...'], group_wait: '10s', group_interval: '5m', repeat_interval: '4h', continue: true, path: 'routes[5]' });
    // `group_by: []` groups everything the route gets into one group.
    expect(last).toMatchObject({ receiver: 'last-continue', group_by: [], group_interval: '1m', continue: false, path: 'routes[9]' });
    expect(routeOf(config, labels('alertname=B group=all sub=1'))[0]).toMatchObject({ receiver: 'child-inherits', group_by: ['...'], path: 'routes[5].routes[0]' });
    expect(routeOf(config, labels('alertname=C service=api'))[0]).toMatchObject({ receiver: 'anchored', group_by: ['alertname'], matchers: ['service=~"api"'] });
  });

  it('names the documented example\'s routes and their grouping', () => {
    const config = routing(SIMPLE);
    expect(routeOf(config, labels('service=database owner=team-X'))).toEqual([
      { path: 'routes[2].routes[0]', matchers: ['owner="team-X"'], receiver: 'team-X-pager', group_by: ['alertname', 'cluster', 'database'], continue: true, group_wait: '30s', group_interval: '5m', repeat_interval: '3h' },
    ]);
    expect(routeOf(config, labels('alertname=Foo'))).toEqual([
      { path: 'root', matchers: [], receiver: 'team-X-mails', group_by: ['alertname', 'cluster', 'service'], continue: false, group_wait: '30s', group_interval: '5m', repeat_interval: '3h' },
    ]);
  });

  it('keeps mute and active time intervals with the route that names them (they are not inherited)', () => {
    const config = routing(`
route:
  receiver: a
  routes:
    - receiver: b
      matchers: [x="1"]
      mute_time_intervals: [weekends]
      routes:
        - receiver: c
          matchers: [y="1"]
    - receiver: d
      matchers: [x="2"]
      active_time_intervals: [office-hours]
receivers: [{name: a}, {name: b}, {name: c}, {name: d}]
`);
    expect(routeOf(config, labels('x=1'))[0].mute_time_intervals).toEqual(['weekends']);
    expect(routeOf(config, labels('x=1 y=1'))[0].mute_time_intervals).toBeUndefined();
    expect(routeOf(config, labels('x=2'))[0].active_time_intervals).toEqual(['office-hours']);
  });
});

describe('receivers', () => {
  it('says which receivers notify anybody, by integration kind only', () => {
    const config = routing(SIMPLE);
    expect([...config.receivers.values()]).toEqual([
      { name: 'team-X-mails', integrations: ['email'] },
      { name: 'team-X-pager', integrations: ['email', 'pagerduty'] },
      { name: 'team-Y-mails', integrations: ['email'] },
      { name: 'team-Y-pager', integrations: ['pagerduty'] },
      { name: 'team-DB-pager', integrations: ['pagerduty'] },
    ]);
    const kps = routing(KUBE_PROMETHEUS_STACK);
    expect(receiverNotifies(kps, 'null')).toBe(false);
    expect(receiverNotifies(config, 'team-Y-pager')).toBe(true);
    expect(receiverNotifies(config, 'nobody')).toBeUndefined();
  });

  it('keeps no receiver setting (keys, addresses, URLs) anywhere in what it returns', () => {
    const text = JSON.stringify({ ...routing(SIMPLE), receivers: [...routing(SIMPLE).receivers.values()] }) + JSON.stringify([...routing(FIXTURE).receivers.values()]);
    for (const secret of ['key-0123456789', 'example.org', 'http://', '19098']) expect(text).not.toContain(secret);
  });

  it('reads the configuration as Alertmanager re-marshals it in /api/v2/status (secrets as <secret>, continue written out)', () => {
    const config = routing(`route:
  receiver: default-null
  group_by:
  - alertname
  continue: false
  routes:
  - receiver: pager
    matchers:
    - severity="critical"
    continue: true
  - receiver: team-payments
    match_re:
      namespace: payments|billing
    continue: false
  group_wait: 1s
receivers:
- name: default-null
  labels:
    name: default-null
- name: pager
  webhook_configs:
  - send_resolved: false
    url: <secret>
    url_file: ""
    max_alerts: 0
- name: team-payments
  webhook_configs: []
`);
    expect(receiversOf(config, 'severity=critical namespace=billing')).toEqual(['pager', 'team-payments']);
    expect([...config.receivers.values()].map((r) => [r.name, r.integrations])).toEqual([['default-null', []], ['pager', ['webhook']], ['team-payments', []]]);
  });
});

describe('matchers', () => {
  const one = (text: string) => {
    const [m, ...rest] = parseMatchers(text);
    expect(rest).toEqual([]);
    return { name: m.name, op: m.op, value: m.value };
  };

  it('reads the three syntaxes Alertmanager accepts in a matchers list', () => {
    expect(one('a="b"')).toEqual({ name: 'a', op: '=', value: 'b' });
    expect(one('c=~"d|e"')).toEqual({ name: 'c', op: '=~', value: 'd|e' });
    expect(one('f!="g"')).toEqual({ name: 'f', op: '!=', value: 'g' });
    expect(one('h!~"i"')).toEqual({ name: 'h', op: '!~', value: 'i' });
    expect(one('severity = critical')).toEqual({ name: 'severity', op: '=', value: 'critical' });
    expect(one('severity =~ warning|info')).toEqual({ name: 'severity', op: '=~', value: 'warning|info' });
    expect(one('msg="say \\"hi\\", then\\nleave"')).toEqual({ name: 'msg', op: '=', value: 'say "hi", then\nleave' });
    expect(one('path="C:\\temp"')).toEqual({ name: 'path', op: '=', value: 'C:\\temp' });
    expect(one('empty=""')).toEqual({ name: 'empty', op: '=', value: '' });
    // Not a classic label name: the UTF-8 parser reads it, quoted.
    expect(one('"service.name"="checkout"')).toEqual({ name: 'service.name', op: '=', value: 'checkout' });
    expect(parseMatchers('{a="1", b=~"x,y", c!=3,}').map(renderMatcher)).toEqual(['a="1"', 'b=~"x,y"', 'c!="3"']);
  });

  it('refuses what both of Alertmanager\'s parsers refuse', () => {
    for (const bad of ['a', '=b', 'a=="b"', 'a="b', 'a="b"c"', 'a="b" c="d"']) expect(() => parseMatchers(bad), bad).toThrow();
    // The classic parser trims each brace on its own, and reads `==b` as the value "=b".
    expect(parseMatchers('{a="b"').map(renderMatcher)).toEqual(['a="b"']);
    expect(parseMatchers('a==b').map(renderMatcher)).toEqual(['a="=b"']);
  });

  it('anchors regexes as Alertmanager does, and reads RE2 where JavaScript differs', () => {
    const matches = (matcher: string, value: string) => matchesAll(parseMatchers(matcher), { l: value });
    expect(matches('l=~"api"', 'api')).toBe(true);
    expect(matches('l=~"api"', 'api-gw')).toBe(false);
    expect(matches('l=~"a|b"', 'ab')).toBe(false);
    expect(matches('l=~"(?i)prod"', 'PROD')).toBe(true);
    expect(matches('l=~"[[:digit:]]+"', '123')).toBe(true);
    expect(matches('l=~"[[:digit:]]+"', '12a')).toBe(false);
    expect(matches('l=~"\\\\Qa.b\\\\E"', 'a.b')).toBe(true);
    expect(matches('l=~"\\\\Qa.b\\\\E"', 'axb')).toBe(false);
    expect(matches('l=~"x\\\\z"', 'x')).toBe(true);
    expect(matches('l=~"\\\\pL+"', 'héllo')).toBe(true);
    expect(matches('l=~"[]a]+"', ']a]')).toBe(true);
    expect(matches('l=~"a\\\\sb"', 'a\u00a0b')).toBe(false);
    expect(matches('l=~"a\\\\sb"', 'a b')).toBe(true);
    expect(matches('l=~"\\\\d{2}"', '12')).toBe(true);
    expect(matches('l=~"é."', 'é😀')).toBe(true);
    expect(matches('l=~"a{"', 'a{')).toBe(true);
    expect(matches('l!~".+"', '')).toBe(true);
    // A label the alert lacks reads as "".
    expect(matchesAll(parseMatchers('missing=""'), {})).toBe(true);
    expect(matchesAll(parseMatchers('constructor=""'), {})).toBe(true);
    expect(translateRegex('(?P<x>a)')).toEqual({ source: '^(?:(?<x>a))$', flags: '' });
  });

  it('marks regexes it cannot read faithfully, and they match nothing', () => {
    const [m] = parseMatchers('l=~"a(?i)b"');
    expect(m.unsupported).toBeDefined();
    expect(matchesAll([m], { l: 'ab' })).toBe(false);
    const config = routing('route:\n  receiver: a\n  routes:\n    - receiver: b\n      matchers: [\'l=~"(?U)a+"\']\nreceivers: [{name: a}, {name: b}]\n');
    expect(config.problems).toEqual([expect.stringContaining('cannot be evaluated here')]);
    expect(receiversOf(config, 'l=a')).toEqual(['a']);
  });

  it('does not run regexes that backtrack badly (exponential or high-polynomial in a backtracking engine; linear in RE2)', () => {
    // A quantified group holding a quantifier or an alternation, or more than three unbounded quantifiers.
    for (const risky of ['(a+)+', '(.*a)*', '((ab)*c)+', '(x+){2,}', '(.|a)*z', '(a|a)*b?', '(a|b)+', '.*a.*b.*c.*d']) expect(parseMatchers(`l=~"${risky}"`)[0].unsupported, risky).toMatch(/nested quantifiers/);
    for (const fine of ['.*', '(foo|bar)-.*', '[ab]+', '[a-z]+(-v2)?', '(ab){2}', 'x{1,3}', '[(+)]+', '.*foo.*bar.*']) expect(parseMatchers(`l=~"${fine}"`)[0].unsupported, fine).toBeUndefined();
    // Never evaluated, so never a match, whatever the value.
    expect(matchesAll(parseMatchers('l=~"(.|a)*z"'), { l: `${'a'.repeat(40)}!` })).toBe(false);
  });
});

describe('inhibition as Alertmanager applies it', () => {
  type Row = [Labels, Labels | undefined];
  /** [alert, the inhibiting alert Alertmanager named in status.inhibitedBy (undefined: not inhibited)] */
  const check = (yaml: string, rows: Row[]) => {
    const config = routing(yaml);
    const firing = rows.map(([l]) => ({ labels: l }));
    for (const [alert, by] of rows) {
      const found = inhibitorsOf(config.inhibitRules, alert, firing);
      if (!by) {
        expect(found, JSON.stringify(alert)).toEqual([]);
        continue;
      }
      expect(found.flatMap((f) => f.sources.map((s) => s.labels)), JSON.stringify(alert)).toContainEqual(by);
    }
  };

  it('kube-prometheus-stack: critical over warning/info per namespace+alertname, InfoInhibitor over info, and InfoInhibitor muted by any other alert', () => {
    const critical = { alertname: 'KubeNodeNotReady', severity: 'critical', namespace: 'kube-system' };
    const warning = { alertname: 'KubeNodeNotReady', severity: 'warning', namespace: 'kube-system' };
    const info = { alertname: 'CPUThrottlingHigh', severity: 'info', namespace: 'monitoring' };
    const infoInhibitor = { alertname: 'InfoInhibitor', severity: 'none', namespace: 'monitoring' };
    check(KUBE_PROMETHEUS_STACK, [
      [critical, undefined],
      [warning, critical],
      [{ alertname: 'KubeNodeNotReady', severity: 'warning', namespace: 'default' }, undefined],
      [info, infoInhibitor],
      [infoInhibitor, warning],
      [{ alertname: 'KubeNodeNotReady', severity: 'info', namespace: 'kube-system' }, critical],
      [{ alertname: 'Watchdog', severity: 'none' }, undefined],
    ]);
  });

  it('an alert matching both sides never inhibits itself or its like; a label missing on both sides counts as equal', () => {
    const maintenanceInfo = { alertname: 'Maintenance', severity: 'info', cluster: 'c1' };
    const noZoneCritical = { alertname: 'NoZone2', severity: 'critical' };
    check(TWO_SIDED, [
      [{ alertname: 'Maintenance', severity: 'warning', cluster: 'c1' }, maintenanceInfo],
      [maintenanceInfo, undefined],
      [{ alertname: 'Maintenance', severity: 'warning', cluster: 'c2' }, noZoneCritical],
      [{ alertname: 'HighLatency', severity: 'warning', cluster: 'c1' }, { alertname: 'Maintenance', severity: 'warning', cluster: 'c1' }],
      [{ alertname: 'DbDown', team: 'db', cluster: 'c1' }, undefined],
      [{ alertname: 'DbSlow', team: 'db', cluster: 'c1' }, undefined],
      [{ alertname: 'ZoneDown', severity: 'critical', zone: 'z1' }, undefined],
      [{ alertname: 'ZoneSlow', severity: 'warning', zone: 'z1' }, { alertname: 'ZoneDown', severity: 'critical', zone: 'z1' }],
      [{ alertname: 'NoZone', severity: 'warning' }, noZoneCritical],
      [noZoneCritical, undefined],
    ]);
  });

  it('says which rule and which equal labels', () => {
    const config = routing(FIXTURE);
    const source = { labels: { alertname: 'TargetDown', severity: 'critical', instance: 'h:1' }, fingerprint: 'f1' };
    expect(inhibitorsOf(config.inhibitRules, { alertname: 'HighLatency', severity: 'warning', instance: 'h:1' }, [source])).toEqual([{ rule: 0, equal: ['instance'], sources: [source] }]);
    expect(inhibitorsOf(config.inhibitRules, { alertname: 'HighLatency', severity: 'warning', instance: 'h:2' }, [source])).toEqual([]);
  });
});

describe('silence matching', () => {
  it('reads the v2 matcher form, isEqual defaulting to true (before 0.22 it is absent)', () => {
    const l = { alertname: 'Watchdog', namespace: 'monitoring' };
    expect(silenceMatches([{ name: 'alertname', value: 'Watchdog', isRegex: false }], l)).toBe(true);
    expect(silenceMatches([{ name: 'alertname', value: 'Watch.*', isRegex: true, isEqual: true }], l)).toBe(true);
    expect(silenceMatches([{ name: 'alertname', value: 'Watch', isRegex: true }], l)).toBe(false);
    expect(silenceMatches([{ name: 'namespace', value: 'monitoring', isRegex: false, isEqual: false }], l)).toBe(false);
    expect(silenceMatches([{ name: 'namespace', value: 'kube-.*', isRegex: true, isEqual: false }], l)).toBe(true);
    expect(silenceMatches([], l)).toBe(false);
  });
});

describe('configuration problems', () => {
  it('reports a configuration without a route, and an invalid matcher matches nothing', () => {
    expect(parseRouting({ receivers: [] }).problems).toEqual(['the configuration has no route']);
    expect(parseRouting('text').problems).toEqual(['the configuration is not a YAML mapping']);
    const config = routing('route:\n  receiver: a\n  routes:\n    - receiver: b\n      matchers: [\'a="b\']\nreceivers: [{name: a}, {name: b}]\n');
    expect(config.problems[0]).toMatch(/is not valid/);
    expect(receiversOf(config, 'a=b')).toEqual(['a']);
  });
});
