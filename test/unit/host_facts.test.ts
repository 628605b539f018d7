import { describe, expect, it } from 'vitest';
import type { PromSeries } from '../../src/backends/metrics/prometheus.js';
import type { ToolContext } from '../../src/tools/tool.js';
import { hostFacts } from '../../src/tools/metrics/host_facts.js';
import { CHECKS, CHECK_CAP, FACT_LABEL, certQuery, classifyCertNames, hostCountQuery, hostFactsQuery, jobsQuery, presenceQuery, type HostFactId, type Scope } from '../../src/tools/metrics/host-facts-queries.js';

const DAY = 86_400;

/** A Prometheus that answers the queries it is given a table for, as its HTTP API does, and records every request. */
class FakeProm {
  readonly requests: { path: string; params: Record<string, unknown> }[] = [];
  constructor(
    private readonly answers: Map<string, PromSeries[]>,
    private readonly certNames: string[] = [],
    /** Warnings and infos the server attaches to every query answer. */
    private readonly warnings: string[] = [],
  ) {}

  async get<T>(path: string, params: Record<string, unknown>): Promise<{ data: T; warnings: string[] }> {
    this.requests.push({ path, params });
    if (path === '/api/v1/label/__name__/values') return { data: this.certNames as T, warnings: [] };
    const query = String(params.query);
    const time = Number(params.time);
    const result = (this.answers.get(query) ?? []).map((s) => ({ metric: s.metric, value: [time, s.value![1]] }));
    return { data: { resultType: 'vector', result } as T, warnings: this.warnings };
  }

  queries(): string[] {
    return this.requests.filter((r) => r.path === '/api/v1/query').map((r) => String(r.params.query));
  }
}

function ctx(api: FakeProm, timeoutMs = 30_000): ToolContext {
  return {
    caller: { id: 'test', role: 'elk_viewer', transport: 'direct' },
    signal: new AbortController().signal,
    backends: { all: () => new Map([['prometheus', api]]) },
    config: { BACKEND_TIMEOUT_MS: timeoutMs },
    log: { debug() {}, info() {}, warn() {}, error() {} },
    progress: () => {},
    guarded: { get: () => undefined },
    callableTools: () => [],
  } as unknown as ToolContext;
}

const run = (input: Record<string, unknown>, api: FakeProm, timeoutMs?: number) => hostFacts.handler(hostFacts.input.parse(input), ctx(api, timeoutMs));

const s = (metric: Record<string, string>, value: string | number): PromSeries => ({ metric, value: [0, String(value)] });
const node1 = { instance: 'node-1:9100', job: 'node' };
const node2 = { instance: 'node-2:9100', job: 'node' };

/** The combined host query's answer: each fact's series tagged as Prometheus' label_replace tags them. */
function factAnswer(facts: Partial<Record<HostFactId, PromSeries[]>>): PromSeries[] {
  return Object.entries(facts).flatMap(([id, series]) => series!.map((x) => ({ ...x, metric: { ...x.metric, [FACT_LABEL]: id } })));
}

const PRESENT = ['node_filesystem_size_bytes', 'node_memory_MemAvailable_bytes', 'node_load1', 'node_cpu_seconds_total', 'node_network_receive_errs_total', 'node_network_up', 'node_vmstat_oom_kill', 'node_timex_sync_status', 'node_boot_time_seconds', 'node_time_seconds', 'node_uname_info', 'node_os_info', 'node_filefd_maximum', 'node_nf_conntrack_entries_limit'];

