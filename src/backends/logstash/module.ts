import { capability, singleClientModule } from '../module.js';
import { LogstashBackend } from './logstash.js';

export const LOGSTASH = capability<LogstashBackend>('logstash');

export const logstashModule = singleClientModule({
  kind: 'logstash',
  description: 'The Logstash monitoring API (port 9600)',
  prefix: 'LOGSTASH',
  // The Logstash API authenticates with api.auth.basic only.
  auth: ['basic'],
  provides: LOGSTASH,
  client: (c) => new LogstashBackend(c),
});
