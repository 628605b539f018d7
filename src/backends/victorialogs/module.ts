import { z } from 'zod';
import { connectionInstances } from '../../config/connection.js';
import { LOG_SOURCE } from '../capabilities.js';
import { hostOf, type BackendInstance, type BackendModule } from '../module.js';
import { VictoriaLogsApi } from './client.js';
import { LOGSQL_DISCOVERY, discoveryGuard } from './discovery.js';
import { FIELD_NAME } from './json-filter.js';
import { VictoriaLogsLogSource } from './log-source.js';
import { LOGSQL_GUARD, logsqlGuard } from './logsql-guard.js';
import { DEFAULT_VL_FIELDS, type VlFieldNames } from './logsql.js';

const instances = connectionInstances('VICTORIALOGS', 'victorialogs', ['basic', 'bearer']);

const ROLE_KEYS: Record<string, keyof VlFieldNames> = { service: 'service', level: 'level', trace_id: 'traceId', host: 'host' };

/** `service=app,level=severity,trace_id=trace,host=node`, any subset; the rest keep DEFAULT_VL_FIELDS. */
const fieldsSetting = z.preprocess(
  (v) => (v === '' ? undefined : v),
  z
    .union([z.record(z.string(), z.string()), z.string()])
    .transform((v, ctx): VlFieldNames => {
      const pairs = typeof v === 'string' ? v.split(',').map((p) => p.trim()).filter(Boolean).map((p) => [p.slice(0, p.indexOf('=')).trim(), p.slice(p.indexOf('=') + 1).trim()] as const) : Object.entries(v);
      const out: VlFieldNames = { ...DEFAULT_VL_FIELDS };
      for (const [role, field] of pairs) {
        const key = ROLE_KEYS[role];
        if (!key) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(role.slice(0, 40))} is not a role: use service, level, trace_id or host (the message is _msg, the time _time)` });
        else if (!FIELD_NAME.test(field) || field.startsWith('_')) ctx.addIssue({ code: 'custom', message: `${role}: ${JSON.stringify(field.slice(0, 60))} is not a plain field name` });
        else out[key] = field;
      }
      return out;
    })
    .optional(),
);

const SETTINGS = {
  VICTORIALOGS_FIELDS: fieldsSetting.describe(
    'which fields of the records play which role, `service=service_name,level=severity,trace_id=trace_id,host=hostname` (any subset; a mapping in YAML), for every instance. Unset: `service.name`, `log.level`, `trace.id`, `host.name` (ECS-shaped JSON lines); the message is `_msg` and the time `_time`',
  ),
};

/**
 * VictoriaLogs: its LogsQL API as a log source. Named instances (`VICTORIALOGS_INSTANCES=eu,us`)
 * add more servers or tenants, each a `source` of the log tools; the tenant is fixed per
 * instance by its extra headers (`VICTORIALOGS_HEADERS=AccountID=12,ProjectID=3`), never by a
 * caller. Read-only: the client reaches the select endpoints and /health only.
 */
export const victoriaLogsModule: BackendModule = {
  kind: 'victorialogs',
  description: 'VictoriaLogs (LogsQL API): logs for the log tools, counted server-side; tenant by AccountID/ProjectID headers',
  provides: [LOG_SOURCE, LOGSQL_GUARD, LOGSQL_DISCOVERY],
  enable: 'set VICTORIALOGS_URL',
  configured: (config) => instances.read(config).length > 0,
  settings(raw) {
    const { fragment, problems } = instances.settings(raw);
    return { problems, fragment: { ...fragment, shape: { ...fragment.shape, ...SETTINGS } } };
  },
  build: (config, ctx) =>
    instances.read(config).map(({ name, connection }): BackendInstance => {
      const api = new VictoriaLogsApi(ctx.connection(connection, 'victorialogs'));
      const logs = new VictoriaLogsLogSource(api, { name, fields: config.VICTORIALOGS_FIELDS as VlFieldNames | undefined, cursorSecret: config.CURSOR_SECRET });
      return {
        kind: 'victorialogs',
        name,
        host: hostOf(connection.url),
        provides: new Map<unknown, unknown>([[LOG_SOURCE, logs], [LOGSQL_GUARD, logsqlGuard(api, { timeoutMs: connection.timeoutMs ?? (config.BACKEND_TIMEOUT_MS as number), fields: config.VICTORIALOGS_FIELDS as VlFieldNames | undefined })], [LOGSQL_DISCOVERY, discoveryGuard(api, { timeoutMs: connection.timeoutMs ?? (config.BACKEND_TIMEOUT_MS as number) })]]) as BackendInstance['provides'],
        probe: (signal) => api.ping(signal),
        close: () => api.close(),
      };
    }),
};
