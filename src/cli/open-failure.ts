import { open, type FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';

/** A file that cannot be opened: a usage problem (exit 2), told with how to fix it. */
export class OpenError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

const REASONS: Record<string, string> = { ENOENT: 'no such file or directory', EACCES: 'permission denied', EISDIR: 'is a directory', ENOTDIR: 'a part of the path is not a directory' };

export function openFailure(path: string, err: unknown, what: 'read' | 'write'): OpenError {
  const code = (err as NodeJS.ErrnoException).code;
  const reason = (code && REASONS[code]) ?? (err as Error).message;
  const hint = what === 'read' ? 'check the path, or pass - and pipe the log into standard input' : 'choose a path in a directory you can write to';
  return new OpenError(`cannot ${what} ${path}: ${reason}`, hint);
}

/** Opens a file for reading, refusing a directory, with the same errors for every command. */
export async function openReadableFile(path: string): Promise<{ handle: FileHandle; stat: Stats }> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw openFailure(path, err, 'read');
  }
  const stat = await handle.stat();
  if (stat.isDirectory()) {
    await handle.close();
    throw openFailure(path, Object.assign(new Error('is a directory'), { code: 'EISDIR' }), 'read');
  }
  return { handle, stat };
}
