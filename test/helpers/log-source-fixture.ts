/**
 * The known hour of logs both LogSource suites read: log-source.test.ts writes it into every real
 * engine (ECS and flat indices), embedded-log-source.test.ts into the embedded store, and the
 * same expected values hold for both.
 */
import type { LogRecord } from '../../src/backends/capabilities.js';
import { TelemcpError } from '../../src/core/errors.js';

export const FROM = Date.parse('2026-03-10T10:00:00.000Z');
export const TO = Date.parse('2026-03-10T11:00:00.000Z');
export const MINUTE = 60_000;
export const at = (minute: number, ms = 0) => FROM + minute * MINUTE + ms;

export interface Doc {
  ts: number;
  service: string;
  /** Level as the ECS index spells it, as the flat one does, and as records report it. */
  ecsLevel: string;
  flatLevel: string;
  level: string;
  message: string;
  traceId?: string;
  host: string;
}

/**
 * Steady api lines every minute except 10:40-10:50 (an empty stretch), a warning every ten
 * minutes, a payment error burst at 10:20-10:22, a debug storm of 400 lines inside one second
 * at 10:30, one line at exactly the window's end and two just outside it. No two lines share a
 * millisecond, so every order is exact.
 */
function dataset(): Doc[] {
  const docs: Doc[] = [];
  for (let m = 0; m < 60; m++) {
    if (m >= 40 && m < 50) continue;
    docs.push({ ts: at(m, 30_000), service: 'api', ecsLevel: m % 2 ? 'INFO' : 'info', flatLevel: 'Information', level: 'info', message: `GET /orders/${m} 200`, host: 'node-a' });
  }
  for (const m of [5, 15, 25, 35, 55]) {
    docs.push({ ts: at(m, 40_000), service: 'db', ecsLevel: 'WARNING', flatLevel: 'warn', level: 'warn', message: 'slow query on orders took 900ms', host: 'node-b' });
  }
  for (let k = 0; k < 300; k++) {
    docs.push({
      ts: at(20, 100 + k * 400),
      service: 'payment',
      ecsLevel: k % 2 ? 'ERROR' : 'error',
      flatLevel: k % 2 ? 'Error' : 'err',
      level: 'error',
      message: `payment declined for order ${k}`,
      traceId: `trace-pay-${k}`,
      host: 'node-c',
    });
  }
  for (let k = 0; k < 400; k++) {
    docs.push({ ts: at(30, 1 + k * 2), service: 'batch', ecsLevel: 'DEBUG', flatLevel: 'debug', level: 'debug', message: `flushed batch ${k}`, host: 'node-d' });
  }
  docs.push({ ts: TO, service: 'api', ecsLevel: 'info', flatLevel: 'info', level: 'info', message: 'GET /health 200', host: 'node-a' });
  for (const ts of [FROM - 1, TO + 1]) docs.push({ ts, service: 'payment', ecsLevel: 'error', flatLevel: 'error', level: 'error', message: 'payment declined outside', traceId: 'trace-pay-7', host: 'node-c' });
  return docs;
}

export const DOCS = dataset();
export const IN_WINDOW = DOCS.filter((d) => d.ts >= FROM && d.ts <= TO).sort((a, b) => b.ts - a.ts);

/** A record as the source must return it for a dataset line. */
export function expected(d: Doc): LogRecord {
  return { ts: d.ts, service: d.service, level: d.level, message: d.message, ...(d.traceId ? { traceId: d.traceId } : {}), host: d.host };
}

export function countBy<T>(items: T[], key: (t: T) => string): Map<string, number> {
  const out = new Map<string, number>();
  for (const item of items) out.set(key(item), (out.get(key(item)) ?? 0) + 1);
  return out;
}

export async function failure(promise: Promise<unknown>): Promise<TelemcpError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof TelemcpError) return err;
    throw err;
  }
  throw new Error('expected a TelemcpError');
}

export const signal = () => AbortSignal.timeout(30_000);
