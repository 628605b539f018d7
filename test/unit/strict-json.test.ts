import { describe, expect, it } from 'vitest';
import { TelemcpError } from '../../src/core/errors.js';
import { formatJsonPath, parseStrictJson, jsonRpcIdOfPrefix } from '../../src/security/strict-json.js';

const opts = { maxDepth: 32 };

function failure(text: string, o: { maxDepth: number; maxBytes?: number } = opts): TelemcpError {
  try {
    parseStrictJson(text, o);
  } catch (err) {
    expect(err).toBeInstanceOf(TelemcpError);
    return err as TelemcpError;
  }
  throw new Error(`expected ${JSON.stringify(text.slice(0, 80))} to be refused`);
}

const nested = (depth: number, open: string, close: string, inner = '1'): string => open.repeat(depth) + inner + close.repeat(depth);

describe('parseStrictJson: accepts what JSON.parse accepts and returns the same value', () => {
  it.each([
    ['object', '{"query":{"match_all":{}},"size":10}'],
    ['array', '[1,2,3]'],
    ['scalars at the top', '"text"'],
    ['number forms', '[0,-0,1.5,-2e10,3E+2,4e-3,1e309]'],
    ['literals', '[true,false,null]'],
    ['escapes', '{"a":"\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00"}'],
    ['backslash runs before quotes', '{"a":"ends in a backslash \\\\","b":"a \\" inside","c":"\\\\\\"","d":"\\\\\\\\"}'],
    ['brackets and quotes inside strings', '{"a":"{[\\"]}","b":["]","}"]}'],
    ['whitespace everywhere', ' \t\r\n{ "a" : [ 1 , { } , [ ] ] }\n'],
    ['same key in sibling objects', '[{"a":1},{"a":2}]'],
    ['same key at different depths', '{"a":{"a":{"a":1}}}'],
    ['keys that differ only by case', '{"script":1,"Script":2}'],
    ['non-ASCII keys and values', '{"ключ":"значение","鍵":"値"}'],
    ['empty key', '{"":1}'],
    ['many keys (Set path)', JSON.stringify(Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, i])))],
  ])('%s', (_name, text) => {
    expect(parseStrictJson(text, opts)).toEqual(JSON.parse(text));
  });

  it('accepts nesting exactly at maxDepth', () => {
    expect(parseStrictJson(nested(32, '[', ']'), opts)).toBeDefined();
    expect(parseStrictJson(nested(3, '{"a":', '}'), { maxDepth: 3 })).toEqual({ a: { a: { a: 1 } } });
  });

  it('maxDepth 0 allows scalars only', () => {
    expect(parseStrictJson('42', { maxDepth: 0 })).toBe(42);
    expect(failure('[]', { maxDepth: 0 }).code).toBe('invalid_input');
  });
});

describe('parseStrictJson: duplicate keys (H-11) at any depth, compared after decoding', () => {
  it.each([
    ['H-11 at the top', '{"query":{"match_all":{}},"query":{"script":{"script":"1"}}}', '$.query'],
    ['nested object', '{"query":{"bool":{"must":[],"must":[{"script":{}}]}}}', '$.query.bool.must'],
    ['inside an array element', '{"a":[{"x":1},{"y":1,"y":2}]}', '$.a[1].y'],
    ['six levels deep', '{"query":{"bool":{"filter":[{"bool":{"should":[{"term":{"f":1,"f":2}}]}}]}}}', '$.query.bool.filter[0].bool.should[0].term.f'],
    ['unicode escape spelling the same key', '{"script":1,"scr\\u0069pt":2}', '$.script'],
    ['escaped both times', '{"\\u0061":1,"\\u0061":2}', '$.a'],
    ['escaped slash', '{"a/b":1,"a\\/b":2}', '$["a/b"]'],
    ['empty keys', '{"":1,"":2}', '$[""]'],
    ['duplicate after 20 other keys (Set path)', `{${Array.from({ length: 20 }, (_, i) => `"k${i}":${i}`).join(',')},"k3":0}`, '$.k3'],
  ])('%s', (_name, text, path) => {
    const err = failure(text);
    expect(err.code).toBe('invalid_input');
    expect(err.message).toContain('duplicate key');
    expect(err.hint).toContain(`at ${path}`);
    expect(err.details).toMatchObject({ path });
    expect(err.details?.jsonrpc_code).toBeUndefined();
  });

  it('names the key and where to remove it', () => {
    expect(failure('{"query":{"match_all":{}},"query":{}}').hint).toBe(
      'remove the duplicate key "query" at $.query: each key may appear once per object',
    );
  });
});

