/**
 * Loki log sources for tests, built the way the server builds them (buildBackends), and records
 * written into the Loki contract fake the way a shipper pushes them: service, host and level
 * as stream labels (or the level as Loki 3's `detected_level` structured metadata), the trace
 * id as structured metadata, the message as the line.
 */
import { buildBackends, type Backends } from '../../src/backends/backends.js';
import { LOG_SOURCE, type LogSource } from '../../src/backends/capabilities.js';
import type { Config } from '../../src/config/load.js';
import type { IngestRecord } from '../../src/ingest/record.js';
import { testConfig } from './config.js';
import type { LokiFakeHandle, LokiPushStream } from './loki-env.js';

/** A config from explicit settings only (the test's environment never leaks in). */
export const lokiConfig = (settings: Record<string, string>): Config => testConfig(settings);

/** The configured backends, Loki among them, as a server reading logs builds them. */
export const lokiBackends = (config: Config): Backends => buildBackends(config, undefined, 'reader');

/** The log source of one instance (the default one unless named). */
export function lokiSource(backends: Backends, name = 'loki'): LogSource {
  const source = backends.all(LOG_SOURCE).get(name);
  if (!source) throw new Error(`no Loki log source named ${name}`);
  return source;
}

/** Epoch ms as Loki's unix-nanosecond text. */
export function lokiNs(ms: number): string {
  return (BigInt(ms) * 1_000_000n).toString();
}

/** A record to push: its labels and, apart, its structured metadata. */
export interface LokiLine {
  ts: number;
  line: string;
  labels: Record<string, string>;
  metadata?: Record<string, string>;
}

/** `level` as a stream label, or as `detected_level` structured metadata (what Loki 3 detects). */
export type LevelAs = 'label' | 'detected';

/** An ingest record as a shipper pushes it. */
export function lokiLine(r: Pick<IngestRecord, 'ts' | 'message' | 'service' | 'level' | 'host' | 'traceId'>, levelAs: LevelAs = 'label'): LokiLine {
  const labels: Record<string, string> = { service_name: r.service ?? 'unknown_service' };
  if (r.host) labels.host = r.host;
  const metadata: Record<string, string> = {};
  if (r.level) (levelAs === 'label' ? labels : metadata)[levelAs === 'label' ? 'level' : 'detected_level'] = r.level;
  if (r.traceId) metadata.trace_id = r.traceId;
  return { ts: r.ts, line: r.message, labels, ...(Object.keys(metadata).length ? { metadata } : {}) };
}

/** Lines grouped into push streams, in batches, into one tenant. */
export async function pushLines(loki: LokiFakeHandle, lines: readonly LokiLine[], tenant?: string): Promise<void> {
  const batch = 5000;
  for (let i = 0; i < lines.length; i += batch) {
    const streams = new Map<string, LokiPushStream>();
    for (const l of lines.slice(i, i + batch)) {
      const key = JSON.stringify(Object.entries(l.labels).sort());
      let s = streams.get(key);
      if (!s) streams.set(key, (s = { stream: l.labels, values: [] }));
      s.values.push(l.metadata ? [lokiNs(l.ts), l.line, l.metadata] : [lokiNs(l.ts), l.line]);
    }
    await loki.push([...streams.values()], tenant);
  }
}
