import { z } from 'zod';
import { defineTool } from '../tool.js';
import { VERSION } from '../../core/version.js';
import { isDemoDataset } from '../../store/demo.js';
import { describeRetentionPass } from '../../store/retention.js';
import { STORE_READER } from '../../backends/embedded/module.js';

/** Datasets listed for the embedded store; the rest are counted. */
const MAX_DATASETS = 20;

export const telemcpStatus = defineTool({
  name: 'telemcp_status',
  title: 'telemcp status',
  description:
    'What this server can investigate: configured backends, your role, limits. Call it first when unsure which tools apply.',
  readme: 'what this server can investigate: configured backends, your role, limits',
  toolset: 'server',
  leastRole: 'elk_viewer',
  openWorld: false,
  input: z.object({}).strict(),
  output: z.object({
    status: z.literal('ok'),
    summary: z.string(),
    server: z.object({ version: z.string(), now: z.string() }),
    caller: z.object({ role: z.string(), transport: z.string() }),
    backends: z.array(z.object({ name: z.string(), configured: z.boolean(), host: z.string().optional(), problems: z.array(z.string()).optional() })),
    /** What the log tools' `source` argument takes, and where each looks by default. */
    log_sources: z.array(z.object({ name: z.string(), kind: z.string(), default_scope: z.string() })),
    embedded_store: z
      .object({
        records: z.number(),
        datasets: z.array(z.object({ name: z.string(), records: z.number(), first: z.string(), last: z.string(), demo: z.boolean().optional() })),
        more_datasets: z.number(),
        /** Records are deleted this many days after they were stored (0: never). */
        retention_days: z.number(),
        /** Records retention deleted so far, and its last pass that deleted any ("<time>: N from a (n), b (m)"). */
        retention: z.object({ deleted_total: z.number(), last_pass: z.string().optional() }),
      })
      .optional(),
    limits: z.object({ max_response_bytes: z.number(), rate_limit_per_minute: z.number(), backend_timeout_ms: z.number(), allowed_index_patterns: z.array(z.string()) }),
  }),
  async handler(_input, ctx) {
    // Every known backend: its configured instances, or the kind alone when none is.
    const backends = ctx.backends.modules.flatMap((m): { name: string; configured: boolean; host?: string; problems?: string[] }[] => {
      const instances = ctx.backends.instances.filter((i) => i.kind === m.kind);
      return instances.length
        ? instances.map((i) => {
            const problems = i.problems?.() ?? [];
            return { name: i.name, configured: true, ...(i.host ? { host: i.host } : {}), ...(problems.length ? { problems } : {}) };
          })
        : [{ name: m.kind, configured: false }];
    });
    const store = ctx.backends.first(STORE_READER);
    const configured = backends.filter((b) => b.configured).map((b) => b.name);
    // Read in the store's reader thread: a long list of datasets never holds the event loop.
    const summary = await store?.summary(ctx.signal);
    const datasets = summary?.datasets ?? [];
    const retention = summary?.retention;
    return {
      status: 'ok' as const,
      summary: configured.length ? `telemcp ${VERSION}: backends ${configured.join(', ')}; role ${ctx.caller.role}` : `telemcp ${VERSION}: no backend configured; role ${ctx.caller.role}`,
      server: { version: VERSION, now: new Date().toISOString() },
      caller: { role: ctx.caller.role, transport: ctx.caller.transport },
      backends,
      log_sources: [...ctx.backends.logSources.values()].map((s) => ({ name: s.name, kind: s.kind, default_scope: s.defaultScope })),
      ...(store
        ? {
            embedded_store: {
              records: datasets.reduce((n, d) => n + d.records, 0),
              datasets: datasets.slice(0, MAX_DATASETS).map((d) => ({
                name: d.name,
                records: d.records,
                first: new Date(d.firstTs).toISOString(),
                last: new Date(d.lastTs).toISOString(),
                ...(isDemoDataset(d.name) ? { demo: true } : {}),
              })),
              more_datasets: Math.max(0, datasets.length - MAX_DATASETS),
              retention_days: ctx.config.RETENTION_DAYS,
              retention: { deleted_total: retention?.deletedTotal ?? 0, ...(retention?.lastPass ? { last_pass: describeRetentionPass(retention.lastPass) } : {}) },
            },
          }
        : {}),
      limits: {
        max_response_bytes: ctx.config.MAX_RESPONSE_BYTES,
        rate_limit_per_minute: ctx.config.RATE_LIMIT_PER_MINUTE,
        backend_timeout_ms: ctx.config.BACKEND_TIMEOUT_MS,
        allowed_index_patterns: ctx.config.ALLOWED_INDEX_PATTERNS,
      },
    };
  },
});
