/**
 * The log tools' contract on VictoriaLogs: the seed's incident written into the real VictoriaLogs
 * (ECS-shaped JSON lines, as a shipper writes `telemcp seed`'s documents) and into the embedded
 * store must give the same findings from every log tool (log-tools-contract-suite.ts, which
 * loki-contract.test.ts runs on Loki). Each run writes into a tenant of its own (AccountID), so
 * earlier runs' records on the same server are never read.
 */
import { randomInt } from 'node:crypto';
import { buildApp } from '../../src/app.js';
import { testConfig } from '../helpers/config.js';
import { logToolsContractSuite } from '../helpers/log-tools-contract-suite.js';
import { forceFlush, requireVlogsUrl } from '../helpers/vlogs-env.js';
import { ecsDoc, ingestEcsLines } from '../helpers/vlogs-seed.js';

logToolsContractSuite({
  name: 'victorialogs',
  kind: 'victorialogs',
  namespace: 'vlcontract',
  async load(records) {
    const url = requireVlogsUrl();
    const tenant = { accountId: 100_000 + randomInt(0, 1_000_000_000), projectId: 0 };
    await ingestEcsLines(url, records.map((r) => ecsDoc(r)), tenant);
    await forceFlush(url);
    return { app: buildApp(testConfig({ VICTORIALOGS_URL: url, VICTORIALOGS_HEADERS: `AccountID=${tenant.accountId},ProjectID=${tenant.projectId}` })) };
  },
});
