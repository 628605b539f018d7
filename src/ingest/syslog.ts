/**
 * Syslog lines as files and relays keep them:
 *  - RFC 5424 (https://www.rfc-editor.org/rfc/rfc5424#section-6):
 *    `<PRI>VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA [MSG]`, `-` for a nil
 *    field, structured data as `[id name="value" …]` elements (escapes `\"`, `\\`, `\]`), a MSG that
 *    may start with a UTF-8 byte-order mark;
 *  - RFC 3164 (https://www.rfc-editor.org/rfc/rfc3164#section-4.1): `<PRI>Mmm dd hh:mm:ss HOST
 *    TAG[PID]: MSG`, and the same without `<PRI>` as /var/log/syslog holds it, also with the
 *    RFC 3339 time rsyslog writes by default (`2024-05-01T10:00:00.123456+02:00 host app[1]: …`).
 * PRI is facility × 8 + severity; the severity (0 emergency … 7 debug) becomes the level. A BSD
 * timestamp carries no year: StampDefaults completes it. Without `<PRI>` a line must look like
 * syslog beyond doubt (a BSD or zoned RFC 3339 time, then a host that is not a level word), so an
 * application log (`2024-05-01 10:00:00 INFO main: …`) is not taken for one.
 */
import { leadingTimestamp, timeValue, type StampDefaults } from '../analysis/templates/timestamp.js';

export interface SyslogLine {
  time?: number;
  host?: string;
  app?: string;
  procId?: string;
  msgId?: string;
  facility?: number;
  /** 0 (emergency) … 7 (debug), from PRI. */
  severity?: number;
  message: string;
  /** RFC 5424 structured data, as `<SD-ID>.<name>` → value. */
  structured?: Record<string, string>;
}

/** Syslog severities in the spelling records report (core/log-levels.ts). */
export const SYSLOG_LEVELS = ['emergency', 'alert', 'critical', 'error', 'warn', 'notice', 'info', 'debug'];

const PRI = /^<(\d{1,3})>/;
const NIL = '-';
const BSD_TIME = /^[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2}/;
const ZONED_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})(?=\s)/;
const LEVEL_WORD = /^(?:trace|debug|info|notice|warn|warning|error|err|crit|critical|alert|emerg|fatal|severe)$/i;
const TAG = /^([^\s[\]:]{1,48})(?:\[([^\]\s]{1,32})\])?:(?:\s|$)/;
const HOST = /^(\S+)\s+/;

function priority(value: string): { facility: number; severity: number } | undefined {
  const pri = Number(value);
  return pri <= 191 ? { facility: Math.floor(pri / 8), severity: pri % 8 } : undefined;
}

/** One space-separated header field of an RFC 5424 line, from `at`; undefined at the end of the line. */
function token(line: string, at: number): { value: string; next: number } | undefined {
  if (at >= line.length) return undefined;
  const space = line.indexOf(' ', at);
  return space === -1 ? { value: line.slice(at), next: line.length } : { value: line.slice(at, space), next: space + 1 };
}

/** RFC 5424 STRUCTURED-DATA starting at `at`: the parameters and where the data ends; undefined when malformed. */
function structuredData(line: string, at: number): { params: Record<string, string>; end: number } | undefined {
  const params: Record<string, string> = {};
  if (line[at] === NIL) return { params, end: at + 1 };
  let i = at;
  while (line[i] === '[') {
    const idEnd = line.slice(i + 1).search(/[ \]]/);
    if (idEnd <= 0) return undefined;
    const id = line.slice(i + 1, i + 1 + idEnd);
    i += 1 + idEnd;
    while (line[i] === ' ') {
      const eq = line.indexOf('="', i + 1);
      if (eq === -1) return undefined;
      const name = line.slice(i + 1, eq);
      let value = '';
      let j = eq + 2;
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === '\\' && (line[j + 1] === '"' || line[j + 1] === '\\' || line[j + 1] === ']')) j++;
        value += line[j];
      }
      if (j >= line.length) return undefined;
      params[`${id}.${name}`] = value;
      i = j + 1;
    }
    if (line[i] !== ']') return undefined;
    i++;
  }
  return i === at ? undefined : { params, end: i };
}

function nil(value: string): string | undefined {
  return value === NIL ? undefined : value;
}

function parse5424(line: string, at: number, pri: { facility: number; severity: number }, dates: StampDefaults): SyslogLine | undefined {
  const fields: string[] = [];
  let next = at;
  for (let n = 0; n < 5; n++) {
    const t = token(line, next);
    if (!t || t.value === '') return undefined;
    fields.push(t.value);
    next = t.next;
  }
  const [stamp, host, app, procId, msgId] = fields;
  const time = stamp === NIL ? undefined : timeValue(stamp, dates);
  if (stamp !== NIL && time === undefined) return undefined;
  const sd = structuredData(line, next);
  if (!sd || (sd.end < line.length && line[sd.end] !== ' ')) return undefined;
  let message = line.slice(sd.end + 1);
  if (message.charCodeAt(0) === 0xfeff) message = message.slice(1);
  return {
    ...(time !== undefined ? { time } : {}),
    ...(nil(host) ? { host } : {}),
    ...(nil(app) ? { app } : {}),
    ...(nil(procId) ? { procId } : {}),
    ...(nil(msgId) ? { msgId } : {}),
    ...pri,
    message,
    ...(Object.keys(sd.params).length ? { structured: sd.params } : {}),
  };
}

function parse3164(line: string, at: number, pri: { facility: number; severity: number } | undefined, dates: StampDefaults): SyslogLine | undefined {
  const rest = line.slice(at);
  if (!pri && !BSD_TIME.test(rest) && !ZONED_ISO.test(rest)) return undefined;
  const stamp = leadingTimestamp(rest, dates);
  if (!stamp || !/\s/.test(rest[stamp.end] ?? '')) return undefined;
  const afterTime = rest.slice(stamp.end).trimStart();
  const host = HOST.exec(afterTime);
  if (!host || (!pri && LEVEL_WORD.test(host[1]))) return undefined;
  const body = afterTime.slice(host[0].length);
  const tag = TAG.exec(body);
  return {
    time: stamp.time,
    host: host[1],
    ...(tag ? { app: tag[1] } : {}),
    ...(tag?.[2] ? { procId: tag[2] } : {}),
    ...(pri ?? {}),
    message: tag ? body.slice(tag[0].length) : body,
  };
}

/** A syslog line's parts, or undefined when the line is not syslog. */
export function parseSyslogLine(line: string, dates: StampDefaults): SyslogLine | undefined {
  const pri = PRI.exec(line);
  const facilitySeverity = pri ? priority(pri[1]) : undefined;
  if (pri && !facilitySeverity) return undefined;
  const at = pri ? pri[0].length : 0;
  // RFC 5424 has a version (1) right after PRI; RFC 3164 goes straight to the time.
  const version = /^\d{1,2} /.exec(line.slice(at, at + 3));
  if (facilitySeverity && version) return parse5424(line, at + version[0].length, facilitySeverity, dates);
  return parse3164(line, at, facilitySeverity, dates);
}
