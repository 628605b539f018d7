import { connectionSettings } from '../../config/connection.js';
import { capability, hostOf, type BackendInstance, type BackendModule } from '../module.js';
import { LogstashBackend } from './logstash.js';

export const LOGSTASH = capability<LogstashBackend>('logstash');

// The Logstash API authenticates with api.auth.basic only.
const settings = connectionSettings('LOGSTASH', ['basic']);

export const logstashModule: BackendModule = {
  kind: 'logstash',
  description: 'The Logstash monitoring API (port 9600)',
  provides: [LOGSTASH],
  enable: 'set LOGSTASH_URL',
  configured: (config) => settings.read(config) !== undefined,
  settings: () => ({ fragment: settings, problems: [] }),
  build(config, ctx) {
    const conn = settings.read(config);
    if (!conn) return [];
    const logstash = new LogstashBackend(ctx.connection(conn, 'logstash'));
    return [{ kind: 'logstash', name: 'logstash', host: hostOf(conn.url), provides: new Map([[LOGSTASH, logstash]]) as BackendInstance['provides'], probe: (s) => logstash.ping(s), close: () => logstash.close() }];
  },
};
