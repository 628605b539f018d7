import { resolve } from 'node:path';
import { VERSION } from '../core/version.js';
import type { App } from '../app.js';

/**
 * Start-up text for a human at a terminal: where the server listens, what is configured,
 * and (only when a key was generated just now) the key with paste-ready client configs.
 */
export function startupBanner(app: App, url: string, extra: string[] = []): string {
  const mcpUrl = `${url}/mcp`;
  const { registry } = app.rt;
  const lines = [`telemcp ${VERSION} listening on ${url}  (MCP Streamable HTTP: ${mcpUrl}, legacy SSE: ${url}/sse, REST: ${url}/mcp/tools)`];
  lines.push(`tools: ${registry.all().map((t) => t.name).join(', ')}`);
  for (const hidden of registry.hiddenToolsets) lines.push(`toolset ${hidden.name} hidden: ${hidden.reason}`);
  for (const part of registry.narrowedToolsets) lines.push(`toolset ${part.name} in part: ${part.reason}`);
  lines.push(...extra);
  for (const setting of app.insecure) lines.push(`WARNING insecure setting enabled: ${setting}`);
  const key = app.localKey;
  if (!key) return `${lines.join('\n')}\n`;
  if (!key.plainKey) {
    lines.push(`auth: using the local API key generated on first start (its hash is in ${key.path}); delete that file and restart to get a new key, or set API_KEYS.`);
    return `${lines.join('\n')}\n`;
  }
  const k = key.plainKey;
  const cli = resolve('dist/cli/main.js');
  lines.push(
    '',
    'A local API key was generated (role elk_admin_readonly). It is shown ONCE; only its sha256 is stored in',
    `  ${key.path}`,
    '',
    `  ${k}`,
    '',
    'Claude Code:',
    `  claude mcp add --transport http telemcp ${mcpUrl} --header "X-API-Key: ${k}"`,
    '',
    'Claude Desktop (claude_desktop_config.json; stdio needs no key):',
    JSON.stringify({ mcpServers: { telemcp: { command: 'node', args: [cli, 'serve', '--stdio'], env: { DATA_DIR: resolve(app.rt.config.DATA_DIR) } } } }, null, 2)
      .split('\n')
      .map((l) => `  ${l}`)
      .join('\n'),
    '',
    'OpenClaw (~/.openclaw/openclaw.json):',
    JSON.stringify({ mcp: { servers: { telemcp: { url: mcpUrl, transport: 'streamable-http', headers: { 'X-API-Key': k } } } } }, null, 2)
      .split('\n')
      .map((l) => `  ${l}`)
      .join('\n'),
    'or:',
    `  openclaw mcp set telemcp '${JSON.stringify({ url: mcpUrl, transport: 'streamable-http', headers: { 'X-API-Key': k } })}'`,
    '',
    'curl:',
    `  curl -s -H "X-API-Key: ${k}" ${url}/mcp/tools`,
    `  curl -s -X POST ${url}/mcp/execute -H "Content-Type: application/json" -H "X-API-Key: ${k}" -d '{"tool_name":"telemcp_status","input":{}}'`,
  );
  return `${lines.join('\n')}\n`;
}
