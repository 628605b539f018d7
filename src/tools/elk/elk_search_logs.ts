import { SEARCH_ENGINE } from '../../backends/elasticsearch/module.js';
import { STORE_READER } from '../../backends/embedded/module.js';
import { z } from 'zod';
import { defineTool } from '../tool.js';
import { elkLogCache, SEARCH_PAGE_TTL_MS } from '../cache-windows.js';
import { NO_CONTROL, logFilterInput, logPageInput, searchHitOut, searchPageOut } from '../log-search-common.js';
import { elkLogSource, fieldsUsed, logToolTargets } from './common.js';
import { searchSource } from '../logs/search-page.js';

const NAME = 'elk_search_logs';
const fieldName = z.string().regex(/^[A-Za-z0-9@_][A-Za-z0-9@_.-]{0,127}$/, 'a field name such as host.name');

const hitOut = searchHitOut.extend({ fields: z.record(z.string(), z.unknown()).optional() });

/**
 * Seed 000's log search over the LogSource elk's log tools read (the cluster, else the
 * embedded store): the same page, totals, cursors and hint as logs_search (search-page.ts),
 * plus the fields each role was read from and any other fields asked for.
 */
export const elkSearchLogs = defineTool({
  name: NAME,
  title: 'Search logs',
  description:
    'Log lines in a time window by service, level, trace id and message words. Newest first, compact; ECS or flat fields detected. Page with next_cursor; an empty result says which filter to relax.',
  readme: 'log lines in a window (`start_time`/`end_time`: date math, ISO 8601 with any offset, epoch ms), by service, level, trace id and message words; compact hits, `next_cursor` (point in time + search_after), a hint when nothing matched',
  toolset: 'elk',
  requires: [SEARCH_ENGINE, STORE_READER],
  leastRole: 'elk_viewer',
  input: z
    .object({
      index_pattern: z.string().min(1).max(512).optional().describe('Default: LOG_INDEX_PATTERN (logs-*); embedded store: datasets, default *'),
      start_time: z.string().min(1).max(64).optional().describe('now-1h, ISO 8601 or epoch ms. Default now-15m'),
      end_time: z.string().min(1).max(64).optional().describe('Default now; window ≤ 31 days'),
      service_name: z.string().min(1).max(256).regex(NO_CONTROL).optional(),
      ...logFilterInput,
      fields: z.array(fieldName).min(1).max(20).optional().describe('Fields per hit; default service, level, message, trace_id'),
      ...logPageInput,
    })
    .strict(),
  output: searchPageOut(hitOut).extend({ fields_used: z.record(z.string(), z.string()) }),
  targets: (input, config) => logToolTargets(input.index_pattern, config),
  cache: elkLogCache('now-15m', { maxTtlMs: SEARCH_PAGE_TTL_MS }),
  async handler(input, ctx) {
    const { source, scope } = elkLogSource(ctx, input.index_pattern);
    const { answer, roles } = await searchSource(source, scope, input, { tool: NAME, defaultStart: 'now-15m' }, ctx.signal);
    const { scope: _scope, ...page } = answer;
    return { ...page, fields_used: fieldsUsed(roles, true) };
  },
});
