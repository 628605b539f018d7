/**
 * The data bench/metrics plants into the test env's servers, all of it deterministic:
 *
 * - cAdvisor-like CPU counters (`container_cpu_usage_seconds_total`) of 200 pods in 10
 *   namespaces, every 30 s;
 * - 500 gauge series (`http_server_active_requests`) of 25 services × 20 pods, every 60 s;
 * - an incident in Alertmanager: kube-prometheus-style alerts with their labels and annotations,
 *   and silences.
 *
 * A series' value is a function of absolute time (the counters' is a closed-form integral of
 * their rate since a fixed epoch, plus bounded noise that keeps them monotonic), on a grid of
 * absolute timestamps: a second run plants the same samples again, so reruns within the
 * out-of-order window never put two values at one timestamp or a decreasing counter into a
 * series. Changes (a pod whose usage quadruples, one that climbs, a service whose load steps)
 * repeat with a period shorter than the window, so every window holds some.
 */
import type { PlantedSeries, PostableAlert } from '../../test/helpers/metrics-env.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Counters count from here (seconds of CPU since 2026-01-01, as if every container had run since). */
const EPOCH = Date.UTC(2026, 0, 1);

/** FNV-1a of a text, as a fraction in [0, 1). */
export function unit(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) / 2 ** 32;
}

function hex(text: string, len: number): string {
  let out = '';
  for (let i = 0; out.length < len; i++) out += Math.floor(unit(`${text}#${i}`) * 2 ** 32).toString(16).padStart(8, '0');
  return out.slice(0, len);
}

const ALNUM = 'bcdfghjklmnpqrstvwxz2456789';
function suffix(text: string, len: number): string {
  let out = '';
  for (let i = 0; i < len; i++) out += ALNUM[Math.floor(unit(`${text}/${i}`) * ALNUM.length)];
  return out;
}

/** Timestamps on the absolute grid of `stepMs` from `from` to `to`, both included when on the grid. */
export function grid(from: number, to: number, stepMs: number): number[] {
  const out: number[] = [];
  for (let t = Math.ceil(from / stepMs) * stepMs; t <= to; t += stepMs) out.push(t);
  return out;
}

// ---------------------------------------------------------------------------
// cAdvisor CPU counters
// ---------------------------------------------------------------------------

const NAMESPACES: Record<string, string[]> = {
  payments: ['payments-api', 'payments-worker', 'ledger', 'fraud-check'],
  checkout: ['checkout-api', 'checkout-web', 'pricing', 'tax-calculator'],
  cart: ['cart-api', 'cart-redis', 'cart-sync', 'promotions'],
  catalog: ['catalog-api', 'catalog-indexer', 'images', 'reviews'],
  search: ['search-api', 'search-query', 'opensearch-coordinator', 'suggest'],
  auth: ['auth-api', 'token-service', 'session-store', 'oidc-proxy'],
  notifications: ['notifier', 'email-sender', 'sms-gateway', 'push-service'],
  monitoring: ['prometheus-operator', 'kube-state-metrics', 'grafana', 'blackbox-exporter'],
  'ingress-nginx': ['ingress-nginx-controller', 'default-backend', 'cert-manager', 'external-dns'],
  'kube-system': ['coredns', 'metrics-server', 'cluster-autoscaler', 'aws-load-balancer-controller'],
};
/** Replicas of a namespace's four deployments: 20 pods each, 200 in all. */
const REPLICAS = [8, 6, 4, 2];
const NODES = Array.from({ length: 12 }, (_, i) => `10.0.${1 + (i % 3)}.${20 + i * 7}`);

/** How a pod's CPU rate moves, in cores. */
interface CpuShape {
  base: number;
  /** Daily swing, a fraction of base. */
  swing: number;
  phase: number;
  /** Every 8 h, the rate is `factor` times higher for 3 h (from `offset` into the period). */
  burst?: { factor: number; offset: number };
  /** A 12 h sawtooth adding up to `extra` cores (a leak, reset by a restart). */
  climb?: { extra: number };
}

