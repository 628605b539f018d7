import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Role } from '../core/roles.js';
import { ROLES } from '../core/roles.js';

export interface KeyRecord {
  sha256: Buffer;
  role: Role;
  /** Non-secret id for logs/audit: `k_` + first 8 hex chars of the hash. */
  id: string;
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

function toRecord(keyOrHash: string, role: Role): KeyRecord {
  const hex = keyOrHash.startsWith('sha256:') ? keyOrHash.slice(7).toLowerCase() : sha256Hex(keyOrHash);
  return { sha256: Buffer.from(hex, 'hex'), role, id: `k_${hex.slice(0, 8)}` };
}

/**
 * Key lookup in constant time with respect to the key material: the presented key is hashed
 * and compared against every stored hash with timingSafeEqual, so neither a prefix match nor
 * the position of the matching entry changes the work done.
 */
export class KeyRing {
  private records: KeyRecord[] = [];

  constructor(entries: { key: string; role: Role }[] = []) {
    this.replace(entries);
  }

  replace(entries: { key: string; role: Role }[]): void {
    this.records = entries.map((e) => toRecord(e.key, e.role));
  }

  get size(): number {
    return this.records.length;
  }

  authenticate(presented: string | undefined): KeyRecord | undefined {
    if (!presented) return undefined;
    const digest = createHash('sha256').update(presented, 'utf8').digest();
    let found: KeyRecord | undefined;
    for (const record of this.records) {
      if (timingSafeEqual(digest, record.sha256) && !found) found = record;
    }
    return found;
  }
}

/** Reads `key:role` lines (or one comma list) from a file; `#` starts a comment. */
export function parseKeysFile(text: string): { key: string; role: Role }[] {
  const out: { key: string; role: Role }[] = [];
  const items = text
    .split(/[\n,]/)
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter(Boolean);
  for (const item of items) {
    const at = item.lastIndexOf(':');
    const role = item.slice(at + 1) as Role;
    if (at <= 0 || !ROLES.includes(role)) throw new Error(`API keys file: an entry is not key:role with a known role`);
    out.push({ key: item.slice(0, at), role });
  }
  return out;
}

/**
 * Hot reload of a keys file: checked at most once a second on use, so a rotated or revoked
 * key takes effect without a restart and without a file watcher per process.
 */
export class KeysFileWatcher {
  private mtimeMs = -1;
  private checkedAt = 0;

  constructor(
    private readonly path: string,
    private readonly ring: KeyRing,
    private readonly base: { key: string; role: Role }[],
    private readonly onError: (err: Error) => void,
  ) {
    this.refresh(true);
  }

  refresh(force = false): void {
    const now = Date.now();
    if (!force && now - this.checkedAt < 1000) return;
    this.checkedAt = now;
    try {
      const mtime = statSync(this.path).mtimeMs;
      if (mtime === this.mtimeMs) return;
      this.ring.replace([...this.base, ...parseKeysFile(readFileSync(this.path, 'utf8'))]);
      this.mtimeMs = mtime;
    } catch (err) {
      if (force) throw err;
      this.onError(err as Error);
    }
  }
}

export interface LocalKey {
  /** Present only when the key was generated just now, for the banner to show it. */
  plainKey?: string;
  /** The key's sha256, which authenticates it. */
  path: string;
  /** The key itself (0600) for its owner to read until it is rotated; absent for keys generated before it was kept. */
  keyFile?: string;
  entry: { key: string; role: Role };
}

export const LOCAL_KEY_FILE = 'local-api-key';
const LOCAL_KEY_HASH_FILE = 'local-api-key.sha256';

/**
 * With no API_KEYS configured, a local admin-readonly key is generated on first start. The key
 * is written to a file only its owner can read (0600) before anything else, so a start
 * interrupted before the banner was shown does not lose it; its sha256 beside it is what
 * authenticates. Deleting both files and restarting rotates it.
 */
export function ensureLocalKey(dataDir: string): LocalKey {
  const path = `${dataDir}/${LOCAL_KEY_HASH_FILE}`;
  const keyFile = `${dataDir}/${LOCAL_KEY_FILE}`;
  if (existsSync(path)) {
    const hex = readFileSync(path, 'utf8').trim();
    if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error(`${path} is not a sha256 hex digest; delete it to generate a new key`);
    const kept = existsSync(keyFile) && sha256Hex(readFileSync(keyFile, 'utf8').trim()) === hex;
    return { path, ...(kept ? { keyFile } : {}), entry: { key: `sha256:${hex}`, role: 'elk_admin_readonly' } };
  }
  const plainKey = `tmcp_${randomBytes(24).toString('base64url')}`;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(keyFile, `${plainKey}\n`, { mode: 0o600 });
  chmodSync(keyFile, 0o600);
  writeFileSync(path, `${sha256Hex(plainKey)}\n`, { mode: 0o600 });
  return { plainKey, path, keyFile, entry: { key: `sha256:${sha256Hex(plainKey)}`, role: 'elk_admin_readonly' } };
}
