/**
 * MCP prompts and resources: served by the MCP doors and on REST, filtered by role and by what
 * is configured, and run through the pipeline like tool calls (role, input, audit). The prompt is
 * a real playbook naming only callable tools; reading a saved search runs its tool as the reader,
 * on an embedded store holding the seed's incident.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { generateSeed } from '../../src/seed/generate.js';
import { seedToIngest } from '../../src/seed/to-ingest.js';
import type { IngestRecord } from '../../src/ingest/record.js';
import { startServerInProcess, type InProcessServer } from '../helpers/server.js';
import { connectHttpClient, readAudit } from '../helpers/e2e.js';

const VIEWER = 'viewer-key-0123456789';
const SHIPPER = 'shipper-key-0123456789';
const NOW = new Date(Math.floor(Date.now() / 60_000) * 60_000);

function seedRecords(): IngestRecord[] {
  const gen = generateSeed({ now: NOW, seed: 42, scale: 0.5 });
  const out: IngestRecord[] = [];
  for (;;) {
    const step = gen.next();
    if (step.done) return out;
    const r = seedToIngest(step.value);
    if (r) out.push(r);
  }
}

async function rest<T>(url: string, path: string, key: string, body?: unknown): Promise<{ status: number; json: T }> {
  const res = await fetch(`${url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'X-API-Key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as T };
}

describe('MCP prompts and resources', () => {
  let server: InProcessServer;
  let client: Client;
  let dataDir: string;

  beforeAll(async () => {
    server = await startServerInProcess({ EMBEDDED_STORE: 'on', DEMO_DATA: 'false', API_KEYS: `${VIEWER}:elk_viewer,${SHIPPER}:ingest` });
    dataDir = server.app.rt.config.DATA_DIR;
    const records = seedRecords();
    for (let i = 0; i < records.length; i += 5000) expect((await server.app.store!.ingest(records.slice(i, i + 5000))).rejected).toEqual([]);
    client = await connectHttpClient(server.url, VIEWER);
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    await server?.close();
  });

  it('lists the playbook prompt with its arguments, and builds it with only callable tools', async () => {
    const { prompts } = await client.listPrompts();
    expect(prompts.map((p) => p.name)).toEqual(['investigate_errors']);
    expect(prompts[0].arguments?.map((a) => [a.name, a.required])).toEqual([
      ['service_name', false],
      ['start_time', false],
      ['end_time', false],
      ['source', false],
    ]);
    const got = await client.getPrompt({ name: 'investigate_errors', arguments: { service_name: 'payment-service', start_time: 'now-2h' } });
    const text = got.messages.map((m) => (m.content.type === 'text' ? m.content.text : '')).join('\n');
    expect(text).toContain('incident_summary {"start_time":"now-2h","service_name":"payment-service"}');
    expect(text).toContain('logs_search');
    expect(text).toContain('elk_recommend_fix');
    // The store has no Filebeat indices and this server no cluster: the shipper step is left out.
    expect(text).not.toContain('elk_filebeat_status');
    const callable = new Set((await client.listTools()).tools.map((t) => t.name));
    for (const named of text.matchAll(/\b(elk_[a-z_]+|logs_[a-z_]+|incident_summary|telemcp_status)\b/g)) expect(callable, named[1]).toContain(named[1]);
  });

  it('refuses bad prompt arguments and unknown prompts with the pipeline codes', async () => {
    const bad = await client.getPrompt({ name: 'investigate_errors', arguments: { nope: 'x' } }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(McpError);
    expect((bad as McpError).message).toContain('invalid_input');
    const unknown = await client.getPrompt({ name: 'no_such_prompt' }).catch((e: unknown) => e);
    expect((unknown as McpError).message).toContain('tool_not_found');
  });

  it('lists saved searches and a template, and reading one runs its tool on the real store', async () => {
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri).sort()).toEqual([
      'telemcp://searches/error-bursts-last-hour',
      'telemcp://searches/error-patterns-last-hour',
      'telemcp://searches/incident-last-hour',
      'telemcp://status',
    ]);
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate)).toEqual(['telemcp://services/{service_name}/incident']);

    const read = await client.readResource({ uri: 'telemcp://searches/incident-last-hour' });
    const incident = JSON.parse((read.contents[0] as { text: string }).text) as { status: string; likely_cause: { service: string } | null };
    expect(read.contents[0]).toMatchObject({ uri: 'telemcp://searches/incident-last-hour', mimeType: 'application/json' });
    expect(incident.status).toBe('ongoing');
    expect(incident.likely_cause?.service).toBe('fraud-service');

    const perService = await client.readResource({ uri: 'telemcp://services/payment-service/incident' });
    const scoped = JSON.parse((perService.contents[0] as { text: string }).text) as { services: string[] };
    expect(scoped.services).toEqual(['payment-service']);

    const missing = await client.readResource({ uri: 'telemcp://searches/nothing' }).catch((e: unknown) => e);
    expect((missing as McpError).code).toBe(-32002);
  });

  it('puts prompt and resource calls on the audit record, the saved search\'s tool call too', async () => {
    await client.getPrompt({ name: 'investigate_errors' });
    await client.readResource({ uri: 'telemcp://status' });
    const audit = readAudit(dataDir).filter((l) => l.phase === 'after');
    expect(audit).toContainEqual(expect.objectContaining({ tool: 'prompt:investigate_errors', decision: 'allowed', role: 'elk_viewer' }));
    expect(audit).toContainEqual(expect.objectContaining({ tool: 'resource:status', decision: 'allowed' }));
    expect(audit).toContainEqual(expect.objectContaining({ tool: 'telemcp_status', decision: 'allowed', transport: 'mcp_http' }));
  });

  it('serves the same on REST, and a role without tools sees none of it', async () => {
    const prompts = await rest<{ ok: boolean; prompts: { name: string }[] }>(server.url, '/mcp/prompts', VIEWER);
    expect(prompts.json.prompts.map((p) => p.name)).toEqual(['investigate_errors']);
    const got = await rest<{ ok: boolean; prompt: { messages: { content: { text: string } }[] } }>(server.url, '/mcp/prompts/get', VIEWER, { name: 'investigate_errors', arguments: {} });
    expect(got.status).toBe(200);
    expect(got.json.prompt.messages[0].content.text).toContain('incident_summary {}');
    const listed = await rest<{ resources: { uri: string }[]; resource_templates: { uri_template: string }[] }>(server.url, '/mcp/resources', VIEWER);
    expect(listed.json.resources).toHaveLength(4);
    expect(listed.json.resource_templates.map((t) => t.uri_template)).toEqual(['telemcp://services/{service_name}/incident']);
    const read = await rest<{ ok: boolean; resource: { text: string } }>(server.url, '/mcp/resources/read', VIEWER, { uri: 'telemcp://searches/error-patterns-last-hour' });
    expect(read.status).toBe(200);
    expect((JSON.parse(read.json.resource.text) as { patterns: unknown[] }).patterns.length).toBeGreaterThan(0);
    const unknown = await rest<{ ok: boolean; error: { code: string } }>(server.url, '/mcp/resources/read', VIEWER, { uri: 'telemcp://nope' });
    expect(unknown).toMatchObject({ status: 404, json: { ok: false, error: { code: 'tool_not_found' } } });
    const badBody = await rest<{ error: { code: string } }>(server.url, '/mcp/prompts/get', VIEWER, { prompt: 'x' });
    expect(badBody).toMatchObject({ status: 400, json: { error: { code: 'invalid_input' } } });

    // An ingest key reads nothing back: no prompts, no resources, and a read is denied.
    expect((await rest<{ prompts: unknown[] }>(server.url, '/mcp/prompts', SHIPPER)).json.prompts).toEqual([]);
    expect((await rest<{ resources: unknown[] }>(server.url, '/mcp/resources', SHIPPER)).json.resources).toEqual([]);
    const denied = await rest<{ error: { code: string } }>(server.url, '/mcp/resources/read', SHIPPER, { uri: 'telemcp://status' });
    expect(denied).toMatchObject({ status: 403, json: { error: { code: 'permission_denied' } } });
  });
});
