import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * `--assignments`: which template each input line got, written once mining is over (a line's
 * template can still change while later lines arrive). Only one 32-bit handle per line is kept,
 * in a typed array that doubles when full, so a 100-million-line file costs 400 MB here and
 * nothing else grows with the input.
 */
export class HandleList {
  private data = new Int32Array(1 << 16);
  private size = 0;

  get length(): number {
    return this.size;
  }

  push(handle: number): void {
    if (this.size === this.data.length) {
      const grown = new Int32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.size++] = handle;
  }

  at(index: number): number {
    return this.data[index];
  }
}

/** RFC 4180: a field holding a comma, a double quote or a line break is quoted, its quotes doubled. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

const FLUSH_CHARS = 1 << 16;

function* rows(handles: HandleList, templateOf: (handle: number) => string): Generator<string> {
  const fields = new Map<number, string>();
  let buffer = 'LineId,EventTemplate\n';
  for (let i = 0; i < handles.length; i++) {
    const handle = handles.at(i);
    let field = fields.get(handle);
    if (field === undefined) {
      field = csvField(templateOf(handle));
      fields.set(handle, field);
    }
    buffer += `${i + 1},${field}\n`;
    if (buffer.length >= FLUSH_CHARS) {
      yield buffer;
      buffer = '';
    }
  }
  yield buffer;
}

/**
 * Streams `LineId,EventTemplate` (the Loghub structured-CSV columns, so the file scores with the
 * Loghub tools as it is): one row per input line, LineId from 1, in 64 KiB writes that wait for
 * the destination to drain. Resolves once the destination is closed; rejects on a write error.
 */
export async function writeAssignments(out: Writable, handles: HandleList, templateOf: (handle: number) => string): Promise<void> {
  await pipeline(rows(handles, templateOf), out);
}
