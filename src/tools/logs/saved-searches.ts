import type { SavedSearch } from '../resource.js';

/**
 * Saved searches of the log toolset, served as MCP resources: reading one runs its call on the
 * default log source (the `source` argument is needed when several are configured, so these read
 * the only one) over the last hour.
 */
export const logSavedSearches: SavedSearch[] = [
  {
    name: 'incident-last-hour',
    title: 'Incident summary, last hour',
    description: 'incident_summary over the last hour: what is wrong, since when, likely cause, silent services.',
    uri: 'telemcp://searches/incident-last-hour',
    tool: 'incident_summary',
    args: {},
  },
  {
    name: 'error-patterns-last-hour',
    title: 'Error patterns, last hour',
    description: 'logs_patterns of error lines over the last hour, with counts.',
    uri: 'telemcp://searches/error-patterns-last-hour',
    tool: 'logs_patterns',
    args: { log_level: 'error' },
  },
  {
    name: 'error-bursts-last-hour',
    title: 'Error bursts, last hour',
    description: 'logs_bursts of errors over the last hour: when they rose above baseline and who carries them.',
    uri: 'telemcp://searches/error-bursts-last-hour',
    tool: 'logs_bursts',
    args: {},
  },
  {
    name: 'service-incident',
    title: "A service's incident summary, last hour",
    description: 'incident_summary of one service over the last hour.',
    uriTemplate: 'telemcp://services/{service_name}/incident',
    tool: 'incident_summary',
    args: {},
  },
];
