import { capability, singleClientModule } from '../module.js';
import { KibanaBackend } from './kibana.js';

export const KIBANA = capability<KibanaBackend>('kibana');

export const kibanaModule = singleClientModule({
  kind: 'kibana',
  description: "Kibana's status API",
  prefix: 'KIBANA',
  auth: ['apiKey', 'basic', 'bearer'],
  provides: KIBANA,
  client: (c) => new KibanaBackend(c),
});
