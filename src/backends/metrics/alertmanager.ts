import { parse as parseYaml } from 'yaml';
import { TelemcpError } from '../../core/errors.js';
import { connectBackend, type BackendConnection, type BackendHttpClient, type HttpMethod } from '../http.js';

/** The read paths of the Alertmanager v2 API; silences and alerts are never posted or deleted. */
const READ_PATHS = /^\/api\/v2\/(?:status|alerts|alerts\/groups|silences|silence\/[0-9a-f-]{1,64}|receivers)$/;

export function alertmanagerAllows(method: HttpMethod, path: string): boolean {
  return method === 'GET' && READ_PATHS.test(path);
}

/** gettableAlert of the v2 API (api/v2/openapi.yaml). */
export interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  updatedAt: string;
  fingerprint: string;
  receivers: { name: string }[];
  status: {
    state: 'active' | 'suppressed' | 'unprocessed';
    /** IDs of the silences that match the alert. */
    silencedBy: string[];
    /** Fingerprints of the alerts that inhibit it. */
    inhibitedBy: string[];
    /** Time intervals muting it (0.27+; empty in /api/v2/alerts, filled in /api/v2/alerts/groups). */
    mutedBy?: string[];
  };
  generatorURL?: string;
}

/** matcher of a silence; `isEqual` appeared in 0.22 and defaults to true. */
export interface AmSilenceMatcher {
  name: string;
  value: string;
  isRegex: boolean;
  isEqual?: boolean;
}

