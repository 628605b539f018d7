import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/settings.js';
import { createLogger } from '../../src/core/logger.js';
import { createHttpServer, type HttpServer } from '../../src/server/http.js';

export const CLI = resolve('dist/cli/main.js');

export interface RunningServer {
  url: string;
  port: number;
  dataDir: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output: () => string;
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
  child: ChildProcess;
}

/**
 * Starts the real `telemcp serve` process (from dist/, built by scripts/test.sh) on a free
 * port with only the given settings in its environment.
 */
export async function startServerProcess(env: Record<string, string> = {}): Promise<RunningServer> {
  const ownDataDir = env.DATA_DIR === undefined;
  const dataDir = env.DATA_DIR ?? mkdtempSync(join(tmpdir(), 'telemcp-e2e-'));
  const child = spawn(process.execPath, [CLI, 'serve'], {
    // The embedded store stays off unless the test turns it on, so each test sees only the backends it names.
    env: { PATH: process.env.PATH ?? '', PORT: '0', LOG_LEVEL: 'info', DATA_DIR: dataDir, EMBEDDED_STORE: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 20_000);
    const onData = () => {
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${out}`));
    });
  });
  return {
    url,
    port: Number(new URL(url).port),
    dataDir,
    output: () => out,
    child,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      const code = await new Promise<number | null>((resolveExit) => {
        if (child.exitCode !== null) return resolveExit(child.exitCode);
        child.once('exit', (c) => resolveExit(c));
        child.kill(signal);
      });
      if (ownDataDir) rmSync(dataDir, { recursive: true, force: true });
      return code;
    },
  };
}

export interface InProcessServer {
  app: App;
  http: HttpServer;
  url: string;
  close: () => Promise<void>;
}

/** The same HTTP app in this process: for tests that need to inspect or swap internals. */
export async function startServerInProcess(settings: Record<string, string> = {}): Promise<InProcessServer> {
  const config = loadConfig({ env: { DATA_DIR: mkdtempSync(join(tmpdir(), 'telemcp-inproc-')), PORT: '0', LOG_LEVEL: 'silent', EMBEDDED_STORE: 'off', ...settings } });
  const app = buildApp(config, { logger: createLogger(config.LOG_LEVEL), needKeys: true });
  const http = createHttpServer(app);
  const url = (await http.listen()).replace('[::1]', 'localhost');
  return {
    app,
    http,
    url,
    close: async () => {
      await http.shutdown();
      await app.close();
    },
  };
}
