import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VERSION } from '../core/version.js';
import type { App } from '../app.js';
import { givenSettings, secretKeys } from '../config/load.js';

/** Settings of the HTTP server alone: a stdio server neither listens nor takes API keys. */
const HTTP_ONLY = new Set(['HOST', 'PORT', 'API_KEYS', 'API_KEYS_FILE', 'ALLOWED_ORIGINS', 'ALLOWED_HOSTS']);

/**
 * `telemcp serve --stdio` as a desktop client runs it: this Node, this build, and every setting
 * this server was given (backends, limits, DATA_DIR), so the client investigates what this server
 * does rather than quietly running on the demo store. Secrets are placeholders named by their
 * variable, for the user to fill in: a printed config must not carry them.
 */
export function stdioClientConfig(app: App): { command: string; args: string[]; env: Record<string, string> } {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(givenSettings(app.rt.config).settings)) {
    if (!HTTP_ONLY.has(key)) env[key] = secretKeys(app.rt.config).has(key) ? `<${key}>` : value;
  }
  env.DATA_DIR = resolve(app.rt.config.DATA_DIR);
  return { command: process.execPath, args: [fileURLToPath(new URL('./main.js', import.meta.url)), 'serve', '--stdio'], env };
}

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
    lines.push(
      key.keyFile
        ? `auth: the local API key (role elk_admin_readonly) is in ${key.keyFile} (readable by you only); to rotate it, delete that file and ${key.path} and restart, or set API_KEYS.`
        : `auth: using the local API key generated on first start (its hash is in ${key.path}); delete that file and restart to get a new key, or set API_KEYS.`,
    );
    return `${lines.join('\n')}\n`;
  }
  const k = key.plainKey;
  lines.push(
    '',
    'A local API key was generated (role elk_admin_readonly). It is kept, readable by you only, in',
    `  ${key.keyFile}`,
    '',
    `  ${k}`,
    '',
    'Claude Code:',
    `  claude mcp add --transport http telemcp ${mcpUrl} --header "X-API-Key: ${k}"`,
    '',
    'Claude Desktop (claude_desktop_config.json; stdio needs no key, and reads beside this server):',
    JSON.stringify({ mcpServers: { telemcp: stdioClientConfig(app) } }, null, 2)
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
