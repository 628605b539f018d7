import { loadSettings, type Config } from './config/load.js';
import { SERVER_SETTINGS } from './config/schema.js';
import { BACKEND_MODULES } from './backends/modules.js';

export { embeddedStoreOn, remoteLogBackends } from './backends/modules.js';

/**
 * telemcp's settings: the server's own and every backend module's (src/backends/modules.ts),
 * composed here because config/ may not know the backends. defaults < YAML < env < flags.
 */
export function loadConfig(opts: Parameters<typeof loadSettings>[1] = {}): Config {
  return loadSettings((raw) => {
    const parts = BACKEND_MODULES.map((m) => m.settings(raw));
    return { fragments: [SERVER_SETTINGS, ...parts.map((p) => p.fragment)], problems: parts.flatMap((p) => p.problems) };
  }, opts);
}
