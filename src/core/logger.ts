import pino from 'pino';
import { redactString, redactValue } from './redact.js';

export type Logger = pino.Logger;

/**
 * Logs always go to stderr: stdout belongs to the MCP stdio protocol. Every record is
 * redacted on the way out so a secret passed in by mistake never lands in a log file.
 */
export function createLogger(level: string, destination: number = 2): Logger {
  return pino(
    {
      level,
      base: { service: 'telemcp' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { log: (obj) => redactValue(obj) },
      hooks: {
        logMethod(args, method) {
          method.apply(
            this,
            args.map((a) => (typeof a === 'string' ? redactString(a) : a)) as Parameters<typeof method>,
          );
        },
      },
      serializers: { err: (err: Error) => ({ type: err?.name, message: redactString(String(err?.message ?? err)) }) },
    },
    pino.destination({ fd: destination, sync: false }),
  );
}
