import { describe, expect, it } from 'vitest';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/settings.js';
import { configProblems } from '../helpers/config.js';

const problems = configProblems;

describe('configuration', () => {
  it('has safe defaults', () => {
    const c = loadConfig({ env: {} });
    expect(c.HOST).toBe('127.0.0.1');
    expect(c.PORT).toBe(8080);
    expect(c.ES_VERIFY_TLS).toBe(true);
    expect(c.AUDIT_FAIL_MODE).toBe('closed');
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('reports every problem on its own line, without echoing secrets', () => {
    const p = problems({ PORT: 'abc', ES_URL: 'es:9200', API_KEYS: 'secretkey:root', ES_USERNAME: 'u' });
    expect(p.length).toBe(4);
    expect(p.join('\n')).toMatch(/PORT/);
    expect(p.join('\n')).toMatch(/ES_URL/);
    expect(p.join('\n')).toMatch(/ES_PASSWORD/);
    expect(p.join('\n')).not.toContain('secretkey');
  });

  it('parses API_KEYS with sha256 keys and roles', () => {
    const hash = 'a'.repeat(64);
    const c = loadConfig({ env: { API_KEYS: `dev-key:elk_viewer, sha256:${hash}:elk_operator` } });
    expect(c.API_KEYS).toEqual([
      { key: 'dev-key', role: 'elk_viewer' },
      { key: `sha256:${hash}`, role: 'elk_operator' },
    ]);
  });

  it('layers defaults < YAML < env < flags, and rejects unknown YAML keys', () => {
    const dir = mkdtempSync(join(tmpdir(), 'telemcp-cfg-'));
    const file = join(dir, 'telemcp.yaml');
    writeFileSync(file, 'PORT: 9000\nHOST: 0.0.0.0\nmax_response_bytes: 5000\n');
    const c = loadConfig({ file, env: { HOST: '127.0.0.2' }, flags: { PORT: '9100' } });
    expect([c.PORT, c.HOST, c.MAX_RESPONSE_BYTES]).toEqual([9100, '127.0.0.2', 5000]);
    writeFileSync(file, 'PROT: 1\n');
    expect(() => loadConfig({ file, env: {} })).toThrow(/unknown key PROT/);
  });
});
