import { z } from 'zod';
import { definePrompt, userText } from '../prompt.js';
import { call, k8sName, matchers, sourceName, timeText } from './prompt-args.js';

/**
 * The metrics half of a crash-loop investigation (kube-state-metrics and cAdvisor): which
 * containers restart, why they last terminated (OOMKilled, Error), memory against the limit,
 * then their logs. The Kubernetes half (events, pod spec) comes with the Kubernetes backend.
 */
export const crashloopPlaybook = definePrompt({
  name: 'crashloop_playbook',
  title: 'Crash loop playbook',
  description: 'A read-only crash-loop playbook (metrics half): restarting containers → last termination reasons and OOM kills → memory against the limit → restart change points → the pod\'s error patterns, each step a tool call with its arguments.',
  leastRole: 'elk_viewer',
  args: z.object({ namespace: k8sName, pod: k8sName, start: timeText, source: sourceName }).strict(),
  argDescriptions: {
    namespace: 'The namespace (default: all)',
    pod: 'One pod (default: every restarting pod)',
    start: 'How far back to look, e.g. now-6h (default now-1h)',
    source: 'The Prometheus instance, when several are configured',
  },
  build(args, ctx) {
    const can = new Set(ctx.callableTools());
    const start = args.start ?? 'now-1h';
    const on = args.source ? { source: args.source } : {};
    const m = (extra: string) => matchers(args.namespace && `namespace="${args.namespace}"`, args.pod && `pod="${args.pod}"`, extra);
    const steps: string[] = [];
    if (can.has('promql_query')) {
      steps.push(`Call ${call('promql_query', { ...on, expr: `topk(20, sum by (namespace, pod, container) (increase(kube_pod_container_status_restarts_total${m('')}[1h])) > 0)` })}: the containers that restarted in the last hour.`);
      steps.push(`Call ${call('promql_query', { ...on, expr: `sum by (namespace, pod, container, reason) (kube_pod_container_status_last_terminated_reason${m('')}) > 0` })} and ${call('promql_query', { ...on, expr: `sum by (namespace, pod, container, reason) (kube_pod_container_status_waiting_reason${m('reason=~"CrashLoopBackOff|ImagePullBackOff|ErrImagePull|CreateContainerConfigError"')}) > 0` })}: why they last stopped (OOMKilled, Error) and what they wait in.`);
      steps.push(`For OOMKilled containers call ${call('promql_query', { ...on, expr: `max by (namespace, pod, container) (container_memory_working_set_bytes${m('container!=""')}) / max by (namespace, pod, container) (kube_pod_container_resource_limits${m('resource="memory"')})`, start })}: memory against the limit before each kill.`);
    }
    if (can.has('metrics_changes')) {
      steps.push(`Call ${call('metrics_changes', { ...on, expr: `sum by (namespace, pod) (increase(kube_pod_container_status_restarts_total${m('')}[5m]))`, start })}: when the restarts began (compare with a deploy or config change at that time).`);
    }
    if (can.has('logs_patterns')) {
      steps.push(`Call ${call('logs_patterns', { service_name: args.pod ? '<the app of the pod>' : '<the app of each restarting pod>', log_level: 'error', start_time: start })}: the last errors before each crash.`);
    }
    const target = args.pod ? `pod ${args.pod}` : args.namespace ? `namespace ${args.namespace}` : 'the cluster';
    const text = [
      `Investigate crash-looping containers in ${target} with telemcp, read-only, one step at a time:`,
      ...steps.map((s, i) => `${i + 1}. ${s}`),
      'Then answer: which containers crash, since when, why (termination reason, OOM against the limit, the last error in the logs), and safe next steps. Suggest no write action. Kubernetes events and the pod spec are not read here.',
    ].join('\n');
    return { description: `Crash loops in ${target}`, messages: [userText(text)] };
  },
});