export interface CpuPod {
  namespace: string;
  pod: string;
  labels: Record<string, string>;
  shape: CpuShape;
}

const BURST_PERIOD = 8 * HOUR;
const BURST_LEN = 3 * HOUR;
const CLIMB_PERIOD = 12 * HOUR;

/** The 200 pods, a few of them changing: five with 8-hourly bursts, two climbing. */
export function cpuPods(): CpuPod[] {
  const pods: CpuPod[] = [];
  for (const [namespace, apps] of Object.entries(NAMESPACES)) {
    apps.forEach((app, a) => {
      const rs = hex(`${namespace}/${app}/rs`, 10).replace(/[0-9a-f]/g, (c) => ALNUM[parseInt(c, 16)]);
      for (let i = 0; i < REPLICAS[a]; i++) {
        // Another seed when two replicas would get the same name (the first seed's names stay as earlier runs planted them).
        let pod = `${app}-${rs}-${suffix(`${namespace}/${app}/${i}`, 5)}`;
        for (let k = 1; pods.some((p) => p.namespace === namespace && p.pod === pod); k++) pod = `${app}-${rs}-${suffix(`${namespace}/${app}/${i}/${k}`, 5)}`;
        const node = NODES[Math.floor(unit(`${pod}/node`) * NODES.length)];
        const uid = `${hex(`${pod}/uid`, 8)}_${hex(`${pod}/uid2`, 4)}_${hex(`${pod}/uid3`, 4)}_${hex(`${pod}/uid4`, 4)}_${hex(`${pod}/uid5`, 12)}`;
        const cid = hex(`${pod}/cid`, 64);
        // Log-spread base: most pods use a few millicores to a tenth of a core, a few a core or more.
        const base = 0.004 * Math.exp(unit(`${pod}/base`) * Math.log(300)) * (a === 0 ? 1.5 : 1);
        pods.push({
          namespace,
          pod,
          labels: {
            namespace,
            pod,
            container: app,
            image: `registry.example.com/${namespace}/${app}:1.${Math.floor(unit(`${app}/v`) * 40)}.${Math.floor(unit(`${app}/p`) * 10)}`,
            cpu: 'total',
            id: `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${uid}.slice/cri-containerd-${cid}.scope`,
            name: cid,
            job: 'kubelet',
            instance: `${node}:10250`,
            node: `ip-${node.replace(/\./g, '-')}.eu-west-1.compute.internal`,
            metrics_path: '/metrics/cadvisor',
            service: 'kubelet',
            endpoint: 'https-metrics',
          },
          shape: { base, swing: 0.1 + 0.4 * unit(`${pod}/swing`), phase: unit(`${pod}/phase`) * 2 * Math.PI },
        });
      }
    });
  }
  // The pods whose usage changes: bursts in payments, checkout and search (one of them among the
  // busiest), a climb in catalog and auth.
  const pick = (ns: string, n: number) => pods.filter((p) => p.namespace === ns)[n];
  const bursts: [CpuPod, number][] = [[pick('payments', 1), 4], [pick('payments', 9), 5], [pick('checkout', 0), 3], [pick('search', 3), 6], [pick('notifications', 2), 8]];
  bursts.forEach(([p, factor], i) => (p.shape.burst = { factor, offset: (i * 1.7 * HOUR) % BURST_PERIOD }));
  pick('catalog', 15).shape.climb = { extra: 1.5 };
  pick('auth', 4).shape.climb = { extra: 0.8 };
  return pods;
}