describe('parseStrictJson: prototype keys (H-69)', () => {
  it.each([
    ['__proto__ at the top', '{"__proto__":{"role":"admin_readonly"}}', '$.__proto__'],
    ['H-69 envelope', '{"tool":"es_search","args":{"__proto__":{"role":"admin_readonly"},"index":"secrets"}}', '$.args.__proto__'],
    ['constructor', '{"a":[{"constructor":{"prototype":{}}}]}', '$.a[0].constructor'],
    ['prototype', '{"prototype":1}', '$.prototype'],
    ['escaped __proto__', '{"\\u005f_proto__":{}}', '$.__proto__'],
  ])('%s', (_name, text, path) => {
    const err = failure(text);
    expect(err.code).toBe('invalid_input');
    expect(err.message).toContain('is not allowed');
    expect(err.details).toMatchObject({ path });
  });

  it('leaves Object.prototype untouched', () => {
    failure('{"__proto__":{"polluted":true}}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('allows the words as values and in longer keys', () => {
    expect(parseStrictJson('{"a":"__proto__","my_constructor":1,"prototypes":2}', opts)).toEqual({
      a: '__proto__',
      my_constructor: 1,
      prototypes: 2,
    });
  });
});

describe('parseStrictJson: depth (H-33, P-06)', () => {
  it.each([
    ['arrays', nested(33, '[', ']')],
    ['objects', nested(33, '{"a":', '}')],
    ['bool.must', nested(20, '{"bool":{"must":', '}}', '{}')],
    ['mixed', nested(17, '[{"x":', '}]')],
  ])('refuses %s one level past maxDepth', (_name, text) => {
    const err = failure(text);
    expect(err.code).toBe('invalid_input');
    expect(err.hint).toMatch(/^nest at most 32 levels/);
    expect(err.details).toMatchObject({ max_depth: 32 });
  });

  it('refuses 10,000-level nesting without recursion', () => {
    const err = failure(nested(10_000, '{"bool":{"must":', '}}', '{}'));
    expect(err.code).toBe('invalid_input');
    expect(err.message).toContain('nests deeper than 32 levels');
  });

  it('scans 100,000 levels under a huge maxDepth without a stack overflow', () => {
    const deep = nested(100_000, '[', ']');
    expect(() => parseStrictJson(deep, { maxDepth: 200_000 })).not.toThrow();
  });

  it('keeps the reported path short', () => {
    const err = failure(nested(1000, '{"aaaaaaaa":', '}'), { maxDepth: 500 });
    expect(String(err.details?.path).length).toBeLessThanOrEqual(201);
  });
});

describe('parseStrictJson: malformed JSON is a distinct -32700 error', () => {
  it.each([
    ['T-06 truncated envelope', '{"jsonrpc":'],
    ['empty', ''],
    ['whitespace only', '   '],
    ['trailing comma in object', '{"a":1,}'],
    ['trailing comma in array', '[1,]'],
    ['missing comma', '{"a":1 "b":2}'],
    ['single quotes', "{'a':1}"],
    ['unquoted key', '{a:1}'],
    ['comment', '{"a":1 /* x */}'],
    ['two documents', '{} {}'],
    ['trailing garbage', '{"a":1}x'],
    ['leading zero', '[01]'],
    ['bare minus', '[-]'],
    ['dot without digits', '[1.]'],
    ['exponent without digits', '[1e]'],
    ['plus sign', '[+1]'],
    ['NaN', '[NaN]'],
    ['Infinity', '[Infinity]'],
    ['bad literal', '[tru]'],
    ['capital literal', '[True]'],
    ['unterminated string', '{"a":"b'],
    ['raw newline in string', '{"a":"line\nbreak"}'],
    ['raw tab in string', '["a\tb"]'],
    ['bad escape', '["\\x41"]'],
    ['short unicode escape', '["\\u12"]'],
    ['non-hex unicode escape', '["\\u12G4"]'],
    ['mismatched brackets', '{"a":[1}'],
    ['unclosed object', '{"a":{"b":1}'],
    ['close without open', ']'],
    ['colon missing', '{"a" 1}'],
    ['byte order mark', '\uFEFF{}'],
    ['batch with error', '[{"jsonrpc":"2.0","id":1,"method":"ping"},'],
  ])('%s', (_name, text) => {
    const err = failure(text);
    expect(err.code).toBe('invalid_input');
    expect(err.message).toMatch(/^malformed JSON: /);
    expect(err.details?.jsonrpc_code).toBe(-32700);
    expect(err.hint).toBeTruthy();
  });

  it('agrees with JSON.parse on a spread of inputs', () => {
    const samples = ['{"a":[1,2,{"b":null}]}', '[1,2', '{"a":1}}', '"\\u0000"', '"\u007f"', '[1e5,-0.0]', '{"a" : true }', '[[[]]]', '{"a":"b",}'];
    for (const s of samples) {
      let native = true;
      try {
        JSON.parse(s);
      } catch {
        native = false;
      }
      let strict = true;
      try {
        parseStrictJson(s, opts);
      } catch {
        strict = false;
      }
      expect(strict, s).toBe(native);
    }
  });

  it('string contents are checked by JSON.parse and reported without quoting the input', () => {
    const err = failure('{"a":"line\nbreak"}');
    expect(err.message).toBe('malformed JSON: control character or invalid escape inside a string at position 10');
    expect(err.details).toEqual({ jsonrpc_code: -32700, position: 10 });
    expect(failure('{"a\\x":1}').message).toBe('malformed JSON: invalid escape in key at position 1');
  });

  it('reports the position and never echoes control characters', () => {
    const err = failure('{"a":\u0001}');
    expect(err.message).toContain('position 5');
    expect(err.message).not.toContain('\u0001');
  });
});

describe('parseStrictJson: maxBytes', () => {
  it('refuses text over the limit with request_too_large before scanning', () => {
    const err = failure(`{"a":"${'x'.repeat(100)}"}`, { maxDepth: 4, maxBytes: 50 });
    expect(err.code).toBe('request_too_large');
    expect(err.hint).toContain('50 bytes');
  });

  it('counts UTF-8 bytes, not UTF-16 units', () => {
    const text = `"${'é'.repeat(20)}"`; // 22 code units, 42 bytes
    expect(parseStrictJson(text, { maxDepth: 1, maxBytes: 42 })).toBe('é'.repeat(20));
    expect(failure(text, { maxDepth: 1, maxBytes: 41 }).code).toBe('request_too_large');
    const astral = `"${'😀'.repeat(10)}"`; // 22 units, 42 bytes
    expect(failure(astral, { maxDepth: 1, maxBytes: 30 }).code).toBe('request_too_large');
  });

  it('a malformed oversized body is still request_too_large (size is checked first)', () => {
    expect(failure(`{${'x'.repeat(100)}`, { maxDepth: 4, maxBytes: 10 }).code).toBe('request_too_large');
  });
});

describe('formatJsonPath', () => {
  it.each([
    [[], '$'],
    [['query', 'bool', 'filter', 0], '$.query.bool.filter[0]'],
    [['a.b', 'c d', ''], '$["a.b"]["c d"][""]'],
    [['@timestamp', 'host-name'], '$["@timestamp"].host-name'],
    [['\u0000'], '$["\\u0000"]'],
  ] as Array<[Array<string | number>, string]>)('%j → %s', (segments, expected) => {
    expect(formatJsonPath(segments)).toBe(expected);
  });
});

describe('jsonRpcIdOfPrefix: the id of a message from the start of its text', () => {
  it.each<[string, string | number | null]>([
    ['{"jsonrpc":"2.0","id":"big-1","method":"tools/call","params":{"x":"aaaa', 'big-1'],
    ['{"id":41,"method":"x","params":[1,2', 41],
    [' { "jsonrpc" : "2.0" , "id" : -7.5 , "params" : {', -7.5],
    ['{"jsonrpc":"2.0","method":"tools/call","params":{"id":5,"x":"aaa', null],
    ['{"params":{"a":[{"id":1}],"b":"}"},"id":"after","x', 'after'],
    ['{"jsonrpc":"2.0","id":12', null],
    ['{"jsonrpc":"2.0","id":"unterminated', null],
    ['{"id":{},"method":"x"', null],
    ['{"id":true,"method":"x"', null],
    ['{"id":[1],"method":"x"', null],
    ['{"id":"a\\"b","x', 'a"b'],
    ['[{"id":1}', null],
    ['not json', null],
    ['', null],
  ])('%s → %j', (prefix, id) => {
    expect(jsonRpcIdOfPrefix(prefix)).toBe(id);
  });
});
