import type { Config } from '../config/load.js';
import type { SettingsFragment } from '../config/fragment.js';
import { connectionSettings, type AuthScheme, type Connection } from '../config/connection.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { BackendConnection } from './http.js';

/**
 * A typed name for something a backend instance provides (a log source, a cluster API, a metric
 * source, …). A module exports its keys next to its code, so adding a capability edits no list:
 * `backends.all(LOG_SOURCE)` finds every provider, by instance name.
 */
export interface Capability<T> {
  readonly id: string;
  /** Only carries T for the type checker. */
  readonly _type?: T;
}

export function capability<T>(id: string): Capability<T> {
  return { id };
}

/**
 * A check the backend that owns a kind of target runs before any tool handler touches it (an
 * index expression against the allowlist, a query body's cost and shape, later a PromQL
 * selector, a stream selector, a Kubernetes namespace). It returns the approved, canonical form
 * the handler uses instead of the raw value, or throws a TelemcpError saying why not.
 */
export type Guard<In, Out> = (value: In, signal: AbortSignal) => Promise<Out> | Out;

/** A guard is a capability: its owner provides it; tools name it in their targets. */
export type GuardKey<In, Out> = Capability<Guard<In, Out>>;

/** One configured instance of a backend kind, built at start-up (house rule 6). */
export interface BackendInstance {
  /** The module's kind (`elasticsearch`, `kibana`, …). */
  kind: string;
  /** What a tool's `source` argument calls it: the kind for the default instance, the configured name otherwise. */
  name: string;
  /** host:port, for telemcp_status; never credentials or paths. */
  host?: string;
  provides: ReadonlyMap<Capability<unknown>, unknown>;
  /** What /readyz checks; absent when the instance has nothing remote to reach. */
  probe?: (signal: AbortSignal) => Promise<void>;
  /** Work a serving process does once after start-up (a dry run of saved queries), off the start-up path; never at build. */
  start?: (signal: AbortSignal) => Promise<void>;
  /** What the instance found wrong with its own configuration (a broken saved query), for telemcp_status. */
  problems?: () => string[];
  close(): Promise<void> | void;
}

/** What a module's build receives besides the configuration. */
export interface BuildContext {
  metrics?: Metrics;
  /** How this process uses the embedded store (see backends.ts). */
  storeRole: 'writer' | 'reader';
  /** The instances the modules before this one built (the embedded store turns itself on when no other log source exists). */
  built: readonly BackendInstance[];
  /** A configured connection with the server's limits and this backend's latency metric applied. */
  connection: (c: Connection, kind: string) => BackendConnection;
}

/**
 * A backend is a module: its settings (with secrets, insecure switches and cross-checks), how to
 * build its instances, and what they provide. src/backends/modules.ts lists them: the only
 * place a backend is added.
 */
export interface BackendModule {
  kind: string;
  /** One line for the README and telemcp_status. */
  description: string;
  /** What its instances provide, known before any is built (toolsets say which backends would enable them). */
  provides: readonly Capability<unknown>[];
  /** How a user turns it on (`set ES_URL`), for the hints of hidden toolsets. */
  enable: string;
  /** Whether this configuration asks for it, without building anything. */
  configured: (config: Config) => boolean;
  /** Its settings; named instances make them depend on the raw values (config/connection.ts connectionInstances). */
  settings: (raw: Readonly<Record<string, unknown>>) => { fragment: SettingsFragment; problems: string[] };
  /** Its instances for this configuration; none when it is not configured. */
  build: (config: Config, ctx: BuildContext) => BackendInstance[];
}

/** host:port of a URL, for status output (never userinfo, path or query). */
export function hostOf(url: string): string | undefined {
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}

/** A client one HTTP backend answers through: it can be probed for readiness and closed. */
export interface ProbedClient {
  ping(signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

/**
 * The module of a backend with one instance and one client (Kibana, Logstash, a Beat): its
 * connection settings under `prefix`, built when `<prefix>_URL` is set, providing the client.
 */
export function singleClientModule<C extends ProbedClient>(m: {
  kind: string;
  description: string;
  prefix: string;
  auth: readonly AuthScheme[];
  provides: Capability<C>;
  client: (connection: BackendConnection) => C;
}): BackendModule {
  const settings = connectionSettings(m.prefix, m.auth);
  return {
    kind: m.kind,
    description: m.description,
    provides: [m.provides],
    enable: `set ${m.prefix}_URL`,
    configured: (config) => settings.read(config) !== undefined,
    settings: () => ({ fragment: settings, problems: [] }),
    build(config, ctx) {
      const conn = settings.read(config);
      if (!conn) return [];
      const client = m.client(ctx.connection(conn, m.kind));
      return [{ kind: m.kind, name: m.kind, host: hostOf(conn.url), provides: new Map([[m.provides, client]]), probe: (s) => client.ping(s), close: () => client.close() }];
    },
  };
}