/** Two hosts: node-1's / is 93.2 % full and fills in 11 h, node-2's clock is unsynchronised; no systemd collector; a certificate in node-1's textfile collector. */
function twoHosts(warnings: string[] = []): FakeProm {
  const scope: Scope = { jobs: ['node'] };
  const rootFs = { device: '/dev/sda1', fstype: 'ext4', mountpoint: '/' };
  const certs = classifyCertNames(['x509_cert_not_after']);
  const now = Date.now() / 1000;
  return new FakeProm(
    new Map<string, PromSeries[]>([
      [jobsQuery({}), [s({ job: 'node' }, 2)]],
      [hostCountQuery({}), [s({}, 2)]],
      [
        hostFactsQuery(scope, CHECK_CAP),
        factAnswer({
          uname: [s({ __name__: 'node_uname_info', ...node1, nodename: 'web-1', release: '6.1.0-18-amd64', machine: 'x86_64' }, 1), s({ __name__: 'node_uname_info', ...node2, nodename: 'web-2', release: '6.1.0-20-amd64', machine: 'aarch64' }, 1)],
          memory_used_pct: [s(node1, '41.04'), s(node2, '12.5')],
          root_fs_used_pct: [s(node1, '93.2222'), s(node2, '40')],
          clock_sync_status: [s({ __name__: 'node_timex_sync_status', ...node2 }, 0), s({ __name__: 'node_timex_sync_status', ...node1 }, 1)],
          clock_maxerror_seconds: [s({ __name__: 'node_timex_maxerror_seconds', ...node2 }, 16), s({ __name__: 'node_timex_maxerror_seconds', ...node1 }, 0.0125)],
          uptime_seconds: [s(node1, 40 * DAY), s(node2, 90 * DAY)],
        }),
      ],
      [CHECKS.fs_used_pct(scope), [s({ ...node1, ...rootFs }, '93.2222'), s({ ...node2, ...rootFs }, '40')]],
      [CHECKS.fs_fill_hours(scope), [s({ ...node1, ...rootFs }, '11.02')]],
      [presenceQuery(scope), PRESENT.map((m) => s({ __name__: m }, 2))],
      [certQuery(certs.timestamps, {}), [s({ __name__: 'x509_cert_not_after', ...node1, filepath: '/etc/ssl/web.pem', subject_CN: 'web.example' }, now + 5 * DAY + 600)]],
    ]),
    ['x509_cert_not_after'],
    warnings,
  );
}

