import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { TOOL_NAME } from '../../src/tools/tool.js';
import { ROLES } from '../../src/core/roles.js';
import { toMcpTool } from '../../src/server/mcp/mcp-server.js';
import { testConfig } from '../helpers/config.js';

// Building the registry makes no backend call, so unreachable URLs are enough here.
const app = buildApp(testConfig({ ES_URL: 'http://127.0.0.1:9', KIBANA_URL: 'http://127.0.0.1:9', LOGSTASH_URL: 'http://127.0.0.1:9' }));
const { registry } = app.rt;

/** Tools per role, in listing order: a change here is a change to the API models see. */
const ELK = ['elk_cluster_health', 'elk_nodes_stats', 'elk_indices_summary', 'elk_search_logs', 'elk_detect_errors', 'elk_filebeat_status', 'elk_apm_summary'];
const LOGS = ['logs_search', 'logs_patterns', 'logs_bursts', 'logs_correlate', 'incident_summary'];
const GOLDEN: Record<string, string[]> = {
  elk_viewer: ['telemcp_status', ...ELK, 'elk_kibana_status', ...LOGS, 'elk_recommend_fix', 'describe_tool'],
  elk_operator: ['telemcp_status', ...ELK, 'elk_query', 'elk_kibana_status', 'elk_logstash_health', ...LOGS, 'elk_recommend_fix', 'describe_tool'],
  elk_admin_readonly: ['telemcp_status', ...ELK, 'elk_query', 'elk_kibana_status', 'elk_logstash_health', ...LOGS, 'elk_recommend_fix', 'describe_tool'],
  // A shipper's key writes logs and reads nothing back.
  ingest: [],
};
/** The other TOOL_DISCOVERY modes: four meta-tools, or one tool per toolset the role may use. */
const BASE = ['list_tools', 'search_tools', 'describe_tool', 'call_tool'];
const CATEGORIES: Record<string, string[]> = {
  elk_viewer: ['server', 'elk', 'kibana', 'logs', 'advice', 'describe_tool'],
  elk_operator: ['server', 'elk', 'kibana', 'logstash', 'logs', 'advice', 'describe_tool'],
  elk_admin_readonly: ['server', 'elk', 'kibana', 'logstash', 'logs', 'advice', 'describe_tool'],
  ingest: [],
};
const MODES = ['full', 'base', 'categories'] as const;

/**
 * Budgets, in bytes of tools/list's JSON as the most privileged client receives it, raised
 * deliberately and never by accident. The listing was 61.8 kB for 17 tools, two thirds of it
 * output schemas; since issue 12 it carries only the top-level field names of each output (the
 * full schema is describe_tool's answer) and shorter descriptions: 20.1 kB with describe_tool.
 * A new tool must fit PER_TOOL; the total rises with the catalog, on purpose. base lists four
 * meta-tools whatever the catalog; categories grows by one summary line per tool.
 */