/** ∫ rate from EPOCH to t, in CPU seconds (closed form). */
function cpuSeconds(s: CpuShape, t: number): number {
  const sec = (t - EPOCH) / 1000;
  const w = (2 * Math.PI) / (DAY / 1000);
  let total = s.base * (sec - (s.swing / w) * (Math.cos(w * sec + s.phase) - Math.cos(s.phase)));
  if (s.burst) {
    const into = t - EPOCH - s.burst.offset;
    const highMs = Math.floor(into / BURST_PERIOD) * BURST_LEN + Math.min(Math.max(into - Math.floor(into / BURST_PERIOD) * BURST_PERIOD, 0), BURST_LEN);
    total += s.base * (s.burst.factor - 1) * (highMs / 1000);
  }
  if (s.climb) {
    const p = CLIMB_PERIOD / 1000;
    const periods = Math.floor(sec / p);
    const rest = sec - periods * p;
    total += s.climb.extra * (periods * (p / 2) + (rest * rest) / (2 * p));
  }
  return total;
}

/** The counter at t: the integral plus noise smaller than the least increment of a 30 s step, so it never decreases. */
function cpuCounter(p: CpuPod, t: number): number {
  const least = p.shape.base * (1 - p.shape.swing) * 30;
  return Number((cpuSeconds(p.shape, t) + 0.45 * least * unit(`${p.pod}@${t}`)).toFixed(6));
}

export const CPU_METRIC = 'container_cpu_usage_seconds_total';
export const CPU_STEP_MS = 30_000;

export function cpuSeries(pods: readonly CpuPod[], from: number, to: number): PlantedSeries[] {
  const times = grid(from, to, CPU_STEP_MS);
  return pods.map((p) => ({ name: CPU_METRIC, kind: 'counter', labels: p.labels, points: times.map((t) => [t, cpuCounter(p, t)] as [number, number]) }));
}

// ---------------------------------------------------------------------------
// 500 gauge series
// ---------------------------------------------------------------------------

export const GAUGE_METRIC = 'http_server_active_requests';
export const GAUGE_STEP_MS = 60_000;
const SERVICES = [
  'api-gateway', 'orders', 'payments', 'checkout', 'cart', 'catalog', 'search', 'auth', 'users', 'inventory',
  'shipping', 'pricing', 'reviews', 'recommendations', 'notifications', 'billing', 'ledger', 'fraud', 'media', 'sessions',
  'loyalty', 'tax', 'returns', 'analytics', 'export',
];

export interface GaugeSeries {
  labels: Record<string, string>;
  level: number;
  phase: number;
  /** Every 12 h the level is `factor` times higher for 2 h. */
  step?: { factor: number; offset: number };
}

/**
 * 25 services × 20 pods (instances); ten series step up twice a day. The pod names of 50
 * instances repeat another's (a weak early hash, kept so that reruns plant the same series).
 */
export function gaugeSeries(): GaugeSeries[] {
  const out: GaugeSeries[] = [];
  SERVICES.forEach((service, s) => {
    const namespace = s < 10 ? 'shop' : s < 20 ? 'platform' : 'batch';
    const rs = hex(`${service}/rs`, 10).replace(/[0-9a-f]/g, (c) => ALNUM[parseInt(c, 16)]);
    const level = 2 + 60 * unit(`${service}/level`) ** 2;
    for (let i = 0; i < 20; i++) {
      const pod = `${service}-${rs}-${suffix(`${service}/${i}`, 5)}`;
      out.push({
        labels: { namespace, service, pod, instance: `10.1.${s}.${10 + i}:8080`, job: `${namespace}/${service}` },
        level: level * (0.8 + 0.4 * unit(`${pod}/l`)),
        phase: unit(`${service}/phase`) * 2 * Math.PI,
      });
    }
  });
  for (let k = 0; k < 10; k++) out[k * 47 + 3].step = { factor: 3 + (k % 4), offset: ((k * 1.3) % 12) * HOUR };
  return out;
}

function gaugeValue(g: GaugeSeries, t: number): number {
  const daily = 1 + 0.5 * Math.sin((2 * Math.PI * (t - EPOCH)) / DAY + g.phase);
  const high = g.step && (t - EPOCH - g.step.offset) % (12 * HOUR) < 2 * HOUR ? g.step.factor : 1;
  const noise = 0.85 + 0.3 * unit(`${g.labels.pod}@${t}`);
  return Math.round(g.level * daily * high * noise);
}

