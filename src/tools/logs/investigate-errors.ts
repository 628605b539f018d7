import { z } from 'zod';
import { definePrompt, userText } from '../prompt.js';

const arg = (max: number) => z.string().min(1).max(max).regex(/^[^\u0000-\u001f\u007f]+$/).optional();

/**
 * Seed 000's investigation as a playbook: incident_summary first, then the cause's own lines (or,
 * without an incident, the error patterns), then elk_recommend_fix with the findings. Each step is
 * a call with its arguments; steps whose tool the caller cannot call are left out.
 */
export const investigateErrors = definePrompt({
  name: 'investigate_errors',
  title: 'Investigate errors',
  description: 'A read-only playbook: incident summary → the likely cause\'s own log lines (or the error patterns) → safe fix steps, each step a tool call with its arguments.',
  leastRole: 'elk_viewer',
  args: z.object({ service_name: arg(256), start_time: arg(64), end_time: arg(64), source: arg(64) }).strict(),
  argDescriptions: {
    service_name: 'Only this service (default: all)',
    start_time: 'Window start, e.g. now-1h (default) or ISO 8601',
    end_time: 'Window end (default now)',
    source: 'The log source, when several are configured',
  },
  build(args, ctx) {
    const can = new Set(ctx.callableTools());
    const window = { ...(args.start_time ? { start_time: args.start_time } : {}), ...(args.end_time ? { end_time: args.end_time } : {}) };
    const on = { ...(args.source ? { source: args.source } : {}), ...window };
    const call = (tool: string, a: Record<string, unknown>) => `${tool} ${JSON.stringify(a)}`;
    const steps: string[] = [];
    if (can.has('incident_summary')) {
      steps.push(
        `Call ${call('incident_summary', { ...on, ...(args.service_name ? { service_name: args.service_name } : {}) })}. Read what, status, since, likely_cause, symptoms and silent_services; count and count_in_window are server-side counts when count_exact is true. Status "silent" means the logs stopped, not that the problem ended: say so.`,
      );
    }
    if (can.has('logs_search')) {
      steps.push(
        `If there is a likely cause, call ${call('logs_search', { ...on, service_name: '<likely_cause.service>', log_level: 'error', start_time: '<since>', limit: 20 })} to read its own lines; follow next_cursor only if they contradict the summary.`,
      );
    }
    if (can.has('logs_patterns')) {
      steps.push(`If status is "none", call ${call('logs_patterns', { ...on, log_level: 'error', ...(args.service_name ? { service_name: args.service_name } : {}) })} to see which errors there are and how many.`);
    }
    if (can.has('elk_recommend_fix')) {
      steps.push('Call elk_recommend_fix with the arguments of the next_checks entry incident_summary gives for it.');
    }
    if (can.has('elk_filebeat_status')) {
      steps.push(`If silent_services is not empty, call ${call('elk_filebeat_status', window)} to see whether the shippers stopped.`);
    }
    const scope = args.service_name ? `errors of ${args.service_name}` : 'errors';
    const text = [
      `Investigate the ${scope}${args.start_time ? ` from ${args.start_time}` : ' of the last hour'}${args.end_time ? ` to ${args.end_time}` : ''} with telemcp, read-only, one step at a time:`,
      ...steps.map((s, i) => `${i + 1}. ${s}`),
      'Then answer: what is wrong, since when, the likely cause with its evidence, the counts (say which are estimates), what is not the incident, and the safe fix steps. Suggest no write action.',
    ].join('\n');
    return { description: `Investigate ${scope}`, messages: [userText(text)] };
  },
});
