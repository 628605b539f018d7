import type { Backends } from '../backends/backends.js';
import { ConfigError, type Config } from '../config/load.js';
import type { AnyTool } from './tool.js';
import type { AnyPrompt } from './prompt.js';
import type { SavedSearch } from './resource.js';
import { serverSavedSearches } from './server/saved-searches.js';
import { investigateErrors } from './logs/investigate-errors.js';
import { logSavedSearches } from './logs/saved-searches.js';
import { serverTools } from './server/index.js';
import { elkTools } from './elk/index.js';
import { elkKibanaStatus } from './elk/elk_kibana_status.js';
import { elkLogstashHealth } from './elk/elk_logstash_health.js';
import { adviceTools } from './advice/index.js';
import { logsTools } from './logs/index.js';
import { DISCOVERY_TOOLSET, discoveryTools } from './discovery/index.js';
import { metricsManifest } from './metrics/index.js';
import { victorialogsManifest } from './victorialogs/index.js';
import { lokiManifest } from './loki/index.js';

/** What a toolset declares: its tools say what they require (ToolDefinition.requires); the rest follows. */
export interface Manifest {
  name: string;
  description: string;
  tools: AnyTool[];
  /**
   * Tools made at start-up from what is configured (tools generated from a backend's API
   * description, one per configured instance): served like the declared ones, under the same
   * requirement check.
   */
  build?: (backends: Backends) => AnyTool[];
  /** MCP prompts: investigation playbooks over this toolset's tools. */
  prompts?: AnyPrompt[];
  /** Saved searches served as MCP resources (each a call of one of the served tools). */
  savedSearches?: SavedSearch[];
}

/** What a toolset serves with these backends; `hidden` or `partial` say why not all of it. */
export interface Availability {
  tools: AnyTool[];
  /** Nothing is served: how to enable it. */
  hidden?: string;
  /** Some tools are served: which, and what the others need. */
  partial?: string;
}

export interface Toolset extends Manifest {
  availability: (backends: Backends) => Availability;
}

const served = (tool: AnyTool, backends: Backends) => !tool.requires || tool.requires.some((key) => backends.first(key) !== undefined);

/** How to enable a tool that is not served, from the modules that would provide what it requires. */
function enableHint(tools: readonly AnyTool[], backends: Backends): string {
  const ways = [...new Set(tools.flatMap((t) => t.requires ?? []).map((key) => backends.enableHint(key)).filter((w): w is string => w !== undefined))];
  return ways.length ? ways.join(' or ') : 'configure its backend';
}

/**
 * A toolset is served with the tools (declared and built) whose requirements a configured backend
 * meets: hidden when none are (with how to enable them), in part when only some are (saying
 * which and why).
 */
export function manifest(m: Manifest): Toolset {
  return {
    ...m,
    availability(b) {
      const all = [...m.tools, ...(m.build?.(b) ?? [])];
      const tools = all.filter((t) => served(t, b));
      const missing = all.filter((t) => !served(t, b));
      if (!tools.length) return { tools, hidden: all.length ? `${enableHint(missing, b)} to enable it` : 'nothing configured builds its tools' };
      if (!missing.length) return { tools };
      return { tools, partial: `${tools.map((t) => t.name).join(', ')} served; ${missing.map((t) => t.name).join(', ')} need more: ${enableHint(missing, b)}` };
    },
  };
}

/** The one place that decides which toolsets exist; what each serves follows from its tools' requirements. */
export const TOOLSETS: Toolset[] = [
  manifest({ name: 'server', description: 'telemcp itself: what is configured and reachable', tools: serverTools, savedSearches: serverSavedSearches }),
  manifest({ name: 'elk', description: 'Elasticsearch/OpenSearch cluster, nodes and indices', tools: elkTools }),
  manifest({ name: 'kibana', description: "Kibana's own status", tools: [elkKibanaStatus] }),
  manifest({ name: 'logstash', description: 'Logstash pipelines through its monitoring API', tools: [elkLogstashHealth] }),
  manifest({
    name: 'logs',
    description: 'Log analysis on any configured log source: templates, bursts, correlation, incident summary',
    tools: logsTools,
    prompts: [investigateErrors],
    savedSearches: logSavedSearches,
  }),
  manifest(metricsManifest),
  manifest(victorialogsManifest),
  manifest(lokiManifest),
  manifest({ name: 'advice', description: 'Safe fix recommendations from findings; pure analysis, no backend needed', tools: adviceTools }),
  manifest({ name: DISCOVERY_TOOLSET, description: 'Find, describe and call the other tools: what TOOL_DISCOVERY=base and categories list', tools: discoveryTools }),
];

/**
 * TOOLSETS names toolsets, which are this layer's, so it is checked here rather than in the
 * config schema: an unknown name is a configuration error, reported like the others.
 */
export function assertKnownToolsets(config: Pick<Config, 'TOOLSETS'>): void {
  const unknown = (config.TOOLSETS ?? []).filter((name) => !TOOLSETS.some((t) => t.name === name));
  if (unknown.length) throw new ConfigError([`config TOOLSETS: unknown toolset(s) ${unknown.join(', ')}; known: ${TOOLSETS.map((t) => t.name).join(', ')}`]);
}
