import { TelemcpError } from '../core/errors.js';

/**
 * SQLite's and the file system's failures in words an operator can act on: SQLite's own text
 * ("database or disk is full", "database disk image is malformed") names neither the file nor
 * the fix. Anything not listed here is a bug of ours and stays as it is, so the pipeline
 * reports it as internal_error with the request id.
 */
export function storeError(err: unknown, file: string): unknown {
  if (err instanceof TelemcpError) return err;
  const code = errorCode(err);
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') {
    return new TelemcpError('backend_unavailable', `The embedded store's disk is full: ${file} cannot grow, so nothing of this write was stored.`, {
      hint: 'Free space on the disk that holds DATA_DIR, or lower RETENTION_DAYS so retention frees room; the records stored before are intact.',
      cause: err,
    });
  }
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
    return new TelemcpError('backend_unavailable', `The embedded store ${file} is corrupt (${code}).`, {
      hint: `Stop telemcp and move ${file} and its -wal and -shm files aside; then start with an empty store, or salvage the old one with: sqlite3 <moved file> .recover | sqlite3 ${file}`,
      cause: err,
    });
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new TelemcpError('backend_unavailable', `The embedded store ${file} stayed locked by another writer.`, {
      hint: 'Retry in a moment; only one telemcp process may write to a DATA_DIR.',
      retryAfter: 1,
      cause: err,
    });
  }
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_IOERR') || code === 'SQLITE_PERM' || code === 'EACCES' || code === 'EROFS') {
    return new TelemcpError('backend_unavailable', `The embedded store ${file} cannot be read or written (${code}).`, {
      hint: 'Check that DATA_DIR exists, belongs to the user telemcp runs as, and sits on a healthy, writable disk.',
      cause: err,
    });
  }
  return err;
}

export function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}
