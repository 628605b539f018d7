import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { TelemcpError } from '../core/errors.js';
import { storeError } from './errors.js';
import { acquireStoreLock, type StoreLock } from './lock.js';
import { preparePruning } from './retention.js';
import { checkReadable, configure, migrate } from './schema.js';

export const STORE_FILE = 'logs.db';

/**
 * One connection to DATA_DIR/logs.db. A writing one holds the DATA_DIR lock (lock.ts) for its
 * life and brings the schema up to date; a read-only one takes no lock, creates nothing and
 * refuses a file it cannot read as it is. The writing, reading and retention statements
 * (write.ts, queries.ts, retention.ts) all run through it: prepared once, failures in words an
 * operator can act on (errors.ts), and refused once it is closed.
 */
export class StoreConnection {
  readonly file: string;
  readonly db: Database.Database;
  private readonly lock?: StoreLock;
  /** The SQL texts are built from a fixed set of clauses, so this map stays small. */
  private readonly statements = new Map<string, Database.Statement>();
  private isClosed = false;

  constructor(
    readonly dataDir: string,
    readonly readonly: boolean,
    opts: { maxBytes?: number; now: number },
  ) {
    this.file = join(dataDir, STORE_FILE);
    if (readonly && !existsSync(this.file)) {
      throw new TelemcpError('backend_unavailable', `There is no embedded store in ${dataDir} yet.`, { hint: 'Ingest logs into this DATA_DIR first, or point DATA_DIR at the directory that holds logs.db.' });
    }
    if (!readonly) this.lock = acquireStoreLock(dataDir);
    let db: Database.Database | undefined;
    try {
      db = new Database(this.file, { readonly, fileMustExist: readonly });
      configure(db, readonly);
      if (readonly) checkReadable(db, this.file);
      else {
        migrate(db, this.file, opts.now);
        preparePruning(db);
      }
      if (opts.maxBytes !== undefined) {
        const pageSize = db.pragma('page_size', { simple: true }) as number;
        db.pragma(`max_page_count = ${Math.max(1, Math.floor(opts.maxBytes / pageSize))}`);
      }
    } catch (err) {
      db?.close();
      this.lock?.release();
      throw storeError(err, this.file);
    }
    this.db = db;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  statement(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) this.statements.set(sql, (s = this.db.prepare(sql)));
    return s;
  }

  /** Runs work on the open connection, SQLite's failures turned into store errors. */
  guard<T>(work: () => T): T {
    if (this.isClosed) throw new TelemcpError('backend_unavailable', `The embedded store ${this.file} is closed.`, { hint: 'The server is shutting down; retry against a running one.' });
    try {
      return work();
    } catch (err) {
      throw storeError(err, this.file);
    }
  }

  /** Closes the file, then releases the lock (a writer that closed can be followed at once). */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    try {
      this.db.close();
    } finally {
      this.lock?.release();
    }
  }
}
