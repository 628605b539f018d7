import { describe, expect, it } from 'vitest';
import { bulkResponse, invalidIndexName, parseBulk, type BulkOptions, type ParsedBulk } from '../../src/ingest/bulk.js';

const ms = (iso: string): number => Date.parse(iso);
const RECEIVED = ms('2024-06-01T00:00:00Z');
const ndjson = (...lines: unknown[]): string => `${lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n')}\n`;

function ids(): () => string {
  let n = 0;
  return () => `auto-${++n}`;
}

function parsed(body: string | Uint8Array, opts: BulkOptions = {}): ParsedBulk {
  const result = parseBulk(body, { receivedAt: RECEIVED, newId: ids(), year: 2024, ...opts });
  if (!result.ok) throw new Error(`request refused: ${JSON.stringify(result.body)}`);
  return result;
}

// Filebeat 8 (filestream input, default data stream): `create` actions, ECS documents with the
// raw line as `message` and the host/agent/ecs metadata Filebeat adds.
const filebeatDoc = (offset: number, line: string) => ({
  '@timestamp': '2024-05-01T10:00:00.123Z',
  message: line,
  log: { offset, file: { path: '/var/log/billing/app.log' } },
  input: { type: 'filestream' },
  ecs: { version: '8.0.0' },
  host: { name: 'billing-1', hostname: 'billing-1', architecture: 'x86_64', os: { family: 'debian', kernel: '6.1.0-18-amd64', type: 'linux' }, ip: ['10.0.0.7', 'fe80::1'], containerized: false },
  agent: { type: 'filebeat', version: '8.14.3', name: 'billing-1', id: '0f4a5a7e-1f53-4e0e-9a46-2a9f3c4b8c11', ephemeral_id: '6c0c7c9a-2f0e-4a4a-9d2e-51f8e3c7a9b0' },
});
const FILEBEAT = ndjson(
  { create: { _index: 'filebeat-8.14.3' } },
  filebeatDoc(10240, '2024-05-01 10:00:00,120 ERROR [pool-1] c.e.Billing - invoice 77 failed'),
  { create: { _index: 'filebeat-8.14.3' } },
  filebeatDoc(10321, '2024-05-01 10:00:00,122 INFO  [pool-1] c.e.Billing - retry scheduled'),
);

// Fluent Bit `es` output, Logstash_Format On (logstash-YYYY.MM.DD), Type _doc without
// Suppress_Type_Name; tail input with the kubernetes filter; the container's JSON line still in `log`.
const FLUENT_BIT = ndjson(
  { index: { _index: 'logstash-2024.05.01', _type: '_doc' } },
  {
    '@timestamp': '2024-05-01T10:00:00.123Z',
    log: '{"level":"warn","msg":"cache miss storm","keys":1200}\n',
    stream: 'stderr',
    time: '2024-05-01T10:00:00.120000000Z',
    kubernetes: { pod_name: 'cart-7d9f8c6b5-x2x9q', namespace_name: 'shop', container_name: 'cart', labels: { app: 'cart' }, host: 'node-2' },
  },
);

// Vector `elasticsearch` sink, mode bulk, bulk.action index, bulk.index vector-%Y.%m.%d, id_key set;
// a file source event (host, file, source_type, timestamp with nanoseconds).
const VECTOR = ndjson(
  { index: { _index: 'vector-2024.05.01', _id: 'evt-77' } },
  {
    file: '/var/log/nginx/error.log',
    host: 'edge-1',
    message: '2024/05/01 10:00:00 [error] 31#31: *7 connect() failed (111: Connection refused) while connecting to upstream',
    source_type: 'file',
    timestamp: '2024-05-01T10:00:00.123456789Z',
  },
);

