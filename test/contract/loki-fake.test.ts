/**
 * The Loki contract fake answers as Loki's HTTP API documents (see the header of
 * test/fakes/loki-fake.ts for the pages): shapes, defaults, LogQL semantics, limits and error
 * texts, through real HTTP on loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { sampleValue } from '../fakes/loki-fake.js';
import { startLokiFake, type LokiFakeHandle } from '../helpers/loki-env.js';

const S = 1_000_000_000n;
/** 2026-03-10T10:00:00Z in unix ns. */
const T0 = BigInt(Date.parse('2026-03-10T10:00:00.000Z')) * 1_000_000n;
const at = (seconds: number) => String(T0 + BigInt(seconds) * S);
const secs = (seconds: number) => Number(T0 / S) + seconds;

const A = 'team-a';
const B = 'team-b';

let loki: LokiFakeHandle;

interface StreamsBody {
  status: string;
  data: { resultType: string; result: { stream: Record<string, string>; values: [string, string][] }[]; stats: Record<string, unknown> };
}
interface MatrixBody {
  status: string;
  data: { resultType: string; result: { metric: Record<string, string>; values: [number, string][] }[] };
}
interface VectorBody {
  status: string;
  data: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
}

async function get(path: string, params: Record<string, string | string[]> = {}, tenant: string | null = A): Promise<{ status: number; text: string; type: string }> {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const one of [v].flat()) qs.append(k, one);
  const headers: Record<string, string> = tenant === null ? {} : { 'x-scope-orgid': tenant };
  const res = await fetch(`${loki.url}${path}?${qs}`, { headers });
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') ?? '' };
}

async function json<T>(path: string, params: Record<string, string | string[]>, tenant: string | null = A): Promise<T> {
  const res = await get(path, params, tenant);
  expect(res.status, res.text).toBe(200);
  return JSON.parse(res.text) as T;
}

const range = (query: string, extra: Record<string, string> = {}) => json<StreamsBody>('/loki/api/v1/query_range', { query, start: at(0), end: at(3600), ...extra });
const matrix = (query: string, extra: Record<string, string>) => json<MatrixBody>('/loki/api/v1/query_range', { query, ...extra });
/** Every returned line, in answer order within each stream, streams in answer order. */
const lines = (body: StreamsBody) => body.data.result.flatMap((r) => r.values.map((v) => v[1]));

beforeAll(async () => {
  // Loki 3's ingest-time discovery (service_name, detected_level) is on by default and has its
  // own tests below; off here so the LogQL expectations read against the pushed labels only.
  loki = await startLokiFake({ limits: { discoverServiceName: [], discoverLogLevels: false } });
  await loki.push(
    [
      {
        stream: { app: 'api', env: 'prod' },
        values: [
          [at(0), 'level=info msg="started" status=200 dur=5ms'],
          [at(10), 'level=error msg="db down" status=500 dur=1.5s'],
          [at(20), 'level=warn msg="slow" status=429 dur=250ms'],
          [at(30), 'level=error msg="db down again" status=503 dur=2s'],
        ],
      },
      {
        stream: { app: 'web', env: 'prod' },
        values: [
          [at(10), '{"level":"error","http":{"status":502,"path":"/cart"},"msg":"upstream failed"}', { trace_id: 'abc123' }],
          [at(15), '{"level":"info","http":{"status":200,"path":"/"},"msg":"ok"}'],
          [at(30), '{"level":"warn","http":{"status":404,"path":"/gone"},"msg":"missing"}', { trace_id: 'def456' }],
        ],
      },
      { stream: { app: 'db', env: 'dev' }, values: [[at(5), 'ERROR: Connection refused'], [at(25), 'checkpoint complete']] },
    ],
    A,
  );
  await loki.push([{ stream: { app: 'api', env: 'prod' }, values: [[at(12), 'tenant b only']] }], B);
});

afterAll(async () => {
  await loki?.close();
});

