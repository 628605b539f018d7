import { deserialize, serialize } from 'node:v8';
import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * How a parse result crosses from the parse thread: a 10 MB push is tens of thousands of records
 * (and, for `_bulk`, as many answer items), and rebuilding them from one message would hold the
 * server's thread for 100–300 ms, the very stall the thread is there to remove. So each long
 * array of the result travels as slices serialized in the parse thread, and the server's thread
 * rebuilds them a slice a turn, letting `/healthz` and other requests in between.
 */

/** Elements a slice holds: a few milliseconds to rebuild for the largest records. */
export const SLICE = 1000;

export interface PackedResult {
  /** The result without its long arrays. */
  rest: Record<string, unknown>;
  /** Each long array, by its key, as serialized slices in order. */
  slices: Record<string, Uint8Array[]>;
}

/** In the parse thread: the result with its top-level arrays longer than a slice cut into serialized slices. */
export function packResult(result: object): PackedResult {
  const rest: Record<string, unknown> = {};
  const slices: Record<string, Uint8Array[]> = {};
  for (const [key, value] of Object.entries(result)) {
    if (!Array.isArray(value) || value.length <= SLICE) {
      rest[key] = value;
      continue;
    }
    slices[key] = [];
    for (let start = 0; start < value.length; start += SLICE) slices[key].push(serialize(value.slice(start, start + SLICE)));
  }
  return { rest, slices };
}

/** In the server's thread: the result as the parser returned it, one slice rebuilt a turn. */
export async function unpackResult(packed: PackedResult): Promise<unknown> {
  const result: Record<string, unknown> = { ...packed.rest };
  for (const [key, parts] of Object.entries(packed.slices)) {
    const whole: unknown[] = [];
    for (const part of parts) {
      await nextTurn();
      for (const item of deserialize(part) as unknown[]) whole.push(item);
    }
    result[key] = whole;
  }
  return result;
}