describe('what shippers send', () => {
  it('Filebeat: create actions, ECS documents, level read from the raw line', () => {
    const bulk = parsed(FILEBEAT);
    expect(bulk.records).toHaveLength(2);
    expect(bulk.records[0]).toMatchObject({
      ts: ms('2024-05-01T10:00:00.123Z'),
      dataset: 'filebeat-8.14.3',
      level: 'error',
      host: 'billing-1',
      message: '2024-05-01 10:00:00,120 ERROR [pool-1] c.e.Billing - invoice 77 failed',
    });
    expect(bulk.records[0].attrs).toMatchObject({ 'log.offset': 10240, 'log.file.path': '/var/log/billing/app.log', 'agent.type': 'filebeat', 'host.ip': '["10.0.0.7","fe80::1"]', 'host.containerized': false });
    expect(bulk.records[0].attrs).not.toHaveProperty('host.name');
    expect(bulk.records[1].level).toBe('info');
    expect(bulkResponse(bulk, 7)).toEqual({
      took: 7,
      errors: false,
      items: [
        { create: { _index: 'filebeat-8.14.3', _id: 'auto-1', _version: 1, result: 'created', _shards: { total: 1, successful: 1, failed: 0 }, status: 201 } },
        { create: { _index: 'filebeat-8.14.3', _id: 'auto-2', _version: 1, result: 'created', _shards: { total: 1, successful: 1, failed: 0 }, status: 201 } },
      ],
    });
  });

  it('Fluent Bit: `_type` tolerated, the JSON line in `log` read as the record, Kubernetes app as service', () => {
    const bulk = parsed(FLUENT_BIT);
    expect(bulk.records).toEqual([
      {
        ts: ms('2024-05-01T10:00:00.123Z'),
        dataset: 'logstash-2024.05.01',
        service: 'cart',
        level: 'warn',
        message: 'cache miss storm',
        attrs: {
          keys: 1200,
          stream: 'stderr',
          time: '2024-05-01T10:00:00.120000000Z',
          'kubernetes.pod_name': 'cart-7d9f8c6b5-x2x9q',
          'kubernetes.namespace_name': 'shop',
          'kubernetes.container_name': 'cart',
          'kubernetes.host': 'node-2',
        },
      },
    ]);
    expect(bulk.items[0].index).toMatchObject({ _index: 'logstash-2024.05.01', _id: 'auto-1', status: 201 });
  });

  it('Vector: index action with its own _id, host as a string, nanosecond timestamp', () => {
    const bulk = parsed(VECTOR);
    expect(bulk.records[0]).toEqual({
      ts: ms('2024-05-01T10:00:00.123Z'),
      dataset: 'vector-2024.05.01',
      level: 'error',
      message: '2024/05/01 10:00:00 [error] 31#31: *7 connect() failed (111: Connection refused) while connecting to upstream',
      host: 'edge-1',
      attrs: { file: '/var/log/nginx/error.log', source_type: 'file' },
    });
    expect(bulk.items).toEqual([{ index: expect.objectContaining({ _index: 'vector-2024.05.01', _id: 'evt-77', status: 201 }) }]);
  });

  it('Logstash to a data stream: create into logs-generic-default, @version and data_stream kept as attributes', () => {
    const bulk = parsed(
      ndjson(
        { create: { _index: 'logs-generic-default' } },
        { '@timestamp': '2024-05-01T10:00:00.000Z', '@version': '1', message: 'GET /health 200', host: { name: 'ls-1' }, data_stream: { type: 'logs', dataset: 'generic', namespace: 'default' }, event: { original: 'GET /health 200' } },
      ),
    );
    expect(bulk.records[0]).toMatchObject({ dataset: 'logs-generic-default', host: 'ls-1', message: 'GET /health 200' });
    expect(bulk.records[0].attrs).toMatchObject({ '@version': '1', 'data_stream.dataset': 'generic', 'event.original': 'GET /health 200' });
  });

  it('uses the index of /<index>/_bulk for actions that name none', () => {
    const bulk = parsed(ndjson({ index: {} }, { message: 'a', '@timestamp': '2024-05-01T10:00:00Z' }, { index: { _index: 'other' } }, { message: 'b', '@timestamp': '2024-05-01T10:00:00Z' }), { defaultIndex: 'app-logs' });
    expect(bulk.records.map((r) => r.dataset)).toEqual(['app-logs', 'other']);
  });

  it('gives a document without a time the time it was received, and says so', () => {
    const bulk = parsed(ndjson({ index: { _index: 'x' } }, { message: 'no time' }));
    expect(bulk.records[0]).toMatchObject({ ts: RECEIVED, attrs: { 'telemcp.time_inferred': 'ingest_time' } });
  });
});

