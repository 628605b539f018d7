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
    // Seed 003's LogQL dashboard (`{job="kubernetes-events"} |= "Warning"`), asked of whichever log
    // source is configured: the patterns of warning records that say Warning, with their counts.
    name: 'warn-events',
    title: 'warn-events',
    description: 'Kubernetes Warning events of the last hour as patterns with counts (seed 003\'s warn-events.logql), from the configured log source.',
    uri: 'res://dashboards/warn-events.logql',
    tool: 'logs_patterns',
    args: { log_level: 'warn', query: 'Warning' },
  },
  {
    name: 'saved-promql',
    title: 'A saved PromQL query',
    description: 'Any saved query by name: the built-in ones and those in PROMETHEUS_SAVED_QUERIES (telemcp_status reports any that failed their start-up dry run).',
    uriTemplate: 'res://dashboards/{saved}.promql',
    tool: 'promql_query',
    args: {},
  },
];
