import { SearchEngine } from './search-engine.js';
import { levelVariants } from '../../core/log-levels.js';

/**
 * Which fields hold a log's time, service, level, message, trace id and host, per index pattern.
 * ECS (`@timestamp`, `service.name`, `log.level`, `message`, `trace.id`, `host.name`), the flat
 * names of seed 000 (`timestamp`, `service_name`, `log_level`, `trace_id`) and a few common others are
 * recognised from `_field_caps`; LOG_FIELDS names fields explicitly. For text fields the keyword
 * sub-field (`message.keyword`) is found too, because filters and aggregations need it.
 */
export type LogRole = 'timestamp' | 'service' | 'level' | 'message' | 'trace_id' | 'host';
export const LOG_ROLES: readonly LogRole[] = ['timestamp', 'service', 'level', 'message', 'trace_id', 'host'];

const CANDIDATES: Record<LogRole, string[]> = {
  timestamp: ['@timestamp', 'timestamp', 'time', 'event.created'],
  service: ['service.name', 'service_name', 'service', 'app', 'application'],
  level: ['log.level', 'log_level', 'level', 'severity', 'severity_text', 'loglevel'],
  message: ['message', 'msg', 'log.message', 'body'],
  trace_id: ['trace.id', 'trace_id', 'traceId', 'trace'],
  host: ['host.name', 'host.hostname', 'hostname', 'host', 'agent.hostname'],
};

const KEYWORD_TYPES = new Set(['keyword', 'constant_keyword', 'wildcard']);
const TEXT_TYPES = new Set(['text', 'match_only_text']);
const DATE_TYPES = new Set(['date', 'date_nanos']);

/** A field as stored (`name`, for reading _source) and how to query it. */
export interface LogField {
  name: string;
  /** Exact-value field for term filters and aggregations (`service.name`, `message.keyword`). */
  keyword?: string;
  /** Analysed field for full-text matching. */
  text?: string;
}

export interface LogFields {
  /** Indices the pattern resolved to when the caps were read. */
  indexCount: number;
  timestamp?: { name: string; nanos: boolean };
  service?: LogField;
  level?: LogField;
  message?: LogField;
  trace_id?: LogField;
  host?: LogField;
  /** Problems worth telling the caller (a LOG_FIELDS name that does not exist, …). */
  notes: string[];
}

export type FieldCaps = {
  indices?: string[];
  fields?: Record<string, Record<string, { type: string; indices?: string[] | null }>>;
};

export interface LogFieldOverrides {
  overrides: Partial<Record<LogRole, string>>;
  problems: string[];
}

const ROLE_ALIASES: Record<string, LogRole> = { timestamp: 'timestamp', time: 'timestamp', service: 'service', level: 'level', message: 'message', trace_id: 'trace_id', trace: 'trace_id', host: 'host' };
const FIELD_NAME = /^[A-Za-z0-9@_][A-Za-z0-9@_.-]{0,127}$/;

