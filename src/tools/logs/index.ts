import type { AnyTool } from '../tool.js';
import { incidentSummary } from './incident_summary.js';
import { logsBursts } from './logs_bursts.js';
import { logsCorrelate } from './logs_correlate.js';
import { logsPatterns } from './logs_patterns.js';
import { logsSearch } from './logs_search.js';

/** Log analysis over any configured log source (LogSource): the same tools whatever the backend. */
export const logsTools: AnyTool[] = [logsSearch, logsPatterns, logsBursts, logsCorrelate, incidentSummary];