export function gaugePlanted(all: readonly GaugeSeries[], from: number, to: number): PlantedSeries[] {
  const times = grid(from, to, GAUGE_STEP_MS);
  return all.map((g) => ({ name: GAUGE_METRIC, kind: 'gauge', labels: g.labels, points: times.map((t) => [t, gaugeValue(g, t)] as [number, number]) }));
}

// ---------------------------------------------------------------------------
// An incident in Alertmanager
// ---------------------------------------------------------------------------

/** Labels every planted alert carries (as kube-prometheus's Prometheus adds them): how they are found again and resolved. */
export const INCIDENT_LABELS = { prometheus: 'monitoring/k8s', cluster: 'prod-eu-west-1' };

const RUNBOOK = 'https://runbooks.prometheus-operator.dev/runbooks';
const GENERATOR = 'http://prometheus-k8s-0:9090/graph?g0.expr=';

function alert(name: string, severity: string, labels: Record<string, string>, summary: string, description: string, expr: string, startedMinAgo: number, now: number, runbook = `${RUNBOOK}/kubernetes/${name.toLowerCase()}`): PostableAlert {
  return {
    labels: { alertname: name, severity, ...INCIDENT_LABELS, ...labels },
    annotations: { summary, description, runbook_url: runbook },
    startsAt: new Date(now - startedMinAgo * 60_000).toISOString(),
    endsAt: new Date(now + HOUR).toISOString(),
    generatorURL: `${GENERATOR}${encodeURIComponent(expr)}&g0.tab=1`,
  };
}

/**
 * A payments incident as a kube-prometheus cluster shows it: pods crash-looping and not ready,
 * error rate and latency alerts, CPU throttling across namespaces, a node filling up (the
 * critical inhibits the warning of the same instance), a failing job (silenced) and alerts in
 * staging (muted by a namespace-wide silence). 44 alerts.
 */