/** `timestamp=ts,service=app,level=severity,message=msg,trace_id=trace,host=node` (any subset). */
export function parseLogFieldsSetting(value: string | undefined): LogFieldOverrides {
  const out: LogFieldOverrides = { overrides: {}, problems: [] };
  for (const item of (value ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const [rawRole, field, extra] = item.split('=').map((s) => s.trim());
    const role = ROLE_ALIASES[rawRole?.toLowerCase() ?? ''];
    if (!role || !field || extra !== undefined || !FIELD_NAME.test(field)) {
      out.problems.push(`LOG_FIELDS entry "${item.slice(0, 80)}" is not role=field with role one of timestamp, service, level, message, trace_id, host`);
      continue;
    }
    out.overrides[role] = field;
  }
  return out;
}

/** The `fields` parameter for _field_caps: every candidate and its sub-fields. */
export function fieldCapsRequestFields(overrides: Partial<Record<LogRole, string>>): string {
  const names = new Set<string>();
  for (const role of LOG_ROLES) {
    for (const name of [overrides[role], ...CANDIDATES[role]]) {
      if (!name) continue;
      names.add(name);
      if (role !== 'timestamp') names.add(`${name}.*`);
    }
  }
  return [...names].join(',');
}

function mappedTypes(entry: Record<string, { type: string }> | undefined): string[] {
  return Object.keys(entry ?? {}).filter((t) => t !== 'unmapped');
}

/** How many of the resolved indices map the field (include_unmapped lists the others). */
function coverage(caps: FieldCaps, name: string, indexCount: number): number {
  const entry = caps.fields?.[name];
  if (!entry || !mappedTypes(entry).length) return 0;
  return Math.max(1, indexCount - (entry.unmapped?.indices?.length ?? 0));
}

function keywordSubfield(caps: FieldCaps, name: string): string | undefined {
  const subs = Object.keys(caps.fields ?? {}).filter((f) => f.startsWith(`${name}.`) && !f.slice(name.length + 1).includes('.'));
  const keywordish = subs.filter((f) => {
    const types = mappedTypes(caps.fields?.[f]);
    return types.length > 0 && types.every((t) => KEYWORD_TYPES.has(t));
  });
  return keywordish.find((f) => f === `${name}.keyword`) ?? keywordish.find((f) => f === `${name}.raw`) ?? keywordish.sort()[0];
}

function describeField(caps: FieldCaps, name: string): LogField | undefined {
  const types = mappedTypes(caps.fields?.[name]);
  if (!types.length) return undefined;
  if (types.every((t) => KEYWORD_TYPES.has(t))) return { name, keyword: name };
  if (types.every((t) => KEYWORD_TYPES.has(t) || TEXT_TYPES.has(t))) {
    // Text in some indices (or all): exact filters and aggregations need a keyword sub-field.
    return { name, text: name, keyword: keywordSubfield(caps, name) };
  }
  return undefined;
}

/** Picks a field per role from _field_caps: the override when it exists, else the candidate most indices map. */
export function pickLogFields(caps: FieldCaps, overrides: Partial<Record<LogRole, string>> = {}): LogFields {
  const indexCount = caps.indices?.length ?? 0;
  const out: LogFields = { indexCount, notes: [] };
  for (const role of LOG_ROLES) {
    const override = overrides[role];
    const candidates = override ? [override, ...CANDIDATES[role].filter((c) => c !== override)] : CANDIDATES[role];
    let best: { name: string; cover: number } | undefined;
    for (const name of candidates) {
      const valid = role === 'timestamp' ? mappedTypes(caps.fields?.[name]).every((t) => DATE_TYPES.has(t)) : describeField(caps, name) !== undefined;
      const cover = valid ? coverage(caps, name, indexCount) : 0;
      if (cover === 0) continue;
      if (name === override) {
        best = { name, cover: Infinity };
        break;
      }
      if (!best || cover > best.cover) best = { name, cover };
    }
    if (override && best?.name !== override && indexCount > 0) {
      out.notes.push(`LOG_FIELDS ${role}=${override} is not a usable field in this index pattern${best ? `; used ${best.name}` : ''}`);
    }
    if (!best) continue;
    if (role === 'timestamp') out.timestamp = { name: best.name, nanos: mappedTypes(caps.fields?.[best.name]).includes('date_nanos') };
    else out[role] = describeField(caps, best.name);
  }
  return out;
}

const CACHE_TTL_MS = 60_000;
const CACHE_MAX = 200;
const caches = new WeakMap<SearchEngine, Map<string, { at: number; fields: LogFields }>>();

/**
 * Detected fields for an index expression that already passed the index guard. Cached per
 * engine for a minute: mappings change rarely, and every search would otherwise pay for it.
 */
export async function detectLogFields(es: SearchEngine, canonicalIndices: string, setting: string | undefined, signal: AbortSignal): Promise<LogFields> {
  let cache = caches.get(es);
  if (!cache) caches.set(es, (cache = new Map()));
  const key = `${canonicalIndices}\n${setting ?? ''}`;
  const hit = cache.get(key);
  if (hit && Date.now() - hit.at < CACHE_TTL_MS) return hit.fields;
  const { overrides, problems } = parseLogFieldsSetting(setting);
  const caps = await es.get<FieldCaps>(`/${SearchEngine.encodeIndices(canonicalIndices)}/_field_caps`, signal, {
    fields: fieldCapsRequestFields(overrides),
    include_unmapped: true,
    ignore_unavailable: true,
    allow_no_indices: true,
    expand_wildcards: 'open',
  });
  const fields = pickLogFields(caps, overrides);
  fields.notes.unshift(...problems);
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value as string);
  cache.set(key, { at: Date.now(), fields });
  return fields;
}

