import { z } from 'zod';
import { definePrompt, userText } from '../prompt.js';
import { call, k8sName, matchers, nsMatcher, sourceName } from './prompt-args.js';

const HORIZONS = { '1d': 86_400, '7d': 604_800, '30d': 2_592_000 } as const;

/** Will anything run out: disks and inodes by their trend, memory and CPU against what is requested and allocatable, volumes filling. */
export const capacityCheck = definePrompt({
  name: 'capacity_check',
  title: 'Capacity check',
  description: 'A read-only capacity playbook: host pressure and disks filling at their trend → cluster CPU and memory requested vs allocatable → persistent volumes filling → the fastest-growing workloads, each step a tool call with its arguments.',
  leastRole: 'elk_viewer',
  args: z.object({ namespace: k8sName, horizon: z.enum(['1d', '7d', '30d']).optional(), source: sourceName }).strict(),
  argDescriptions: {
    namespace: 'Only this Kubernetes namespace for workloads and volumes (default: all)',
    horizon: 'How far ahead to project: 1d, 7d (default) or 30d',
    source: 'The Prometheus instance, when several are configured',
  },
  build(args, ctx) {
    const can = new Set(ctx.callableTools());
    const horizon = args.horizon ?? '7d';
    const seconds = HORIZONS[horizon];
    const on = args.source ? { source: args.source } : {};
    const ns = nsMatcher(args.namespace);
    const vol = matchers(args.namespace && `namespace="${args.namespace}"`);
    const steps: string[] = [];
    if (can.has('host_facts')) steps.push(`Call ${call('host_facts', on)}: filesystems and inodes near full, memory and swap, load per core.`);
    if (can.has('promql_query')) {
      steps.push(`Call ${call('promql_query', { ...on, expr: `predict_linear(node_filesystem_avail_bytes{fstype!~"tmpfs|overlay|squashfs"}[6h], ${seconds}) < 0` })}: filesystems that run out within ${horizon} at their 6 h trend.`);
      steps.push(`Call ${call('promql_query', { ...on, expr: 'sum by (resource) (kube_pod_container_resource_requests{resource=~"cpu|memory"}) / sum by (resource) (kube_node_status_allocatable{resource=~"cpu|memory"})' })}: the share of allocatable CPU and memory already requested (above 0.9 new pods stop scheduling).`);
      steps.push(`Call ${call('promql_query', { ...on, expr: `topk(10, kubelet_volume_stats_used_bytes${vol} / kubelet_volume_stats_capacity_bytes${vol})` })}: the fullest persistent volumes.`);
    }
    if (can.has('metrics_changes')) {
      steps.push(`Call ${call('metrics_changes', { ...on, expr: `sum by (namespace, pod) (container_memory_working_set_bytes{container!="", image!=""${ns}})`, start: 'now-24h' })}: workloads whose memory rose in the last day (leaks grow steadily; the trend says how fast).`);
    }
    const text = [
      `Check capacity${args.namespace ? ` for namespace ${args.namespace}` : ''} over the next ${horizon} with telemcp, read-only, one step at a time:`,
      ...steps.map((s, i) => `${i + 1}. ${s}`),
      `Then answer: what runs out first and when (with the trend it is projected from), what is already tight, and safe steps (which volume or node pool to grow, which workload to look at). Suggest no write action.`,
    ].join('\n');
    return { description: `Capacity over ${horizon}`, messages: [userText(text)] };
  },
});
