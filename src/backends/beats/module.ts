import { connectionSettings } from '../../config/connection.js';
import { capability, hostOf, type BackendInstance, type BackendModule } from '../module.js';
import { BeatsStatsBackend } from './beats.js';

export const BEATS = capability<BeatsStatsBackend>('beats');

// A Beat's HTTP endpoint (http.enabled, port 5066) has no authentication of its own.
const settings = connectionSettings('BEATS_STATS', []);

export const beatsModule: BackendModule = {
  kind: 'beats',
  description: "One Beat's HTTP stats endpoint (http.enabled: true, port 5066)",
  provides: [BEATS],
  enable: 'set BEATS_STATS_URL',
  configured: (config) => settings.read(config) !== undefined,
  settings: () => ({ fragment: settings, problems: [] }),
  build(config, ctx) {
    const conn = settings.read(config);
    if (!conn) return [];
    const beats = new BeatsStatsBackend(ctx.connection(conn, 'beats'));
    return [{ kind: 'beats', name: 'beats', host: hostOf(conn.url), provides: new Map([[BEATS, beats]]) as BackendInstance['provides'], probe: (s) => beats.ping(s), close: () => beats.close() }];
  },
};
