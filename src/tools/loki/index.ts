import type { Manifest } from '../toolsets.js';
import { lokiDiscover } from './loki_discover.js';
import { lokiQuery } from './loki_query.js';

/** Loki's own query language and discovery API, through the guards Loki owns (issue 14). */
export const lokiManifest: Manifest = {
  name: 'loki',
  description: 'Loki native queries: LogQL log and metric queries, guarded, answered with totals, patterns, bursts or a matrix summary; labels, values, series and hits',
  tools: [lokiQuery, lokiDiscover],
};
