import type { Config } from '../config/load.js';
import { LOG_SOURCE } from './capabilities.js';
import type { BackendModule } from './module.js';
import { elasticsearchModule, opensearchModule } from './elasticsearch/module.js';
import { kibanaModule } from './kibana/module.js';
import { logstashModule } from './logstash/module.js';
import { beatsModule } from './beats/module.js';
import { embeddedModule } from './embedded/module.js';
import { METRICS_MODULES } from './metrics/module.js';
import { victoriaLogsModule } from './victorialogs/module.js';
import { lokiModule } from './loki/module.js';

/**
 * Every backend telemcp knows: the one place a backend is added. Order matters once: the
 * embedded store comes last, because `EMBEDDED_STORE=auto` turns it on only when no module
 * before it provides a log source.
 */
export const BACKEND_MODULES: readonly BackendModule[] = [elasticsearchModule, opensearchModule, kibanaModule, logstashModule, beatsModule, ...METRICS_MODULES, victoriaLogsModule, lokiModule, embeddedModule];

/**
 * Whether this configuration serves the embedded store, decided without opening it (the stdio
 * readers prepare its demo data before they build anything): `auto` means exactly when no other
 * configured module provides a log source.
 */
export function embeddedStoreOn(config: Config): boolean {
  if (config.EMBEDDED_STORE !== 'auto') return config.EMBEDDED_STORE === 'on';
  return remoteLogBackends(config).length === 0;
}

/** The configured backends besides the embedded store whose logs the log tools read (`elasticsearch`, …). */
export function remoteLogBackends(config: Config): string[] {
  return BACKEND_MODULES.filter((m) => m !== embeddedModule && m.provides.includes(LOG_SOURCE) && m.configured(config)).map((m) => m.kind);
}