export function incidentAlerts(now: number): PostableAlert[] {
  const pods = cpuPods();
  const inNs = (ns: string) => pods.filter((p) => p.namespace === ns);
  const out: PostableAlert[] = [];
  for (const p of inNs('payments').slice(0, 6)) {
    const c = p.labels.container;
    out.push(
      alert('KubePodCrashLooping', 'warning', { namespace: p.namespace, pod: p.pod, container: c, job: 'kube-state-metrics', service: 'kube-state-metrics', endpoint: 'http', instance: '10.2.0.15:8080', reason: 'CrashLoopBackOff', uid: hex(`${p.pod}/uid`, 32) },
        'Pod is crash looping.',
        `Pod ${p.namespace}/${p.pod} (${c}) is in waiting state (reason: "CrashLoopBackOff").`,
        'max_over_time(kube_pod_container_status_waiting_reason{job="kube-state-metrics",namespace=~".*",reason="CrashLoopBackOff"}[5m]) >= 1', 25 - out.length, now),
    );
  }
  for (const p of inNs('payments').slice(6, 10)) {
    out.push(
      alert('KubePodNotReady', 'warning', { namespace: p.namespace, pod: p.pod, job: 'kube-state-metrics', service: 'kube-state-metrics', endpoint: 'http', instance: '10.2.0.15:8080' },
        'Pod has been in a non-ready state for more than 15 minutes.',
        `Pod ${p.namespace}/${p.pod} has been in a non-ready state for longer than 15 minutes on cluster prod-eu-west-1.`,
        'sum by (namespace, pod, cluster) (max by (namespace, pod, cluster) (kube_pod_status_phase{job="kube-state-metrics",namespace=~".*",phase=~"Pending|Unknown|Failed"}) * on (namespace, pod, cluster) group_left (owner_kind) topk by (namespace, pod, cluster) (1, max by (namespace, pod, owner_kind, cluster) (kube_pod_owner{owner_kind!="Job"}))) > 0', 18, now),
    );
  }
  for (const d of ['payments-api', 'payments-worker']) {
    out.push(
      alert('KubeDeploymentReplicasMismatch', 'warning', { namespace: 'payments', deployment: d, job: 'kube-state-metrics', service: 'kube-state-metrics', endpoint: 'http', instance: '10.2.0.15:8080' },
        'Deployment has not matched the expected number of replicas.',
        `Deployment payments/${d} has not matched the expected number of replicas for longer than 15 minutes.`,
        '(kube_deployment_spec_replicas{job="kube-state-metrics",namespace=~".*"} > kube_deployment_status_replicas_available{job="kube-state-metrics",namespace=~".*"}) and (changes(kube_deployment_status_replicas_updated{job="kube-state-metrics",namespace=~".*"}[10m]) == 0)', 15, now),
    );
  }
  for (const route of ['/v1/payments', '/v1/refunds']) {
    out.push(
      alert('PaymentsHighErrorRate', 'critical', { namespace: 'payments', service: 'payments-api', route, team: 'payments' },
        `More than 5% of ${route} requests fail.`,
        `payments-api answers 5xx to 23.4% of ${route} requests over the last 5 minutes (SLO: 1%).`,
        `sum by (namespace, service, route) (rate(http_requests_total{namespace="payments",service="payments-api",route="${route}",code=~"5.."}[5m])) / sum by (namespace, service, route) (rate(http_requests_total{namespace="payments",service="payments-api",route="${route}"}[5m])) > 0.05`, 22, now, 'https://wiki.example.com/runbooks/payments/high-error-rate'),
      alert('PaymentsHighLatency', 'warning', { namespace: 'payments', service: 'payments-api', route, team: 'payments' },
        `p99 latency of ${route} above 2 s.`,
        `The 99th percentile latency of ${route} is 4.81 s over the last 5 minutes.`,
        `histogram_quantile(0.99, sum by (le, namespace, service, route) (rate(http_request_duration_seconds_bucket{namespace="payments",service="payments-api",route="${route}"}[5m]))) > 2`, 21, now, 'https://wiki.example.com/runbooks/payments/high-latency'),
    );
  }
  const throttled = [...inNs('payments').slice(0, 3), ...inNs('checkout').slice(0, 3), ...inNs('search').slice(0, 3), ...inNs('catalog').slice(14, 17)];
  for (const p of throttled) {
    out.push(
      alert('CPUThrottlingHigh', 'info', { namespace: p.namespace, pod: p.pod, container: p.labels.container },
        'Processes experience elevated CPU throttling.',
        `${(26 + unit(p.pod) * 60).toFixed(0)}% throttling of CPU in namespace ${p.namespace} for container ${p.labels.container} in pod ${p.pod} on cluster prod-eu-west-1.`,
        'sum without (id, metrics_path, name, image, endpoint, job, node) (increase(container_cpu_cfs_throttled_periods_total{container!="",job="kubelet",metrics_path="/metrics/cadvisor"}[5m])) / on (cluster, namespace, pod, container, instance) group_left () sum without (id, metrics_path, name, image, endpoint, job, node) (increase(container_cpu_cfs_periods_total{job="kubelet",metrics_path="/metrics/cadvisor"}[5m])) > (25 / 100)', 40 + Math.floor(unit(p.pod) * 90), now),
    );
  }
  const node = 'ip-10-0-2-34.eu-west-1.compute.internal';
  const nodeLabels = { instance: '10.0.2.34:9100', job: 'node-exporter', device: '/dev/nvme1n1', fstype: 'xfs', mountpoint: '/var/lib/containerd', namespace: 'monitoring', pod: `node-exporter-${suffix(node, 5)}`, service: 'node-exporter', container: 'node-exporter', endpoint: 'https' };
  out.push(
    alert('NodeFilesystemAlmostOutOfSpace', 'critical', nodeLabels, 'Filesystem has less than 3% space left.', `Filesystem on /dev/nvme1n1, mounted on /var/lib/containerd, at 10.0.2.34:9100 has only 2.41% available space left.`,
      '(node_filesystem_avail_bytes{fstype!="",job="node-exporter"} / node_filesystem_size_bytes{fstype!="",job="node-exporter"} * 100 < 3 and node_filesystem_readonly{fstype!="",job="node-exporter"} == 0)', 35, now, `${RUNBOOK}/node/nodefilesystemalmostoutofspace`),
    alert('NodeFilesystemSpaceFillingUp', 'warning', nodeLabels, 'Filesystem is predicted to run out of space within the next 24 hours.', `Filesystem on /dev/nvme1n1, mounted on /var/lib/containerd, at 10.0.2.34:9100 has only 2.41% available space left and is filling up.`,
      '(node_filesystem_avail_bytes{fstype!="",job="node-exporter"} / node_filesystem_size_bytes{fstype!="",job="node-exporter"} * 100 < 15 and predict_linear(node_filesystem_avail_bytes{fstype!="",job="node-exporter"}[6h], 24 * 60 * 60) < 0 and node_filesystem_readonly{fstype!="",job="node-exporter"} == 0)', 180, now, `${RUNBOOK}/node/nodefilesystemspacefillingup`),
  );
  for (const job of ['nightly-reconcile-29412360', 'invoice-export-29412300']) {
    out.push(
      alert('KubeJobFailed', 'warning', { namespace: 'batch', job_name: job, job: 'kube-state-metrics', service: 'kube-state-metrics', endpoint: 'http', instance: '10.2.0.15:8080' },
        'Job failed to complete.', `Job batch/${job} failed to complete. Removing failed job after investigation should clear this alert.`,
        'kube_job_failed{job="kube-state-metrics",namespace=~".*"} > 0', 300, now),
    );
  }
  for (const p of ['staging-api-5c7d9-q2x8n', 'staging-worker-6f4b8-k9m2p', 'staging-db-0', 'staging-cache-7d8c9-z4w6v']) {
    out.push(
      alert('KubeContainerWaiting', 'warning', { namespace: 'staging', pod: p, container: p.split('-')[1], reason: 'ImagePullBackOff', job: 'kube-state-metrics', service: 'kube-state-metrics', endpoint: 'http', instance: '10.2.0.15:8080' },
        'Pod container waiting longer than 1 hour', `pod/${p} in namespace staging on container ${p.split('-')[1]} has been in waiting state for longer than 1 hour. (reason: "ImagePullBackOff") on cluster prod-eu-west-1.`,
        'kube_pod_container_status_waiting_reason{job="kube-state-metrics",namespace=~".*",reason!="CrashLoopBackOff"} > 0', 120, now),
    );
  }
  for (const c of ['etcd-0', 'etcd-1', 'etcd-2']) {
    out.push(
      alert('etcdHighNumberOfLeaderChanges', 'warning', { job: 'etcd', instance: `10.0.0.${11 + ['etcd-0', 'etcd-1', 'etcd-2'].indexOf(c)}:2379`, namespace: 'kube-system', pod: c },
        'etcd cluster has high number of leader changes.', `etcd cluster "etcd": 4 leader changes within the last 15 minutes. Frequent elections may be a sign of insufficient resources, high network latency, or disruptions by other components and should be investigated.`,
        'increase((max without (instance) (etcd_server_leader_changes_seen_total{job=~".*etcd.*"}) or 0 * absent(etcd_server_leader_changes_seen_total{job=~".*etcd.*"}))[15m:1m]) >= 4', 12, now, `${RUNBOOK}/etcd/etcdhighnumberofleaderchanges`),
    );
  }
  for (const ns of ['payments', 'checkout', 'cart']) {
    out.push(
      alert('KubeQuotaAlmostFull', 'info', { namespace: ns, resource: 'requests.cpu', resourcequota: `${ns}-quota`, job: 'kube-state-metrics', service: 'kube-state-metrics', endpoint: 'http', instance: '10.2.0.15:8080' },
        'Namespace quota is going to be full.', `Namespace ${ns} is using ${(90 + unit(ns) * 9).toFixed(0)}% of its requests.cpu quota.`,
        'kube_resourcequota{job="kube-state-metrics",type="used"} / ignoring (instance, job, type) (kube_resourcequota{job="kube-state-metrics",type="hard"} > 0) > 0.9 < 1', 240, now),
    );
  }
  out.push(
    alert('KubeAPIErrorBudgetBurn', 'warning', { long: '1d', short: '2h', slo: 'apiserver' }, 'The API server is burning too much error budget.', 'The API server is burning too much error budget.', 'sum(apiserver_request:burnrate1d) > (3.00 * 0.01000) and sum(apiserver_request:burnrate2h) > (3.00 * 0.01000)', 60, now),
    alert('Watchdog', 'none', {}, 'An alert that should always be firing to certify that Alertmanager is working properly.', 'This is an alert meant to ensure that the entire alerting pipeline is functional.', 'vector(1)', 3000, now, `${RUNBOOK}/general/watchdog`),
  );
  return out;
}

