import { connectBackend, type BackendConnection, type BackendHttpClient, type HttpMethod } from '../http.js';

/** A Beat's HTTP endpoint has no credentials and normally no TLS of its own. */
export type BeatsSettings = BackendConnection;

/** `GET /` of a Beat's HTTP endpoint. */
export interface BeatInfo {
  beat?: string;
  hostname?: string;
  name?: string;
  uuid?: string;
  version?: string;
}

/**
 * `GET /stats` of a Beat's HTTP endpoint: cumulative counters since the Beat started. The
 * `filebeat` object and the queue's max/filled gauges are Filebeat 8.x additions to the
 * libbeat fields every Beat reports.
 */
export interface BeatStats {
  beat?: { info?: { uptime?: { ms?: number }; version?: string } };
  libbeat?: {
    output?: { type?: string; events?: { acked?: number; active?: number; batches?: number; dropped?: number; duplicates?: number; failed?: number; total?: number }; write?: { errors?: number }; read?: { errors?: number } };
    pipeline?: {
      clients?: number;
      events?: { active?: number; dropped?: number; failed?: number; filtered?: number; published?: number; retry?: number; total?: number };
      queue?: { acked?: number; max_events?: number; filled?: { events?: number; pct?: number } };
    };
  };
  filebeat?: { events?: { active?: number; added?: number; done?: number }; harvester?: { open_files?: number; running?: number; started?: number; closed?: number; skipped?: number } };
}

export function isReadOnlyBeatsPath(method: HttpMethod, path: string): boolean {
  return (method === 'GET' || method === 'HEAD') && (path === '/' || path === '/stats');
}

/** One Beat's HTTP stats endpoint (BEATS_STATS_URL). It has no credentials and no write endpoints. */
export class BeatsStatsBackend {
  readonly http: BackendHttpClient;

  constructor(settings: BeatsSettings) {
    this.http = connectBackend('beats', settings, isReadOnlyBeatsPath, {
      unreachable: "The Beat's HTTP endpoint is not reachable: enable it in the Beat's config (http.enabled: true, http.host, http.port: 5066) and check BEATS_STATS_URL. Check: curl http://<host>:5066/stats.",
    });
  }

  async snapshot(signal: AbortSignal): Promise<{ info: BeatInfo; stats: BeatStats }> {
    const [info, stats] = await Promise.all([
      this.http.json<BeatInfo>({ method: 'GET', path: '/', signal }),
      this.http.json<BeatStats>({ method: 'GET', path: '/stats', signal }),
    ]);
    return { info, stats };
  }

  async ping(signal: AbortSignal): Promise<void> {
    await this.http.json({ method: 'GET', path: '/', signal });
  }

  close(): Promise<void> {
    return this.http.close();
  }
}
