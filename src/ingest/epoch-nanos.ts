/**
 * Epoch nanoseconds as Loki and OTLP send them: decimal strings of up to 19 digits, beyond
 * Number's 2^53, so they are cut to milliseconds as text instead of going through a float.
 */

/** Epoch ms from a string of epoch nanoseconds; undefined when it is not one (or is before 1970-01-01T00:00:00.001Z). */
export function nanosToMs(ns: string): number | undefined {
  if (!/^\d{1,19}$/.test(ns)) return undefined;
  const ms = ns.length > 6 ? Number(ns.slice(0, -6)) : 0;
  return ms > 0 ? ms : undefined;
}