describe('per-item refusals, the rest accepted', () => {
  it('refuses update and delete per item (update consumes its payload line, delete has none)', () => {
    const bulk = parsed(
      ndjson(
        { index: { _index: 'logs' } },
        { message: 'one', '@timestamp': '2024-05-01T10:00:00Z' },
        { update: { _index: 'logs', _id: '5' } },
        { doc: { message: 'changed' } },
        { delete: { _index: 'logs', _id: '6' } },
        { create: { _index: 'logs' } },
        { message: 'two', '@timestamp': '2024-05-01T10:00:00Z' },
      ),
    );
    expect(bulk.records.map((r) => r.message)).toEqual(['one', 'two']);
    expect(bulk.recordItems).toEqual([0, 3]);
    expect(bulk.items[1]).toEqual({ update: { _index: 'logs', _id: '5', status: 400, error: { type: 'illegal_argument_exception', reason: expect.stringContaining('[update] actions are not supported') } } });
    expect(bulk.items[2]).toEqual({ delete: { _index: 'logs', _id: '6', status: 400, error: { type: 'illegal_argument_exception', reason: expect.stringContaining('append-only') } } });
    expect(bulkResponse(bulk, 1).errors).toBe(true);
  });

  it('refuses a malformed action line and skips its source, but not a following action', () => {
    const bulk = parsed(
      ndjson(
        'not json at all',
        { message: 'source of the broken action' },
        '{"index":{"_index":"logs"}', // cut short, followed directly by the next action
        { index: { _index: 'logs' } },
        { message: 'kept', '@timestamp': '2024-05-01T10:00:00Z' },
        { upsert: { _index: 'logs' } },
        { message: 'source of the unknown action' },
        ['an', 'array'],
        { message: 'source of the array action' },
      ),
    );
    expect(bulk.records.map((r) => r.message)).toEqual(['kept']);
    expect(bulk.items).toHaveLength(5);
    expect(bulk.items[0].index).toMatchObject({ status: 400, error: { type: 'x_content_parse_exception', reason: expect.stringContaining('Malformed action/metadata line [1]') } });
    expect(bulk.items[1].index).toMatchObject({ status: 400, error: { type: 'x_content_parse_exception', reason: expect.stringContaining('line [3]') } });
    expect(bulk.items[2].index).toMatchObject({ status: 201 });
    expect(bulk.items[3].index?.error).toEqual({ type: 'illegal_argument_exception', reason: 'Malformed action/metadata line [6], expected one of [create, delete, index, update] but found [upsert]' });
    expect(bulk.items[4].index?.error?.type).toBe('illegal_argument_exception');
  });

  it('refuses bad documents: not JSON, not an object, an unreadable @timestamp, a missing source', () => {
    const bulk = parsed(
      ndjson(
        { index: { _index: 'logs', _id: 'a' } },
        '{"message": "cut',
        { index: { _index: 'logs', _id: 'b' } },
        '"just a string"',
        { index: { _index: 'logs', _id: 'c' } },
        { '@timestamp': 'not-a-date', message: 'x' },
        { index: { _index: 'logs', _id: 'd' } },
        { message: 'fine', '@timestamp': 1714557600 },
        { create: { _index: 'logs', _id: 'e' } },
      ),
    );
    expect(bulk.records).toEqual([expect.objectContaining({ message: 'fine', ts: ms('2024-05-01T10:00:00Z') })]);
    const errors = bulk.items.map((item) => Object.values(item)[0]!.error?.type);
    expect(errors).toEqual(['document_parsing_exception', 'document_parsing_exception', 'document_parsing_exception', undefined, 'action_request_validation_exception']);
    expect(bulk.items[2].index?.error?.reason).toContain("failed to parse field [@timestamp] of type [date] in document with id 'c'");
    expect(bulk.items[4].create?.error?.reason).toBe('Validation Failed: 1: source is missing;');
  });

  it('refuses a missing or invalid index as Elasticsearch does', () => {
    const bulk = parsed(ndjson({ index: {} }, { message: 'x' }, { index: { _index: 'Logs' } }, { message: 'y' }, { index: { _index: '_internal' } }, { message: 'z' }));
    expect(bulk.records).toEqual([]);
    expect(bulk.items.map((item) => item.index?.error)).toEqual([
      { type: 'action_request_validation_exception', reason: 'Validation Failed: 1: index is missing;' },
      { type: 'invalid_index_name_exception', reason: 'Invalid index name [Logs], must be lowercase' },
      { type: 'invalid_index_name_exception', reason: "Invalid index name [_internal], must not start with '_', '-', or '+'" },
    ]);
    expect(invalidIndexName('a b')).toMatch(/must not contain/);
    expect(invalidIndexName('<logs-{now/d}>')).toMatch(/must not contain/);
    expect(invalidIndexName('x'.repeat(256))).toMatch(/too long, \(256 > 255\)/);
    expect(invalidIndexName('filebeat-8.14.3')).toBeUndefined();
  });
});

