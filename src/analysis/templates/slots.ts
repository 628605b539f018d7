import { WILDCARD } from './mask.js';

const MAX_SLOTS = 8;
const MAX_VALUES = 3;
const MAX_VALUE_LENGTH = 80;

/**
 * Which values filled each `<*>` of a template, from a bounded sample of its messages: the
 * template becomes a pattern (`<*>` → lazy group, whitespace runs → `\s+`), each sample is
 * matched against it, and the values are counted per slot. Samples that do not match (the
 * template was cut short, or shows a list as one `<*>`) are skipped.
 */
export function slotValues(template: string, samples: readonly string[]): { values: { value: string; count: number }[] }[] {
  const parts = template.split(WILDCARD);
  const slots = Math.min(parts.length - 1, MAX_SLOTS);
  if (slots <= 0) return [];
  const source = parts.map((p) => escape(p).replace(/\s+/g, '\\s+')).join('(.+?)');
  let pattern: RegExp;
  try {
    pattern = new RegExp(`^\\s*${source}\\s*$`, 's');
  } catch {
    return [];
  }
  const counts = Array.from({ length: slots }, () => new Map<string, number>());
  for (const sample of samples) {
    const m = pattern.exec(sample);
    if (!m) continue;
    for (let k = 0; k < slots; k++) {
      const value = m[k + 1].length > MAX_VALUE_LENGTH ? `${m[k + 1].slice(0, MAX_VALUE_LENGTH)}…` : m[k + 1];
      counts[k].set(value, (counts[k].get(value) ?? 0) + 1);
    }
  }
  return counts.map((c) => ({
    values: [...c.entries()]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, MAX_VALUES)
      .map(([value, count]) => ({ value, count })),
  }));
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
