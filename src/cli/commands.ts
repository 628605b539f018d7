import { buildApp } from '../app.js';
import { ConfigError } from '../config/load.js';
import { loadConfig } from '../settings.js';
import { assertKnownToolsets } from '../tools/toolsets.js';
import { createLogger } from '../core/logger.js';
import { frontDoorMaxDepth, parseStrictJson } from '../security/strict-json.js';
import { redactString } from '../core/redact.js';
import { TelemcpError } from '../core/errors.js';
import { TOOL_ROLES, type ToolRole } from '../core/roles.js';
import { invokeTool, recordRefusal } from '../tools/invoke.js';
import { createHttpServer } from '../server/http.js';
import { isLoopbackBind } from '../server/origin-check.js';
import { startupBanner } from './banner.js';
import { embeddedBannerLines, prepareReadersStore, startEmbeddedStore } from './embedded.js';
import { serveStdio } from '../server/mcp/stdio.js';
import { runSeed } from './seed.js';
import { runIngest } from './ingest.js';
import type { CliValues } from './options.js';

/**
 * The commands that serve, call tools or touch a store: loaded only when one of them runs, so
 * `telemcp patterns` (an offline look at a file) does not pay for the server's modules
 * (`patterns --help` 0.64 s -> 0.18 s, measured with `time`).
 */

function fail(message: string, code = 2): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

export async function runCommand(command: string, rest: string[], values: CliValues, usage: string): Promise<void> {
  // A process-wide TLS bypass would silently disable backend verification: refuse it.
  if (process.env.NODE_TLS_REJECT_UNAUTHORIZED === '0') {
    fail('telemcp refuses to start with NODE_TLS_REJECT_UNAUTHORIZED=0; give the backend CA with ES_CA_CERT, or set ES_VERIFY_TLS=false explicitly for one backend.');
  }
  let config;
  try {
    config = loadConfig({ file: values.config, flags: { HOST: values.host, PORT: values.port } });
    assertKnownToolsets(config);
  } catch (err) {
    if (err instanceof ConfigError) fail(`telemcp: invalid configuration\n${err.problems.map((p) => `  - ${p}`).join('\n')}`);
    throw err;
  }
  const role = (values.role ?? config.STDIO_ROLE) as ToolRole;
  if (!TOOL_ROLES.includes(role)) fail(`--role must be one of ${TOOL_ROLES.join(', ')}`);

  switch (command) {
    case 'serve': {
      if (values.stdio) {
        // A reader: it runs beside the HTTP server on the same DATA_DIR (Claude Desktop's config).
        const app = buildApp(config, { storeRole: 'reader' });
        // stdout carries the protocol: the store's start-up goes to the log (stderr) only, and a
        // client's initialize is answered while the demo data loads (first start only).
        void prepareReadersStore(app, app.rt.log).catch((err: unknown) => app.rt.log.error({ err }, 'embedded store start-up failed'));
        void app.rt.backends.start(config.BACKEND_TIMEOUT_MS, (instance, err) => app.rt.log.warn({ err, instance }, 'backend start-up check failed'));
        await serveStdio(app);
        await app.close();
        return;
      }
      const log = createLogger(config.LOG_LEVEL);
      const app = buildApp(config, { logger: log, needKeys: true, storeRole: 'writer' });
      const embedded = await startEmbeddedStore(app, log);
      void app.rt.backends.start(config.BACKEND_TIMEOUT_MS, (instance, err) => log.warn({ err, instance }, 'backend start-up check failed'));
      if (!isLoopbackBind(config.HOST)) {
        log.warn({ host: config.HOST }, 'binding to a non-loopback address: put TLS in front (ingress/proxy) and keep API keys secret');
      }
      for (const setting of app.insecure) log.warn({ setting }, 'insecure setting enabled');
      const http = createHttpServer(app);
      let url: string;
      try {
        url = await http.listen();
      } catch (err) {
        fail(`telemcp: cannot listen on ${config.HOST}:${config.PORT}: ${(err as Error).message}`, 1);
      }
      let stopping = false;
      const stop = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        log.info({ signal }, 'shutting down: readiness off, draining in-flight calls');
        const force = setTimeout(() => process.exit(1), config.BACKEND_TIMEOUT_MS + 5000);
        force.unref();
        await http.shutdown();
        await app.close();
        // The log destination is asynchronous: exit only once the last lines are written.
        log.flush(() => process.exit(0));
      };
      process.on('SIGTERM', () => void stop('SIGTERM'));
      process.on('SIGINT', () => void stop('SIGINT'));
      // Only now announce the server: a supervisor may signal as soon as it reads the banner,
      // and a signal before the handlers exist would kill the process without draining.
      const shownUrl = url.replace('[::1]', 'localhost');
      process.stdout.write(startupBanner(app, shownUrl, embedded ? embeddedBannerLines(embedded, shownUrl) : []));
      return;
    }
    case 'tools': {
      // A lazy reader: listing tools opens no store and works beside a running server.
      const app = buildApp(config, { logger: createLogger('silent'), storeRole: 'reader' });
      const tools = app.rt.registry.listFor(role);
      if (values.json) process.stdout.write(`${JSON.stringify(tools, null, 2)}\n`);
      else {
        for (const t of tools) process.stdout.write(`${t.name.padEnd(24)} ${t.role.padEnd(18)} ${t.description}\n`);
        for (const h of app.rt.registry.hiddenToolsets) process.stdout.write(`(toolset ${h.name} hidden: ${h.reason})\n`);
        for (const p of app.rt.registry.narrowedToolsets) process.stdout.write(`(toolset ${p.name} in part: ${p.reason})\n`);
      }
      await app.close();
      return;
    }
    case 'call': {
      const tool = rest[0];
      if (!tool) fail('usage: telemcp call TOOL --input JSON');
      let input: unknown = {};
      if (values.input !== undefined) {
        try {
          input = parseStrictJson(values.input, { maxDepth: frontDoorMaxDepth(config.MAX_JSON_DEPTH, 'cli'), maxBytes: config.MAX_REQUEST_BYTES });
        } catch (err) {
          const e = err instanceof TelemcpError ? err : new TelemcpError('invalid_input', (err as Error).message);
          const app = buildApp(config, { storeRole: 'reader' });
          await recordRefusal(app.rt, { id: 'cli', role, transport: 'cli' }, e.status, e.code);
          await app.close();
          const error = { code: e.code, message: redactString(e.message), ...(e.hint ? { hint: redactString(e.hint) } : {}) };
          process.stdout.write(`${JSON.stringify({ ok: false, tool_name: redactString(tool), error }, null, 2)}\n`);
          process.exit(1);
        }
      }
      const app = buildApp(config, { storeRole: 'reader' });
      // As `serve` does: an empty embedded store gets the demo dataset, so a first call has logs to read.
      await prepareReadersStore(app, app.rt.log);
      const result = await invokeTool(app.rt, tool, input, { id: 'cli', role, transport: 'cli' });
      const out = result.ok ? { ok: true, tool_name: result.toolName, data: result.data } : { ok: false, tool_name: result.toolName, error: result.error };
      process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      await app.close();
      process.exitCode = result.ok ? 0 : 1;
      return;
    }
    case 'seed': {
      process.exitCode = await runSeed(values, rest, config);
      return;
    }
    case 'ingest': {
      process.exitCode = await runIngest(values, rest, config);
      return;
    }
    default:
      fail(`unknown command ${command}\n\n${usage}`);
  }
}

