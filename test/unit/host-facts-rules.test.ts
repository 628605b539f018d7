import { describe, expect, it } from 'vitest';
import type { PromSeries } from '../../src/backends/metrics/prometheus.js';
import { CHECK_CAP } from '../../src/tools/metrics/host-facts-queries.js';
import { certFindings, chooseHosts, evaluateChecks, floor, hostEntries, missingCollectors, round, summarize, type Finding } from '../../src/tools/metrics/host-facts-rules.js';

/** The evaluation instant of every sample below (unix seconds), as the query API writes it. */
const T = 1_796_652_000;

/** One series of an instant vector as the Prometheus HTTP API returns it. */
function sample(metric: Record<string, string>, value: string | number): PromSeries {
  return { metric, value: [T, String(value)] };
}

const node1 = { instance: 'node-1:9100', job: 'node' };
const node2 = { instance: 'node-2:9100', job: 'node' };
const rootFs = { device: '/dev/sda1', fstype: 'ext4', mountpoint: '/' };

describe('filesystem findings', () => {
  it('grades usage at 85 % (warning) and 95 % (critical), as df computes it, and ignores the rest', () => {
    const { findings } = evaluateChecks(
      {
        fs_used_pct: [
          sample({ ...node1, ...rootFs }, '96.04'),
          sample({ ...node1, device: '/dev/sdb1', fstype: 'xfs', mountpoint: '/data' }, '85'),
          sample({ ...node2, ...rootFs }, '84.99'),
          sample({ ...node2, device: '/dev/sdc', fstype: 'ext4', mountpoint: '/broken' }, 'NaN'),
        ],
      },
      {},
    );
    expect(findings.map((f) => [f.severity, f.host, f.fact, f.value, f.unit])).toEqual([
      ['critical', 'node-1:9100', '/ is 96% full', 96, '%'],
      ['warning', 'node-1:9100', '/data is 85% full', 85, '%'],
    ]);
    expect(findings[0].threshold).toBe('warning ≥ 85%, critical ≥ 95% (used / (used + available), as df computes it)');
  });

  it('reports inodes, read-only mounts and a filesystem filling within 24 h at its 6 h trend', () => {
    const { findings } = evaluateChecks(
      {
        inodes_used_pct: [sample({ ...node1, ...rootFs }, '97.3'), sample({ ...node2, ...rootFs }, '12')],
        fs_readonly: [sample({ ...node2, device: '/dev/sdd', fstype: 'ext4', mountpoint: '/srv' }, '1')],
        fs_fill_hours: [sample({ ...node1, ...rootFs }, '5.44'), sample({ ...node2, ...rootFs }, '-3')],
      },
      {},
    );
    expect(findings.map((f) => [f.severity, f.host, f.fact, f.value])).toEqual([
      ['critical', 'node-1:9100', '/ has used 97.3% of its inodes', 97.3],
      ['critical', 'node-1:9100', '/ will fill within 24 h at its 6 h trend (in about 5.4 h)', 5.4],
      ['critical', 'node-2:9100', '/ is full at its 6 h trend', 0],
      ['warning', 'node-2:9100', '/srv is mounted read-only', 1],
    ]);
    for (const f of findings) expect(f.threshold).not.toBe('');
  });

  it('says "full and will fill" once per mount in the summary', () => {
    const { findings } = evaluateChecks(
      {
        fs_used_pct: [sample({ ...node1, ...rootFs }, '93.2')],
        fs_fill_hours: [sample({ ...node1, ...rootFs }, '11')],
      },
      { clock_sync_status: [sample({ __name__: 'node_timex_sync_status', ...node2 }, '0')], uname: [] },
    );
    expect(summarize({ hosts: 2, jobs: ['node'], findings, missing: [], certsChecked: 0 })).toBe(
      '2 hosts (job node); 2 problems (2 critical): / is 93.2% full and will fill within 24 h at its 6 h trend (in about 11 h) on node-1:9100; clock unsynchronised on node-2:9100.',
    );
  });
});

