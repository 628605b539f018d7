import { TelemcpError } from './errors.js';

/**
 * Time windows for tools: Elasticsearch date math (`now`, `now-1h`, `now-1d/d`), ISO 8601
 * with any offset (`2026-04-26T08:25:00+07:00`, a bare date is UTC midnight) and epoch
 * milliseconds. Resolved once, here, to absolute UTC instants, so every backend searches
 * exactly the window the result echoes back.
 */
export interface TimeWindow {
  from: Date;
  to: Date;
  /** The instant "now" was taken as: date math is relative to it. */
  now: Date;
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, H: 3_600_000, d: 86_400_000, w: 604_800_000 };
const MATH = /^now((?:[+-]\d+[smhHdwMy])*)(?:\/([smhHdwMy]))?$/;
const TERM = /([+-])(\d+)([smhHdwMy])/g;
const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

function addCalendar(date: Date, unit: 'M' | 'y', amount: number): Date {
  const d = new Date(date);
  if (unit === 'M') d.setUTCMonth(d.getUTCMonth() + amount);
  else d.setUTCFullYear(d.getUTCFullYear() + amount);
  return d;
}

/** Rounds down (start of the unit) or up (last millisecond of the unit), as Elasticsearch does for ranges. */
function round(date: Date, unit: string, up: boolean): Date {
  const d = new Date(date);
  switch (unit) {
    case 'y':
      d.setUTCMonth(0, 1);
      d.setUTCHours(0, 0, 0, 0);
      break;
    case 'M':
      d.setUTCDate(1);
      d.setUTCHours(0, 0, 0, 0);
      break;
    case 'w': {
      const day = (d.getUTCDay() + 6) % 7; // ISO weeks start on Monday
      d.setUTCDate(d.getUTCDate() - day);
      d.setUTCHours(0, 0, 0, 0);
      break;
    }
    case 'd':
      d.setUTCHours(0, 0, 0, 0);
      break;
    case 'h':
    case 'H':
      d.setUTCMinutes(0, 0, 0);
      break;
    case 'm':
      d.setUTCSeconds(0, 0);
      break;
    case 's':
      d.setUTCMilliseconds(0);
      break;
  }
  if (!up) return d;
  const next = unit === 'y' || unit === 'M' ? addCalendar(d, unit, 1) : new Date(d.getTime() + UNIT_MS[unit]);
  return new Date(next.getTime() - 1);
}

/** One time expression to an instant; `roundUp` is for the end of a window (`now/d` = end of today). */
export function parseTime(expr: string, now: Date, roundUp = false, field = 'time'): Date {
  const text = expr.trim();
  const math = MATH.exec(text);
  if (math) {
    let d = new Date(now);
    for (const [, sign, amount, unit] of math[1].matchAll(TERM)) {
      const n = Number(amount) * (sign === '-' ? -1 : 1);
      d = unit === 'M' || unit === 'y' ? addCalendar(d, unit, n) : new Date(d.getTime() + n * UNIT_MS[unit]);
    }
    return math[2] ? round(d, math[2], roundUp) : d;
  }
  if (/^\d{10,13}$/.test(text)) return new Date(Number(text.length === 10 ? `${text}000` : text));
  if (ISO.test(text)) {
    const normalised = text.replace(' ', 'T');
    const d = new Date(/T/.test(normalised) && !/(Z|[+-]\d{2}:?\d{2})$/.test(normalised) ? `${normalised}Z` : normalised);
    if (!Number.isNaN(d.getTime())) return d;
  }
  throw new TelemcpError('invalid_input', `${field} ${JSON.stringify(text.slice(0, 64))} is not a time telemcp understands.`, {
    hint: 'Use date math (now-1h, now-7d/d), ISO 8601 (2026-04-26T08:25:00Z or with an offset such as +07:00), or epoch milliseconds.',
  });
}

/**
 * Resolves a start/end pair. A window longer than maxDays or ending before it starts is
 * refused with the limit named (never silently clamped), so the model corrects its call.
 */
export function resolveWindow(
  start: string | undefined,
  end: string | undefined,
  opts: { defaultStart: string; maxDays: number; now?: Date },
): TimeWindow {
  const now = opts.now ?? new Date();
  const from = parseTime(start ?? opts.defaultStart, now, false, 'start_time');
  const to = parseTime(end ?? 'now', now, true, 'end_time');
  if (from.getTime() >= to.getTime()) {
    throw new TelemcpError('invalid_input', `start_time (${from.toISOString()}) must be before end_time (${to.toISOString()}).`, {
      hint: 'Swap the two, or use start_time now-1h with end_time now.',
    });
  }
  const days = (to.getTime() - from.getTime()) / UNIT_MS.d;
  if (days > opts.maxDays) {
    throw new TelemcpError('invalid_input', `The window is ${days.toFixed(1)} days; at most ${opts.maxDays} days are allowed.`, {
      hint: `Narrow start_time/end_time to ${opts.maxDays} days or less.`,
    });
  }
  return { from, to, now };
}

/** The echo every windowed result carries, so the model sees exactly what was searched. */
export function describeWindow(w: TimeWindow): { start: string; end: string; server_now: string } {
  return { start: w.from.toISOString(), end: w.to.toISOString(), server_now: w.now.toISOString() };
}

export const MINUTE_MS = 60_000;
/** Fixed histogram intervals Elasticsearch and OpenSearch both accept, smallest first. */
const INTERVALS: [string, number][] = [
  ['10s', 10_000],
  ['30s', 30_000],
  ['1m', MINUTE_MS],
  ['2m', 2 * MINUTE_MS],
  ['5m', 5 * MINUTE_MS],
  ['10m', 10 * MINUTE_MS],
  ['15m', 15 * MINUTE_MS],
  ['30m', 30 * MINUTE_MS],
  ['1h', 60 * MINUTE_MS],
  ['2h', 120 * MINUTE_MS],
  ['3h', 180 * MINUTE_MS],
  ['6h', 360 * MINUTE_MS],
  ['12h', 720 * MINUTE_MS],
  ['1d', 1440 * MINUTE_MS],
];

/** The smallest interval (not below minMs) that keeps a window within maxBuckets buckets. */
export function histogramInterval(windowMs: number, maxBuckets: number, minMs = MINUTE_MS): [string, number] {
  const candidates = INTERVALS.filter(([, ms]) => ms >= minMs);
  return candidates.find(([, ms]) => windowMs / ms <= maxBuckets) ?? candidates[candidates.length - 1];
}

/**
 * The window the log tools read when called without start_time: the last hour. One definition,
 * so what `telemcp ingest` says about records outside it is what the tools do.
 */
export const DEFAULT_WINDOW_START = 'now-1h';
export const DEFAULT_WINDOW_MS = 3_600_000;