/** gettableSilence of the v2 API. */
export interface AmSilence {
  id: string;
  status: { state: 'active' | 'pending' | 'expired' };
  updatedAt?: string;
  matchers: AmSilenceMatcher[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
}

/** alertmanagerStatus of the v2 API. */
export interface AmStatus {
  cluster: { name?: string; status: 'ready' | 'settling' | 'disabled' | string; peers?: { name: string; address: string }[] };
  versionInfo: { version: string; revision?: string; branch?: string; buildUser?: string; buildDate?: string; goVersion?: string };
  /** `original`: the loaded configuration re-marshalled by Alertmanager (secrets shown as <secret>). */
  config: { original: string };
  uptime: string;
}

export interface AmReceiver {
  name: string;
  labels?: Record<string, string>;
}

/** GET /api/v2/alerts parameters: each boolean defaults to true in Alertmanager; `filter` holds matcher expressions. */
export interface AlertQuery {
  active?: boolean;
  silenced?: boolean;
  inhibited?: boolean;
  unprocessed?: boolean;
  filter?: readonly string[];
  /** A regex on receiver names, anchored by Alertmanager. */
  receiver?: string;
}

const record = (v: unknown): Record<string, string> => {
  const out: Record<string, string> = {};
  if (v && typeof v === 'object' && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  return out;
};
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const text = (v: unknown): string => (typeof v === 'string' ? v : '');
const array = (v: unknown, what: string): unknown[] => {
  if (!Array.isArray(v)) throw new TelemcpError('backend_error', `Alertmanager answered ${what} with something other than a list.`, { hint: 'Check that ALERTMANAGER_URL points at Alertmanager itself (its /api/v2), not a proxy page.' });
  return v;
};

/** One alert as read, whatever the version: 0.25 has no mutedBy; fields the spec requires are defaulted, not trusted. */
function toAlert(raw: unknown): AmAlert {
  const a = (raw ?? {}) as Record<string, unknown>;
  const status = (a.status ?? {}) as Record<string, unknown>;
  const state = status.state === 'suppressed' || status.state === 'unprocessed' ? status.state : 'active';
  return {
    labels: record(a.labels),
    annotations: record(a.annotations),
    startsAt: text(a.startsAt),
    endsAt: text(a.endsAt),
    updatedAt: text(a.updatedAt),
    fingerprint: text(a.fingerprint),
    receivers: (Array.isArray(a.receivers) ? a.receivers : []).map((r) => ({ name: text((r as { name?: unknown })?.name) })).filter((r) => r.name),
    status: {
      state,
      silencedBy: strings(status.silencedBy),
      inhibitedBy: strings(status.inhibitedBy),
      ...(Array.isArray(status.mutedBy) ? { mutedBy: strings(status.mutedBy) } : {}),
    },
    ...(typeof a.generatorURL === 'string' ? { generatorURL: a.generatorURL } : {}),
  };
}

function toSilence(raw: unknown): AmSilence {
  const s = (raw ?? {}) as Record<string, unknown>;
  const state = ((s.status ?? {}) as { state?: unknown }).state;
  return {
    id: text(s.id),
    status: { state: state === 'active' || state === 'pending' ? state : 'expired' },
    ...(typeof s.updatedAt === 'string' ? { updatedAt: s.updatedAt } : {}),
    matchers: (Array.isArray(s.matchers) ? s.matchers : []).map((m) => {
      const x = (m ?? {}) as Record<string, unknown>;
      return { name: text(x.name), value: text(x.value), isRegex: x.isRegex === true, ...(typeof x.isEqual === 'boolean' ? { isEqual: x.isEqual } : {}) };
    }),
    startsAt: text(s.startsAt),
    endsAt: text(s.endsAt),
    createdBy: text(s.createdBy),
    comment: text(s.comment),
  };
}

/**
 * The configuration Alertmanager reports as `config.original`, parsed. Every scalar stays a string
 * (the YAML failsafe schema), as Go reads scalars into the string fields of its config: `continue`
 * and the like are read by the routing analysis, never guessed here.
 */
export function parseConfigYaml(original: string): { document?: unknown; error?: string } {
  try {
    return { document: parseYaml(original, { schema: 'failsafe', maxAliasCount: 100 }) as unknown };
  } catch (err) {
    return { error: (err as Error).message.split('\n')[0].slice(0, 200) };
  }
}

/** A read-only client for the Alertmanager v2 API. */
export class AlertmanagerApi {
  readonly http: BackendHttpClient;

  constructor(conn: BackendConnection) {
    this.http = connectBackend('alertmanager', conn, alertmanagerAllows, {
      credentials: 'The read-only credentials configured for Alertmanager (ALERTMANAGER_USERNAME/PASSWORD or ALERTMANAGER_BEARER_TOKEN) are refused; this is not fixable by changing the call.',
      unreachable: 'Alertmanager is down or ALERTMANAGER_URL is wrong; check /readyz.',
      tls: 'Give the server the CA certificate of Alertmanager (ALERTMANAGER_CA_CERT).',
    });
  }

  async ping(signal: AbortSignal): Promise<void> {
    await this.http.json({ method: 'GET', path: '/api/v2/status', signal });
  }

  /** The alerts Alertmanager holds that have not resolved, sorted by fingerprint (as it sends them). */
  async alerts(query: AlertQuery, signal: AbortSignal): Promise<AmAlert[]> {
    const body = await this.http.json<unknown>({
      method: 'GET',
      path: '/api/v2/alerts',
      query: {
        active: query.active,
        silenced: query.silenced,
        inhibited: query.inhibited,
        unprocessed: query.unprocessed,
        filter: query.filter?.length ? query.filter : undefined,
        receiver: query.receiver,
      },
      signal,
    });
    return array(body, '/api/v2/alerts').map(toAlert);
  }

  /** Every silence Alertmanager keeps: active, pending and expired (until its retention drops them). */
  async silences(signal: AbortSignal): Promise<AmSilence[]> {
    const body = await this.http.json<unknown>({ method: 'GET', path: '/api/v2/silences', signal });
    return array(body, '/api/v2/silences').map(toSilence);
  }

  async status(signal: AbortSignal): Promise<AmStatus> {
    const s = ((await this.http.json<unknown>({ method: 'GET', path: '/api/v2/status', signal })) ?? {}) as Record<string, unknown>;
    const cluster = (s.cluster ?? {}) as Record<string, unknown>;
    const version = (s.versionInfo ?? {}) as Record<string, unknown>;
    return {
      cluster: {
        ...(typeof cluster.name === 'string' ? { name: cluster.name } : {}),
        status: text(cluster.status) || 'disabled',
        peers: (Array.isArray(cluster.peers) ? cluster.peers : []).map((p) => ({ name: text((p as Record<string, unknown>)?.name), address: text((p as Record<string, unknown>)?.address) })),
      },
      versionInfo: { version: text(version.version), revision: text(version.revision), branch: text(version.branch), buildUser: text(version.buildUser), buildDate: text(version.buildDate), goVersion: text(version.goVersion) },
      config: { original: text(((s.config ?? {}) as Record<string, unknown>).original) },
      uptime: text(s.uptime),
    };
  }

  /** Receiver names (and, in recent versions, their labels): never their integrations' settings, which the API does not serve. */
  async receivers(signal: AbortSignal): Promise<AmReceiver[]> {
    const body = await this.http.json<unknown>({ method: 'GET', path: '/api/v2/receivers', signal });
    return array(body, '/api/v2/receivers').map((r) => {
      const x = (r ?? {}) as Record<string, unknown>;
      return { name: text(x.name), ...(x.labels ? { labels: record(x.labels) } : {}) };
    });
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}
