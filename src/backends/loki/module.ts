import { z } from 'zod';
import { connectionInstances } from '../../config/connection.js';
import { LOG_SOURCE } from '../capabilities.js';
import { hostOf, type BackendInstance, type BackendModule } from '../module.js';
import { LokiApi } from './client.js';
import { LOKI_DISCOVER_GUARD, discoverGuard } from './discovery.js';
import { LokiLogSource } from './log-source.js';
import { LOGQL_GUARD, logqlGuard } from './logql-guard.js';
import { DEFAULT_LOKI_FIELDS, LABEL_NAME, type LokiFieldNames } from './logql.js';

const instances = connectionInstances('LOKI', 'loki', ['basic', 'bearer']);

const ROLE_KEYS: Record<string, 'service' | 'level' | 'traceId' | 'host'> = { service: 'service', level: 'level', trace_id: 'traceId', host: 'host' };

/**
 * `service=app,level=severity,trace_id=traceID,host=node`, any subset; the rest keep
 * DEFAULT_LOKI_FIELDS. Naming the level label drops the `detected_level` fallback: the
 * configured label is then the only one read.
 */
const fieldsSetting = z.preprocess(
  (v) => (v === '' ? undefined : v),
  z
    .union([z.record(z.string(), z.string()), z.string()])
    .transform((v, ctx): LokiFieldNames => {
      const pairs = typeof v === 'string' ? v.split(',').map((p) => p.trim()).filter(Boolean).map((p) => [p.slice(0, p.indexOf('=')).trim(), p.slice(p.indexOf('=') + 1).trim()] as const) : Object.entries(v);
      const out: LokiFieldNames = { ...DEFAULT_LOKI_FIELDS };
      for (const [role, name] of pairs) {
        const key = ROLE_KEYS[role];
        if (!key) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(role.slice(0, 40))} is not a role: use service, level, trace_id or host (the message is the log line)` });
        else if (!LABEL_NAME.test(name) || name.startsWith('__')) ctx.addIssue({ code: 'custom', message: `${role}: ${JSON.stringify(name.slice(0, 60))} is not a Loki label name ([a-zA-Z_][a-zA-Z0-9_]*)` });
        else {
          out[key] = name;
          if (key === 'level') delete out.levelFallback;
        }
      }
      return out;
    })
    .optional(),
);

const SETTINGS = {
  LOKI_FIELDS: fieldsSetting.describe(
    'which labels (stream labels or structured metadata) play which role, `service=app,level=severity,trace_id=traceID,host=node` (any subset; a mapping in YAML), for every instance. Unset: `service_name`, `level` (or Loki 3\'s `detected_level` where `level` is empty), `trace_id`, `host`; the message is the log line. The service label must be a stream label: it makes the stream selector',
  ),
};

/**
 * Loki: its LogQL query API as a log source and loki_query's guard. Named instances
 * (`LOKI_INSTANCES=eu,us`) add more servers or tenants, each a `source` of the log tools; the
 * tenant is fixed per instance by its extra headers (`LOKI_HEADERS=X-Scope-OrgID=team-a`),
 * never by a caller. Read-only: the client reaches the query, label and series endpoints,
 * /ready and buildinfo only.
 */
export const lokiModule: BackendModule = {
  kind: 'loki',
  description: 'Grafana Loki (LogQL query API): logs for the log tools, counted server-side; tenant by X-Scope-OrgID in LOKI_HEADERS',
  provides: [LOG_SOURCE, LOGQL_GUARD, LOKI_DISCOVER_GUARD],
  enable: 'set LOKI_URL',
  configured: (config) => instances.read(config).length > 0,
  settings(raw) {
    const { fragment, problems } = instances.settings(raw);
    return { problems, fragment: { ...fragment, shape: { ...fragment.shape, ...SETTINGS } } };
  },
  build: (config, ctx) =>
    instances.read(config).map(({ name, connection }): BackendInstance => {
      const api = new LokiApi(ctx.connection(connection, 'loki'));
      const fields = config.LOKI_FIELDS as LokiFieldNames | undefined;
      const logs = new LokiLogSource(api, { name, fields, cursorSecret: config.CURSOR_SECRET });
      return {
        kind: 'loki',
        name,
        host: hostOf(connection.url),
        provides: new Map<unknown, unknown>([[LOG_SOURCE, logs], [LOGQL_GUARD, logqlGuard(api, { fields })], [LOKI_DISCOVER_GUARD, discoverGuard(api)]]) as BackendInstance['provides'],
        probe: (signal) => api.ping(signal),
        close: () => api.close(),
      };
    }),
};