describe('memory, CPU, load, time and kernel limits', () => {
  const facts = {
    memory_used_pct: [sample(node1, '95.55'), sample(node2, '89.9')],
    swap_used_pct: [sample(node1, '81')],
    oom_kills_1h: [sample(node2, '1.02'), sample(node1, '0')],
    load1_per_core: [sample(node1, '2.5'), sample(node2, '1.99')],
    cpu_busy_pct: [sample(node1, '93.21'), sample(node2, '10')],
    iowait_pct: [sample(node2, '25')],
    clock_sync_status: [sample({ __name__: 'node_timex_sync_status', ...node2 }, '0'), sample({ __name__: 'node_timex_sync_status', ...node1 }, '1')],
    clock_offset_seconds: [sample(node1, '0.0731'), sample(node2, '0.05')],
    uptime_seconds: [sample(node2, '1800'), sample(node1, '864000')],
    fd_used_pct: [sample(node1, '91')],
    conntrack_used_pct: [sample(node2, '76.04')],
  };

  it('finds each crossing with its threshold and nothing below one', () => {
    const { findings } = evaluateChecks({}, facts);
    expect(findings.map((f) => [f.severity, f.host, f.area, f.fact, f.value, f.threshold])).toEqual([
      ['critical', 'node-1:9100', 'file_descriptors', '91% of the file descriptor limit is allocated', 91, 'warning ≥ 80%, critical ≥ 90% (node_filefd_allocated / node_filefd_maximum)'],
      ['critical', 'node-1:9100', 'memory', 'memory is 95.6% used', 95.6, 'warning ≥ 90%, critical ≥ 95% (1 - MemAvailable / MemTotal)'],
      ['critical', 'node-2:9100', 'memory', 'the kernel OOM-killed 1 process in the last hour', 1, 'critical ≥ 1 OOM kill in 1 h (node_vmstat_oom_kill)'],
      ['critical', 'node-2:9100', 'time', 'clock unsynchronised', 0, 'critical: node_timex_sync_status = 0 (the kernel clock is not synchronised by NTP/chrony)'],
      ['warning', 'node-1:9100', 'cpu', 'CPU is 93.2% busy', 93.2, 'warning ≥ 90% (average over 5 m)'],
      ['warning', 'node-1:9100', 'cpu', 'load1 is 2.5 per core', 2.5, 'warning ≥ 2 per core (node_load1 / CPUs)'],
      ['warning', 'node-1:9100', 'memory', 'swap is 81% used', 81, 'warning ≥ 80%'],
      ['warning', 'node-1:9100', 'time', 'clock offset is 73.1 ms', 73.1, 'warning: |node_timex_offset_seconds| > 50 ms'],
      ['warning', 'node-2:9100', 'conntrack', 'the conntrack table is 76% full', 76, 'warning ≥ 75%, critical ≥ 90% (entries / limit; new connections drop when full)'],
      ['warning', 'node-2:9100', 'cpu', 'CPU spends 25% of its time in iowait', 25, 'warning ≥ 20% (average over 5 m)'],
      ['info', 'node-2:9100', 'uptime', 'rebooted 0.5 h ago', 0.5, 'info: uptime < 24 h (node_time_seconds - node_boot_time_seconds)'],
    ]);
  });

  it('lists the key facts per host, rounded', () => {
    const hosts = hostEntries({
      ...facts,
      uname: [sample({ __name__: 'node_uname_info', ...node1, nodename: 'web-1', release: '6.1.0-18-amd64', machine: 'x86_64', sysname: 'Linux' }, '1')],
      os: [sample({ __name__: 'node_os_info', ...node1, pretty_name: 'Debian GNU/Linux 12 (bookworm)' }, '1')],
      cpus: [sample(node1, '8')],
      root_fs_used_pct: [sample(node1, '23.711212869391968')],
      clock_maxerror_seconds: [sample(node2, '16')],
    });
    expect(hosts.get('node-1:9100')).toEqual({
      host: 'node-1:9100',
      job: 'node',
      nodename: 'web-1',
      kernel: '6.1.0-18-amd64',
      arch: 'x86_64',
      os: 'Debian GNU/Linux 12 (bookworm)',
      cpus: 8,
      uptime_hours: 240,
      load1_per_core: 2.5,
      cpu_busy_pct: 93.2,
      memory_used_pct: 95.6,
      swap_used_pct: 81,
      oom_kills_1h: 0,
      root_fs_used_pct: 23.7,
      fd_used_pct: 91,
      clock_synced: true,
      clock_offset_ms: 73.1,
      critical: 0,
      warning: 0,
    });
    expect(hosts.get('node-2:9100')).toMatchObject({ clock_synced: false, clock_maxerror_ms: 16_000, uptime_hours: 0.5, iowait_pct: 25, oom_kills_1h: 1 });
  });
});

