import type { SavedSearch } from '../resource.js';

export const serverSavedSearches: SavedSearch[] = [
  {
    name: 'status',
    title: 'telemcp status',
    description: 'telemcp_status: configured backends, their reachability, your role and limits.',
    uri: 'telemcp://status',
    tool: 'telemcp_status',
    args: {},
  },
];