const LISTING_BUDGET_BYTES: Record<(typeof MODES)[number], number> = { full: 20_480, base: 2_700, categories: 6_400 };
const PER_TOOL_BUDGET_BYTES = 2_200;
describe('tool list contract', () => {
  it('lists the golden tools per role, in every TOOL_DISCOVERY mode', () => {
    for (const role of ROLES) {
      expect(registry.listFor(role).map((t) => t.name), role).toEqual(GOLDEN[role]);
      expect(registry.listFor(role, 'full'), role).toEqual(registry.listFor(role));
      expect(registry.listFor(role, 'base').map((t) => t.name), role).toEqual(role === 'ingest' ? [] : BASE);
      expect(registry.listFor(role, 'categories').map((t) => t.name), role).toEqual(CATEGORIES[role]);
    }
  });

  it('every listed tool is served, read-only, never destructive, and has a portable name', () => {
    const listed = new Set(MODES.flatMap((mode) => registry.listFor('elk_admin_readonly', mode).map((l) => l.name)));
    expect(listed.size).toBe(GOLDEN.elk_admin_readonly.length + BASE.length - 1 + CATEGORIES.elk_admin_readonly.length - 1);
    for (const name of listed) {
      const tool = registry.get(name);
      expect(tool, name).toBeDefined();
      expect(tool!.name).toMatch(TOOL_NAME);
      expect(tool!.annotations.readOnlyHint).toBe(true);
      expect(tool!.annotations.destructiveHint).toBe(false);
    }
  });

  it('input schemas reject unknown properties', () => {
    for (const mode of MODES) for (const listing of registry.listFor('elk_admin_readonly', mode)) expect(listing.inputSchema.additionalProperties, listing.name).toBe(false);
  });

  it.each(MODES)('stays within the listing budget in %s mode, and no tool over its own', (mode) => {
    const tools = registry.listFor('elk_admin_readonly', mode).map(toMcpTool);
    const over = tools.map((t) => ({ name: t.name, bytes: JSON.stringify(t).length })).filter((t) => t.bytes > PER_TOOL_BUDGET_BYTES);
    expect(over, `tools over ${PER_TOOL_BUDGET_BYTES} bytes in tools/list`).toEqual([]);
    expect(JSON.stringify({ tools }).length).toBeLessThanOrEqual(LISTING_BUDGET_BYTES[mode]);
  });

  it('lists output schemas every result validates against, errors included, and keeps the full ones for describe_tool', () => {
    for (const listing of registry.listFor('elk_admin_readonly')) {
      const listed = toMcpTool(listing).outputSchema!;
      expect(listed.type).toBe('object');
      expect(listed.required, listing.name).toBeUndefined();
      expect(Object.keys(listed.properties ?? {}), listing.name).toEqual(Object.keys((listing.outputSchema.properties ?? {}) as object));
      for (const field of Object.values(listed.properties ?? {})) expect(field).toEqual({});
    }
    // The registry's listing (describe_tool, GET /mcp/tools) keeps the nested structure.
    const full = registry.listing('incident_summary')!.outputSchema as { required: string[]; properties: Record<string, { type?: string; properties?: object }> };
    expect(full.required).toEqual(expect.arrayContaining(['what', 'since']));
    expect(Object.values(full.properties).some((p) => p.properties)).toBe(true);
  });

  it('hides toolsets whose backend is not configured', () => {
    const bare = buildApp(testConfig());
    expect(bare.rt.registry.all().map((t) => t.name)).toEqual(['telemcp_status', 'elk_recommend_fix']);
    expect(bare.rt.registry.hiddenToolsets.map((h) => h.name)).toEqual(['elk', 'kibana', 'logstash', 'logs', 'metrics', 'victorialogs', 'loki']);
    // Each says how to enable it, from the modules that provide what its tools require.
    expect(Object.fromEntries(bare.rt.registry.hiddenToolsets.map((h) => [h.name, h.reason]))).toEqual({
      elk: 'set ES_URL or set OPENSEARCH_URL or set EMBEDDED_STORE=on to enable it',
      kibana: 'set KIBANA_URL to enable it',
      logstash: 'set LOGSTASH_URL to enable it',
      logs: 'set ES_URL or set OPENSEARCH_URL or set VICTORIALOGS_URL or set LOKI_URL or set EMBEDDED_STORE=on to enable it',
      metrics: 'set PROMETHEUS_URL or set ALERTMANAGER_URL to enable it',
      victorialogs: 'set VICTORIALOGS_URL to enable it',
      loki: 'set LOKI_URL to enable it',
    });
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
    expect(() => buildApp(testConfig({ TOOLSETS: 'logs,kubernetes' }))).toThrow(/TOOLSETS: unknown toolset\(s\) kubernetes; known: server, elk, kibana, logstash, logs, metrics, victorialogs, loki, advice/);
  });

  it('serves elk\'s log tools, and only those, on the embedded store when no cluster is configured, and says why', async () => {
    const zeroConfig = buildApp(testConfig({ EMBEDDED_STORE: 'auto' }));
    try {
      const { registry: r } = zeroConfig.rt;
      expect(r.all().map((t) => t.name)).toEqual(['telemcp_status', 'elk_search_logs', 'elk_detect_errors', ...LOGS, 'elk_recommend_fix']);
      expect(r.hiddenToolsets.map((h) => h.name)).toEqual(['kibana', 'logstash', 'metrics', 'victorialogs', 'loki']);
      expect(r.narrowedToolsets).toEqual([{ name: 'elk', reason: 'elk_search_logs, elk_detect_errors served; elk_cluster_health, elk_nodes_stats, elk_indices_summary, elk_filebeat_status, elk_apm_summary, elk_query need more: set ES_URL or set OPENSEARCH_URL' }]);
    } finally {
      await zeroConfig.close();
    }
  });
});
