import type { AnyTool } from '../tool.js';
import { elkClusterHealth } from './elk_cluster_health.js';
import { elkNodesStats } from './elk_nodes_stats.js';
import { elkIndicesSummary } from './elk_indices_summary.js';
import { elkQuery } from './elk_query.js';
import { elkSearchLogs } from './elk_search_logs.js';
import { elkDetectErrors } from './elk_detect_errors.js';
import { elkFilebeatStatus } from './elk_filebeat_status.js';
import { elkApmSummary } from './elk_apm_summary.js';

/** The elk toolset: seed 000's tools, in the seed's order. */
export const elkTools: AnyTool[] = [elkClusterHealth, elkNodesStats, elkIndicesSummary, elkSearchLogs, elkDetectErrors, elkFilebeatStatus, elkApmSummary, elkQuery];
