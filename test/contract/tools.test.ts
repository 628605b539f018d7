import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { TOOL_NAME } from '../../src/tools/tool.js';
import { ROLES } from '../../src/security/roles.js';
import { toMcpTool } from '../../src/server/mcp/mcp-server.js';
import { testConfig } from '../helpers/config.js';

// Building the registry makes no backend call, so unreachable URLs are enough here.
const app = buildApp(testConfig({ ES_URL: 'http://127.0.0.1:9', KIBANA_URL: 'http://127.0.0.1:9', LOGSTASH_URL: 'http://127.0.0.1:9' }));
const { registry } = app.rt;

/** Tools per role, in listing order: a change here is a change to the API models see. */
const ELK = ['elk_cluster_health', 'elk_nodes_stats', 'elk_indices_summary', 'elk_search_logs', 'elk_detect_errors', 'elk_filebeat_status', 'elk_apm_summary'];
const LOGS = ['logs_search', 'logs_patterns', 'logs_bursts', 'logs_correlate', 'incident_summary'];
const GOLDEN: Record<string, string[]> = {
  elk_viewer: ['telemcp_status', ...ELK, 'elk_kibana_status', ...LOGS, 'elk_recommend_fix'],
  elk_operator: ['telemcp_status', ...ELK, 'elk_query', 'elk_kibana_status', 'elk_logstash_health', ...LOGS, 'elk_recommend_fix'],
  elk_admin_readonly: ['telemcp_status', ...ELK, 'elk_query', 'elk_kibana_status', 'elk_logstash_health', ...LOGS, 'elk_recommend_fix'],
  // A shipper's key writes logs and reads nothing back.
  ingest: [],
};

/**
 * Budgets, in bytes, raised deliberately and never by accident: what a model reads to pick a
 * tool (name, title, description, input schema), and the whole tools/list including the output
 * schemas that clients use to validate results. Raised from 12,000/40,000 when the four log
 * analysis tools landed (16 tools, under 1 kB each for the model); to 15,900/60,500 for
 * logs_search (17 tools; its input schema is elk_search_logs's, about 1.3 kB, 3.2 kB listed);
 * to 16,000/60,600 when elk_search_logs and elk_detect_errors learned to read the embedded store (their
 * index_pattern says what it means there); the listing to 60,800 when telemcp_status's output
 * reported what retention deleted (+179 bytes, output schema only); to 61,800 when incident_summary
 * and logs_correlate said what they count exactly, what began before the window and which services
 * went silent, and elk_detect_errors and logs_patterns whether their counts are exact (output
 * schemas, +0.8 kB).
 */
const MODEL_FACING_BUDGET_BYTES = 16_000;
const LISTING_BUDGET_BYTES = 61_800;

describe('tool list contract', () => {
  it('lists the golden tools per role', () => {
    for (const role of ROLES) expect(registry.listFor(role).map((t) => t.name), role).toEqual(GOLDEN[role]);
  });

  it('every tool is read-only, never destructive, and has a portable name', () => {
    for (const tool of registry.all()) {
      expect(tool.name).toMatch(TOOL_NAME);
      expect(tool.annotations.readOnlyHint).toBe(true);
      expect(tool.annotations.destructiveHint).toBe(false);
    }
  });

  it('input schemas reject unknown properties', () => {
    for (const listing of registry.listFor('elk_admin_readonly')) expect(listing.inputSchema.additionalProperties, listing.name).toBe(false);
  });

  it('stays within the listing budgets', () => {
    const tools = registry.listFor('elk_admin_readonly').map(toMcpTool);
    const modelFacing = JSON.stringify(tools.map(({ name, title, description, inputSchema }) => ({ name, title, description, inputSchema }))).length;
    expect(modelFacing).toBeLessThanOrEqual(MODEL_FACING_BUDGET_BYTES);
    expect(JSON.stringify(tools).length).toBeLessThanOrEqual(LISTING_BUDGET_BYTES);
  });

  it('hides toolsets whose backend is not configured', () => {
    const bare = buildApp(testConfig());
    expect(bare.rt.registry.all().map((t) => t.name)).toEqual(['telemcp_status', 'elk_recommend_fix']);
    expect(bare.rt.registry.hiddenToolsets.map((h) => h.name)).toEqual(['elk', 'kibana', 'logstash', 'logs']);
  });

  it('serves only the toolsets TOOLSETS names (and telemcp_status), their prompts and saved searches with them', async () => {
    const chosen = buildApp(testConfig({ EMBEDDED_STORE: 'auto', TOOLSETS: 'logs' }));
    try {
      const { registry: r } = chosen.rt;
      expect(r.all().map((t) => t.name)).toEqual(['telemcp_status', ...LOGS]);
      expect(r.hiddenToolsets).toContainEqual({ name: 'elk', reason: 'not in TOOLSETS (logs)' });
      expect(r.promptsFor('elk_viewer').map((p) => p.name)).toEqual(['investigate_errors']);
      const elkOnly = buildApp(testConfig({ EMBEDDED_STORE: 'auto', TOOLSETS: 'elk,advice' }));
      expect(elkOnly.rt.registry.promptsFor('elk_viewer')).toEqual([]);
      expect(elkOnly.rt.registry.resourcesFor('elk_viewer').map((x) => x.uri)).toEqual(['telemcp://status']);
      await elkOnly.close();
    } finally {
      await chosen.close();
    }
    expect(() => buildApp(testConfig({ TOOLSETS: 'logs,metrics' }))).toThrow(/TOOLSETS: unknown toolset\(s\) metrics; known: server, elk, kibana, logstash, logs, advice/);
  });

  it('serves elk\'s log tools, and only those, on the embedded store when no cluster is configured, and says why', async () => {
    const zeroConfig = buildApp(testConfig({ EMBEDDED_STORE: 'auto' }));
    try {
      const { registry: r } = zeroConfig.rt;
      expect(r.all().map((t) => t.name)).toEqual(['telemcp_status', 'elk_search_logs', 'elk_detect_errors', ...LOGS, 'elk_recommend_fix']);
      expect(r.hiddenToolsets.map((h) => h.name)).toEqual(['kibana', 'logstash']);
      expect(r.narrowedToolsets).toEqual([{ name: 'elk', reason: 'elk_search_logs and elk_detect_errors read the embedded store; set ES_URL (or OPENSEARCH_URL) for the cluster tools' }]);
    } finally {
      await zeroConfig.close();
    }
  });
});
