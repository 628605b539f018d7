import type { Manifest } from '../toolsets.js';
import { alertsActive } from './alerts_active.js';
import { hostFacts } from './host_facts.js';
import { metricsChanges } from './metrics_changes.js';
import { promDiscover } from './prom_discover.js';
import { promTargetsRules } from './prom_targets_rules.js';
import { promqlQuery } from './promql_query.js';
import { metricsSavedSearches } from './saved-queries.js';
import { triageNow } from './triage-now.js';
import { capacityCheck } from './capacity-check.js';
import { crashloopPlaybook } from './crashloop-playbook.js';

/** Metrics and alerts: Prometheus-compatible servers and Alertmanager (seed 003). */
export const metricsManifest: Manifest = {
  name: 'metrics',
  description: 'Prometheus-compatible metrics and Alertmanager alerts: PromQL summarised, discovery, targets and rules, active alerts',
  tools: [promqlQuery, promDiscover, promTargetsRules, alertsActive, metricsChanges, hostFacts],
  savedSearches: metricsSavedSearches,
  prompts: [triageNow, capacityCheck, crashloopPlaybook],
};
