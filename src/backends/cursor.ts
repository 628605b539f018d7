import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { TelemcpError } from '../core/errors.js';

/**
 * Opaque, signed pagination cursors. A cursor carries server state (a point-in-time id, the
 * resolved window, the last sort values) that must never be chosen by the caller: a forged
 * point-in-time id could name indices outside the allowlist. So every cursor is
 * `v1.<payload>.<HMAC-SHA256>` and is refused unless the MAC, the tool, the fingerprint of the
 * arguments and the expiry all check out.
 *
 * The key is CURSOR_SECRET, or else a random key made once per process: cursors then only
 * work on the replica that issued them, so several replicas behind one load balancer need
 * either the same CURSOR_SECRET or sticky routing for paginated calls.
 */
const PROCESS_KEY = randomBytes(32);
const VERSION = 'v1';
const FORMAT = /^v1\.([A-Za-z0-9_-]{1,65536})\.([A-Za-z0-9_-]{43})$/;

export const CURSOR_TTL_MS = 30 * 60_000;

export interface CursorCodec {
  /** Signs `state` for `tool`, bound to the fingerprint of the arguments that produced it. */
  encode(tool: string, fingerprint: string, state: Record<string, unknown>, now?: number): string;
  /** Verifies and returns the state, or throws invalid_input saying why the cursor is refused. */
  decode(cursor: string, tool: string, fingerprint: string, now?: number): Record<string, unknown>;
}

interface Envelope {
  t: string;
  f: string;
  e: number;
  s: Record<string, unknown>;
}

function refused(message: string, hint = 'Pass next_cursor from the previous result unchanged, with the same arguments, or omit cursor to start over.'): TelemcpError {
  return new TelemcpError('invalid_input', message, { hint });
}

export function cursorCodec(secret: string | undefined): CursorCodec {
  const key: Buffer = secret ? Buffer.from(secret, 'utf8') : PROCESS_KEY;
  const mac = (payload: string) => createHmac('sha256', key).update(`telemcp-cursor:${VERSION}:${payload}`).digest();
  return {
    encode(tool, fingerprint, state, now = Date.now()) {
      const envelope: Envelope = { t: tool, f: fingerprint, e: now + CURSOR_TTL_MS, s: state };
      const payload = Buffer.from(JSON.stringify(envelope)).toString('base64url');
      return `${VERSION}.${payload}.${mac(payload).toString('base64url')}`;
    },
    decode(cursor, tool, fingerprint, now = Date.now()) {
      const parts = FORMAT.exec(cursor);
      if (!parts) throw refused('cursor is not a cursor this server issued.');
      const given = Buffer.from(parts[2], 'base64url');
      const expected = mac(parts[1]);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw refused(
          'cursor was not issued by this server or was altered.',
          'Pass next_cursor unchanged, or omit cursor to start over. Behind a load balancer, every replica needs the same CURSOR_SECRET (or sticky routing).',
        );
      }
      let envelope: Envelope;
      try {
        envelope = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as Envelope;
      } catch {
        throw refused('cursor is not a cursor this server issued.');
      }
      if (envelope.t !== tool) throw refused(`cursor belongs to ${String(envelope.t).slice(0, 64)}, not ${tool}.`);
      if (envelope.f !== fingerprint) {
        throw refused('cursor was issued for different arguments.', 'Repeat the call with exactly the arguments that returned this cursor (only limit may change), or omit cursor to start a new search.');
      }
      if (typeof envelope.e !== 'number' || envelope.e < now) throw refused('cursor has expired.', 'Repeat the call without cursor to start over.');
      if (typeof envelope.s !== 'object' || envelope.s === null) throw refused('cursor is not a cursor this server issued.');
      return envelope.s;
    },
  };
}

/** Stable digest of the arguments that define a result set: key order does not matter. */
export function fingerprint(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('base64url').slice(0, 32);
}

function canonicalJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}