describe('host_facts', () => {
  it('answers with problems first, each with its threshold, key facts per host and what is not reported', async () => {
    const api = twoHosts();
    const out = await run({}, api);
    expect(out.summary).toBe(
      '2 hosts (job node); 3 problems (3 critical): certificate web.example (/etc/ssl/web.pem) expires in 5 days on node-1:9100; / is 93.2% full and will fill within 24 h at its 6 h trend (in about 11 h) on node-1:9100; clock unsynchronised on node-2:9100. Not reported: systemd (see missing).',
    );
    expect(out.hosts).toBe(2);
    expect(out.jobs).toEqual(['node']);
    expect(out.findings).toEqual([
      { severity: 'critical', host: 'node-1:9100', area: 'certificate', fact: 'certificate web.example (/etc/ssl/web.pem) expires in 5 days', value: 5, unit: 'days', threshold: 'critical: expired or < 7 days left; warning < 30 days (x509_cert_not_after)' },
      { severity: 'critical', host: 'node-1:9100', area: 'filesystem', fact: '/ will fill within 24 h at its 6 h trend (in about 11 h)', value: 11, unit: 'h', threshold: 'critical: available bytes reach 0 within 24 h (predict_linear over the last 6 h, with at least 1 h of samples)' },
      { severity: 'critical', host: 'node-2:9100', area: 'time', fact: 'clock unsynchronised', value: 0, unit: 'node_timex_sync_status', threshold: 'critical: node_timex_sync_status = 0 (the kernel clock is not synchronised by NTP/chrony)' },
      { severity: 'warning', host: 'node-1:9100', area: 'filesystem', fact: '/ is 93.2% full', value: 93.2, unit: '%', threshold: 'warning ≥ 85%, critical ≥ 95% (used / (used + available), as df computes it)' },
    ]);
    expect(out.per_host).toEqual([
      { host: 'node-1:9100', job: 'node', nodename: 'web-1', kernel: '6.1.0-18-amd64', arch: 'x86_64', memory_used_pct: 41, root_fs_used_pct: 93.2, clock_synced: true, clock_maxerror_ms: 12.5, uptime_hours: 960, critical: 2, warning: 1 },
      { host: 'node-2:9100', job: 'node', nodename: 'web-2', kernel: '6.1.0-20-amd64', arch: 'aarch64', memory_used_pct: 12.5, root_fs_used_pct: 40, clock_synced: false, clock_maxerror_ms: 16_000, uptime_hours: 2160, critical: 1, warning: 0 },
    ]);
    expect(out.missing.map((m) => m.collector)).toEqual(['systemd']);
    expect(out.missing[0]).toMatchObject({ hosts_without: 2, enable: expect.stringMatching(/--collector\.systemd/) });
    expect(out.certificates_checked).toBe(1);
    expect(out.truncated).toBe(false);
    // Validates against its own output schema.
    expect(hostFacts.output.safeParse(out).success).toBe(true);
  });

  it('sends every query at one instant with the server timeout, one second inside the backend deadline', async () => {
    const api = twoHosts();
    await run({}, api, 12_500);
    const queries = api.requests.filter((r) => r.path === '/api/v1/query');
    expect(queries.length).toBeGreaterThan(5);
    expect(new Set(queries.map((r) => r.params.timeout))).toEqual(new Set(['11s']));
    expect(new Set(queries.map((r) => r.params.time)).size).toBe(1);
    await run({}, api, 800);
    expect(api.requests.at(-1)!.params.timeout).toBe('1s');
  });

  it('reads only the asked instance: a hostile value finds no host and reads nobody else', async () => {
    const hostile = 'x"} or vector(1) or {a="';
    const api = twoHosts();
    const out = await run({ instance: hostile }, api);
    expect(out).toMatchObject({ hosts: 0, jobs: [], findings: [], per_host: [], certificates_checked: 0, truncated: false });
    expect(out.summary).toMatch(/^No node exporter host found for instance "x\\"} or vector\(1\) or \{a=\\"" /);
    expect(out.missing.map((m) => m.collector)).toEqual(['node exporter', 'certificates']);
    // Only the discovery and certificate queries ran, each carrying the value as one escaped literal.
    expect(api.queries()).toEqual([jobsQuery({ instance: hostile }), hostCountQuery({ instance: hostile }), certQuery(classifyCertNames(['x509_cert_not_after']).timestamps, { instance: hostile })]);
    for (const q of api.queries()) expect(q).toContain('instance="x\\"} or vector(1) or {a=\\""');
    const names = api.requests.find((r) => r.path === '/api/v1/label/__name__/values')!;
    expect(names.params['match[]']).toEqual(['{__name__=~"(?i).*cert.*expir.*",instance="x\\"} or vector(1) or {a=\\""}']);
  });

  it('reads the facts again for exactly the listed hosts when there are more hosts than a check returns', async () => {
    const many = CHECK_CAP + 20;
    const scope: Scope = { jobs: ['node'] };
    const hosts = Array.from({ length: CHECK_CAP }, (_, i) => ({ instance: `h${String(i).padStart(3, '0')}:9100`, job: 'node' }));
    const listed = ['h007:9100', 'h000:9100'];
    const api = new FakeProm(
      new Map<string, PromSeries[]>([
        [jobsQuery({}), [s({ job: 'node' }, many)]],
        [hostCountQuery({}), [s({}, many)]],
        [hostFactsQuery(scope, CHECK_CAP), factAnswer({ memory_used_pct: hosts.map((h, i) => s(h, i === 7 ? 97 : 10)) })],
        [hostFactsQuery({ jobs: ['node'], instances: listed }, 2), factAnswer({ memory_used_pct: [s(hosts[7], 97), s(hosts[0], 10)], cpus: [s(hosts[7], 4), s(hosts[0], 2)] })],
        [presenceQuery(scope), PRESENT.map((m) => s({ __name__: m }, many))],
      ]),
    );
    const out = await run({ limit: 2 }, api);
    expect(out.hosts).toBe(many);
    expect(out.per_host.map((h) => [h.host, h.cpus, h.memory_used_pct, h.critical])).toEqual([
      ['h007:9100', 4, 97, 1],
      ['h000:9100', 2, 10, 0],
    ]);
    expect(out.truncated).toBe(true);
  });

  it('surfaces the server\'s warnings, once each, except its note that node_vmstat_oom_kill has no _total suffix', async () => {
    const api = twoHosts([
      'PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "node_vmstat_oom_kill" (1:1180)',
      'PromQL warning: encountered a mix of histograms and floats for metric name "x"',
    ]);
    const out = await run({}, api);
    expect(out.warnings).toEqual(['PromQL warning: encountered a mix of histograms and floats for metric name "x"']);
  });

  it('takes label values as text only: no control characters, bounded, strict', () => {
    const bad = [{ instance: 'a\nb' }, { instance: 'a\u0000' }, { job: '\u009b31m' }, { instance: 'x'.repeat(201) }, { instance: '' }, { instance: '\ud800' }, { limit: 51 }, { limit: 0 }, { query: 'up' }, { source: 'Bad-Name' }];
    for (const input of bad) expect(hostFacts.input.safeParse(input).success, JSON.stringify(input)).toBe(false);
    expect(hostFacts.input.parse({ instance: 'x"} or vector(1) or {a="' })).toEqual({ instance: 'x"} or vector(1) or {a="', limit: 10 });
  });

  it('is a metrics tool for viewers', () => {
    expect([hostFacts.name, hostFacts.toolset, hostFacts.leastRole, hostFacts.annotations.readOnlyHint]).toEqual(['host_facts', 'metrics', 'elk_viewer', true]);
  });
});
