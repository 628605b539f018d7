/**
 * Log level spellings, shared by every log backend: a filter on `warn` must also find
 * `WARNING`, and records must report one spelling per level so counts per level add up.
 */

/** Common spellings of one level; the first is the one records report. */
const LEVEL_ALIASES: Record<string, string[]> = {
  warn: ['warn', 'warning'],
  warning: ['warn', 'warning'],
  error: ['error', 'err'],
  err: ['error', 'err'],
  critical: ['critical', 'crit'],
  crit: ['critical', 'crit'],
  emergency: ['emergency', 'emerg'],
  emerg: ['emergency', 'emerg'],
  info: ['info', 'information', 'informational'],
  information: ['info', 'information', 'informational'],
  informational: ['info', 'information', 'informational'],
  fatal: ['fatal'],
  debug: ['debug'],
  trace: ['trace'],
};

/** Levels counted as errors by elk_detect_errors (case-insensitive). */
export const ERROR_LEVELS = ['error', 'err', 'fatal', 'critical', 'crit', 'emergency', 'emerg', 'alert', 'panic', 'severe'];

/** Every spelling and case a level is commonly written in (lower, UPPER, Title). */
export function levelVariants(levels: string[]): string[] {
  const out = new Set<string>();
  for (const level of levels) {
    for (const spelling of LEVEL_ALIASES[level.toLowerCase()] ?? [level.toLowerCase()]) {
      out.add(spelling);
      out.add(spelling.toUpperCase());
      out.add(spelling[0].toUpperCase() + spelling.slice(1));
    }
  }
  return [...out];
}

/** The one spelling a level is reported as: lowercase, `warning` → `warn`, `ERR` → `error`. */
export function canonicalLevel(level: string): string {
  const lower = level.trim().toLowerCase();
  return LEVEL_ALIASES[lower]?.[0] ?? lower;
}