describe('body handling and limits', () => {
  it('reads CRLF line ends, a last line without its newline, blank lines between actions, and invalid UTF-8', () => {
    const body = Buffer.concat([Buffer.from('{"index":{"_index":"logs"}}\r\n{"message":"caf'), Buffer.from([0xff]), Buffer.from('","@timestamp":"2024-05-01T10:00:00Z"}\r\n\r\n{"index":{"_index":"logs"}}\n{"message":"last"}')]);
    const bulk = parsed(body);
    expect(bulk.records.map((r) => r.message)).toEqual(['caf\uFFFD', 'last']);
  });

  it('refuses a body with no action, and one over the action limit, as whole requests', () => {
    expect(parseBulk('\n\n')).toEqual({
      ok: false,
      status: 400,
      body: { error: { root_cause: [{ type: 'action_request_validation_exception', reason: 'Validation Failed: 1: no requests added;' }], type: 'action_request_validation_exception', reason: 'Validation Failed: 1: no requests added;' }, status: 400 },
    });
    const many = ndjson(...Array.from({ length: 4 }, () => [{ index: { _index: 'x' } }, { message: 'm' }]).flat());
    const refused = parseBulk(many, { maxActions: 3 });
    expect(refused).toMatchObject({ ok: false, status: 413, body: { status: 413, error: { reason: expect.stringContaining('more than 3 actions') } } });
    expect(parseBulk(many, { maxActions: 4 }).ok).toBe(true);
  });

  it('answers the records the store refused with the status and error given, the others created', () => {
    const bulk = parsed(FILEBEAT);
    const response = bulkResponse(bulk, 12, new Map([[1, { status: 429, type: 'es_rejected_execution_exception', reason: 'store is full; retry later' }]]));
    expect(response.errors).toBe(true);
    expect(response.items[0].create?.status).toBe(201);
    expect(response.items[1]).toEqual({ create: { _index: 'filebeat-8.14.3', _id: 'auto-2', status: 429, error: { type: 'es_rejected_execution_exception', reason: 'store is full; retry later' } } });
    expect(bulk.items[1].create?.status).toBe(201);
  });
});