describe('tenancy', () => {
  it('refuses a request without X-Scope-OrgID with 401 "no org id"', async () => {
    for (const path of ['/loki/api/v1/query_range', '/loki/api/v1/labels', '/loki/api/v1/series']) {
      const res = await get(path, { query: '{app="api"}', 'match[]': '{app="api"}' }, null);
      expect(res.status).toBe(401);
      expect(res.text.trim()).toBe('no org id');
    }
    const push = await fetch(`${loki.url}/loki/api/v1/push`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"streams":[]}' });
    expect(push.status).toBe(401);
  });

  it('keeps each tenant to its own data', async () => {
    expect(lines(await range('{app="api"}', {}))).not.toContain('tenant b only');
    const b = await json<StreamsBody>('/loki/api/v1/query_range', { query: '{app="api"}', start: at(0), end: at(3600) }, B);
    expect(lines(b)).toEqual(['tenant b only']);
    const none = await json<StreamsBody>('/loki/api/v1/query_range', { query: '{app="api"}', start: at(0), end: at(3600) }, 'team-c');
    expect(none.data.result).toEqual([]);
    const labels = await json<{ data: string[] }>('/loki/api/v1/label/app/values', { start: at(0), end: at(3600) }, B);
    expect(labels.data).toEqual(['api']);
  });

  it('answers a multi-tenant header (a|b) 501: the fake reads one tenant per request', async () => {
    const res = await get('/loki/api/v1/labels', {}, `${A}|${B}`);
    expect(res.status).toBe(501);
  });

  it('plays an authenticating proxy when expectedAuthorization is set (Loki has no auth of its own)', async () => {
    loki.fake.expectedAuthorization = 'Bearer right';
    try {
      const wrong = await fetch(`${loki.url}/loki/api/v1/labels`, { headers: { 'x-scope-orgid': A, authorization: 'Bearer wrong' } });
      expect(wrong.status).toBe(401);
      const right = await fetch(`${loki.url}/loki/api/v1/labels`, { headers: { 'x-scope-orgid': A, authorization: 'Bearer right' } });
      expect(right.status).toBe(200);
    } finally {
      loki.fake.expectedAuthorization = undefined;
    }
  });

  it('uses the single tenant "fake" when auth is disabled', async () => {
    const open = await startLokiFake({ authEnabled: false });
    try {
      await open.push([{ stream: { job: 'x' }, values: [[at(1), 'hello']] }]);
      const res = await fetch(`${open.url}/loki/api/v1/query_range?${new URLSearchParams({ query: '{job="x"}', start: at(0), end: at(10) })}`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as StreamsBody;
      expect(lines(body)).toEqual(['hello']);
    } finally {
      await open.close();
    }
  });
});

describe('push', () => {
  it('answers 204 with no body to a valid JSON push', async () => {
    const res = await fetch(`${loki.url}/loki/api/v1/push`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-scope-orgid': 'push-tenant' }, body: JSON.stringify({ streams: [{ stream: { job: 'p' }, values: [[at(1), 'x']] }] }) });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
  });

  it('refuses invalid bodies with a plain-text 400', async () => {
    const post = (body: string) => fetch(`${loki.url}/loki/api/v1/push`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-scope-orgid': 'push-tenant' }, body });
    for (const body of ['{not json', '{"streams":{}}', '{"streams":[{"stream":{"job":"p"},"values":[[1,"x"]]}]}', '{"streams":[{"stream":{"job":"p"},"values":[["1"]]}]}']) {
      const res = await post(body);
      expect(res.status, body).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    }
    const empty = await post('{"streams":[{"stream":{},"values":[["1","x"]]}]}');
    expect(empty.status).toBe(400);
    expect(await empty.text()).toBe('error at least one label pair is required per stream');
  });

  it('takes a gzipped JSON body (Content-Encoding: gzip)', async () => {
    const body = gzipSync(JSON.stringify({ streams: [{ stream: { job: 'gz' }, values: [[at(1), 'zipped']] }] }));
    const res = await fetch(`${loki.url}/loki/api/v1/push`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', 'x-scope-orgid': 'push-tenant' }, body });
    expect(res.status).toBe(204);
    const read = await json<StreamsBody>('/loki/api/v1/query_range', { query: '{job="gz"}', start: at(0), end: at(10) }, 'push-tenant');
    expect(lines(read)).toEqual(['zipped']);
  });

  it('drops an entry identical to one already in its stream, as the ingester does', async () => {
    const h = await startLokiFake();
    try {
      await h.push([{ stream: { job: 'd' }, values: [[at(1), 'same'], [at(1), 'same'], [at(1), 'other']] }], 't');
      const res = await fetch(`${h.url}/loki/api/v1/query_range?${new URLSearchParams({ query: '{job="d"}', start: at(0), end: at(10) })}`, { headers: { 'x-scope-orgid': 't' } });
      expect(lines((await res.json()) as StreamsBody).sort()).toEqual(['other', 'same']);
    } finally {
      await h.close();
    }
  });
});

describe('log queries', () => {
  it('answer streams with [ns string, line] values and stats', async () => {
    const body = await range('{env="prod"}');
    expect(body.status).toBe('success');
    expect(body.data.resultType).toBe('streams');
    expect(body.data.stats).toHaveProperty('summary');
    const api = body.data.result.find((r) => r.stream.app === 'api');
    expect(api?.stream).toEqual({ app: 'api', env: 'prod' });
    expect(api?.values[0]).toEqual([at(30), 'level=error msg="db down again" status=503 dur=2s']);
    for (const r of body.data.result) for (const [ts, line] of r.values) expect(typeof ts === 'string' && typeof line === 'string').toBe(true);
  });

  it('apply the limit to the whole answer, newest first by default', async () => {
    const body = await range('{env="prod"}', { limit: '3' });
    const all = body.data.result.flatMap((r) => r.values.map(([ts]) => ts));
    expect(all).toHaveLength(3);
    expect(new Set(all)).toEqual(new Set([at(30), at(30), at(20)]));
    for (const r of body.data.result) expect(r.values.map(([ts]) => ts)).toEqual([...r.values.map(([ts]) => ts)].sort().reverse());
  });

  it('read oldest first with direction=forward, ties between streams by their labels', async () => {
    const body = await range('{env="prod"}', { limit: '2', direction: 'forward' });
    // at(0) api, then at(10) where api and web tie: the stream {app="api", …} sorts first.
    expect(body.data.result).toEqual([{ stream: { app: 'api', env: 'prod' }, values: [[at(0), 'level=info msg="started" status=200 dur=5ms'], [at(10), 'level=error msg="db down" status=500 dur=1.5s']] }]);
    const backward = await range('{env="prod"}', { limit: '1' });
    // at(30): api and web tie; the same tie rule picks api.
    expect(backward.data.result.map((r) => r.stream.app)).toEqual(['api']);
  });

  it('include start and exclude end', async () => {
    const body = await range('{app="api"}', { start: at(10), end: at(30) });
    expect(lines(body)).toEqual(['level=warn msg="slow" status=429 dur=250ms', 'level=error msg="db down" status=500 dur=1.5s']);
  });

  it('take start and end as ns, seconds, fractional seconds or RFC3339', async () => {
    const want = ['level=warn msg="slow" status=429 dur=250ms', 'level=error msg="db down" status=500 dur=1.5s'];
    expect(lines(await range('{app="api"}', { start: String(secs(10)), end: String(secs(30)) }))).toEqual(want);
    expect(lines(await range('{app="api"}', { start: `${secs(9)}.5`, end: `${secs(29)}.999` }))).toEqual(want);
    expect(lines(await range('{app="api"}', { start: '2026-03-10T10:00:10Z', end: '2026-03-10T10:00:30Z' }))).toEqual(want);
  });

  it('take `since` as the start before end; an explicit start wins', async () => {
    expect(lines(await range('{app="api"}', { start: '', end: at(30), since: '15s' }))).toEqual(['level=warn msg="slow" status=429 dur=250ms']);
    expect(lines(await range('{app="api"}', { start: at(25), end: at(31), since: '1h' }))).toEqual(['level=error msg="db down again" status=503 dur=2s']);
  });

  it('return one line per `interval` at most, across streams', async () => {
    const body = await range('{env="prod"}', { direction: 'forward', interval: '15s' });
    expect(body.data.result.flatMap((r) => r.values.map(([ts]) => ts)).sort()).toEqual([at(0), at(15), at(30)]);
  });

  it('refuse a time that is no timestamp, naming the parameter', async () => {
    const res = await get('/loki/api/v1/query_range', { query: '{app="api"}', start: 'yesterday' });
    expect(res).toMatchObject({ status: 400, text: 'could not parse \'start\' parameter: strconv.ParseInt: parsing "yesterday": invalid syntax' });
    const dir = await get('/loki/api/v1/query_range', { query: '{app="api"}', direction: 'sideways' });
    expect(dir).toMatchObject({ status: 400, text: "invalid direction 'sideways'" });
  });

  it('accept the form-encoded POST', async () => {
    const res = await fetch(`${loki.url}/loki/api/v1/query_range`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-scope-orgid': A },
      body: new URLSearchParams({ query: '{app="db"}', start: at(0), end: at(60) }).toString(),
    });
    expect(res.status).toBe(200);
    expect(lines((await res.json()) as StreamsBody)).toEqual(['checkpoint complete', 'ERROR: Connection refused']);
  });
});

describe('LogQL pipelines', () => {
  it('line filters: contains, not contains, regex, case-insensitive regex, backticks, chained', async () => {
    expect(lines(await range('{app="api"} |= "db down"'))).toHaveLength(2);
    expect(lines(await range('{app="api"} |= "db down" != "again"'))).toEqual(['level=error msg="db down" status=500 dur=1.5s']);
    expect(lines(await range('{app="api"} |~ `status=5\\d\\d`'))).toHaveLength(2);
    expect(lines(await range('{app="api"} |~ "status=5\\\\d\\\\d"'))).toHaveLength(2);
    expect(lines(await range('{app="api"} !~ "status=(2|4)\\\\d+"'))).toHaveLength(2);
    expect(lines(await range('{app="db"} |~ "(?i)connection REFUSED"'))).toEqual(['ERROR: Connection refused']);
    expect(lines(await range('{app="db"} |= "connection refused"'))).toEqual([]);
    expect(lines(await range('{app="api"} |= "slow" or "started"'))).toHaveLength(2);
    expect(lines(await range('{app="api"} != "slow" or "started"'))).toHaveLength(2);
  });

  it('stream selectors: regex matchers are anchored, negative matchers combine with a positive one', async () => {
    expect(lines(await range('{app=~"ap"}'))).toEqual([]);
    expect(lines(await range('{app=~"a.*"}'))).toHaveLength(4);
    expect(lines(await range('{env="prod", app!="web"}'))).toHaveLength(4);
    expect(lines(await range('{env=~"prod|dev", app!~"api|web"}'))).toHaveLength(2);
  });

  it('logfmt with numeric, duration and boolean label filters', async () => {
    expect(lines(await range('{app="api"} | logfmt | status >= 500'))).toHaveLength(2);
    expect(lines(await range('{app="api"} | logfmt | level="error" and status > 500'))).toEqual(['level=error msg="db down again" status=503 dur=2s']);
    expect(lines(await range('{app="api"} | logfmt | dur > 1s'))).toHaveLength(2);
    expect(lines(await range('{app="api"} | logfmt | dur >= 250ms, level!="error"'))).toEqual(['level=warn msg="slow" status=429 dur=250ms']);
    expect(lines(await range('{app="api"} | logfmt | (status == 200 or status == 429) and level=~"w.*"'))).toEqual(['level=warn msg="slow" status=429 dur=250ms']);
  });

  it('json flattens nested keys with _ and the parsed labels join the returned stream labels', async () => {
    const body = await range('{app="web"} | json | http_status >= 500');
    expect(body.data.result).toHaveLength(1);
    expect(body.data.result[0].stream).toEqual({ app: 'web', env: 'prod', http_path: '/cart', http_status: '502', level: 'error', msg: 'upstream failed', trace_id: 'abc123' });
  });

  it('a parse failure is kept and labelled __error__, and can be filtered out', async () => {
    const body = await range('{app="db"} | json');
    expect(body.data.result.every((r) => r.stream.__error__ === 'JSONParserErr')).toBe(true);
    expect(lines(await range('{app="db"} | json | __error__=""'))).toEqual([]);
  });

  it('structured metadata filters like a label and comes back in the stream labels', async () => {
    const body = await range('{app="web"} | trace_id="abc123"');
    expect(body.data.result).toEqual([{ stream: { app: 'web', env: 'prod', trace_id: 'abc123' }, values: [[at(10), '{"level":"error","http":{"status":502,"path":"/cart"},"msg":"upstream failed"}']] }]);
    const plain = await range('{app="web"}');
    expect(plain.data.result.map((r) => r.stream.trace_id ?? null).sort()).toEqual(['abc123', 'def456', null]);
  });

  it('line_format, label_format, keep and drop', async () => {
    expect(lines(await range('{app="api"} | logfmt | level="warn" | line_format "{{.level}}: {{ .msg }}"'))).toEqual(['warn: slow']);
    const renamed = await range('{app="api"} | logfmt | level="warn" | label_format severity=level | keep app, severity');
    expect(renamed.data.result[0].stream).toEqual({ app: 'api', severity: 'warn' });
    const templated = await range('{app="db"} |= "checkpoint" | label_format copy=`{{ __line__ }}` | drop env');
    expect(templated.data.result[0].stream).toEqual({ app: 'db', copy: 'checkpoint complete' });
  });
});

describe("the LogQL page's own examples", () => {
  let h: LokiFakeHandle;
  const DOC_JSON = '{"protocol":"HTTP/2.0","servers":["129.0.1.1","10.2.1.3"],"request":{"time":"6.032","method":"GET","host":"foo.grafana.net","size":"55","headers":{"Accept":"*/*","User-Agent":"curl/7.68.0"}},"response":{"status":401,"size":"228","latency_seconds":"6.031"}}';
  const DOC_LOGFMT = 'at=info method=GET path=/ host=grafana.net fwd="124.133.124.161" service=8ms status=200';
  const DROP_A = '{"app": "some-api-service", "level": "info", "method": "GET", "path": "/", "host": "grafana.net", "status": "200"}';
  const DROP_B = '{"app": "other-service", "level": "info", "method": "GET", "path": "/", "host": "grafana.net", "status": "200"}';
  beforeAll(async () => {
    h = await startLokiFake({ limits: { discoverServiceName: [], discoverLogLevels: false } });
    await h.push([{ stream: { job: 'doc' }, values: [[at(1), DOC_JSON], [at(2), DOC_LOGFMT]] }, { stream: { job: 'varlogs' }, values: [[at(1), DROP_A], [at(2), DROP_B]] }], 't');
  });
  afterAll(async () => {
    await h?.close();
  });
  const streams = async (query: string) => {
    const res = await fetch(`${h.url}/loki/api/v1/query_range?${new URLSearchParams({ query, start: at(0), end: at(10), direction: 'forward' })}`, { headers: { 'x-scope-orgid': 't' } });
    expect(res.status, query).toBe(200);
    return ((await res.json()) as StreamsBody).data.result;
  };

  it('| json flattens nested keys with _ and skips arrays', async () => {
    const [r] = await streams('{job="doc"} |= "protocol" | json');
    expect(r.stream).toEqual({
      job: 'doc',
      protocol: 'HTTP/2.0',
      request_time: '6.032',
      request_method: 'GET',
      request_host: 'foo.grafana.net',
      request_size: '55',
      request_headers_Accept: '*/*',
      request_headers_User_Agent: 'curl/7.68.0',
      response_status: '401',
      response_size: '228',
      response_latency_seconds: '6.031',
    });
  });

  it('| json keeps numbers as written and null as empty', async () => {
    const h2 = await startLokiFake({ limits: { discoverServiceName: [], discoverLogLevels: false } });
    try {
      await h2.push([{ stream: { job: 'n' }, values: [[at(1), '{"ratio": 6.0, "big": 1e3, "ok": true, "none": null, "esc": "a\\"b"}']] }], 't');
      const res = await fetch(`${h2.url}/loki/api/v1/query_range?${new URLSearchParams({ query: '{job="n"} | json', start: at(0), end: at(10) })}`, { headers: { 'x-scope-orgid': 't' } });
      expect(((await res.json()) as StreamsBody).data.result[0].stream).toEqual({ job: 'n', ratio: '6.0', big: '1e3', ok: 'true', none: '', esc: 'a"b' });
    } finally {
      await h2.close();
    }
  });

  it('| logfmt extracts every key', async () => {
    const [r] = await streams('{job="doc"} |= "at=info" | logfmt');
    expect(r.stream).toEqual({ job: 'doc', at: 'info', method: 'GET', path: '/', host: 'grafana.net', fwd: '124.133.124.161', service: '8ms', status: '200' });
  });

  it('a parsed key that is already a stream label gets _extracted; a bare logfmt key is skipped', async () => {
    const [r] = await streams('{job="doc"} |= "at=info" | line_format "job=parsed alone" | logfmt');
    expect(r.stream).toEqual({ job: 'doc', job_extracted: 'parsed' });
  });

  it('| drop with names and a matcher, as in the drop example', async () => {
    const result = await streams('{job="varlogs"} | json | drop level, path, app=~"some-api.*"');
    // Streams come sorted by their label sets: {app=…} before {host=…}.
    expect(result.map((r) => r.stream)).toEqual([
      { job: 'varlogs', app: 'other-service', host: 'grafana.net', method: 'GET', status: '200' },
      { job: 'varlogs', host: 'grafana.net', method: 'GET', status: '200' },
    ]);
  });

  it('`and` binds tighter than `or` in label filters (the engine, not the docs\' left-to-right)', async () => {
    // Left to right this would be (false or true) and false = no line; with `and` first it is
    // false or (true and false) … so pick values where the two readings differ.
    const q = '{job="varlogs"} | json | app="other-service" or method="GET" and status="500"';
    expect((await streams(q)).map((r) => r.stream.app)).toEqual(['other-service']);
    expect(await streams('{job="varlogs"} | json | (app="other-service" or method="GET") and status="500"')).toEqual([]);
  });
});

describe('metric queries', () => {
  it('count_over_time at each step counts the window (t − range, t]: an entry on a boundary counts once', async () => {
    const body = await matrix('count_over_time({app="api"}[10s])', { start: at(0), end: at(30), step: '10s' });
    expect(body.data.resultType).toBe('matrix');
    expect(body.data.result).toEqual([{ metric: { app: 'api', env: 'prod' }, values: [[secs(0), '1'], [secs(10), '1'], [secs(20), '1'], [secs(30), '1']] }]);
    const wide = await matrix('count_over_time({app="api"}[20s])', { start: at(0), end: at(30), step: '10' });
    expect(wide.data.result[0].values).toEqual([[secs(0), '1'], [secs(10), '2'], [secs(20), '2'], [secs(30), '2']]);
  });

  it('steps run from start while ≤ end; windows with no entry have no point', async () => {
    const body = await matrix('count_over_time({app="db"}[5s])', { start: at(0), end: at(29), step: '5s' });
    expect(body.data.result[0].values).toEqual([[secs(5), '1'], [secs(25), '1']]);
  });

  it('rate, bytes_over_time and bytes_rate', async () => {
    const rate = await matrix('rate({app="api"}[20s])', { start: at(30), end: at(30), step: '1s' });
    expect(rate.data.result[0].values).toEqual([[secs(30), '0.1']]);
    const bytes = await matrix('bytes_over_time({app="db"}[10s])', { start: at(5), end: at(5), step: '1s' });
    expect(bytes.data.result[0].values).toEqual([[secs(5), String(Buffer.byteLength('ERROR: Connection refused'))]]);
    const bytesRate = await matrix('bytes_rate({app="db"}[10s])', { start: at(5), end: at(5), step: '1s' });
    expect(bytesRate.data.result[0].values).toEqual([[secs(5), String(Buffer.byteLength('ERROR: Connection refused') / 10)]]);
  });

  it('offset shifts the window back', async () => {
    const body = await matrix('count_over_time({app="api"}[10s] offset 10s)', { start: at(20), end: at(20), step: '1s' });
    expect(body.data.result[0].values).toEqual([[secs(20), '1']]);
  });

  it('sum by, sum without, count, avg, min, max', async () => {
    const q = (agg: string) => matrix(agg, { start: at(30), end: at(30), step: '1s' });
    const win = 'count_over_time({env=~".+"}[1m])';
    expect((await q(`sum by (env) (${win})`)).data.result).toEqual([
      { metric: { env: 'dev' }, values: [[secs(30), '2']] },
      { metric: { env: 'prod' }, values: [[secs(30), '7']] },
    ]);
    expect((await q(`sum(${win}) by (env)`)).data.result.map((r) => r.metric.env)).toEqual(['dev', 'prod']);
    // Structured metadata is part of a series' labels: web's lines make three series.
    expect((await q(`sum without (app) (${win})`)).data.result).toEqual([
      { metric: { env: 'dev' }, values: [[secs(30), '2']] },
      { metric: { env: 'prod' }, values: [[secs(30), '5']] },
      { metric: { env: 'prod', trace_id: 'abc123' }, values: [[secs(30), '1']] },
      { metric: { env: 'prod', trace_id: 'def456' }, values: [[secs(30), '1']] },
    ]);
    expect((await q(`count(${win})`)).data.result).toEqual([{ metric: {}, values: [[secs(30), '5']] }]);
    expect((await q(`avg(${win})`)).data.result[0].values[0][1]).toBe('1.8');
    expect((await q(`max(${win})`)).data.result[0].values[0][1]).toBe('4');
    expect((await q(`min(${win})`)).data.result[0].values[0][1]).toBe('1');
  });

  it('topk and bottomk keep the original series labels', async () => {
    const top = await matrix('topk(1, sum by (app) (count_over_time({env=~".+"}[1m])))', { start: at(30), end: at(30), step: '1s' });
    expect(top.data.result).toEqual([{ metric: { app: 'api' }, values: [[secs(30), '4']] }]);
    const bottom = await matrix('bottomk(1, sum by (app) (count_over_time({env=~".+"}[1m])))', { start: at(30), end: at(30), step: '1s' });
    expect(bottom.data.result).toEqual([{ metric: { app: 'db' }, values: [[secs(30), '2']] }]);
    const perSeries = await matrix('topk(2, count_over_time({app="web"}[1m]))', { start: at(30), end: at(30), step: '1s' });
    expect(perSeries.data.result).toHaveLength(2);
  });

  it('metric series carry parsed labels and structured metadata', async () => {
    const body = await matrix('sum by (level) (count_over_time({app="api"} | logfmt [1m]))', { start: at(30), end: at(30), step: '1s' });
    expect(body.data.result).toEqual([
      { metric: { level: 'error' }, values: [[secs(30), '2']] },
      { metric: { level: 'info' }, values: [[secs(30), '1']] },
      { metric: { level: 'warn' }, values: [[secs(30), '1']] },
    ]);
  });

  it('default step is max(floor(range / 250 s), 1 s)', async () => {
    const body = await matrix('count_over_time({app="api"}[1h])', { start: at(0), end: at(3600) });
    const times = body.data.result[0].values.map(([t]) => t);
    expect(times[1] - times[0]).toBe(14);
  });

  it('instant queries give a vector at `time`; a log query is refused as Loki 3 refuses it', async () => {
    const body = await json<VectorBody>('/loki/api/v1/query', { query: 'sum by (app) (count_over_time({env="prod"}[30s]))', time: at(30) });
    expect(body.data.resultType).toBe('vector');
    expect(body.data.result).toEqual([
      { metric: { app: 'api' }, value: [secs(30), '3'] },
      { metric: { app: 'web' }, value: [secs(30), '3'] },
    ]);
    const byApp = 'sum by (app) (count_over_time({env=~".+"}[1m]))';
    const desc = await json<VectorBody>('/loki/api/v1/query', { query: `sort_desc(${byApp})`, time: at(30) });
    expect(desc.data.result.map((r) => r.metric.app)).toEqual(['api', 'web', 'db']);
    const asc = await json<VectorBody>('/loki/api/v1/query', { query: `sort(${byApp})`, time: at(30) });
    expect(asc.data.result.map((r) => r.value[1])).toEqual(['2', '3', '4']);
    const log = await get('/loki/api/v1/query', { query: '{app="api"}', time: at(30) });
    expect(log.status).toBe(400);
    expect(log.text).toBe('log queries are not supported as an instant query type, please change your query to a range query type');
  });

  it('refuses a metric query whose pipeline left __error__ on a line', async () => {
    const res = await get('/loki/api/v1/query_range', { query: 'count_over_time({app="db"} | json [1m])', start: at(0), end: at(60), step: '60s' });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/^pipeline error: 'JSONParserErr' for series/);
  });
});

describe('discovery', () => {
  it('labels, label values (optionally under a selector) and series', async () => {
    const window = { start: at(0), end: at(3600) };
    expect((await json<{ status: string; data: string[] }>('/loki/api/v1/labels', window)).data).toEqual(['app', 'env']);
    expect((await json<{ data: string[] }>('/loki/api/v1/label/app/values', window)).data).toEqual(['api', 'db', 'web']);
    expect((await json<{ data: string[] }>('/loki/api/v1/label/app/values', { ...window, query: '{env="prod"}' })).data).toEqual(['api', 'web']);
    const series = await json<{ status: string; data: Record<string, string>[] }>('/loki/api/v1/series', { ...window, 'match[]': ['{env="prod"}', '{app="db"}'] });
    expect(series).toEqual({ status: 'success', data: [{ app: 'api', env: 'prod' }, { app: 'db', env: 'dev' }, { app: 'web', env: 'prod' }] });
  });

  it('series also takes a form POST; `since` sets the start of discovery windows', async () => {
    const res = await fetch(`${loki.url}/loki/api/v1/series`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-scope-orgid': A },
      body: new URLSearchParams([['match[]', '{app="db"}'], ['start', at(0)], ['end', at(60)]]).toString(),
    });
    expect(((await res.json()) as { data: unknown[] }).data).toEqual([{ app: 'db', env: 'dev' }]);
    expect((await json<{ data: string[] }>('/loki/api/v1/label/app/values', { end: at(20), since: '10s' })).data).toEqual(['api', 'web']);
    // No match[] (or a lone {}) lists every stream: what the server does, though the docs ask for one.
    const every = await json<{ data: unknown[] }>('/loki/api/v1/series', { start: at(0), end: at(60) });
    expect(every.data).toHaveLength(3);
    expect((await json<{ data: unknown[] }>('/loki/api/v1/series', { start: at(0), end: at(60), match: '{ }' })).data).toHaveLength(3);
  });

  it("look at the last hour by default (the server's default; the docs say 6h) and only at streams with entries in the window", async () => {
    expect((await json<{ data: string[] }>('/loki/api/v1/labels', {})).data).toEqual([]);
    expect((await json<{ data: string[] }>('/loki/api/v1/label/app/values', { start: at(26), end: at(3600) })).data).toEqual(['api', 'web']);
  });

  it('refuse pipelines where only label matchers are supported', async () => {
    const res = await get('/loki/api/v1/series', { 'match[]': '{app="api"} |= "x"', start: at(0), end: at(60) });
    expect(res).toMatchObject({ status: 400, text: 'only label matchers are supported' });
  });
});

describe("Loki 3's ingest-time discovery (on by default)", () => {
  let h: LokiFakeHandle;
  beforeAll(async () => {
    h = await startLokiFake();
    await h.push(
      [
        { stream: { app: 'api', env: 'prod' }, values: [[at(1), 'level=WARNING msg="disk"'], [at(2), 'lvl=err msg="x"'], [at(3), 'nothing to see'], [at(4), 'an [ERROR] happened']] },
        { stream: { job: 'batch' }, values: [[at(1), '{"log":{"level":"debug"},"msg":"nested"}'], [at(2), '{"a":{"b":{"level":"warn"}}}'], [at(3), 'x', { detected_level: 'ERR' }]] },
        { stream: { host: 'h1' }, values: [[at(1), 'started informational mode']] },
        { stream: { level: 'Fatal', service_name: 'kept' }, values: [[at(1), 'level=info']] },
      ],
      't',
    );
  });
  afterAll(async () => {
    await h?.close();
  });
  const read = async (query: string) => {
    const res = await fetch(`${h.url}/loki/api/v1/query_range?${new URLSearchParams({ query, start: at(0), end: at(10), direction: 'forward' })}`, { headers: { 'x-scope-orgid': 't' } });
    expect(res.status).toBe(200);
    return ((await res.json()) as StreamsBody).data.result.flatMap((r) => r.values.map(([, line]) => ({ line, labels: r.stream })));
  };

  it('adds service_name from the first listed label, or unknown_service, and keeps one already given', async () => {
    const res = await fetch(`${h.url}/loki/api/v1/label/service_name/values?${new URLSearchParams({ start: at(0), end: at(10) })}`, { headers: { 'x-scope-orgid': 't' } });
    expect(((await res.json()) as { data: string[] }).data).toEqual(['api', 'batch', 'kept', 'unknown_service']);
  });

  it('adds detected_level from logfmt, JSON (two levels deep), labels or keywords, normalised', async () => {
    const levels = Object.fromEntries((await read('{service_name=~".+"}')).map((e) => [e.line, e.labels.detected_level]));
    expect(levels).toEqual({
      'level=WARNING msg="disk"': 'warn',
      'lvl=err msg="x"': 'error',
      'nothing to see': 'unknown',
      'an [ERROR] happened': 'error',
      '{"log":{"level":"debug"},"msg":"nested"}': 'debug',
      '{"a":{"b":{"level":"warn"}}}': 'unknown',
      x: 'error',
      'started informational mode': 'info',
      'level=info': 'fatal',
    });
  });

  it('detected_level is structured metadata: filterable, not a stream label', async () => {
    expect((await read('{app="api"} | detected_level="error"')).map((e) => e.line)).toEqual(['lvl=err msg="x"', 'an [ERROR] happened']);
    const res = await fetch(`${h.url}/loki/api/v1/labels?${new URLSearchParams({ start: at(0), end: at(10) })}`, { headers: { 'x-scope-orgid': 't' } });
    expect(((await res.json()) as { data: string[] }).data).toEqual(['app', 'env', 'host', 'job', 'level', 'service_name']);
  });
});

describe('sample values', () => {
  it('are written as Go writes them, never in exponent form', async () => {
    expect(sampleValue(1 / 1_209_600)).toBe('0.0000008267195767195768');
    expect(sampleValue(1e21)).toBe('1000000000000000000000');
    expect(sampleValue(0.1)).toBe('0.1');
    const body = await matrix('rate({app="db"}[2w])', { start: at(30), end: at(30), step: '1s' });
    expect(body.data.result[0].values).toEqual([[secs(30), '0.0000016534391534391535']]);
  });
});

describe('LogQL the fake does not evaluate', () => {
  it('is answered 501 with its name, never as a different query', async () => {
    for (const query of ['{app="api"} | pattern "<ip> <_>"', 'sum_over_time({app="api"} | logfmt | unwrap dur [1m])', 'sum(count_over_time({app="api"}[1m])) / 2', 'sum(count_over_time({app="api"}[1m]) > 1)', '{app="api"} | line_format "{{ .msg | ToUpper }}"', '{app="api"} | json msg="message"', '{app="api"} |> "<_> error <_>"']) {
      const res = await get('/loki/api/v1/query_range', { query, start: at(0), end: at(60), step: '60s' });
      expect(res.status, query).toBe(501);
      expect(res.text).toMatch(/^not implemented by the Loki contract fake: /);
    }
  });
});

describe('errors and limits', () => {
  const expect400 = async (params: Record<string, string>, text: string | RegExp, path = '/loki/api/v1/query_range') => {
    const res = await get(path, params);
    expect(res.status, res.text).toBe(400);
    expect(res.type).toMatch(/^text\/plain/);
    if (typeof text === 'string') expect(res.text).toBe(text);
    else expect(res.text).toMatch(text);
  };

  it('parse errors name line and column', async () => {
    await expect400({ query: '{app="api"' }, 'parse error at line 1, col 11: syntax error: unexpected $end, expecting } or ,');
    await expect400({ query: '{app="api}' }, 'parse error at line 1, col 6: literal not terminated');
    await expect400({ query: '{app="api"} |~' }, 'parse error at line 1, col 15: syntax error: unexpected $end, expecting STRING or ip');
    await expect400({ query: '{app="api"} "foo"' }, 'parse error at line 1, col 13: syntax error: unexpected STRING');
    await expect400({ query: '{app="api"} foo' }, 'parse error at line 1, col 13: syntax error: unexpected IDENTIFIER');
    await expect400({ query: '{app=api}' }, 'parse error at line 1, col 6: syntax error: unexpected IDENTIFIER, expecting STRING');
    // Loki's own parser tests (pkg/logql/syntax/parser_test.go) give these.
    await expect400({ query: 'rate({ foo = "bar" }[5minutes])' }, 'parse error at line 0, col 21: unknown unit "minutes" in duration "5minutes"');
    await expect400({ query: 'rate({ foo = "bar" }[5)' }, "parse error at line 0, col 21: missing closing ']' in duration");
    await expect400({ query: 'topk(count_over_time({ foo = "bar" }[5h]))' }, 'parse error : parameter required for operation topk');
    await expect400({ query: 'bottomk(1.2,count_over_time({ foo = "bar" }[5h]))' }, 'parse error : invalid parameter bottomk(1.2,');
    await expect400({ query: 'sum(3 ,count_over_time({ foo = "bar" }[5h]))' }, 'parse error : unsupported parameter for operation sum(3,');
    await expect400({ query: 'bottomk(he,count_over_time({ foo = "bar" }[5h]))' }, 'parse error at line 1, col 9: syntax error: unexpected IDENTIFIER');
  });

  it('a # comment runs to the end of its line', async () => {
    const body = await json<StreamsBody>('/loki/api/v1/query_range', { query: '{app="db"} # only the db\n|= "checkpoint"', start: at(0), end: at(60) });
    expect(lines(body)).toEqual(['checkpoint complete']);
  });

  it('a selector needs a matcher that does not match the empty string', async () => {
    const text = 'parse error : queries require at least one regexp or equality matcher that does not have an empty-compatible value. For instance, app=~".*" does not meet this requirement, but app=~".+" will';
    for (const query of ['{app=~".*"}', '{app!="api"}', '{app!~"a|b"}', '{app=""}']) await expect400({ query }, text);
  });

  it('regexps RE2 cannot compile are refused', async () => {
    await expect400({ query: '{app="api"} |~ "(?=x)"' }, /error parsing regexp: invalid or unsupported Perl syntax/);
    await expect400({ query: '{app=~"(a)\\\\1"}' }, /error parsing regexp: invalid escape sequence/);
  });

  it('limit above max_entries_limit_per_query, or not positive', async () => {
    await expect400({ query: '{app="api"}', limit: '5001' }, 'max entries limit per query exceeded, limit > max_entries_limit_per_query (5001 > 5000)');
    await expect400({ query: '{app="api"}', limit: '0' }, 'limit must be a positive value');
  });

  it('a range longer than max_query_length (721h)', async () => {
    await expect400({ query: '{app="api"}', start: at(0), end: String(T0 + 722n * 3600n * S), step: '1h' }, 'the query time range exceeds the limit (query length: 722h0m0s, limit: 30d1h)');
  });

  it('start after end, zero step, too many points', async () => {
    await expect400({ query: '{app="api"}', start: at(10), end: at(0) }, 'end timestamp must not be before or equal to start time');
    await expect400({ query: 'count_over_time({app="api"}[1m])', start: at(0), end: at(60), step: '0' }, 'zero or negative query resolution step widths are not accepted. Try a positive integer');
    await expect400({ query: 'count_over_time({app="api"}[1m])', start: at(0), end: at(11_001), step: '1s' }, 'exceeded maximum resolution of 11,000 points per time series. Try increasing the value of the step parameter');
  });

  it('max_query_lookback: a range wholly before it is answered empty, one reaching into it is cut', async () => {
    const recent = await startLokiFake({ limits: { maxQueryLookbackHours: 1 } });
    try {
      const now = BigInt(Date.now()) * 1_000_000n;
      await recent.push([{ stream: { job: 'lb' }, values: [[String(now - 2n * 3600n * S), 'too old'], [String(now - 60n * S), 'recent']] }], 't');
      const q = async (start: bigint, end: bigint) => {
        const res = await fetch(`${recent.url}/loki/api/v1/query_range?${new URLSearchParams({ query: '{job="lb"}', start: String(start), end: String(end) })}`, { headers: { 'x-scope-orgid': 't' } });
        expect(res.status).toBe(200);
        return lines((await res.json()) as StreamsBody);
      };
      expect(await q(now - 3n * 3600n * S, now - 90n * 60n * S)).toEqual([]);
      expect(await q(now - 3n * 3600n * S, now)).toEqual(['recent']);
    } finally {
      await recent.close();
    }
  });

  it('more series than max_query_series in a metric answer', async () => {
    const small = await startLokiFake({ limits: { maxQuerySeries: 2 } });
    try {
      await small.push([{ stream: { app: 'a' }, values: [[at(1), 'x']] }, { stream: { app: 'b' }, values: [[at(1), 'x']] }, { stream: { app: 'c' }, values: [[at(1), 'x']] }], 't');
      const q = (query: string) => fetch(`${small.url}/loki/api/v1/query_range?${new URLSearchParams({ query, start: at(0), end: at(10), step: '10s' })}`, { headers: { 'x-scope-orgid': 't' } });
      const res = await q('count_over_time({app=~".+"}[10s])');
      expect(res.status).toBe(400);
      expect(await res.text()).toBe('maximum number of series (2) reached for a single query; consider reducing query cardinality by adding more specific stream selectors, reducing the time range, or aggregating results with functions like sum(), count() or topk()');
      expect((await q('sum(count_over_time({app=~".+"}[10s]))')).status).toBe(200);
    } finally {
      await small.close();
    }
  });
});

describe('failure modes', () => {
  it('stopped: connections are refused; server_error: 5xx; back to normal after', async () => {
    await loki.fake.setFault('stopped');
    await expect(fetch(`${loki.url}/ready`)).rejects.toThrow();
    await loki.fake.setFault('server_error');
    expect((await get('/loki/api/v1/labels')).status).toBe(500);
    await loki.fake.setFault('none');
    expect(await get('/ready', {}, null)).toMatchObject({ status: 200, text: 'ready\n' });
  });

  it('slow: the answer is held, so a client that gives up first gets nothing', async () => {
    loki.fake.reset();
    loki.fake.slowMs = 60_000;
    await loki.fake.setFault('slow');
    try {
      const controller = new AbortController();
      const pending = fetch(`${loki.url}/loki/api/v1/labels`, { headers: { 'x-scope-orgid': A }, signal: controller.signal });
      await expect.poll(() => loki.fake.requests.length).toBe(1);
      controller.abort();
      await expect(pending).rejects.toThrow();
      await expect.poll(() => loki.fake.clientAborts).toBe(1);
    } finally {
      await loki.fake.setFault('none');
    }
  });

  it('records requests, with the tenant header', async () => {
    loki.fake.reset();
    await get('/loki/api/v1/labels', {}, 'seen-tenant');
    expect(loki.fake.requests).toHaveLength(1);
    expect(loki.fake.requests[0]).toMatchObject({ method: 'GET', path: '/loki/api/v1/labels' });
    expect(loki.fake.requests[0].headers['x-scope-orgid']).toBe('seen-tenant');
  });

  it('buildinfo names a 3.x version', async () => {
    const body = await json<{ version: string; goVersion: string }>('/loki/api/v1/status/buildinfo', {}, null);
    expect(body.version).toMatch(/^3\./);
    expect(body.goVersion).toMatch(/^go/);
  });
});
