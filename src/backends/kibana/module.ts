import { connectionSettings } from '../../config/connection.js';
import { capability, hostOf, type BackendInstance, type BackendModule } from '../module.js';
import { KibanaBackend } from './kibana.js';

export const KIBANA = capability<KibanaBackend>('kibana');

const settings = connectionSettings('KIBANA', ['apiKey', 'basic', 'bearer']);

export const kibanaModule: BackendModule = {
  kind: 'kibana',
  description: "Kibana's status API",
  provides: [KIBANA],
  enable: 'set KIBANA_URL',
  configured: (config) => settings.read(config) !== undefined,
  settings: () => ({ fragment: settings, problems: [] }),
  build(config, ctx) {
    const conn = settings.read(config);
    if (!conn) return [];
    const kibana = new KibanaBackend(ctx.connection(conn, 'kibana'));
    return [{ kind: 'kibana', name: 'kibana', host: hostOf(conn.url), provides: new Map([[KIBANA, kibana]]) as BackendInstance['provides'], probe: (s) => kibana.ping(s), close: () => kibana.close() }];
  },
};
