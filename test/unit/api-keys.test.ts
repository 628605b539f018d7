import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KeyRing, KeysFileWatcher, ensureLocalKey, sha256Hex } from '../../src/security/api-keys.js';

describe('api keys', () => {
  it('accepts plain and sha256: keys and rejects everything else', () => {
    const ring = new KeyRing([
      { key: 'viewer-key', role: 'elk_viewer' },
      { key: `sha256:${sha256Hex('ops-key')}`, role: 'elk_operator' },
    ]);
    expect(ring.authenticate('viewer-key')?.role).toBe('elk_viewer');
    expect(ring.authenticate('ops-key')?.role).toBe('elk_operator');
    for (const bad of ['', 'viewer-ke', 'viewer-key ', 'viewer-key, garbage', `sha256:${sha256Hex('ops-key')}`, undefined]) expect(ring.authenticate(bad)).toBeUndefined();
  });

  it('identifies keys by a hash prefix, never the key', () => {
    const ring = new KeyRing([{ key: 'super-secret-key', role: 'elk_viewer' }]);
    const id = ring.authenticate('super-secret-key')?.id ?? '';
    expect(id).toMatch(/^k_[0-9a-f]{8}$/);
    expect(id).not.toContain('super');
  });

  it('generates a local key once, keeps it for its owner only (0600) beside its hash, and names that file on every later start', () => {
    const dir = mkdtempSync(join(tmpdir(), 'telemcp-keys-'));
    const first = ensureLocalKey(dir);
    expect(first.plainKey).toMatch(/^tmcp_/);
    const stored = readFileSync(first.path, 'utf8').trim();
    expect(stored).toBe(sha256Hex(first.plainKey ?? ''));
    expect(stored).not.toContain(first.plainKey ?? 'x');
    expect(first.keyFile).toBe(join(dir, 'local-api-key'));
    expect(readFileSync(first.keyFile!, 'utf8').trim()).toBe(first.plainKey);
    expect(statSync(first.keyFile!).mode & 0o777).toBe(0o600);
    expect(statSync(first.path).mode & 0o777).toBe(0o600);
    const second = ensureLocalKey(dir);
    expect(second.plainKey).toBeUndefined();
    expect(second.keyFile).toBe(first.keyFile);
    expect(new KeyRing([second.entry]).authenticate(first.plainKey)?.role).toBe('elk_admin_readonly');
    // A key file that no longer matches the hash is not named as the key.
    writeFileSync(first.keyFile!, 'tmcp_edited\n');
    expect(ensureLocalKey(dir).keyFile).toBeUndefined();
    // Rotation: both files gone, a new key.
    rmSync(first.keyFile!);
    rmSync(first.path);
    const rotated = ensureLocalKey(dir);
    expect(rotated.plainKey).not.toBe(first.plainKey);
  });

  it('hot-reloads a keys file: a revoked key stops working without a restart', () => {
    const dir = mkdtempSync(join(tmpdir(), 'telemcp-keys-'));
    const file = join(dir, 'keys');
    writeFileSync(file, 'old-key:elk_viewer\n');
    const ring = new KeyRing();
    const watcher = new KeysFileWatcher(file, ring, [], () => {});
    expect(ring.authenticate('old-key')).toBeDefined();
    writeFileSync(file, '# rotated\nnew-key:elk_operator\n');
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    watcher.refresh(true);
    expect(ring.authenticate('old-key')).toBeUndefined();
    expect(ring.authenticate('new-key')?.role).toBe('elk_operator');
  });
});
