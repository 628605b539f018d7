import { describe, expect, it } from 'vitest';
import { CURSOR_TTL_MS, cursorCodec, fingerprint } from '../../src/backends/cursor.js';
import { TelemcpError } from '../../src/core/errors.js';

const codec = cursorCodec('test-secret');
const fp = fingerprint({ indices: 'logs-*', levels: ['error'] });
const state = { p: { id: 'pit-1', a: [1, 2] }, n: 10 };

function refusal(fn: () => unknown): TelemcpError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TelemcpError);
    expect((err as TelemcpError).code).toBe('invalid_input');
    return err as TelemcpError;
  }
  throw new Error('expected a refusal');
}

describe('signed cursors', () => {
  it('round-trips the state for the same tool and arguments', () => {
    const cursor = codec.encode('elk_search_logs', fp, state);
    expect(cursor).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(codec.decode(cursor, 'elk_search_logs', fp)).toEqual(state);
  });

  it('refuses a tampered payload or signature', () => {
    const cursor = codec.encode('elk_search_logs', fp, state);
    const [v, payload, mac] = cursor.split('.');
    const forgedPayload = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), s: { p: { id: 'pit-on-secrets' } } })).toString('base64url');
    expect(refusal(() => codec.decode(`${v}.${forgedPayload}.${mac}`, 'elk_search_logs', fp)).message).toMatch(/altered/);
    const flipped = mac.slice(0, 10) + (mac[10] === 'A' ? 'B' : 'A') + mac.slice(11);
    expect(refusal(() => codec.decode(`${v}.${payload}.${flipped}`, 'elk_search_logs', fp)).message).toMatch(/altered/);
    refusal(() => codec.decode(`${v}.${payload}`, 'elk_search_logs', fp));
    refusal(() => codec.decode('garbage', 'elk_search_logs', fp));
  });

  it('refuses a cursor signed with another secret (another replica without the shared CURSOR_SECRET)', () => {
    const other = cursorCodec('other-secret').encode('elk_search_logs', fp, state);
    expect(refusal(() => codec.decode(other, 'elk_search_logs', fp)).hint).toMatch(/CURSOR_SECRET/);
    const perProcess = cursorCodec(undefined);
    expect(perProcess.decode(perProcess.encode('elk_search_logs', fp, state), 'elk_search_logs', fp)).toEqual(state);
    refusal(() => codec.decode(perProcess.encode('elk_search_logs', fp, state), 'elk_search_logs', fp));
  });

  it('refuses reuse with different arguments or by another tool', () => {
    const cursor = codec.encode('elk_search_logs', fp, state);
    expect(refusal(() => codec.decode(cursor, 'elk_search_logs', fingerprint({ indices: 'logs-*', levels: ['warn'] }))).message).toMatch(/different arguments/);
    expect(refusal(() => codec.decode(cursor, 'elk_detect_errors', fp)).message).toMatch(/belongs to elk_search_logs/);
  });

  it('expires', () => {
    const now = Date.now();
    const cursor = codec.encode('elk_search_logs', fp, state, now);
    expect(codec.decode(cursor, 'elk_search_logs', fp, now + CURSOR_TTL_MS - 1)).toEqual(state);
    expect(refusal(() => codec.decode(cursor, 'elk_search_logs', fp, now + CURSOR_TTL_MS + 1)).message).toMatch(/expired/);
  });

  it('fingerprints ignore key order and undefined values, not content', () => {
    expect(fingerprint({ a: 1, b: [1, 2], c: undefined })).toBe(fingerprint({ b: [1, 2], a: 1 }));
    expect(fingerprint({ a: 1, b: [2, 1] })).not.toBe(fingerprint({ a: 1, b: [1, 2] }));
  });
});
