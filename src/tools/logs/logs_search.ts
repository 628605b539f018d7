import { LOG_SOURCE } from '../../backends/capabilities.js';
import { DEFAULT_WINDOW_START } from '../../core/time.js';
import { z } from 'zod';
import { logFilterInput, logPageInput, searchHitOut, searchPageOut } from '../log-search-common.js';
import { defineTool } from '../tool.js';
import { logToolCache, SEARCH_PAGE_TTL_MS } from '../cache-windows.js';
import { describeSource, logScopeInput, sourceOut } from './common.js';
import { searchSourcePage } from './search-page.js';
import { resolveLogSource } from './sources.js';

const NAME = 'logs_search';

/**
 * elk_search_logs on any log source: the same arguments (`source` and `scope` for
 * `index_pattern`) and the same answer (search-page.ts), plus which source answered.
 */
export const logsSearch = defineTool({
  name: NAME,
  title: 'Search logs on any source',
  description:
    'Log lines on any log source by service, level, trace id and message words. Newest first, compact; page with next_cursor.',
  readme: '`elk_search_logs` on any log source (`source`, `scope` instead of `index_pattern`): the same filters, compact hits, totals, `next_cursor` and hint when nothing matched — the same answer for the same logs on Elasticsearch, OpenSearch and the embedded store',
  toolset: 'logs',
  requires: [LOG_SOURCE],
  leastRole: 'elk_viewer',
  input: z
    .object({
      ...logScopeInput,
      ...logFilterInput,
      ...logPageInput,
    })
    .strict(),
  output: searchPageOut(searchHitOut).extend({ source: sourceOut }),
  cache: logToolCache({ maxTtlMs: SEARCH_PAGE_TTL_MS }),
  async handler(input, ctx) {
    const source = resolveLogSource(ctx, input.source);
    const { summary, scope, ...answer } = await searchSourcePage(source, input.scope, input, { tool: NAME, defaultStart: DEFAULT_WINDOW_START }, ctx.signal);
    return { summary, source: describeSource(ctx, source, scope), ...answer };
  },
});
