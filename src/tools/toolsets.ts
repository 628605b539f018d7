import type { Backends } from '../backends/backends.js';
import { SEARCH_ENGINE } from '../backends/elasticsearch/module.js';
import { STORE_READER } from '../backends/embedded/module.js';
import { KIBANA } from '../backends/kibana/module.js';
import { LOGSTASH } from '../backends/logstash/module.js';
import { ConfigError, type Config } from '../config/load.js';
import type { AnyTool } from './tool.js';
import type { AnyPrompt } from './prompt.js';
import type { SavedSearch } from './resource.js';
import { serverSavedSearches } from './server/saved-searches.js';
import { investigateErrors } from './logs/investigate-errors.js';
import { logSavedSearches } from './logs/saved-searches.js';
import { serverTools } from './server/index.js';
import { elkLogTools, elkTools } from './elk/index.js';
import { elkKibanaStatus } from './elk/elk_kibana_status.js';
import { elkLogstashHealth } from './elk/elk_logstash_health.js';
import { adviceTools } from './advice/index.js';
import { logsTools } from './logs/index.js';
import { DISCOVERY_TOOLSET, discoveryTools } from './discovery/index.js';

export interface Toolset {
  name: string;
  description: string;
  tools: AnyTool[];
  /** MCP prompts: investigation playbooks over this toolset's tools. */
  prompts?: AnyPrompt[];
  /** Saved searches served as MCP resources (each a call of one of the served tools). */
  savedSearches?: SavedSearch[];
  /** Why the toolset is hidden, or undefined when its backend is configured. */
  unavailableReason: (backends: Backends) => string | undefined;
  /** When only some of its tools can answer with the backends configured: those, and why the rest are not served. */
  narrowed?: (backends: Backends) => { tools: AnyTool[]; reason: string } | undefined;
}

/** The one place that decides which toolsets exist and when they are visible. */
export const TOOLSETS: Toolset[] = [
  {
    name: 'server',
    description: 'telemcp itself: what is configured and reachable',
    tools: serverTools,
    savedSearches: serverSavedSearches,
    unavailableReason: () => undefined,
  },
  {
    name: 'elk',
    description: 'Elasticsearch/OpenSearch cluster, nodes and indices',
    tools: elkTools,
    unavailableReason: (b) => (b.first(SEARCH_ENGINE) || b.first(STORE_READER) ? undefined : 'set ES_URL (or OPENSEARCH_URL) to enable it'),
    // Without a cluster, the embedded store answers elk's log tools; the cluster tools need a cluster.
    narrowed: (b) =>
      b.first(SEARCH_ENGINE) ? undefined : { tools: elkLogTools, reason: `${elkLogTools.map((t) => t.name).join(' and ')} read the embedded store; set ES_URL (or OPENSEARCH_URL) for the cluster tools` },
  },
  {
    name: 'kibana',
    description: "Kibana's own status",
    tools: [elkKibanaStatus],
    unavailableReason: (b) => (b.first(KIBANA) ? undefined : 'set KIBANA_URL to enable it'),
  },
  {
    name: 'logstash',
    description: 'Logstash pipelines through its monitoring API',
    tools: [elkLogstashHealth],
    unavailableReason: (b) => (b.first(LOGSTASH) ? undefined : 'set LOGSTASH_URL to enable it'),
  },
  {
    name: 'logs',
    description: 'Log analysis on any configured log source: templates, bursts, correlation, incident summary',
    tools: logsTools,
    prompts: [investigateErrors],
    savedSearches: logSavedSearches,
    unavailableReason: (b) => (b.logSources.size ? undefined : 'configure a log source (ES_URL or OPENSEARCH_URL) to enable it'),
  },
  {
    name: 'advice',
    description: 'Safe fix recommendations from findings; pure analysis, no backend needed',
    tools: adviceTools,
    unavailableReason: () => undefined,
  },
  {
    name: DISCOVERY_TOOLSET,
    description: 'Find, describe and call the other tools: what TOOL_DISCOVERY=base and categories list',
    tools: discoveryTools,
    unavailableReason: () => undefined,
  },
];

/**
 * TOOLSETS names toolsets, which are this layer's, so it is checked here rather than in the
 * config schema: an unknown name is a configuration error, reported like the others.
 */
export function assertKnownToolsets(config: Pick<Config, 'TOOLSETS'>): void {
  const unknown = (config.TOOLSETS ?? []).filter((name) => !TOOLSETS.some((t) => t.name === name));
  if (unknown.length) throw new ConfigError([`config TOOLSETS: unknown toolset(s) ${unknown.join(', ')}; known: ${TOOLSETS.map((t) => t.name).join(', ')}`]);
}
