/**
 * VictoriaLogs log sources for tests, built the way the server builds them (buildBackends), and
 * records written to VictoriaLogs the way a JSON-lines shipper of ECS-shaped documents writes
 * them (the field names the source reads by default).
 */
import { buildBackends, type Backends } from '../../src/backends/backends.js';
import { LOG_SOURCE, type LogSource } from '../../src/backends/capabilities.js';
import type { Config } from '../../src/config/load.js';
import type { IngestRecord } from '../../src/ingest/record.js';
import { testConfig } from './config.js';

/** A config from explicit settings only (the test's environment never leaks in). */
export const vlogsConfig = (settings: Record<string, string>): Config => testConfig(settings);

/** The configured backends, VictoriaLogs among them, as a server reading logs builds them. */
export const vlogsBackends = (config: Config): Backends => buildBackends(config, undefined, 'reader');

/** The log source of one instance (the default one unless named). */
export function vlogsSource(backends: Backends, name = 'victorialogs'): LogSource {
  const source = backends.all(LOG_SOURCE).get(name);
  if (!source) throw new Error(`no VictoriaLogs log source named ${name}`);
  return source;
}

/** A tenant, as the AccountID/ProjectID headers of the ingestion and select APIs. */
export interface VlTenant {
  accountId: number;
  projectId: number;
}

/**
 * POSTs JSON lines to /insert/jsonline (application/stream+json), into a tenant when given:
 * the test's own set-up; telemcp never writes. `@timestamp` is the time and `message` the
 * message, as an ECS document has them.
 */
export async function ingestEcsLines(url: string, docs: Record<string, unknown>[], tenant?: VlTenant): Promise<void> {
  const params = new URLSearchParams({ _time_field: '@timestamp', _msg_field: 'message', _stream_fields: 'service.name,host.name' });
  const headers: Record<string, string> = { 'content-type': 'application/stream+json' };
  if (tenant) Object.assign(headers, { AccountID: String(tenant.accountId), ProjectID: String(tenant.projectId) });
  for (let i = 0; i < docs.length; i += 10_000) {
    const body = docs
      .slice(i, i + 10_000)
      .map((d) => `${JSON.stringify(d)}\n`)
      .join('');
    const res = await fetch(`${url}/insert/jsonline?${params}`, { method: 'POST', headers, body });
    if (!res.ok) throw new Error(`POST /insert/jsonline → ${res.status}: ${(await res.text()).slice(0, 300)}`);
  }
}

/**
 * An embedded-store record as the ECS document a shipper would send VictoriaLogs: nested
 * objects, which VictoriaLogs flattens to `service.name`, `log.level`, `trace.id`, `host.name`.
 * `extra` fields (a run id) are added at the top level.
 */
export function ecsDoc(r: IngestRecord, extra: Record<string, string> = {}): Record<string, unknown> {
  return {
    '@timestamp': new Date(r.ts).toISOString(),
    message: r.message,
    ...(r.service !== undefined ? { service: { name: r.service } } : {}),
    ...(r.level !== undefined ? { log: { level: r.level } } : {}),
    ...(r.traceId !== undefined ? { trace: { id: r.traceId } } : {}),
    ...(r.host !== undefined ? { host: { name: r.host } } : {}),
    ...(r.attrs ?? {}),
    ...extra,
  };
}
