import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { TelemcpError } from '../core/errors.js';
import { redactValue } from '../core/redact.js';

export interface AuditRecord {
  phase: 'before' | 'after';
  request_id: string;
  tool: string;
  caller: string;
  role: string;
  transport: string;
  decision?: 'allowed' | 'denied' | 'failed' | 'cancelled';
  status?: number;
  code?: string;
  latency_ms?: number;
  result_bytes?: number;
  /** Calls the query cache may answer: whether this one was (hit) or read the backend (miss). */
  cache?: 'hit' | 'miss';
  /** Redacted and cut to a few KB: enough to see what was asked, never a secret. */
  input?: unknown;
  /** Ingest requests (tool `(ingest)`): the endpoint and counts, never the records' contents. */
  event?: 'ingest';
  endpoint?: string;
  records_stored?: number;
  records_rejected?: number;
  /** The body after decompression. */
  request_bytes?: number;
}

export interface AuditSink {
  /** Resolves once the record is written; rejects (fail-closed) when it cannot be. */
  write(record: AuditRecord): Promise<void>;
  close(): void;
}

const MAX_INPUT_CHARS = 2048;

function compactInput(input: unknown): unknown {
  const redacted = redactValue(input);
  const text = JSON.stringify(redacted) ?? 'null';
  return text.length <= MAX_INPUT_CHARS ? redacted : { truncated: true, preview: text.slice(0, MAX_INPUT_CHARS) };
}

/**
 * Append-only JSON lines. Records are queued and written together once per event-loop turn
 * (one write syscall for all calls that arrived meanwhile); every writer waits for that
 * write, so a call proceeds only when its record is on its way to disk. Fail-closed by
 * default: when the write fails, every waiting call is refused.
 */
export class FileAuditSink implements AuditSink {
  private fd: number | undefined;
  private lines: string[] = [];
  private waiters: { resolve: () => void; reject: (err: unknown) => void }[] = [];
  private scheduled = false;

  constructor(
    private readonly path: string,
    private readonly failMode: 'closed' | 'open',
    private readonly onFailure: (err: Error) => void,
  ) {}

  private open(): number {
    if (this.fd === undefined) {
      mkdirSync(dirname(this.path), { recursive: true });
      this.fd = openSync(this.path, 'a', 0o600);
    }
    return this.fd;
  }

  write(record: AuditRecord): Promise<void> {
    this.lines.push(`${JSON.stringify({ ts: new Date().toISOString(), ...record, input: record.input === undefined ? undefined : compactInput(record.input) })}\n`);
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    const text = this.lines.join('');
    const waiters = this.waiters;
    this.lines = [];
    this.waiters = [];
    this.scheduled = false;
    try {
      writeSync(this.open(), text);
      for (const w of waiters) w.resolve();
    } catch (err) {
      this.reset();
      this.onFailure(err as Error);
      if (this.failMode === 'open') {
        for (const w of waiters) w.resolve();
        return;
      }
      const refusal = new TelemcpError('backend_unavailable', 'The audit log cannot be written, so the call was refused.', {
        hint: 'The server operator must fix the audit log location (AUDIT_LOG / DATA_DIR); retry afterwards.',
      });
      for (const w of waiters) w.reject(refusal);
    }
  }

  private reset(): void {
    if (this.fd !== undefined) {
      try {
        closeSync(this.fd);
      } catch {
        // the descriptor is already unusable; a fresh open is attempted on the next record
      }
      this.fd = undefined;
    }
  }

  /** Writes what is queued, then releases the file. */
  close(): void {
    if (this.lines.length) this.flush();
    this.reset();
  }
}
