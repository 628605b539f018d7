import { lokiProtobufBody } from '../../test/helpers/loki-push-protobuf.js';

/**
 * Push bodies of a given size in each format HTTP ingest takes, as shippers build them: the same
 * records (one a millisecond, four services, levels in turn, a message of ~120 characters) in
 * Loki JSON, Loki protobuf (snappy), `_bulk` NDJSON and OTLP/HTTP JSON.
 */

const SERVICES = ['checkout', 'payment', 'fraud', 'inventory'];
const LEVELS = ['info', 'warn', 'error', 'debug'];

interface Line {
  ns: bigint;
  service: string;
  level: string;
  message: string;
}

function lines(count: number, t0Ms: number): Line[] {
  return Array.from({ length: count }, (_, i) => ({
    ns: BigInt(t0Ms + i) * 1_000_000n,
    service: SERVICES[i % SERVICES.length],
    level: LEVELS[i % LEVELS.length],
    message: `request ${i} to /api/v1/orders/${(i * 7919) % 100_000} finished status=${200 + (i % 5)} in ${i % 997} ms user=u${i % 313} region=eu-west-${i % 3}`,
  }));
}

function byService(all: Line[]): Map<string, Line[]> {
  const groups = new Map<string, Line[]>();
  for (const l of all) groups.set(l.service, [...(groups.get(l.service) ?? []), l]);
  return groups;
}

export const FORMATS = ['loki_json', 'loki_protobuf', 'bulk', 'otlp'] as const;
export type Format = (typeof FORMATS)[number];

export interface Body {
  path: string;
  contentType: string;
  body: Buffer;
  records: number;
}

function build(format: Format, count: number, t0Ms: number): Body {
  const all = lines(count, t0Ms);
  switch (format) {
    case 'loki_json': {
      const streams = [...byService(all)].map(([service, ls]) => ({ stream: { service_name: service }, values: ls.map((l) => [String(l.ns), l.message, { level: l.level }]) }));
      return { path: '/loki/api/v1/push', contentType: 'application/json', body: Buffer.from(JSON.stringify({ streams })), records: count };
    }
    case 'loki_protobuf': {
      const streams = [...byService(all)].map(([service, ls]) => ({ labels: `{service_name="${service}"}`, entries: ls.map((l) => ({ ns: l.ns, line: l.message, metadata: { level: l.level } })) }));
      return { path: '/loki/api/v1/push', contentType: 'application/x-protobuf', body: lokiProtobufBody(streams), records: count };
    }
    case 'bulk': {
      const ndjson = all.map((l) => `{"create":{"_index":"logs-${l.service}"}}\n${JSON.stringify({ '@timestamp': new Date(Number(l.ns / 1_000_000n)).toISOString(), message: l.message, 'log.level': l.level, service: { name: l.service } })}\n`);
      return { path: '/_bulk', contentType: 'application/x-ndjson', body: Buffer.from(ndjson.join('')), records: count };
    }
    case 'otlp': {
      const resourceLogs = [...byService(all)].map(([service, ls]) => ({
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeLogs: [{ logRecords: ls.map((l) => ({ timeUnixNano: String(l.ns), severityText: l.level, body: { stringValue: l.message } })) }],
      }));
      return { path: '/v1/logs', contentType: 'application/json', body: Buffer.from(JSON.stringify({ resourceLogs })), records: count };
    }
  }
}

/**
 * A body of about `targetBytes` in `format`; a protobuf push carries the entries of the JSON push of
 * that size (snappy shrinks these repetitive lines, so its own size says little of its work).
 */
export function bodyOf(format: Format, targetBytes: number, t0Ms = Date.now() - 3_600_000): Body {
  const sizedAs = format === 'loki_protobuf' ? 'loki_json' : format;
  const perRecord = build(sizedAs, 1000, t0Ms).body.length / 1000;
  return build(format, Math.max(1, Math.round(targetBytes / perRecord)), t0Ms);
}
