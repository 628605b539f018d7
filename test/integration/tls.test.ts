/**
 * R-07/R-08 and A-09 against the real Elasticsearch 8 behind a TLS-terminating forwarder:
 * certificate verification is on by default, a configured CA makes it work, expired and
 * wrong-name certificates are refused even with that CA, skipping verification is explicit
 * and reported; the backend receives the service credentials and nothing from the caller.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../src/app.js';
import { TelemcpError } from '../../src/core/errors.js';
import { Readiness } from '../../src/server/readiness.js';
import { testConfig } from '../helpers/config.js';
import { startServerInProcess } from '../helpers/server.js';
import { CALLERS, EngineAdmin, callErr, callOk, requireEngineUrl } from '../helpers/es-fixtures.js';
import { TlsForwarder, makeTestPki, type TestPki } from '../helpers/es-tls-proxy.js';

interface HealthResult {
  status: string;
  metrics: { cluster_name: string; number_of_nodes: number };
}

const USERNAME = 'telemcp_reader';
const PASSWORD = 'S3rvice-Pa55word-9f2c';
const WRONG_PASSWORD = 'Wr0ng-Pa55word-77aa';
const API_KEY = 'VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==';

describe('TLS to the backend (R-07, R-08) and credentials (A-09), real Elasticsearch behind https', () => {
  let esUrl: string;
  let admin: EngineAdmin;
  let pki: TestPki;
  let valid: TlsForwarder;
  let expired: TlsForwarder;
  let wrongSan: TlsForwarder;
  let basicAuth: TlsForwarder;
  let mutual: TlsForwarder;
  const apps: App[] = [];

  const app = (settings: Record<string, string>): App => {
    const a = buildApp(testConfig(settings));
    apps.push(a);
    return a;
  };

  const probeError = async (a: App): Promise<TelemcpError | undefined> => {
    const [probe] = a.rt.backends.probes();
    try {
      await probe.check(AbortSignal.timeout(5000));
      return undefined;
    } catch (err) {
      return err as TelemcpError;
    }
  };

  beforeAll(async () => {
    esUrl = requireEngineUrl('TEST_ES_URL');
    admin = new EngineAdmin(esUrl);
    pki = makeTestPki();
    valid = await new TlsForwarder({ upstream: esUrl, cert: pki.valid }).start();
    expired = await new TlsForwarder({ upstream: esUrl, cert: pki.expired }).start();
    wrongSan = await new TlsForwarder({ upstream: esUrl, cert: pki.wrongSan }).start();
    basicAuth = await new TlsForwarder({ upstream: esUrl, cert: pki.valid, requireBasic: { username: USERNAME, password: PASSWORD } }).start();
    mutual = await new TlsForwarder({ upstream: esUrl, cert: pki.valid, requireClientCertFrom: pki.caPath }).start();
  });

  afterAll(async () => {
    for (const a of apps) await a.close();
    for (const f of [valid, expired, wrongSan, basicAuth, mutual]) await f?.stop();
  });

  it('verifies by default: a certificate from an unknown CA is backend_tls_error, and the readiness probe fails too', async () => {
    const a = app({ ES_URL: valid.url });
    const err = await callErr(a, 'elk_cluster_health', {}, CALLERS.viewer);
    expect(err.error.code).toBe('backend_tls_error');
    expect(err.status).toBe(502);
    expect(err.error.hint).toMatch(/ES_CA_CERT/);
    const probe = await probeError(a);
    expect(probe).toBeInstanceOf(TelemcpError);
    expect(probe?.code).toBe('backend_tls_error');
    expect(a.insecure).toEqual([]);
    const ready = await new Readiness(a.rt.backends, 0, a.insecure).report();
    expect(ready).toMatchObject({ ready: false, status: 'not_ready', backends: [{ name: 'elasticsearch', ok: false, code: 'backend_tls_error' }] });
    expect(valid.received).toHaveLength(0);
  });

  it('ES_CA_CERT makes the same endpoint work, answering from the real cluster', async () => {
    const a = app({ ES_URL: valid.url, ES_CA_CERT: pki.caPath });
    const [result, health] = await Promise.all([callOk<HealthResult>(a, 'elk_cluster_health', {}, CALLERS.viewer), admin.must<{ cluster_name: string; status: string }>('GET', '/_cluster/health')]);
    expect(result.metrics.cluster_name).toBe(health.cluster_name);
    expect(result.metrics.number_of_nodes).toBe(1);
    expect(['green', 'yellow', 'red']).toContain(result.status);
    expect(await probeError(a)).toBeUndefined();
    expect(valid.received.length).toBeGreaterThan(0);
  });

  it.each([
    ['expired', () => expired, /CERT_HAS_EXPIRED/],
    ['wrong-SAN', () => wrongSan, /ALTNAME|HOSTNAME/],
  ])('an %s certificate signed by the configured CA is still backend_tls_error', async (_label, forwarder, codePattern) => {
    const a = app({ ES_URL: forwarder().url, ES_CA_CERT: pki.caPath });
    const err = await callErr(a, 'elk_cluster_health', {}, CALLERS.viewer);
    expect(err.error.code).toBe('backend_tls_error');
    expect(err.error.message).toMatch(codePattern);
    expect((await probeError(a))?.code).toBe('backend_tls_error');
    expect(forwarder().received).toHaveLength(0);
  });

  it('ES_VERIFY_TLS=false connects without verification and is reported as an insecure setting', async () => {
    const a = app({ ES_URL: expired.url, ES_VERIFY_TLS: 'false' });
    expect(a.insecure).toContain('ES_VERIFY_TLS=false');
    const result = await callOk<HealthResult>(a, 'elk_cluster_health', {}, CALLERS.viewer);
    expect(result.metrics.number_of_nodes).toBe(1);
    const ready = await new Readiness(a.rt.backends, 0, a.insecure).report();
    expect(ready).toMatchObject({ ready: true, insecure_settings: ['ES_VERIFY_TLS=false'] });
    const metrics = await a.rt.metrics.registry.getSingleMetricAsString('mcp_insecure_setting');
    expect(metrics).toMatch(/mcp_insecure_setting\{name="ES_VERIFY_TLS"\} 1/);
  });

  it('mTLS: without ES_CLIENT_CERT/ES_CLIENT_KEY the handshake is refused; with them the real cluster answers', async () => {
    const without = app({ ES_URL: mutual.url, ES_CA_CERT: pki.caPath });
    const err = await callErr(without, 'elk_cluster_health', {}, CALLERS.viewer);
    expect(['backend_tls_error', 'backend_unavailable']).toContain(err.error.code);
    expect(mutual.received).toHaveLength(0);
    const withCert = app({ ES_URL: mutual.url, ES_CA_CERT: pki.caPath, ES_CLIENT_CERT: pki.client.certPath, ES_CLIENT_KEY: pki.client.keyPath });
    const result = await callOk<HealthResult>(withCert, 'elk_cluster_health', {}, CALLERS.viewer);
    expect(result.metrics.number_of_nodes).toBe(1);
    expect(mutual.received.length).toBeGreaterThan(0);
  });

  it('ES_USERNAME/ES_PASSWORD are sent as HTTP Basic credentials', async () => {
    const before = basicAuth.received.length;
    const a = app({ ES_URL: basicAuth.url, ES_CA_CERT: pki.caPath, ES_USERNAME: USERNAME, ES_PASSWORD: PASSWORD });
    const result = await callOk<HealthResult>(a, 'elk_cluster_health', {}, CALLERS.viewer);
    expect(result.metrics.number_of_nodes).toBe(1);
    const seen = basicAuth.received.slice(before);
    expect(seen.length).toBeGreaterThan(0);
    const expected = `Basic ${Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64')}`;
    for (const h of seen) expect(h.authorization).toBe(expected);
    expect(JSON.stringify(result)).not.toContain(PASSWORD);
  });

  it('a wrong password is backend_error with a credentials hint, and no password appears in the result', async () => {
    const before = basicAuth.requests.length;
    const a = app({ ES_URL: basicAuth.url, ES_CA_CERT: pki.caPath, ES_USERNAME: USERNAME, ES_PASSWORD: WRONG_PASSWORD });
    const err = await callErr(a, 'elk_cluster_health', {}, CALLERS.viewer);
    expect(err.error.code).toBe('backend_error');
    expect(err.error.message).toMatch(/credentials/);
    expect(err.error.hint).toMatch(/credentials/);
    expect(err.error.details).toMatchObject({ backend_status: 401 });
    const json = JSON.stringify(err);
    for (const secret of [WRONG_PASSWORD, PASSWORD, Buffer.from(`${USERNAME}:${WRONG_PASSWORD}`).toString('base64')]) expect(json).not.toContain(secret);
    // A 401 is not retried.
    expect(basicAuth.requests.slice(before).filter((r) => r.startsWith('GET /_cluster/health'))).toHaveLength(1);
  });

  it('ES_API_KEY is sent as "Authorization: ApiKey", never as X-API-Key', async () => {
    const before = valid.received.length;
    const a = app({ ES_URL: valid.url, ES_CA_CERT: pki.caPath, ES_API_KEY: API_KEY });
    await callOk(a, 'elk_nodes_stats', {}, CALLERS.viewer);
    const seen = valid.received.slice(before);
    expect(seen.length).toBeGreaterThan(0);
    for (const h of seen) {
      expect(h.authorization).toBe(`ApiKey ${API_KEY}`);
      expect(h['x-api-key']).toBeUndefined();
    }
  });

  it('A-09: through the HTTP front door the backend sees only the service credentials, no caller header', async () => {
    const callerKey = 'caller-key-a09-0123456789abcdef';
    const server = await startServerInProcess({
      ES_URL: basicAuth.url,
      ES_CA_CERT: pki.caPath,
      ES_USERNAME: USERNAME,
      ES_PASSWORD: PASSWORD,
      API_KEYS: `${callerKey}:elk_admin_readonly`,
    });
    const before = basicAuth.received.length;
    try {
      const callerHeaders: Record<string, string>[] = [
        { 'x-api-key': callerKey },
        { authorization: `Bearer ${callerKey}` },
      ];
      for (const auth of callerHeaders) {
        const res = await fetch(`${server.url}/mcp/execute`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...auth,
            cookie: 'session=caller-cookie-value',
            'x-forwarded-for': '10.9.8.7',
            'x-forwarded-user': 'admin',
            'x-role': 'admin',
            'x-caller-trace': 'trace-from-caller',
            'x-opaque-id': 'caller-opaque-id',
          },
          body: JSON.stringify({ tool_name: 'elk_indices_summary', input: { index_pattern: 'logs-*' } }),
        });
        const body = (await res.json()) as { ok: boolean };
        expect(res.status, JSON.stringify(body)).toBe(200);
        expect(body.ok).toBe(true);
      }
    } finally {
      await server.close();
    }
    const seen = basicAuth.received.slice(before);
    expect(seen.length).toBeGreaterThan(0);
    const service = `Basic ${Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64')}`;
    for (const h of seen) {
      expect(h.authorization).toBe(service);
      for (const name of ['x-api-key', 'cookie', 'x-forwarded-for', 'x-forwarded-user', 'x-role', 'x-caller-trace', 'x-opaque-id']) expect(h[name], name).toBeUndefined();
      expect(JSON.stringify(h)).not.toContain(callerKey);
    }
  });
});