describe('network and systemd', () => {
  it('reports error and drop rates per device at their own levels, links down and failed units', () => {
    const { findings } = evaluateChecks(
      {
        net_rates: [
          sample({ ...node1, device: 'eth0', telemcp_kind: 'receive errors' }, '3.456'),
          sample({ ...node1, device: 'eth0', telemcp_kind: 'receive drops' }, '9.99'),
          sample({ ...node2, device: 'eth1', telemcp_kind: 'transmit drops' }, '12'),
          sample({ ...node2, device: 'eth1', telemcp_kind: 'transmit errors' }, '0'),
        ],
        link_down: [sample({ __name__: 'node_network_up', ...node2, device: 'eth2' }, '0')],
        systemd_failed: [sample({ __name__: 'node_systemd_unit_state', ...node1, name: 'nginx.service', state: 'failed', type: 'simple' }, '1')],
      },
      {},
    );
    expect(findings.map((f) => [f.severity, f.host, f.fact, f.threshold])).toEqual([
      ['critical', 'node-1:9100', 'unit nginx.service has failed', 'critical: unit in state failed'],
      ['warning', 'node-1:9100', 'eth0: 3.46 receive errors/s', 'warning ≥ 1/s (rate over 5 m)'],
      ['warning', 'node-2:9100', 'eth1: 12 transmit drops/s', 'warning ≥ 10/s (rate over 5 m)'],
      ['warning', 'node-2:9100', 'link eth2 is down', 'warning: node_network_up = 0 on an interface not administratively down (lo excluded)'],
    ]);
  });

  it('says when a check was cut at its cap with every series a finding', () => {
    const many = Array.from({ length: CHECK_CAP }, (_, i) => sample({ ...node1, device: `/dev/x${i}`, fstype: 'ext4', mountpoint: `/m${i}` }, '99'));
    expect(evaluateChecks({ fs_used_pct: many }, {}).capped).toEqual(['fs_used_pct']);
    expect(evaluateChecks({ fs_used_pct: [...many.slice(1), sample({ ...node1, ...rootFs }, '10')] }, {}).capped).toEqual([]);
  });
});

describe('certificates', () => {
  const DAY = 86_400;
  it('counts days left from the evaluation instant: expired and < 7 d critical, < 30 d warning', () => {
    const { findings, checked } = certFindings(
      [
        sample({ __name__: 'x509_cert_not_after', ...node1, filepath: '/etc/ssl/a.pem', subject_CN: 'a.example' }, T + 5 * DAY),
        sample({ __name__: 'probe_ssl_earliest_cert_expiry', instance: 'https://shop.example', job: 'blackbox' }, T + 29.96 * DAY),
        sample({ __name__: 'x509_cert_not_after', ...node2, filepath: '/etc/ssl/old.pem' }, T - 2 * DAY),
        sample({ __name__: 'x509_cert_not_after', ...node2, filepath: '/etc/ssl/fine.pem' }, T + 90 * DAY),
        // Not a timestamp: not read as one.
        sample({ __name__: 'my_cert_expiry', ...node2 }, 3 * DAY),
      ],
      [sample({ __name__: 'cert_exporter_cert_expires_in_seconds', ...node1, filename: '/etc/kubernetes/pki/apiserver.crt' }, 20 * DAY)],
    );
    expect(checked).toBe(5);
    expect(findings.map((f) => [f.severity, f.host, f.fact, f.value])).toEqual([
      ['critical', 'node-1:9100', 'certificate a.example (/etc/ssl/a.pem) expires in 5 days', 5],
      ['critical', 'node-2:9100', 'certificate /etc/ssl/old.pem expired 2 days ago', -2],
      ['warning', 'https://shop.example', 'certificate https://shop.example expires in 29.9 days', 29.9],
      ['warning', 'node-1:9100', 'certificate /etc/kubernetes/pki/apiserver.crt expires in 20 days', 20],
    ]);
    expect(findings[0].threshold).toBe('critical: expired or < 7 days left; warning < 30 days (x509_cert_not_after)');
  });
});

