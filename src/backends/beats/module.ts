import { capability, singleClientModule } from '../module.js';
import { BeatsStatsBackend } from './beats.js';

export const BEATS = capability<BeatsStatsBackend>('beats');

export const beatsModule = singleClientModule({
  kind: 'beats',
  description: "One Beat's HTTP stats endpoint (http.enabled: true, port 5066)",
  prefix: 'BEATS_STATS',
  // A Beat's HTTP endpoint has no authentication of its own.
  auth: [],
  provides: BEATS,
  client: (c) => new BeatsStatsBackend(c),
});
