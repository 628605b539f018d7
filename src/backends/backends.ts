import type { Config } from '../config/load.js';
import type { Metrics } from '../telemetry/metrics.js';
import { LOG_SOURCE, type LogSource } from './capabilities.js';
import type { BackendInstance, BackendModule, Capability } from './module.js';
import { BACKEND_MODULES } from './modules.js';

/** A backend that /readyz probes. */
export interface ReadinessProbe {
  name: string;
  check(signal: AbortSignal): Promise<void>;
}

/**
 * How this process uses the embedded store. One process writes a DATA_DIR (it holds the lock,
 * loads the demo, runs retention, takes HTTP ingest); any number of others read it beside it
 * (stdio servers, `telemcp call`, `telemcp tools`), opening nothing until they read.
 */
export type StoreRole = 'writer' | 'reader';

/**
 * Every backend instance the server talks to, built once at start-up from the modules in
 * modules.ts. A backend that is not configured has no instance, and the toolsets that need
 * what it provides are hidden. Tools find what they need by capability, never by backend.
 */
export class Backends {
  /** The log backends the log tools read, by the name their `source` argument takes. */
  readonly logSources: ReadonlyMap<string, LogSource>;

  constructor(
    readonly instances: readonly BackendInstance[],
    /** Every known module, configured or not (telemcp_status lists both). */
    readonly modules: readonly Pick<BackendModule, 'kind' | 'description' | 'provides' | 'enable'>[] = [],
  ) {
    this.logSources = this.all(LOG_SOURCE);
  }

  /** Every provider of a capability, by instance name, in module order. */
  all<T>(key: Capability<T>): ReadonlyMap<string, T> {
    const out = new Map<string, T>();
    for (const instance of this.instances) if (instance.provides.has(key)) out.set(instance.name, instance.provides.get(key) as T);
    return out;
  }

  /** The first provider of a capability (the default instance of the first module providing it). */
  first<T>(key: Capability<T>): T | undefined {
    for (const instance of this.instances) if (instance.provides.has(key)) return instance.provides.get(key) as T;
    return undefined;
  }

  /** How to turn on a capability nothing provides: `set ES_URL or set OPENSEARCH_URL`, for hints. */
  enableHint(key: Capability<unknown>): string | undefined {
    const ways = this.modules.filter((m) => m.provides.includes(key)).map((m) => m.enable);
    return ways.length ? ways.join(' or ') : undefined;
  }

  probes(): ReadinessProbe[] {
    return this.instances.flatMap((i) => (i.probe ? [{ name: i.name, check: i.probe }] : []));
  }

  /** Runs each instance's start-up work, each within `timeoutMs`; failures are logged, never fatal. */
  async start(timeoutMs: number, onError: (instance: string, err: unknown) => void): Promise<void> {
    await Promise.all(this.instances.map((i) => i.start?.(AbortSignal.timeout(timeoutMs)).catch((err: unknown) => onError(i.name, err))));
  }

  async close(): Promise<void> {
    await Promise.all(this.instances.map((i) => i.close()));
  }
}

export function buildBackends(config: Config, metrics?: Metrics, storeRole: StoreRole = 'writer'): Backends {
  const built: BackendInstance[] = [];
  for (const module of BACKEND_MODULES) {
    built.push(
      ...module.build(config, {
        metrics,
        storeRole,
        built,
        connection: (c, kind) => ({
          ...c,
          timeoutMs: c.timeoutMs ?? config.BACKEND_TIMEOUT_MS,
          maxRetries: config.BACKEND_MAX_RETRIES,
          maxResponseBytes: config.BACKEND_MAX_RESPONSE_BYTES,
          observe: metrics ? (outcome, s) => metrics.backendLatency.labels(kind, outcome).observe(s) : undefined,
        }),
      }),
    );
  }
  return new Backends(built, BACKEND_MODULES);
}
