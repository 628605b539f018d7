import type { IngestRecord } from '../ingest/record.js';
import type { SeedRecord } from './manifest.js';

interface SeedLogDoc {
  message: string;
  log: { level: string };
  service: { name: string };
  host?: { name?: string };
  trace?: { id?: string };
  http?: { response?: { status_code?: number } };
  url?: { path?: string };
  error?: { type?: string };
}

/**
 * The seed's application log documents as embedded-store records: the demo dataset a fresh
 * `npm start` loads, from the same generator as `telemcp seed`. The dataset is the index the
 * seed would have written to, so `scope`/`index_pattern` patterns such as `logs-*` work the same
 * on both. Filebeat and APM documents have no counterpart in the log store and are skipped.
 */
export function seedToIngest(record: SeedRecord): IngestRecord | undefined {
  if (record.kind !== 'logs') return undefined;
  const doc = record.doc as unknown as SeedLogDoc;
  const attrs: Record<string, string | number> = {};
  if (doc.http?.response?.status_code !== undefined) attrs['http.response.status_code'] = doc.http.response.status_code;
  if (doc.url?.path) attrs['url.path'] = doc.url.path;
  if (doc.error?.type) attrs['error.type'] = doc.error.type;
  return {
    ts: record.at,
    dataset: record.index,
    service: doc.service.name,
    level: doc.log.level,
    message: doc.message,
    ...(doc.trace?.id ? { traceId: doc.trace.id } : {}),
    ...(doc.host?.name ? { host: doc.host.name } : {}),
    ...(Object.keys(attrs).length ? { attrs } : {}),
  };
}
