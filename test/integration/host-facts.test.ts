/**
 * host_facts on the real servers of scripts/test-env.sh: Prometheus 3.16 scraping a node
 * exporter on this machine (job `node`). The answer is checked against this machine's own facts
 * (`uname -r`, `df`, /proc/uptime) and the node exporter's own /metrics; certificates are planted
 * through its textfile collector under the metric names of documented exporters.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../src/app.js';
import { testConfig } from '../helpers/config.js';
import { callOk, uniqueSuffix } from '../helpers/es-fixtures.js';
import { requireMetricsUrl, requireTextfileDir, waitForScrape, writeTextfile } from '../helpers/metrics-env.js';

const DAY = 86_400;

interface Finding {
  severity: 'critical' | 'warning' | 'info';
  host: string;
  area: string;
  fact: string;
  value: number;
  unit: string;
  threshold: string;
}
interface HostFacts {
  summary: string;
  jobs: string[];
  hosts: number;
  findings: Finding[];
  per_host: Record<string, unknown>[];
  missing: { collector: string; metric: string; hosts_without: number; enable: string }[];
  certificates_checked: number;
  truncated: boolean;
}

/** One sample of the node exporter's own exposition, by metric name and label subset. */
function sampleOf(exposition: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('host_facts on Prometheus scraping a real node exporter', () => {
  const promUrl = requireMetricsUrl('TEST_PROMETHEUS_URL');
  const nodeUrl = requireMetricsUrl('TEST_NODE_EXPORTER_URL');
  const textfileDir = requireTextfileDir();
  /** The node exporter as Prometheus labels it. */
  const instance = new URL(nodeUrl).host;
  const tag = uniqueSuffix();
  const soonPath = `/etc/ssl/host-facts-${tag}.pem`;
  const laterPath = `/etc/ssl/host-facts-${tag}-ca.crt`;
  let removeTextfile: (() => Promise<void>) | undefined;
  let app: App;

  beforeAll(async () => {
    const notAfter = Math.floor(Date.now() / 1000) + 5 * DAY;
    // x509-certificate-exporter's expiry time, and joe-elliott/cert-exporter's seconds-left gauge (found by its *cert*expir* name).
    removeTextfile = await writeTextfile(
      textfileDir,
      `host-facts-${tag}`,
      [
        '# HELP x509_cert_not_after The date after which the certificate expires (unix time).',
        '# TYPE x509_cert_not_after gauge',
        `x509_cert_not_after{filepath="${soonPath}",subject_CN="host-facts-${tag}.test"} ${notAfter}`,
        '# HELP cert_exporter_cert_expires_in_seconds Number of seconds til the cert expires.',
        '# TYPE cert_exporter_cert_expires_in_seconds gauge',
        `cert_exporter_cert_expires_in_seconds{filename="${laterPath}",issuer="root",nodename="test"} ${20 * DAY}`,
      ].join('\n'),
    );
    await waitForScrape(promUrl, `x509_cert_not_after{filepath="${soonPath}"}`);
    await waitForScrape(promUrl, `cert_exporter_cert_expires_in_seconds{filename="${laterPath}"}`);
    // The CPU checks are rates: two scrapes of the node exporter at least.
    await waitForScrape(promUrl, `rate(node_cpu_seconds_total{instance="${instance}",mode="idle"}[5m])`);
    app = buildApp(testConfig({ PROMETHEUS_URL: promUrl }));
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await removeTextfile?.();
  });

  it('finds this machine with the kernel uname reports, / as df and the node exporter measure it, its CPUs and uptime', async () => {
    const out = await callOk<HostFacts>(app, 'host_facts', { instance });
    const exposition = await (await fetch(`${nodeUrl}/metrics`)).text();
    expect(out.hosts).toBe(1);
    expect(out.jobs).toEqual(['node']);
    expect(out.per_host).toHaveLength(1);
    const me = out.per_host[0];
    expect(me.host).toBe(instance);
    expect(me.job).toBe('node');
    expect(me.kernel).toBe(execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim());
    expect(me.kernel).toBe(release());

    // Used share of / as df computes it: used / (used + available), from the node exporter's own numbers…
    const root = { mountpoint: '/' };
    const size = sampleOf(exposition, 'node_filesystem_size_bytes', root)!;
    const free = sampleOf(exposition, 'node_filesystem_free_bytes', root)!;
    const avail = sampleOf(exposition, 'node_filesystem_avail_bytes', root)!;
    const exporterPct = (100 * (size - free)) / (size - free + avail);
    expect(Math.abs((me.root_fs_used_pct as number) - exporterPct)).toBeLessThanOrEqual(0.2);
    // …and from df itself (1-byte blocks), whose Use% rounds the same share up.
    const [, dfLine] = execFileSync('df', ['-P', '-B1', '/'], { encoding: 'utf8' }).trim().split('\n');
    const [, , used, available, usePct] = dfLine.split(/\s+/);
    const dfPct = (100 * Number(used)) / (Number(used) + Number(available));
    expect(Math.abs((me.root_fs_used_pct as number) - dfPct)).toBeLessThanOrEqual(0.2);
    expect(Number(usePct.replace('%', ''))).toBe(Math.ceil(dfPct));

    expect(me.cpus).toBe(cpus().length);
    const uptimeHours = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) / 3600;
    expect(Math.abs((me.uptime_hours as number) - uptimeHours)).toBeLessThanOrEqual(0.1);

    // The clock as the kernel reports it through the node exporter; unsynchronised is a critical finding.
    const synced = sampleOf(exposition, 'node_timex_sync_status') === 1;
    expect(me.clock_synced).toBe(synced);
    expect(out.findings.some((f) => f.host === instance && f.area === 'time' && f.severity === 'critical' && f.fact === 'clock unsynchronised')).toBe(!synced);

    // An interface switched off on purpose (adminstate down) is not a link down.
    for (const line of exposition.split('\n').filter((l) => l.startsWith('node_network_info{') && l.includes('adminstate="down"'))) {
      const device = /device="([^"]*)"/.exec(line)![1];
      expect(out.findings.map((f) => f.fact)).not.toContain(`link ${device} is down`);
    }
  });

  it('reports the certificates of the textfile collector with the days left: < 7 d critical, < 30 d warning', async () => {
    const out = await callOk<HostFacts>(app, 'host_facts', {});
    expect(out.jobs).toContain('node');
    expect(out.hosts).toBeGreaterThanOrEqual(1);
    const soon = out.findings.find((f) => f.area === 'certificate' && f.fact.includes(soonPath));
    expect(soon).toMatchObject({ severity: 'critical', host: instance, unit: 'days', fact: expect.stringMatching(new RegExp(`^certificate host-facts-${tag}\\.test \\(${soonPath.replace(/\./g, '\\.')}\\) expires in 4\\.9|5 days$`)) });
    expect(soon!.value).toBeGreaterThanOrEqual(4.9);
    expect(soon!.value).toBeLessThanOrEqual(5);
    expect(soon!.threshold).toMatch(/x509_cert_not_after/);
    const later = out.findings.find((f) => f.area === 'certificate' && f.fact.includes(laterPath));
    expect(later).toMatchObject({ severity: 'warning', host: instance, value: 20, unit: 'days', threshold: expect.stringMatching(/cert_exporter_cert_expires_in_seconds/) });
    expect(out.certificates_checked).toBeGreaterThanOrEqual(2);
    expect(out.summary).toMatch(/^\d+ hosts? \(job [^)]*node[^)]*\); \d+ problems? \(\d+ critical\): /);

    // Problems first, each with the threshold it crossed.
    const rank = { critical: 0, warning: 1, info: 2 };
    for (let i = 1; i < out.findings.length; i++) expect(rank[out.findings[i].severity]).toBeGreaterThanOrEqual(rank[out.findings[i - 1].severity]);
    for (const f of out.findings) expect(f.threshold.length).toBeGreaterThan(5);

    // The systemd collector is reported missing exactly when this node exporter runs without it.
    const exposition = await (await fetch(`${nodeUrl}/metrics`)).text();
    const systemdOn = exposition.includes('\nnode_systemd_unit_state{');
    expect(out.missing.some((m) => m.collector === 'systemd' && /--collector\.systemd/.test(m.enable))).toBe(!systemdOn);
  });

  it('answers a hostile instance with no host: not an error, and nobody else’s data', async () => {
    for (const hostile of ['x"} or vector(1) or {a="', `${instance}"} or node_uname_info or {a="`, '.*']) {
      const out = await callOk<HostFacts>(app, 'host_facts', { instance: hostile });
      expect(out).toMatchObject({ hosts: 0, jobs: [], findings: [], per_host: [], certificates_checked: 0 });
      expect(out.summary).toMatch(/^No node exporter host found for instance /);
    }
  });

  it('finds no host in a job that exports no node exporter metrics', async () => {
    const out = await callOk<HostFacts>(app, 'host_facts', { job: 'prometheus' });
    expect(out).toMatchObject({ hosts: 0, jobs: [], per_host: [] });
    expect(out.findings.filter((f) => f.area !== 'certificate')).toEqual([]);
  });
});
