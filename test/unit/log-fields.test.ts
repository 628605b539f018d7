import { describe, expect, it } from 'vitest';
import {
  fieldCapsRequestFields,
  levelFilter,
  parseLogFieldsSetting,
  pickLogFields,
  readSource,
  valuesFilter,
  type FieldCaps,
} from '../../src/backends/elasticsearch/log-fields.js';
import { levelVariants } from '../../src/core/log-levels.js';

const kw = { keyword: { type: 'keyword' } };
const text = { text: { type: 'text' } };
const date = { date: { type: 'date' } };

describe('pickLogFields', () => {
  it('recognises ECS names, with the keyword sub-field of a text message', () => {
    const caps: FieldCaps = {
      indices: ['logs-a'],
      fields: { '@timestamp': date, 'service.name': kw, 'log.level': kw, message: text, 'message.keyword': kw, 'trace.id': kw, 'service.version': kw },
    };
    expect(pickLogFields(caps)).toEqual({
      indexCount: 1,
      timestamp: { name: '@timestamp', nanos: false },
      service: { name: 'service.name', keyword: 'service.name' },
      level: { name: 'log.level', keyword: 'log.level' },
      message: { name: 'message', text: 'message', keyword: 'message.keyword' },
      trace_id: { name: 'trace.id', keyword: 'trace.id' },
      notes: [],
    });
  });

  it("recognises seed 000's flat names; a text-only message has no keyword", () => {
    const caps: FieldCaps = {
      indices: ['logs-b'],
      fields: { timestamp: { date_nanos: { type: 'date_nanos' } }, service_name: kw, log_level: kw, message: { match_only_text: { type: 'match_only_text' } }, trace_id: kw },
    };
    const f = pickLogFields(caps);
    expect(f.timestamp).toEqual({ name: 'timestamp', nanos: true });
    expect(f.service).toEqual({ name: 'service_name', keyword: 'service_name' });
    expect(f.level).toEqual({ name: 'log_level', keyword: 'log_level' });
    expect(f.message).toEqual({ name: 'message', text: 'message', keyword: undefined });
    expect(f.trace_id).toEqual({ name: 'trace_id', keyword: 'trace_id' });
  });

  it('finds keyword sub-fields of text service and level fields (dynamic mappings)', () => {
    const caps: FieldCaps = {
      indices: ['logs-c'],
      fields: { '@timestamp': date, service: text, 'service.keyword': kw, level: text, 'level.raw': kw, msg: text },
    };
    const f = pickLogFields(caps);
    expect(f.service).toEqual({ name: 'service', text: 'service', keyword: 'service.keyword' });
    expect(f.level).toEqual({ name: 'level', text: 'level', keyword: 'level.raw' });
    expect(f.message).toEqual({ name: 'msg', text: 'msg', keyword: undefined });
  });

  it('prefers the candidate most indices map', () => {
    const caps: FieldCaps = {
      indices: ['a', 'b', 'c'],
      fields: {
        '@timestamp': { date: { type: 'date' }, unmapped: { type: 'unmapped', indices: ['b', 'c'] } },
        timestamp: { date: { type: 'date' }, unmapped: { type: 'unmapped', indices: ['a'] } },
      },
    };
    expect(pickLogFields(caps).timestamp?.name).toBe('timestamp');
  });

  it('skips fields of the wrong type', () => {
    const caps: FieldCaps = { indices: ['a'], fields: { '@timestamp': kw, timestamp: date, 'log.level': { long: { type: 'long' } }, level: kw } };
    const f = pickLogFields(caps);
    expect(f.timestamp?.name).toBe('timestamp');
    expect(f.level?.name).toBe('level');
  });

  it('LOG_FIELDS overrides win when the field exists, and are reported when it does not', () => {
    const caps: FieldCaps = { indices: ['a'], fields: { '@timestamp': date, ts: date, 'service.name': kw, app_name: kw, 'log.level': kw } };
    const { overrides } = parseLogFieldsSetting('timestamp=ts,service=app_name,level=sev');
    const f = pickLogFields(caps, overrides);
    expect(f.timestamp?.name).toBe('ts');
    expect(f.service?.name).toBe('app_name');
    expect(f.level?.name).toBe('log.level');
    expect(f.notes).toEqual(['LOG_FIELDS level=sev is not a usable field in this index pattern; used log.level']);
  });

  it('an index pattern matching nothing yields no fields', () => {
    expect(pickLogFields({ indices: [], fields: {} })).toEqual({ indexCount: 0, notes: [] });
  });
});

describe('LOG_FIELDS setting', () => {
  it('parses role=field pairs and reports malformed entries', () => {
    expect(parseLogFieldsSetting('timestamp=ts, service=app ,trace=tid')).toEqual({ overrides: { timestamp: 'ts', service: 'app', trace_id: 'tid' }, problems: [] });
    const bad = parseLogFieldsSetting('colour=red,level=,message=a=b,level=x y');
    expect(bad.overrides).toEqual({});
    expect(bad.problems).toHaveLength(4);
    expect(parseLogFieldsSetting(undefined)).toEqual({ overrides: {}, problems: [] });
  });

  it('asks _field_caps for the overrides, the candidates and their sub-fields', () => {
    const list = fieldCapsRequestFields({ message: 'body_text' }).split(',');
    expect(list).toEqual(expect.arrayContaining(['body_text', 'body_text.*', '@timestamp', 'timestamp', 'service.name', 'service_name', 'log.level', 'log_level', 'message', 'message.*', 'trace.id', 'trace_id']));
    expect(list).not.toContain('@timestamp.*');
  });
});

describe('query helpers', () => {
  it('reads nested, dotted and mixed _source paths', () => {
    expect(readSource({ service: { name: 'a' } }, 'service.name')).toBe('a');
    expect(readSource({ 'service.name': 'b' }, 'service.name')).toBe('b');
    expect(readSource({ log: { 'level.name': 'c' } }, 'log.level.name')).toBe('c');
    expect(readSource({ a: 1 }, 'constructor')).toBeUndefined();
    expect(readSource(null, 'x')).toBeUndefined();
  });

  it('level variants cover case and common spellings', () => {
    expect(levelVariants(['WARN'])).toEqual(['warn', 'WARN', 'Warn', 'warning', 'WARNING', 'Warning']);
    expect(levelVariants(['error'])).toEqual(expect.arrayContaining(['error', 'ERROR', 'Error', 'err', 'ERR']));
  });

  it('filters use terms on keyword fields and analysed matches on text-only fields', () => {
    expect(levelFilter({ name: 'log.level', keyword: 'log.level' }, ['error'])).toEqual({ terms: { 'log.level': ['error', 'ERROR', 'Error', 'err', 'ERR', 'Err'] } });
    expect(levelFilter({ name: 'level', text: 'level' }, ['error'])).toEqual({ match: { level: { query: 'error err', operator: 'or' } } });
    expect(valuesFilter({ name: 'service', text: 'service', keyword: 'service.keyword' }, ['a'])).toEqual({ terms: { 'service.keyword': ['a'] } });
    expect(valuesFilter({ name: 'service', text: 'service' }, ['a'])).toEqual({ bool: { should: [{ match_phrase: { service: 'a' } }], minimum_should_match: 1 } });
  });
});
