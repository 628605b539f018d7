/**
 * The shared connection settings of every backend (config/connection.ts) as a user meets them
 * through loadConfig: credential schemes, mTLS, extra headers, named instances, and the
 * secrets and insecure switches they bring without any hand-kept list.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { insecureSettings, secretKeys, type Config } from '../../src/config/load.js';
import { loadConfig } from '../../src/settings.js';
import { configProblems } from '../helpers/config.js';
import { buildBackends } from '../../src/backends/backends.js';
import { LOG_SOURCE } from '../../src/backends/capabilities.js';
import { INDEX_GUARD, QUERY_DSL_GUARD } from '../../src/backends/elasticsearch/module.js';
import { credentialHeaders } from '../../src/backends/http.js';
import { connectionSettings } from '../../src/config/connection.js';
import { thrownError } from '../helpers/errors.js';

const problems = configProblems;

const load = (env: Record<string, string>): Config => loadConfig({ env: { EMBEDDED_STORE: 'off', ...env } });

describe('connection settings', () => {
  it('reads a connection with bearer token, mTLS files, a timeout and extra headers', () => {
    const config = load({ KIBANA_URL: 'https://kb:5601', KIBANA_BEARER_TOKEN: 'tok-1', KIBANA_CLIENT_CERT: '/c.pem', KIBANA_CLIENT_KEY: '/k.pem', KIBANA_TIMEOUT_MS: '2500', KIBANA_HEADERS: 'X-Scope-OrgID=tenant-a, X-Team=sre' });
    expect(connectionSettings('KIBANA', []).read(config)).toEqual({
      url: 'https://kb:5601',
      bearerToken: 'tok-1',
      clientCertPath: '/c.pem',
      clientKeyPath: '/k.pem',
      timeoutMs: 2500,
      verifyTls: true,
      headers: { 'X-Scope-OrgID': 'tenant-a', 'X-Team': 'sre' },
    });
  });

  it('sends Bearer, ApiKey or Basic, one scheme at a time', () => {
    expect(credentialHeaders({ bearerToken: 't' })).toEqual({ authorization: 'Bearer t' });
    expect(credentialHeaders({ apiKey: 'k' })).toEqual({ authorization: 'ApiKey k' });
    expect(credentialHeaders({ username: 'u', password: 'p' })).toEqual({ authorization: `Basic ${Buffer.from('u:p').toString('base64')}` });
    const p = problems({ ES_URL: 'http://es:9200', ES_API_KEY: 'k', ES_BEARER_TOKEN: 't' });
    expect(p).toEqual([expect.stringMatching(/set one of ES_API_KEY, ES_BEARER_TOKEN, not several/)]);
  });

  it('offers only the schemes the product accepts: no API key for OpenSearch or Logstash', () => {
    expect(problems({ OPENSEARCH_URL: 'http://os:9200', OPENSEARCH_API_KEY: 'k' })).toEqual([]);
    // Unknown env keys are not ours to judge (the environment holds PATH and more); in YAML they are refused.
    expect(load({ OPENSEARCH_URL: 'http://os:9200', OPENSEARCH_API_KEY: 'k' }).OPENSEARCH_API_KEY).toBeUndefined();
    expect(load({ LOGSTASH_URL: 'http://ls:9600', LOGSTASH_API_KEY: 'k' }).LOGSTASH_API_KEY).toBeUndefined();
  });

  it('refuses a header that would carry credentials or framing, a malformed pair, and half an mTLS pair', () => {
    const p = problems({ ES_URL: 'http://es:9200', ES_HEADERS: 'Authorization=Bearer x', KIBANA_URL: 'http://kb:5601', KIBANA_HEADERS: 'bad header=1', LOGSTASH_URL: 'http://ls:9600', LOGSTASH_CLIENT_CERT: '/c.pem' });
    expect(p.join('\n')).toMatch(/ES_HEADERS: Authorization cannot be set as an extra header/);
    expect(p.join('\n')).toMatch(/KIBANA_HEADERS: must be Name=value pairs/);
    expect(p.join('\n')).toMatch(/LOGSTASH_CLIENT_KEY: LOGSTASH_CLIENT_CERT and LOGSTASH_CLIENT_KEY go together/);
    expect(p.join('\n')).not.toContain('Bearer x');
  });

  it('derives secrets and insecure switches from the modules, for every instance', () => {
    const config = load({ ES_URL: 'http://es:9200', ES_VERIFY_TLS: 'false', ES_INSTANCES: 'old', ES_OLD_URL: 'http://old:9200', ES_OLD_API_KEY: 'k', ES_OLD_VERIFY_TLS: 'false', KIBANA_URL: 'http://kb:5601', AUDIT_FAIL_MODE: 'open' });
    const secrets = secretKeys(config);
    for (const key of ['API_KEYS', 'CURSOR_SECRET', 'ES_API_KEY', 'ES_PASSWORD', 'ES_BEARER_TOKEN', 'ES_HEADERS', 'ES_OLD_API_KEY', 'ES_OLD_PASSWORD', 'OPENSEARCH_PASSWORD', 'KIBANA_API_KEY', 'LOGSTASH_PASSWORD']) expect(secrets.has(key), key).toBe(true);
    expect(secrets.has('ES_URL')).toBe(false);
    expect(insecureSettings(config)).toEqual(['AUDIT_FAIL_MODE=open', 'ES_VERIFY_TLS=false', 'ES_OLD_VERIFY_TLS=false']);
  });

  it('does not echo a secret in a config error, even a malformed one', () => {
    const p = problems({ ES_URL: 'http://es:9200', ES_HEADERS: 'X-Token=abc\u0000def' });
    expect(p.join('\n')).toMatch(/ES_HEADERS/);
    expect(p.join('\n')).not.toContain('abc');
  });
});

describe('named instances', () => {
  it('builds one log source per configured instance, named as configured, default first', async () => {
    const config = load({ ES_URL: 'http://127.0.0.1:1', ES_INSTANCES: 'eu, us', ES_EU_URL: 'http://127.0.0.1:2', ES_US_URL: 'http://127.0.0.1:3' });
    const backends = buildBackends(config);
    try {
      expect([...backends.all(LOG_SOURCE).keys()]).toEqual(['elasticsearch', 'eu', 'us']);
      expect([...backends.all(INDEX_GUARD).keys()]).toEqual(['elasticsearch', 'eu', 'us']);
      expect(backends.instances.map((i) => i.host)).toEqual(['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3']);
    } finally {
      await backends.close();
    }
  });

  it('reads named instances from YAML-shaped values too (a list), and skips one whose URL is not set', async () => {
    const backends = buildBackends(loadConfig({ env: { EMBEDDED_STORE: 'off' }, flags: { es_instances: ['eu'], es_eu_url: 'http://127.0.0.1:2' } }));
    try {
      expect([...backends.logSources.keys()]).toEqual(['eu']);
    } finally {
      await backends.close();
    }
  });

  it('reads named instances, their credentials and a headers mapping from a YAML file, as a user writes it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'telemcp-yaml-'));
    const file = join(dir, 'telemcp.yaml');
    writeFileSync(file, ['embedded_store: off', 'es_instances: [eu]', 'es_eu_url: http://127.0.0.1:2', 'es_eu_bearer_token: tok-eu', 'es_eu_headers:', '  X-Scope-OrgID: tenant-eu', ''].join('\n'));
    const config = loadConfig({ file, env: {} });
    expect(connectionSettings('ES_EU', []).read(config)).toMatchObject({ url: 'http://127.0.0.1:2', bearerToken: 'tok-eu', headers: { 'X-Scope-OrgID': 'tenant-eu' } });
    expect(secretKeys(config).has('ES_EU_BEARER_TOKEN')).toBe(true);
    const backends = buildBackends(config);
    try {
      expect([...backends.logSources.keys()]).toEqual(['eu']);
    } finally {
      await backends.close();
    }
    // A key of an instance that is not named in es_instances is unknown, as any misspelt key is.
    writeFileSync(file, 'es_us_url: http://127.0.0.1:3\n');
    expect(() => loadConfig({ file, env: {} })).toThrow(/unknown key ES_US_URL/);
  });

  it('refuses a bad instance name, a repeated one, and the default name', () => {
    expect(problems({ ES_INSTANCES: 'Bad-Name' })).toEqual([expect.stringMatching(/ES_INSTANCES: "bad-name" must be a lowercase name/)]);
    expect(problems({ ES_INSTANCES: 'eu,eu' })).toEqual([expect.stringMatching(/eu is named twice/)]);
    expect(problems({ ES_INSTANCES: 'elasticsearch' })).toEqual([expect.stringMatching(/elasticsearch names the default instance/)]);
  });

  it('turns the embedded store off under `auto` when any instance provides logs, named or not', async () => {
    const backends = buildBackends(loadConfig({ env: { EMBEDDED_STORE: 'auto', DATA_DIR: '/nonexistent-telemcp', ES_INSTANCES: 'eu', ES_EU_URL: 'http://127.0.0.1:2' } }), undefined, 'reader');
    try {
      expect([...backends.logSources.keys()]).toEqual(['eu']);
    } finally {
      await backends.close();
    }
  });
});

describe('the Elasticsearch module owns its guards', () => {
  it("sets the cluster's search timeout a second under the instance's own timeout, and refuses a script", async () => {
    const backends = buildBackends(load({ ES_URL: 'http://127.0.0.1:1', ES_TIMEOUT_MS: '5000', BACKEND_TIMEOUT_MS: '30000' }));
    try {
      const guard = backends.first(QUERY_DSL_GUARD)!;
      expect(await guard({ query: { match_all: {} }, timeout: '10m' }, new AbortController().signal)).toMatchObject({ timeout: '4s' });
      expect(thrownError(() => guard({ query: { script: { script: { source: 'x' } } } }, new AbortController().signal)).code).toBe('query_denied');
    } finally {
      await backends.close();
    }
  });
});