describe('hosts listed and collectors missing', () => {
  it('lists problem hosts first, then the rest by name, up to the limit', () => {
    const findings: Finding[] = [
      { severity: 'warning', host: 'c', area: 'cpu', fact: 'x', value: 1, unit: '', threshold: 't' },
      { severity: 'critical', host: 'd', area: 'cpu', fact: 'x', value: 1, unit: '', threshold: 't' },
      { severity: 'info', host: 'b', area: 'uptime', fact: 'x', value: 1, unit: '', threshold: 't' },
    ];
    expect(chooseHosts(['a', 'b', 'c', 'd', 'e'], findings, 3)).toEqual({ hosts: ['d', 'c', 'a'], more: true });
    expect(chooseHosts(['a'], [], 3)).toEqual({ hosts: ['a'], more: false });
  });

  it('names collectors some hosts do not report, with how to turn them on', () => {
    const presence = [
      sample({ __name__: 'node_filesystem_size_bytes' }, '2'),
      sample({ __name__: 'node_memory_MemAvailable_bytes' }, '2'),
      sample({ __name__: 'node_load1' }, '2'),
      sample({ __name__: 'node_cpu_seconds_total' }, '2'),
      sample({ __name__: 'node_network_receive_errs_total' }, '2'),
      sample({ __name__: 'node_network_up' }, '2'),
      sample({ __name__: 'node_vmstat_oom_kill' }, '2'),
      sample({ __name__: 'node_timex_sync_status' }, '2'),
      sample({ __name__: 'node_boot_time_seconds' }, '2'),
      sample({ __name__: 'node_time_seconds' }, '2'),
      sample({ __name__: 'node_uname_info' }, '2'),
      sample({ __name__: 'node_os_info' }, '2'),
      sample({ __name__: 'node_filefd_maximum' }, '2'),
      sample({ __name__: 'node_nf_conntrack_entries_limit' }, '1'),
    ];
    const missing = missingCollectors(presence, 2);
    expect(missing.map((m) => [m.collector, m.hosts_without])).toEqual([
      ['systemd', 2],
      ['conntrack', 1],
    ]);
    expect(missing[0].enable).toMatch(/--collector\.systemd/);
    expect(missing[1].enable).toMatch(/nf_conntrack/);
    expect(summarize({ hosts: 2, jobs: ['node'], findings: [], missing, certsChecked: 0 })).toBe('2 hosts (job node); no problem found. Not reported: systemd, conntrack (see missing).');
  });

  it('says so when no node exporter matches', () => {
    expect(summarize({ hosts: 0, jobs: [], instance: 'x"} or vector(1)', findings: [], missing: [], certsChecked: 0 })).toBe(
      'No node exporter host found for instance "x\\"} or vector(1)" (no node_uname_info or node_exporter_build_info series).',
    );
  });

  it('rounds to the stated precision, and cuts time left down', () => {
    expect([round(93.249), round(93.25), round(0.0334516, 2), round(-0.04)]).toEqual([93.2, 93.3, 0.03, -0]);
    expect([floor(29.96), floor(5), floor(-2.04), floor(0.999, 2)]).toEqual([29.9, 5, -2.1, 0.99]);
  });
});
