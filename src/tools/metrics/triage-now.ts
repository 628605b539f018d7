import { z } from 'zod';
import { definePrompt, userText } from '../prompt.js';
import { call, k8sName, nsMatcher, sourceName, timeText } from './prompt-args.js';

/**
 * Seed 003's Triage-Now as a real playbook: what fires → who uses the most (CPU, memory,
 * restarts) → what changed and when → the same services' error patterns in the logs. Each step
 * is a call with its arguments; steps whose tool the caller cannot call are left out.
 */
export const triageNow = definePrompt({
  name: 'triage_now',
  title: 'Triage now',
  description: 'A read-only triage playbook: firing alerts → top offenders by CPU, memory and restarts → recent change points → error patterns in the logs of the same services, each step a tool call with its arguments.',
  leastRole: 'elk_viewer',
  args: z.object({ namespace: k8sName, start: timeText, source: sourceName }).strict(),
  argDescriptions: {
    namespace: 'Only this Kubernetes namespace (default: all)',
    start: 'How far back to look, e.g. now-1h (default) or ISO 8601',
    source: 'The Prometheus instance, when several are configured',
  },
  build(args, ctx) {
    const can = new Set(ctx.callableTools());
    const start = args.start ?? 'now-1h';
    const on = args.source ? { source: args.source } : {};
    const ns = nsMatcher(args.namespace);
    const cpu = `topk(10, sum by (namespace, pod) (rate(container_cpu_usage_seconds_total{container!="", image!=""${ns}}[5m])))`;
    const memory = `topk(10, sum by (namespace, pod) (container_memory_working_set_bytes{container!="", image!=""${ns}}))`;
    const restarts = `topk(10, sum by (namespace, pod) (increase(kube_pod_container_status_restarts_total{container!=""${ns}}[1h])) > 0)`;
    const steps: string[] = [];
    if (can.has('alerts_active')) {
      steps.push(`Call ${call('alerts_active', args.namespace ? { filter: { namespace: args.namespace } } : {})}. Note what fires, since when and on what; silenced and inhibited alerts are not the incident unless their silence hides a critical one.`);
    }
    if (can.has('prom_targets_rules')) {
      steps.push(`Call ${call('prom_targets_rules', on)}: down targets and rules that fail to evaluate mean missing data, so an alert that should fire may not.`);
    }
    if (can.has('promql_query')) {
      steps.push(`Call ${call('promql_query', { ...on, expr: cpu, start, top_k: 5 })}, then the same with expr ${JSON.stringify(memory)}, then with expr ${JSON.stringify(restarts)} (an instant query: no start). These are the top offenders; a series whose "what" says it rose is a candidate cause.`);
    }
    if (can.has('host_facts')) {
      steps.push(`If there are no container metrics (plain hosts), call ${call('host_facts', on)} instead: full disks, memory pressure, clock and NIC problems.`);
    }
    if (can.has('metrics_changes')) {
      steps.push(`Call ${call('metrics_changes', { ...on, expr: `sum by (namespace, pod) (rate(container_cpu_usage_seconds_total{container!="", image!=""${ns}}[5m]))`, start })} and the same for the expression of the firing alert (its expr in prom_targets_rules): the change points say what changed first.`);
    }
    if (can.has('incident_summary')) {
      steps.push(`For the services (pods' apps) named so far, call ${call('incident_summary', { service_name: '<service>', start_time: start })}: the error patterns and their onset. An onset in the logs a minute before the metric change is the better candidate for the cause.`);
    } else if (can.has('logs_patterns')) {
      steps.push(`For the services named so far, call ${call('logs_patterns', { service_name: '<service>', log_level: 'error', start_time: start })}.`);
    }
    const scope = args.namespace ? `namespace ${args.namespace}` : 'the cluster';
    const text = [
      `Triage ${scope} now with telemcp, read-only, one step at a time, since ${start}:`,
      ...steps.map((s, i) => `${i + 1}. ${s}`),
      'Then answer: what is broken and since when, what changed first (metric or log onset, with its time), the most likely cause with its evidence, what is only a symptom, and safe next steps. Suggest no write action.',
    ].join('\n');
    return { description: `Triage ${scope}`, messages: [userText(text)] };
  },
});
