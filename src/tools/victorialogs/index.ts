import type { Manifest } from '../toolsets.js';
import { vlogsDiscover } from './vlogs_discover.js';
import { vlogsQuery } from './vlogs_query.js';

/** VictoriaLogs' own query language, through the guard VictoriaLogs owns (issue 14). */
export const victorialogsManifest: Manifest = {
  name: 'victorialogs',
  description: 'VictoriaLogs native queries and discovery: a LogsQL or JSON filter, guarded, answered with totals, patterns and bursts; fields, values, streams and hits',
  tools: [vlogsQuery, vlogsDiscover],
};
