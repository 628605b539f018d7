/**
 * The whole catalog a model and a client see — tools with their input and output schemas,
 * what tools/list shows in each TOOL_DISCOVERY mode, prompts with their arguments, saved searches
 * and templates — against a golden file checked in beside this test, with the bytes each tool
 * and each mode's listing cost in tools/list. Any change to what is served
 * fails here until the golden is regenerated on purpose:
 *
 *   UPDATE_GOLDEN=1 npx vitest run test/contract/catalog.test.ts
 *
 * and the diff of catalog.golden.json is what a reviewer reads.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { toMcpPrompt, toMcpTool } from '../../src/server/mcp/mcp-server.js';
import { testConfig } from '../helpers/config.js';

const GOLDEN = join(import.meta.dirname, 'catalog.golden.json');

function currentCatalog(): unknown {
  // Every toolset served: a cluster (unreachable URLs are enough, building makes no call) and the store.
  const app = buildApp(testConfig({ ES_URL: 'http://127.0.0.1:9', KIBANA_URL: 'http://127.0.0.1:9', LOGSTASH_URL: 'http://127.0.0.1:9', EMBEDDED_STORE: 'on' }));
  const { registry } = app.rt;
  const role = 'elk_admin_readonly';
  const tools = registry.listFor(role).map((listing) => {
    const mcp = toMcpTool(listing);
    const modelFacing = { name: mcp.name, title: mcp.title, description: mcp.description, inputSchema: mcp.inputSchema };
    return { name: listing.name, role: listing.role, bytes: { listed: JSON.stringify(mcp).length, model_facing: JSON.stringify(modelFacing).length }, tool: mcp };
  });
  // What tools/list shows in the other TOOL_DISCOVERY modes (the full output schemas are describe_tool's answer).
  const base = registry.listFor(role, 'base').map(toMcpTool);
  const categories = registry.listFor(role, 'categories').map(toMcpTool);
  const bytes = (listed: unknown[]) => JSON.stringify({ tools: listed }).length;
  const catalog = {
    totals: { tools: tools.length, listed_bytes: { full: bytes(tools.map((t) => t.tool)), base: bytes(base), categories: bytes(categories) } },
    tools,
    modes: { base, categories },
    prompts: registry.promptsFor(role).map((p) => ({ ...toMcpPrompt(p), role: p.leastRole })),
    resources: registry.resourcesFor(role).map(({ name, uri, uriTemplate, tool, args, leastRole }) => ({ name, uri, uriTemplate, tool, args, role: leastRole })),
  };
  void app.close();
  return JSON.parse(JSON.stringify(catalog));
}

describe('catalog golden', () => {
  it('serves exactly the checked-in catalog (UPDATE_GOLDEN=1 regenerates it)', () => {
    const current = currentCatalog();
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(GOLDEN, `${JSON.stringify(current, null, 1)}\n`);
    expect(existsSync(GOLDEN), 'catalog.golden.json is missing: run UPDATE_GOLDEN=1 npx vitest run test/contract/catalog.test.ts').toBe(true);
    expect(current).toEqual(JSON.parse(readFileSync(GOLDEN, 'utf8')));
  });
});
