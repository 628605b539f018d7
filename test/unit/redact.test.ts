import { describe, expect, it } from 'vitest';
import { redactString, redactValue, registerSecret } from '../../src/core/redact.js';
import { sanitizeText } from '../../src/security/sanitize.js';
import { scrubResult } from '../../src/security/scrub.js';

describe('redaction', () => {
  it.each([
    ['Authorization: Bearer abcdef123456.xyz', 'abcdef123456'],
    ['curl -u x https://user:hunter2@es.internal:9200/_search', 'hunter2'],
    ['token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U in header', 'eyJhbGciOiJIUzI1NiJ9'],
    ['AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'wJalrXUtnFEMI'],
    ['key AKIAIOSFODNN7EXAMPLE used', 'AKIAIOSFODNN7EXAMPLE'],
    ['password="s3cr3t!" user=bob', 's3cr3t!'],
    ['api_key: 1234567890abcdef', '1234567890abcdef'],
    ['GITHUB=ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'ghp_aaaa'],
    ['DB_URL=postgres://u:p4ssw0rd@db:5432/app', 'p4ssw0rd'],
    ['-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----', 'MIIEow'],
  ])('masks %s', (input, secret) => {
    const out = redactString(input);
    expect(out).not.toContain(secret);
    expect(out).toContain('***');
  });

  it('masks registered secrets wherever they appear', () => {
    registerSecret('plain-backend-pass-42');
    expect(redactString('connect failed for plain-backend-pass-42 at es')).toBe('connect failed for *** at es');
  });

  it('keeps keys and masks values of secret-named fields', () => {
    expect(redactValue({ user: 'bob', password: 'x', nested: [{ ES_API_KEY: 'y', count: 3 }] })).toEqual({ user: 'bob', password: '***', nested: [{ ES_API_KEY: '***', count: 3 }] });
  });

  it('leaves ordinary log text alone', () => {
    const line = 'GET /api/orders 200 in 35ms (token bucket refilled)';
    expect(redactString(line)).toBe(line);
  });
});

describe('sanitising text for models', () => {
  it('strips ANSI, bidi overrides, zero-width and control characters but keeps newlines', () => {
    const { text } = sanitizeText('\u001b[31mred\u001b[0m \u202Eevil\u202C zero\u200bwidth\u0007\nnext');
    expect(text).toBe('red evil zerowidth\nnext');
  });

  it('caps long text and says so', () => {
    const r = sanitizeText('x'.repeat(2000), 100);
    expect(r.truncated).toBe(true);
    expect(r.text.length).toBe(101);
  });

  it('scrubs every string of a result', () => {
    expect(scrubResult({ a: ['ok \u001b[1mbold', { password: 'p' }], n: 1 })).toEqual({ a: ['ok bold', { password: '***' }], n: 1 });
  });
});
