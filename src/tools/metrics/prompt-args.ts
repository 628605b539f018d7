import { z } from 'zod';

/** A Kubernetes namespace or pod name (DNS label/subdomain): safe inside a PromQL string as it is. */
export const k8sName = z.string().min(1).max(253).regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a Kubernetes name such as payments').optional();
/** A time such as now-1h or an ISO 8601 instant. */
export const timeText = z.string().min(1).max(64).regex(/^[^\u0000-\u001f\u007f]+$/).optional();
/** A named instance. */
export const sourceName = z.string().regex(/^[a-z][a-z0-9_]{0,31}$/).optional();

/** `tool {"arg":…}` as a step of a playbook names it. */
export function call(tool: string, args: Record<string, unknown>): string {
  return `${tool} ${JSON.stringify(args)}`;
}

/** `,namespace="payments"` for a selector's matcher list, or nothing. */
export function nsMatcher(namespace: string | undefined): string {
  return namespace ? `, namespace="${namespace}"` : '';
}

/** A matcher list `{a="x", b=~"y"}` from the given matchers, or nothing when there are none. */
export function matchers(...parts: (string | undefined | false)[]): string {
  const kept = parts.filter(Boolean);
  return kept.length ? `{${kept.join(', ')}}` : '';
}
