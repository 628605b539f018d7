import { isSecretKeyName, redactString } from '../core/redact.js';
import { sanitizeText } from './sanitize.js';

/**
 * The last filter on every tool result: one walk that masks secrets and strips control,
 * bidi and zero-width characters from every string and every key (document field names
 * come from the indexed data too), whichever tool produced it.
 */
export function scrubResult<T>(value: T, depth = 0): T {
  if (typeof value === 'string') return sanitizeText(redactString(value)).text as T;
  if (value === null || typeof value !== 'object' || depth > 64) return value;
  if (Array.isArray(value)) return value.map((v) => scrubResult(v, depth + 1)) as T;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    out[sanitizeText(redactString(key)).text] = isSecretKeyName(key) && (typeof v === 'string' || typeof v === 'number') ? '***' : scrubResult(v, depth + 1);
  }
  return out as T;
}
