import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { TelemcpError } from '../core/errors.js';
import { errorCode, storeError } from './errors.js';

/**
 * One writing process per DATA_DIR. Two would each run retention and ingest into the same
 * file, and an operator who started a second server by mistake should hear so at once, with
 * the pid to look for, rather than find interleaved data later. The lock is a file created
 * with O_EXCL naming its holder; the holder removes it on close and on exit, and a file whose
 * process is gone (kill -9, power loss) is taken over by the next start.
 */

export const LOCK_FILE = 'store.lock';

interface Holder {
  pid: number;
  startedAt: string;
  host: string;
  /** Tells two locks of the same pid apart, so a takeover never deletes a lock it did not judge stale. */
  token: string;
}

export interface StoreLock {
  release(): void;
}

/** A lock file that does not parse is one being written right now, unless it is older than this. */
const UNREADABLE_GRACE_MS = 10_000;
const ATTEMPTS = 5;

export function acquireStoreLock(dataDir: string): StoreLock {
  const file = join(dataDir, LOCK_FILE);
  const mine: Holder = { pid: process.pid, startedAt: new Date(Date.now() - process.uptime() * 1000).toISOString(), host: hostname(), token: randomBytes(8).toString('hex') };
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (create(file, mine)) return held(file, mine);
    const found = readHolder(file);
    if (found === 'missing') continue;
    if (found === 'unreadable') {
      if (ageMs(file) < UNREADABLE_GRACE_MS) throw refused(dataDir, file, undefined);
    } else if (alive(found)) {
      throw refused(dataDir, file, found);
    }
    takeOver(file, found);
  }
  throw refused(dataDir, file, undefined);
}

/**
 * O_EXCL: of processes starting together, exactly one creates the file. Its content follows at
 * once; one that reads the file still empty takes it as being written (UNREADABLE_GRACE_MS).
 */
function create(file: string, holder: Holder): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o644);
  } catch (err) {
    if (errorCode(err) === 'EEXIST') return false;
    throw storeError(err, file);
  }
  try {
    writeSync(fd, `${JSON.stringify(holder)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return true;
}

function readHolder(file: string): Holder | 'missing' | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return 'missing';
    throw storeError(err, file);
  }
  try {
    const h = JSON.parse(text) as Partial<Holder>;
    if (Number.isInteger(h.pid) && typeof h.token === 'string' && typeof h.host === 'string' && typeof h.startedAt === 'string') return h as Holder;
  } catch {
    // half-written or foreign content: judged by its age below
  }
  return 'unreadable';
}

function ageMs(file: string): number {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

/**
 * Whether the holder may still be running. A process on another host (a DATA_DIR on shared
 * storage) cannot be checked, so it counts as running; a lock naming this very process is a
 * leftover of an earlier process that had the same pid, since this process's own stores are
 * shared before any lock is taken.
 */
function alive(h: Holder): boolean {
  if (h.host !== hostname()) return true;
  if (h.pid === process.pid) return false;
  try {
    process.kill(h.pid, 0);
    return true;
  } catch (err) {
    return errorCode(err) === 'EPERM';
  }
}

/**
 * Moves the stale file aside and checks it is the one judged stale: when two processes take
 * over at once, the slower one may have moved the winner's fresh lock, and puts it back.
 */
function takeOver(file: string, stale: Holder | 'unreadable'): void {
  const aside = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    renameSync(file, aside);
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return;
    throw storeError(err, file);
  }
  const moved = readHolder(aside);
  const same = stale === 'unreadable' ? moved === 'unreadable' : typeof moved === 'object' && moved.token === stale.token;
  if (same) unlinkSync(aside);
  else renameSync(aside, file);
}

function held(file: string, mine: Holder): StoreLock {
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.removeListener('exit', release);
    try {
      const found = readHolder(file);
      if (typeof found === 'object' && found.token === mine.token) unlinkSync(file);
    } catch {
      // Already removed by hand, or the disk is gone: the next start judges the file by its pid.
    }
  };
  process.once('exit', release);
  return { release };
}

function refused(dataDir: string, file: string, holder: Holder | undefined): TelemcpError {
  const who = holder
    ? `another telemcp process (pid ${holder.pid}${holder.host === hostname() ? '' : ` on ${holder.host}`}, started ${holder.startedAt})`
    : 'another telemcp process that is starting right now';
  return new TelemcpError('backend_unavailable', `DATA_DIR ${dataDir} is in use by ${who}.`, {
    hint: `Stop that process or give this one its own DATA_DIR. If no such process is running, delete ${file}.`,
    details: { data_dir_in_use: true },
  });
}

/** The failure acquireStoreLock reports when another process writes the DATA_DIR. */
export function isDataDirInUse(err: unknown): boolean {
  return err instanceof TelemcpError && (err.details as { data_dir_in_use?: boolean } | undefined)?.data_dir_in_use === true;
}
