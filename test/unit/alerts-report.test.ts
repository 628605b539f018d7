/**
 * What names the alerts of a group (src/tools/metrics/alerts-report.ts), on label sets as
 * kube-prometheus' rules produce them: kube-state-metrics alerts carry the exporter's own
 * instance beside the pod they are about, node-exporter alerts the exporter's pod beside the node.
 */
import { describe, expect, it } from 'vitest';
import type { AmAlert } from '../../src/backends/metrics/alertmanager.js';
import { groupIdentities, identity } from '../../src/tools/metrics/alerts-report.js';

const alert = (labels: Record<string, string>): AmAlert => ({
  labels,
  annotations: {},
  startsAt: '2026-12-07T10:00:00Z',
  endsAt: '2026-12-07T11:00:00Z',
  updatedAt: '2026-12-07T10:00:00Z',
  fingerprint: JSON.stringify(labels),
  receivers: [{ name: 'pager' }],
  status: { state: 'active', silencedBy: [], inhibitedBy: [] },
});
const ksm = { job: 'kube-state-metrics', service: 'kube-state-metrics', endpoint: 'http', instance: '10.2.0.15:8080', namespace: 'payments' };

describe('alert identities', () => {
  it('names the pods of crash-looping containers, not the kube-state-metrics address they all share', () => {
    const pods = ['api-7d9-a', 'api-7d9-b', 'worker-5c4-c'].map((pod) => alert({ alertname: 'KubePodCrashLooping', ...ksm, pod, container: 'app', uid: `${pod}-uid` }));
    expect(groupIdentities(pods)).toEqual(['api-7d9-a', 'api-7d9-b', 'worker-5c4-c']);
    expect(identity({ alertname: 'KubeQuotaAlmostFull', ...ksm, resourcequota: 'payments-quota' })).toBe('payments-quota');
  });

  it('names the node of a node-exporter alert, not the exporter pod', () => {
    const labels = { alertname: 'NodeFilesystemAlmostOutOfSpace', job: 'node-exporter', namespace: 'monitoring', pod: 'node-exporter-44554', container: 'node-exporter', instance: '10.0.2.34:9100', mountpoint: '/var' };
    expect(identity(labels)).toBe('10.0.2.34:9100');
    // Two filesystems of one node: what differs is the mountpoint.
    expect(groupIdentities([alert(labels), alert({ ...labels, mountpoint: '/data' })])).toEqual(['/var', '/data']);
  });

  it('names an application pod by its pod, and a group that differs in nothing by each alert', () => {
    expect(identity({ alertname: 'HighErrorRate', job: 'payments-api', pod: 'payments-api-1', instance: '10.1.0.4:8080' })).toBe('payments-api-1');
    const same = { alertname: 'Watchdog', severity: 'none', prometheus: 'monitoring/k8s' };
    expect(groupIdentities([alert(same)])).toEqual(['{prometheus="monitoring/k8s"}']);
  });
});
