import type { Backends } from '../backends/backends.js';
import type { AnyTool } from './tool.js';
import { serverTools } from './server/index.js';
import { elkTools } from './elk/index.js';
import { elkKibanaStatus } from './elk/elk_kibana_status.js';
import { elkLogstashHealth } from './elk/elk_logstash_health.js';
import { adviceTools } from './advice/index.js';
import { logsTools } from './logs/index.js';

export interface Toolset {
  name: string;
  description: string;
  tools: AnyTool[];
  /** Why the toolset is hidden, or undefined when its backend is configured. */
  unavailableReason: (backends: Backends) => string | undefined;
}

/** The one place that decides which toolsets exist and when they are visible. */
export const TOOLSETS: Toolset[] = [
  {
    name: 'server',
    description: 'telemcp itself: what is configured and reachable',
    tools: serverTools,
    unavailableReason: () => undefined,
  },
  {
    name: 'elk',
    description: 'Elasticsearch/OpenSearch cluster, nodes and indices',
    tools: elkTools,
    unavailableReason: (b) => (b.search ? undefined : 'set ES_URL (or OPENSEARCH_URL) to enable it'),
  },
  {
    name: 'kibana',
    description: "Kibana's own status",
    tools: [elkKibanaStatus],
    unavailableReason: (b) => (b.kibana ? undefined : 'set KIBANA_URL to enable it'),
  },
  {
    name: 'logstash',
    description: 'Logstash pipelines through its monitoring API',
    tools: [elkLogstashHealth],
    unavailableReason: (b) => (b.logstash ? undefined : 'set LOGSTASH_URL to enable it'),
  },
  {
    name: 'logs',
    description: 'Log analysis on any configured log source: templates, bursts, correlation, incident summary',
    tools: logsTools,
    unavailableReason: (b) => (b.logSources.size ? undefined : 'configure a log source (ES_URL or OPENSEARCH_URL) to enable it'),
  },
  {
    name: 'advice',
    description: 'Safe fix recommendations from findings; pure analysis, no backend needed',
    tools: adviceTools,
    unavailableReason: () => undefined,
  },
];
