/**
 * Roles a key can hold. The tool roles are seed 000's, least privileged first: every one is
 * read-only; they differ in what may be read. `ingest` stands apart: it may only write logs into
 * the embedded store through the ingest endpoints (POST /_bulk, /loki/api/v1/push, /v1/logs),
 * and may call no tool, so a shipper's key can never read anything back.
 */
export const TOOL_ROLES = ['elk_viewer', 'elk_operator', 'elk_admin_readonly'] as const;
export type ToolRole = (typeof TOOL_ROLES)[number];

export const ROLES = [...TOOL_ROLES, 'ingest'] as const;
export type Role = (typeof ROLES)[number];

export function roleRank(role: ToolRole): number {
  return TOOL_ROLES.indexOf(role);
}

export function roleAllows(callerRole: Role, leastRole: ToolRole): boolean {
  return callerRole !== 'ingest' && roleRank(callerRole) >= roleRank(leastRole);
}

export function canIngest(role: Role): boolean {
  return role === 'ingest';
}
