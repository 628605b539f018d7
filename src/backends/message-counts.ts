import { TelemcpError } from '../core/errors.js';
import { sanitizeText } from '../security/sanitize.js';
import type { LogSourceCapabilities, MessageCount } from './capabilities.js';
import { canonicalLevel } from '../core/log-levels.js';
import { RECORD_MESSAGE_CHARS, RECORD_VALUE_CHARS } from './log-query.js';

/**
 * What every source's messageCounts shares: its limits, and how a backend's groups become the
 * answer's, so the same records give the same groups whichever backend counted them.
 */

/**
 * Distinct groups one call may return: enough for an incident whose lines all carry their own
 * numbers (3,600 distinct messages an hour per noisy pattern), small enough that the groups
 * (and their mining) stay within a few hundred MB at worst.
 */
export const MAX_MESSAGE_GROUPS = 200_000;
/**
 * Message characters one answer holds, summed over its groups. A keyword field may hold
 * messages of up to 32k characters, so the group cap alone would not bound the memory.
 */
export const MAX_MESSAGE_CHARS_HELD = 40_000_000;

export const MESSAGE_COUNT_CAPABILITY = { maxGroups: MAX_MESSAGE_GROUPS } as const;

export function checkMaxGroups(maxGroups: number, caps: LogSourceCapabilities): void {
  const max = caps.messageCounts?.maxGroups ?? 0;
  if (!Number.isInteger(maxGroups) || maxGroups < 1 || maxGroups > max) {
    throw new TelemcpError('invalid_input', `maxGroups ${maxGroups} is outside 1-${max}.`, { hint: `Ask for at most ${max} distinct messages.` });
  }
}

/**
 * Groups as a backend reports them, merged once normalised: two raw groups become one when their
 * messages differ only in control characters or past the length kept, or their levels only in
 * spelling (`ERROR`, `err`), so a count is never split by how it was written.
 */
export class MessageTally {
  private readonly byKey = new Map<string, MessageCount>();
  /** Message characters held so far. */
  chars = 0;
  counted = 0;

  add(raw: { message: string; service?: string | null; level?: string | null; count: number; firstMs: number; lastMs: number }): void {
    const message = sanitizeText(raw.message, RECORD_MESSAGE_CHARS).text;
    const service = raw.service === null || raw.service === undefined ? undefined : sanitizeText(raw.service, RECORD_VALUE_CHARS).text;
    const level = raw.level === null || raw.level === undefined ? undefined : sanitizeText(canonicalLevel(raw.level), RECORD_VALUE_CHARS).text;
    const key = JSON.stringify([message, service ?? null, level ?? null]);
    this.counted += raw.count;
    const seen = this.byKey.get(key);
    if (seen) {
      seen.count += raw.count;
      seen.firstMs = Math.min(seen.firstMs, raw.firstMs);
      seen.lastMs = Math.max(seen.lastMs, raw.lastMs);
      return;
    }
    this.chars += message.length;
    this.byKey.set(key, { message, ...(service !== undefined ? { service } : {}), ...(level !== undefined ? { level } : {}), count: raw.count, firstMs: raw.firstMs, lastMs: raw.lastMs });
  }

  get full(): boolean {
    return this.chars >= MAX_MESSAGE_CHARS_HELD;
  }

  /** Most frequent first; ties in a fixed order, so every backend lists the same groups alike. */
  groups(): MessageCount[] {
    return [...this.byKey.values()].sort(compareGroups);
  }
}

const text = (a: string | undefined, b: string | undefined) => (a === b ? 0 : a === undefined ? -1 : b === undefined ? 1 : a < b ? -1 : 1);

export function compareGroups(a: MessageCount, b: MessageCount): number {
  return b.count - a.count || text(a.message, b.message) || text(a.service, b.service) || text(a.level, b.level);
}

/** What a source says when its group cap stopped the counting. */
export function cappedNote(counted: number, total: number, groups: number): string {
  return `Counted ${counted} of ${total} records exactly, in ${groups} distinct messages; the rest carry messages beyond that bound and are not counted.`;
}
