/**
 * The log tools' contract on Loki: the seed's incident pushed into the Loki contract fake (as a
 * shipper pushes `telemcp seed`'s records: service, host and level as stream labels, trace ids
 * as structured metadata) must give the same findings from every log tool as the embedded
 * store (log-tools-contract-suite.ts, which vlogs-contract.test.ts runs on VictoriaLogs).
 */
import { buildApp } from '../../src/app.js';
import { testConfig } from '../helpers/config.js';
import { logToolsContractSuite } from '../helpers/log-tools-contract-suite.js';
import { startLokiFake } from '../helpers/loki-env.js';
import { lokiLine, pushLines } from '../helpers/loki-seed.js';

logToolsContractSuite({
  name: 'loki',
  kind: 'loki',
  namespace: 'lokicontract',
  async load(records) {
    const loki = await startLokiFake();
    const lines = records.map((r) => lokiLine(r));
    await pushLines(loki, lines, 'contract');
    // Loki keeps one of two entries with the same stream, time and line (the seed makes such pairs
    // in some runs): the embedded store is given the records Loki kept, so both hold the same.
    const seen = new Set<string>();
    const kept = records.filter((_, i) => {
      const l = lines[i]!;
      const key = JSON.stringify([Object.entries(l.labels).sort(), l.ts, l.line]);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    return { app: buildApp(testConfig({ LOKI_URL: loki.url, LOKI_HEADERS: 'X-Scope-OrgID=contract' })), close: () => loki.close(), kept };
  },
});
