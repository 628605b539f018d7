import { createHash } from 'node:crypto';
import { bulkResponse, type BulkFailure } from '../../ingest/bulk.js';
import { esErrorBody } from './failure.js';
import type { EndpointSpec } from './endpoint.js';

/**
 * What telemcp answers to the calls Elasticsearch outputs make before and around `_bulk`, so a
 * shipper pointed at telemcp starts without special settings:
 *  - `GET /` (and `HEAD /`): cluster info. Filebeat reads `version.number` (and `build_flavor`:
 *    `serverless` would switch it to data stream lifecycles); Logstash, Fluentd and Vector read the
 *    version to pick their API; the official clients also require the `X-Elastic-Product:
 *    Elasticsearch` header on 2xx answers (Elasticsearch ≥ 7.14), which every answer here carries.
 *  - `GET /_license`: the default distribution of Filebeat (x-pack licenser) and Logstash refuse a
 *    cluster without an active license; a basic license is what they accept.
 *  - `GET /_cluster/health`: Vector's start-up healthcheck.
 *  - index templates (composable, legacy, component), ILM policies, `_cat/templates`: Filebeat and
 *    Logstash check whether theirs exist and install them when absent. telemcp's store has no
 *    mappings or lifecycles, so every lookup answers "absent" (404, or an empty `_cat` list) and
 *    every install is acknowledged and discarded. Filebeat's `setup.template.enabled: false` and
 *    `setup.ilm.enabled: false` (Logstash: `manage_template => false`, `ilm_enabled => false`) skip
 *    these calls altogether.
 * The version claimed is 8.17.0: Beats 8.x/9.x connect to it (`allow_older_versions` is true by
 * default), and every client picks its 8.x wire format. Nothing here reads data back: there is no
 * `_search`, `_count` or `_mapping` for an ingest key.
 */

export const ES_COMPAT_VERSION = '8.17.0';
const CLUSTER_NAME = 'telemcp';

/** A stable cluster UUID per data directory, without revealing the path (Beats' monitoring keys on it). */
export function clusterUuid(dataDir: string): string {
  return createHash('sha256').update(`telemcp-cluster:${dataDir}`).digest('base64url').slice(0, 22);
}

export function clusterInfo(uuid: string) {
  return {
    name: 'telemcp',
    cluster_name: CLUSTER_NAME,
    cluster_uuid: uuid,
    version: {
      number: ES_COMPAT_VERSION,
      build_flavor: 'default',
      build_type: 'tar',
      build_hash: 'telemcp',
      build_date: '2024-12-11T00:00:00.000Z',
      build_snapshot: false,
      lucene_version: '9.12.0',
      minimum_wire_compatibility_version: '7.17.0',
      minimum_index_compatibility_version: '7.0.0',
    },
    tagline: 'You Know, for Search',
  };
}

export function license(uuid: string) {
  return {
    license: {
      status: 'active',
      uid: uuid,
      type: 'basic',
      issue_date: '2024-01-01T00:00:00.000Z',
      issue_date_in_millis: 1704067200000,
      max_nodes: 1000,
      max_resource_units: null,
      issued_to: CLUSTER_NAME,
      issuer: 'elasticsearch',
      start_date_in_millis: -1,
    },
  };
}

export function clusterHealth() {
  return {
    cluster_name: CLUSTER_NAME,
    status: 'green',
    timed_out: false,
    number_of_nodes: 1,
    number_of_data_nodes: 1,
    active_primary_shards: 0,
    active_shards: 0,
    relocating_shards: 0,
    initializing_shards: 0,
    unassigned_shards: 0,
    delayed_unassigned_shards: 0,
    number_of_pending_tasks: 0,
    number_of_in_flight_fetch: 0,
    task_max_waiting_in_queue_millis: 0,
    active_shards_percent_as_number: 100,
  };
}

/** Set-up resources a shipper may look up and install; each lookup's "absent" answer is Elasticsearch's. */
export const SETUP_RESOURCES: { prefix: string; absent: (name: string) => { status: number; body: unknown } }[] = [
  { prefix: '/_index_template', absent: (name) => ({ status: 404, body: esErrorBody(404, 'resource_not_found_exception', `index template matching [${name}] not found`) }) },
  { prefix: '/_component_template', absent: (name) => ({ status: 404, body: esErrorBody(404, 'resource_not_found_exception', `component template matching [${name}] not found`) }) },
  // Elasticsearch answers a missing legacy template with an empty object and 404.
  { prefix: '/_template', absent: () => ({ status: 404, body: {} }) },
  { prefix: '/_ilm/policy', absent: (name) => ({ status: 404, body: esErrorBody(404, 'resource_not_found_exception', `Lifecycle policy not found: ${name}`) }) },
];

const BULK_CONTENT_TYPES = new Set(['application/json', 'application/x-ndjson', 'application/vnd.elasticsearch+json', 'application/vnd.elasticsearch+x-ndjson']);

/**
 * `POST /_bulk` and `POST /<index>/_bulk`. Filebeat sends `application/json`, Fluent Bit, Vector and
 * Logstash `application/x-ndjson`, 8.x clients in compatibility mode the `vnd.elasticsearch` forms;
 * anything else gets Elasticsearch's 406. Records the store refuses get a per-item 400; the other
 * items are `201 created`, answered only once the store has committed them.
 */
export const bulkEndpoint: EndpointSpec = {
  name: 'bulk',
  protocol: 'elasticsearch',
  contentTypeProblem(contentType) {
    if (contentType === undefined || contentType.trim() === '') return undefined;
    const type = contentType.split(';')[0].trim().toLowerCase();
    if (BULK_CONTENT_TYPES.has(type)) return undefined;
    const reason = `Content-Type header [${type.slice(0, 80)}] is not supported; send the bulk body as application/x-ndjson or application/json`;
    return { status: 406, body: esErrorBody(406, 'media_type_header_exception', reason) };
  },
  async handle(body, write, request) {
    const parsed = await request.parse({ kind: 'bulk', body, receivedAt: request.receivedAt, ...(request.index === undefined ? {} : { defaultIndex: request.index }) });
    if (!parsed.ok) return { status: parsed.status, body: parsed.body, stored: 0, rejected: 0 };
    const written = await write(parsed.records);
    const failures = new Map<number, BulkFailure>();
    for (const [index, reason] of written.rejected) failures.set(index, { status: 400, type: 'document_parsing_exception', reason });
    const answer = bulkResponse(parsed, request.elapsedMs(), failures);
    return { status: 200, body: answer, stored: written.stored, rejected: parsed.items.length - parsed.records.length + failures.size };
  },
};
