import { BUILTIN_QUERIES } from '../../backends/metrics/saved-queries.js';
import type { SavedSearch } from '../resource.js';

/**
 * Seed 003's saved PromQL dashboards as MCP resources, and a template for the operator's own
 * (PROMETHEUS_SAVED_QUERIES): reading one runs promql_query with `saved` on the default
 * Prometheus, through the pipeline as the reader.
 */
export const metricsSavedSearches: SavedSearch[] = [
  ...BUILTIN_QUERIES.map((q) => ({ name: q.name, title: q.name, description: q.description, uri: `res://dashboards/${q.name}.promql`, tool: 'promql_query', args: { saved: q.name } })),
  {
    name: 'saved-promql',
    title: 'A saved PromQL query',
    description: 'Any saved query by name: the built-in ones and those in PROMETHEUS_SAVED_QUERIES (telemcp_status reports any that failed their start-up dry run).',
    uriTemplate: 'res://dashboards/{saved}.promql',
    tool: 'promql_query',
    args: {},
  },
];