/** Reads a field from _source whether it is nested (`{"service":{"name":…}}`), dotted (`{"service.name":…}`) or mixed. */
export function readSource(source: unknown, path: string, depth = 0): unknown {
  if (source === null || typeof source !== 'object' || Array.isArray(source) || depth > 16) return undefined;
  const obj = source as Record<string, unknown>;
  if (Object.hasOwn(obj, path)) return obj[path];
  for (let i = path.indexOf('.'); i !== -1; i = path.indexOf('.', i + 1)) {
    const head = path.slice(0, i);
    if (!Object.hasOwn(obj, head)) continue;
    const value = readSource(obj[head], path.slice(i + 1), depth + 1);
    if (value !== undefined) return value;
  }
  return undefined;
}

/** Filter on any of `values`: exact terms on a keyword field, phrase matches on a text-only one. */
export function valuesFilter(field: LogField, values: string[]): Record<string, unknown> {
  if (field.keyword) return { terms: { [field.keyword]: values } };
  return { bool: { should: values.map((v) => ({ match_phrase: { [field.text ?? field.name]: v } })), minimum_should_match: 1 } };
}

/** Level filter: case variants as terms on keyword fields; analysed text fields match any case already. */
export function levelFilter(field: LogField, levels: string[]): Record<string, unknown> {
  if (field.keyword) return { terms: { [field.keyword]: levelVariants(levels) } };
  const words = [...new Set(levelVariants(levels).map((l) => l.toLowerCase()))];
  return { match: { [field.text ?? field.name]: { query: words.join(' '), operator: 'or' } } };
}

const QUERY_FLAGS = 'AND|OR|NOT|PHRASE|PRECEDENCE|PREFIX|WHITESPACE|ESCAPE';

/** All words of a query that passed checkMessageQuery, in the message field (every field when none was detected). */
export function messageFilter(fields: LogFields, query: string): Record<string, unknown> {
  const target = fields.message?.text ?? fields.message?.keyword;
  return { simple_query_string: { query, ...(target ? { fields: [target] } : {}), default_operator: 'and', flags: QUERY_FLAGS, lenient: true, analyze_wildcard: false } };
}

/** Inclusive time range on the detected time field, as absolute UTC instants. */
export function timeRangeFilter(field: string, from: Date, to: Date): Record<string, unknown> {
  return { range: { [field]: { gte: from.toISOString(), lte: to.toISOString(), format: 'strict_date_optional_time' } } };
}

/** Sort on the time field that works across indices lacking it and across date/date_nanos mappings. */
export function timeSort(timestamp: { name: string; nanos: boolean }, order: 'asc' | 'desc'): Record<string, unknown> {
  return { [timestamp.name]: { order, unmapped_type: 'date', ...(timestamp.nanos ? { numeric_type: 'date' } : {}) } };
}

/** A field value as one short line: first element of arrays, objects as JSON. */
export function scalarText(value: unknown): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v === null) return undefined;
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}
