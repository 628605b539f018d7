/**
 * Several named instances of one backend kind, on real engines: Elasticsearch 8 as the default
 * instance and Elasticsearch 7 as `old`, reached through a recording proxy that requires the
 * instance's Bearer token and sees its configured tenant header. The log tools choose between
 * them by `source`; the cluster tools keep the default; telemcp_status lists both; the token
 * never reaches a result or the audit log.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../src/app.js';
import { testConfig } from '../helpers/config.js';
import { CountingProxy } from '../helpers/security-counting-proxy.js';
import { EngineAdmin, LOG_MAPPINGS, callErr, callOk, logDocs, requireEngineUrl, uniqueSuffix } from '../helpers/es-fixtures.js';

const TOKEN = 'old-cluster-token-7f1c';
const WINDOW = { start_time: '2026-01-01T00:00:00Z', end_time: '2026-01-01T01:00:00Z' };

describe('named instances of Elasticsearch (ES 8 default, ES 7 as "old")', () => {
  const es8 = new EngineAdmin(requireEngineUrl('TEST_ES_URL'));
  const es7 = new EngineAdmin(requireEngineUrl('TEST_ES7_URL'));
  const index = `logs-named-${uniqueSuffix()}`;
  const proxy = new CountingProxy({ target: es7.url, requireAuthorization: `Bearer ${TOKEN}` });
  let app: App;
  let dataDir: string;

  beforeAll(async () => {
    // The same index name on both clusters, with different numbers of lines: which cluster answered is visible in the totals.
    await es8.createIndex(index, { replicas: 0, mappings: LOG_MAPPINGS });
    await es8.bulkIndex(index, logDocs(30));
    await es7.createIndex(index, { replicas: 0, mappings: LOG_MAPPINGS });
    await es7.bulkIndex(index, logDocs(12));
    await proxy.start();
    const config = testConfig({
      ES_URL: es8.url,
      ES_INSTANCES: 'old',
      ES_OLD_URL: proxy.url,
      ES_OLD_BEARER_TOKEN: TOKEN,
      ES_OLD_HEADERS: 'X-Scope-OrgID=tenant-b',
      LOG_INDEX_PATTERN: 'logs-*',
    });
    dataDir = config.DATA_DIR;
    app = buildApp(config);
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await proxy.stop();
    await Promise.all([es8.deleteIndices([index]), es7.deleteIndices([index])]);
  });

  it('answers logs_search from the instance `source` names; elk_search_logs reads the default instance', async () => {
    const main = await callOk<{ total: number; source: { name: string } }>(app, 'logs_search', { source: 'elasticsearch', scope: index, ...WINDOW });
    const old = await callOk<{ total: number; source: { name: string } }>(app, 'logs_search', { source: 'old', scope: index, ...WINDOW });
    expect([main.source.name, main.total]).toEqual(['elasticsearch', 30]);
    expect([old.source.name, old.total]).toEqual(['old', 12]);
    const elk = await callOk<{ total: number }>(app, 'elk_search_logs', { index_pattern: index, ...WINDOW });
    expect(elk.total).toBe(30);
  });

  it('sends the instance its own Bearer token and tenant header, on every request, and nothing of the caller', async () => {
    const mark = proxy.count;
    await callOk(app, 'logs_patterns', { source: 'old', scope: index, ...WINDOW });
    const seen = proxy.since(mark);
    expect(seen.length).toBeGreaterThan(0);
    for (const req of seen) {
      expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(req.headers['x-scope-orgid']).toBe('tenant-b');
      expect(req.method === 'GET' || req.method === 'POST' || req.method === 'HEAD').toBe(true);
    }
  });

  it('names the configured sources when `source` is missing or names none of them', async () => {
    for (const source of [undefined, 'eu']) {
      const err = await callErr(app, 'logs_search', { source, scope: index, ...WINDOW });
      expect(err.error.code).toBe('invalid_input');
      expect(err.error.hint).toMatch(/elasticsearch, old/);
    }
  });

  it('lists both instances in telemcp_status with their hosts, and never their credentials', async () => {
    const status = await callOk<{ backends: { name: string; configured: boolean; host?: string }[]; log_sources: { name: string }[] }>(app, 'telemcp_status', {});
    expect(status.backends.filter((b) => b.configured).map((b) => [b.name, b.host])).toEqual([
      ['elasticsearch', new URL(es8.url).host],
      ['old', new URL(proxy.url).host],
    ]);
    expect(status.log_sources.map((s) => s.name)).toEqual(['elasticsearch', 'old']);
    expect(JSON.stringify(status)).not.toContain(TOKEN);
    expect(readFileSync(join(dataDir, 'audit.log'), 'utf8')).not.toContain(TOKEN);
  });
});
