import { TelemcpError, type ErrorCode } from './errors.js';

/**
 * What telemcp's worker threads (the embedded store's reader, `telemcp ingest`'s writer) share:
 * how a thread's module is found from the sources or from dist/, and how errors cross between
 * threads (structured clone keeps no class, so they cross as data and are rebuilt).
 */

/**
 * From dist/ a thread's module is plain JavaScript. From the sources (vitest, tsx) it is
 * TypeScript, and the thread needs tsx's hooks first: on Node 20 a Worker ignores `--import` in
 * its execArgv (nodejs/node#47747), so a one-line bootstrap registers them and then imports it.
 * `callerUrl` is the calling module's import.meta.url; `name` the thread module beside it.
 */
export function threadEntry(callerUrl: string, name: string): { entry: string | URL; evaluate: boolean } {
  if (!callerUrl.endsWith('.ts')) return { entry: new URL(`./${name}.js`, callerUrl), evaluate: false };
  const tsx = import.meta.resolve('tsx/esm/api');
  const module = new URL(`./${name}.ts`, callerUrl).href;
  return { entry: `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(module)}); });`, evaluate: true };
}

export type WireError =
  | { telemcp: true; code: ErrorCode; message: string; hint?: string; retryAfter?: number; details?: Record<string, unknown> }
  | { telemcp: false; name: string; message: string; stack?: string };

export function toWireError(err: unknown): WireError {
  if (err instanceof TelemcpError) {
    return { telemcp: true, code: err.code, message: err.message, hint: err.hint, retryAfter: err.retryAfter, details: err.details };
  }
  if (err instanceof Error) return { telemcp: false, name: err.name, message: err.message, stack: err.stack };
  return { telemcp: false, name: 'Error', message: String(err) };
}

/** The error as the other thread threw it: a TelemcpError keeps its code, message and hint. */
export function fromWireError(wire: WireError): Error {
  if (wire.telemcp) return new TelemcpError(wire.code, wire.message, { hint: wire.hint, retryAfter: wire.retryAfter, details: wire.details });
  const err = new Error(wire.message);
  err.name = wire.name;
  if (wire.stack) err.stack = wire.stack;
  return err;
}
