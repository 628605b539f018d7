import { WILDCARD } from './mask.js';

const MAX_SLOTS = 8;
const MAX_VALUES = 3;
const MAX_VALUE_LENGTH = 80;

/**
 * Which values filled each `<*>` of a template, from a bounded sample of its messages: each
 * sample is matched against the template (its fixed text in order, each `<*>` at least one
 * character, whitespace runs as one space) and the values are counted per slot. Samples that do
 * not match (the template was cut short, or shows a list as one `<*>`) are skipped.
 */
export function slotValues(template: string, samples: readonly string[]): { values: { value: string; count: number }[] }[] {
  const parts = template.split(WILDCARD).map(singleSpaced);
  const slots = Math.min(parts.length - 1, MAX_SLOTS);
  if (slots <= 0) return [];
  const counts = Array.from({ length: slots }, () => new Map<string, number>());
  for (const sample of samples) {
    const values = matchSlots(parts, singleSpaced(sample.trim()));
    if (!values) continue;
    for (let k = 0; k < slots; k++) {
      const value = values[k].length > MAX_VALUE_LENGTH ? `${values[k].slice(0, MAX_VALUE_LENGTH)}…` : values[k];
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

function singleSpaced(text: string): string {
  return text.replace(/\s+/g, ' ');
}

/**
 * The values between the fixed parts, or undefined when the text does not have the template's
 * shape. Each fixed part is taken at its first occurrence after at least one character of value
 * and the last one must end the text: if any placement of the parts fits, this one does (an
 * earlier part leaves every later placement possible), and it gives each value the shortest
 * text, as a lazy regular expression would. Unlike that expression, which backtracks through
 * every placement when none fits (exponential in the number of slots: two lines of a
 * 100-token list took minutes), this is one left-to-right scan.
 */
function matchSlots(parts: readonly string[], text: string): string[] | undefined {
  if (!text.startsWith(parts[0])) return undefined;
  const values: string[] = [];
  let at = parts[0].length;
  const last = parts.length - 1;
  for (let k = 1; k < last; k++) {
    const next = text.indexOf(parts[k], at + 1);
    if (next < 0) return undefined;
    values.push(text.slice(at, next));
    at = next + parts[k].length;
  }
  const end = text.length - parts[last].length;
  if (end <= at || !text.endsWith(parts[last])) return undefined;
  values.push(text.slice(at, end));
  return values;
}