/**
 * The same incident grown by three nodes going down: per node NotReady, Unreachable and the
 * kubelet and node-exporter targets down (critical); per pod on them KubePodNotReady; per
 * deployment that lost a pod a replicas mismatch; and CPU throttling on 40 pods elsewhere as the
 * load moves: 128 alerts, 123 of them new (five repeat the label sets of incidentAlerts).
 */
export function nodeDownAlerts(now: number): PostableAlert[] {
  const pods = cpuPods();
  const down = [NODES[2], NODES[5], NODES[9]];
  const out: PostableAlert[] = [];
  for (const ip of down) {
    const node = `ip-${ip.replace(/\./g, '-')}.eu-west-1.compute.internal`;
    const ksm = { job: 'kube-state-metrics', service: 'kube-state-metrics', endpoint: 'http', instance: '10.2.0.15:8080', namespace: 'monitoring' };
    out.push(
      alert('KubeNodeNotReady', 'warning', { node, ...ksm }, 'Node is not ready.', `${node} has been unready for more than 15 minutes on cluster prod-eu-west-1.`, 'kube_node_status_condition{job="kube-state-metrics",condition="Ready",status="true"} == 0', 9, now),
      alert('KubeNodeUnreachable', 'warning', { node, key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule', ...ksm }, 'Node is unreachable.', `${node} is unreachable and some workloads may be rescheduled on cluster prod-eu-west-1.`, '(kube_node_spec_taint{job="kube-state-metrics",key="node.kubernetes.io/unreachable",effect="NoSchedule"} unless ignoring(key,value) kube_node_spec_taint{job="kube-state-metrics",key=~"ToBeDeletedByClusterAutoscaler|cloud.google.com/impending-node-termination|aws-node-termination-handler/spot-itn"}) == 1', 9, now),
      alert('TargetDown', 'critical', { job: 'kubelet', service: 'kubelet', namespace: 'kube-system', instance: `${ip}:10250`, node }, 'One or more targets are unreachable.', `100% of the kubelet/kubelet targets in kube-system namespace are down.`, '100 * (count by (cluster, job, namespace, service) (up == 0) / count by (cluster, job, namespace, service) (up)) > 10', 10, now, `${RUNBOOK}/general/targetdown`),
      alert('TargetDown', 'critical', { job: 'node-exporter', service: 'node-exporter', namespace: 'monitoring', instance: `${ip}:9100`, node }, 'One or more targets are unreachable.', `100% of the node-exporter/node-exporter targets in monitoring namespace are down.`, '100 * (count by (cluster, job, namespace, service) (up == 0) / count by (cluster, job, namespace, service) (up)) > 10', 10, now, `${RUNBOOK}/general/targetdown`),
    );
  }
  const gone = pods.filter((p) => down.some((ip) => p.labels.instance === `${ip}:10250`));
  for (const p of gone) {
    out.push(
      alert('KubePodNotReady', 'warning', { namespace: p.namespace, pod: p.pod, job: 'kube-state-metrics', service: 'kube-state-metrics', endpoint: 'http', instance: '10.2.0.15:8080' },
        'Pod has been in a non-ready state for more than 15 minutes.',
        `Pod ${p.namespace}/${p.pod} has been in a non-ready state for longer than 15 minutes on cluster prod-eu-west-1.`,
        'sum by (namespace, pod, cluster) (max by (namespace, pod, cluster) (kube_pod_status_phase{job="kube-state-metrics",namespace=~".*",phase=~"Pending|Unknown|Failed"}) * on (namespace, pod, cluster) group_left (owner_kind) topk by (namespace, pod, cluster) (1, max by (namespace, pod, owner_kind, cluster) (kube_pod_owner{owner_kind!="Job"}))) > 0', 8, now),
    );
  }
  const deployments = [...new Set(gone.map((p) => `${p.namespace}/${p.labels.container}`))];
  for (const d of deployments) {
    const [namespace, deployment] = d.split('/');
    out.push(
      alert('KubeDeploymentReplicasMismatch', 'warning', { namespace, deployment, job: 'kube-state-metrics', service: 'kube-state-metrics', endpoint: 'http', instance: '10.2.0.15:8080' },
        'Deployment has not matched the expected number of replicas.',
        `Deployment ${d} has not matched the expected number of replicas for longer than 15 minutes.`,
        '(kube_deployment_spec_replicas{job="kube-state-metrics",namespace=~".*"} > kube_deployment_status_replicas_available{job="kube-state-metrics",namespace=~".*"}) and (changes(kube_deployment_status_replicas_updated{job="kube-state-metrics",namespace=~".*"}[10m]) == 0)', 7, now),
    );
  }
  const others = pods.filter((p) => !gone.includes(p) && p.namespace !== 'payments' && p.namespace !== 'checkout' && p.namespace !== 'search').slice(0, 40);
  for (const p of others) {
    out.push(
      alert('CPUThrottlingHigh', 'info', { namespace: p.namespace, pod: p.pod, container: p.labels.container },
        'Processes experience elevated CPU throttling.',
        `${(26 + unit(p.pod) * 60).toFixed(0)}% throttling of CPU in namespace ${p.namespace} for container ${p.labels.container} in pod ${p.pod} on cluster prod-eu-west-1.`,
        'sum without (id, metrics_path, name, image, endpoint, job, node) (increase(container_cpu_cfs_throttled_periods_total{container!="",job="kubelet",metrics_path="/metrics/cadvisor"}[5m])) / on (cluster, namespace, pod, container, instance) group_left () sum without (id, metrics_path, name, image, endpoint, job, node) (increase(container_cpu_cfs_periods_total{job="kubelet",metrics_path="/metrics/cadvisor"}[5m])) > (25 / 100)', 6, now),
    );
  }
  return out;
}

/** The incident's silences (created by the bench, expired when it ends): a failing job, all of staging, one ending soon. */
export function incidentSilences(): { matchers: { name: string; value: string; isRegex?: boolean }[]; comment: string; minutes: number; createdBy: string }[] {
  return [
    { matchers: [{ name: 'alertname', value: 'KubeJobFailed' }, { name: 'namespace', value: 'batch' }, { name: 'prometheus', value: INCIDENT_LABELS.prometheus }], comment: 'OPS-4412: nightly reconcile fails on the old invoice schema, fix deploying Monday', minutes: 120, createdBy: 'maria.oncall' },
    { matchers: [{ name: 'namespace', value: 'staging' }, { name: 'prometheus', value: INCIDENT_LABELS.prometheus }], comment: 'staging registry migration', minutes: 120, createdBy: 'ci-bot' },
    { matchers: [{ name: 'alertname', value: 'etcdHighNumberOfLeaderChanges' }, { name: 'prometheus', value: INCIDENT_LABELS.prometheus }], comment: 'etcd disk upgrade in progress', minutes: 40, createdBy: 'jonas' },
  ];
}
