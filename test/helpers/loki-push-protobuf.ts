/**
 * Loki protobuf push bodies as Promtail and Alloy's `loki.write` build them: a logproto.PushRequest
 * (schema written here from Loki's documented pkg/push/push.proto, independently of the decoder in
 * src/ingest/loki-protobuf.ts) encoded by protobufjs and compressed as one snappy block by snappyjs.
 * The integration test sends the same bytes to VictoriaLogs, whose Go decoder checks this encoder.
 */
import protobuf from 'protobufjs';
import { compress } from 'snappyjs';

const PUSH_PROTO = `
syntax = "proto3";
package logproto;
message Timestamp { int64 seconds = 1; int32 nanos = 2; }
message PushRequest { repeated StreamAdapter streams = 1; string format = 2; }
message StreamAdapter { string labels = 1; repeated EntryAdapter entries = 2; uint64 hash = 3; }
message LabelPairAdapter { string name = 1; string value = 2; }
message EntryAdapter {
  Timestamp timestamp = 1;
  string line = 2;
  repeated LabelPairAdapter structuredMetadata = 3;
  repeated LabelPairAdapter parsed = 4;
}
`;

const PushRequest = protobuf.parse(PUSH_PROTO).root.lookupType('logproto.PushRequest');

export interface PushEntry {
  /** Epoch nanoseconds, as a bigint so nanoseconds beyond 2^53 survive. */
  ns: bigint;
  line: string;
  metadata?: Record<string, string>;
}

export interface PushStream {
  /** The label set text, e.g. `{job="api", level="error"}`. */
  labels: string;
  entries: PushEntry[];
}

/** The label set text Prometheus' labels.String() prints: sorted names, values quoted with escapes. */
export function labelSetText(labels: Record<string, string>): string {
  const pairs = Object.keys(labels)
    .sort()
    .map((name) => `${name}=${JSON.stringify(labels[name])}`);
  return `{${pairs.join(', ')}}`;
}

/** The PushRequest's protobuf bytes, before compression. */
export function encodePushRequest(streams: PushStream[]): Buffer {
  const message = PushRequest.fromObject({
    streams: streams.map((s) => ({
      labels: s.labels,
      entries: s.entries.map((e) => ({
        timestamp: { seconds: (e.ns / 1_000_000_000n).toString(), nanos: Number(e.ns % 1_000_000_000n) },
        line: e.line,
        structuredMetadata: Object.entries(e.metadata ?? {}).map(([name, value]) => ({ name, value })),
      })),
    })),
  });
  return Buffer.from(PushRequest.encode(message).finish());
}

/** The body a shipper sends: the PushRequest as one snappy block. */
export function lokiProtobufBody(streams: PushStream[]): Buffer {
  return compress(encodePushRequest(streams));
}

/** A snappy block of any bytes (for bodies that are not a valid PushRequest). */
export function snappyBlock(bytes: Buffer): Buffer {
  return compress(bytes);
}
