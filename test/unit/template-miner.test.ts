import { describe, expect, it } from 'vitest';
import { TemplateMiner } from '../../src/analysis/templates/miner.js';
import { SkeletonKeys, createMasker } from '../../src/analysis/templates/mask.js';
import { compileLogFormat } from '../../src/analysis/templates/log-format.js';
import { rng } from '../helpers/random.js';

const mask = createMasker();
const keys = new SkeletonKeys(2000);

describe('masking', () => {
  it.each([
    ['GET https://api.example.com/v1/users?id=7 took 12ms', 'GET <*> took <*>'],
    ['mail to ops+alerts@example.co.uk failed', 'mail to <*> failed'],
    ['req 3f2b1c9e-8d7a-4b6c-9e1f-0a2b3c4d5e6f done', 'req <*> done'],
    ['at 2026-11-21T10:00:00.123Z and 2026-11-21 10:00:01,5 and 10:00:02', 'at <*> and <*> and <*>'],
    ['connection from 10.0.0.12:5432 (fe80::1) port 22', 'connection from <*>:<*> (<*>) port <*>'],
    ['ptr 0x7ffd1234 hash a3f9c2d1e8 trace 4bf92f3577b34da6a3ce929d0e0e4736', 'ptr <*> hash <*> trace <*>'],
    ['size 512MB after 1.5s, 32K free, -7 delta', 'size <*> after <*>, <*> free, <*> delta'],
    ['enabled=true cached=False value=null', 'enabled=<*> cached=<*> value=<*>'],
    ['Fri Jun 17 20:55:07 2005 login', '<*> login'],
    [`user "alice smith" can't open 'report.pdf'`, `user "<*>" can't open '<*>'`],
  ])('%s', (input, expected) => {
    expect(mask(input)).toBe(expected);
  });

  it('keeps digits that belong to words, and words that are values only by position', () => {
    expect(mask('jk2_init() ok on ssh2 utf8 r24=0')).toBe('jk2_init() ok on ssh2 utf8 r24=<*>');
    expect(mask('Failed none for invalid user admin')).toBe('Failed none for invalid user admin');
  });

  it('texts with one digit skeleton (digits 1-9 alike) mask alike when no digit survives masking', () => {
    // The miner reuses one line's masked form for every line of its skeleton; this is what makes that exact.
    const shapes = ['0x1f9', 'x9 12:30:45', '2026-11-21T10:00:00Z', '10.0.0.12:5432', 'a1b2c3d4e5', '3f2b1c9e-8d7a-4b6c-9e1f-0a2b3c4d5e6f', 'blk_-160', 'v1.2.3', 'took 250ms', '1.5GB of 32K', 'fe80::1', 'core.2275', 'ord-4k2j9x7q'];
    const digits = '0123456789';
    for (let seed = 1; seed <= 400; seed++) {
      const text = shapes.filter((_, i) => (seed >> i % 7) & 1 || i === seed % shapes.length).join(' ');
      const other = text.replace(/[1-9]/g, (d) => digits[1 + ((Number(d) * seed) % 9)]);
      expect(keys.ofText(other)).toBe(keys.ofText(text));
      if (!/\d/.test(mask(text))) expect(mask(other)).toBe(mask(text));
    }
    expect(keys.ofText('0x10')).not.toBe(keys.ofText('5x10'));
  });

  it('keys a skeleton alike from text and from ASCII bytes, and tells texts with other characters apart', () => {
    const ascii = 'core.2275 took 250ms';
    expect(keys.ofAscii(Buffer.from(`xx${ascii}yy`), 2, 2 + ascii.length)).toBe(keys.ofText(ascii));
    expect(keys.ofText('café 12')).toBe(keys.ofText('café 98'));
    expect(keys.ofText('café 12')).not.toBe(keys.ofText('cafe 12'));
    expect(keys.ofText('\u00e9 1')).not.toBe(keys.ofText('\u00c3\u00a9 1'));
    // A lone surrogate would be written as U+FFFD: such a text gets no key rather than another text's.
    expect(keys.ofText('a \ud800 1')).toBeUndefined();
    expect(keys.ofText('x'.repeat(2001))).toBeUndefined();
  });

  it('applies extra patterns after dates and before numbers', () => {
    const withBlocks = createMasker([/blk_-?\d+/]);
    expect(withBlocks('Deleting blk_-1608999687919862906 at 10:00:00')).toBe('Deleting <*> at <*>');
    expect(mask('Deleting blk_-1608999687919862906')).toBe('Deleting blk_<*>');
  });
});

describe('log format (Loghub header syntax)', () => {
  it('splits a line into its fields, any run of spaces matching any whitespace', () => {
    const f = compileLogFormat('<Date> <Time> <Level> \\[<Process>\\] <Component>: <Content>');
    expect(f.fields).toEqual(['Date', 'Time', 'Level', 'Process', 'Component', 'Content']);
    expect(f.parse('2015-10-18  18:01:47,978 INFO [main] org.a.B: Created MRAppMaster for application x')).toEqual({
      Date: '2015-10-18', Time: '18:01:47,978', Level: 'INFO', Process: 'main', Component: 'org.a.B', Content: 'Created MRAppMaster for application x',
    });
    expect(f.parse('not a log line')).toBeUndefined();
  });

  it('splits ASCII bytes in place into the fields parse gives, or leaves the line to parse', () => {
    const formats = ['<A> <B> <Content>', '<A> <B>: <Content>', '<A>:<B> <Content>', ' <A>  - <Content>', '<A><B> <Content>', '<Label> <Timestamp> <Date> <Node> <Time> <NodeRepeat> <Type> <Component> <Level> <Content>'];
    const alphabet = ['a', 'b', '1', ' ', ' ', '  ', '\t', ':', '-', '\r', '[', '\v'];
    const r = rng(11);
    const out = new Int32Array(32);
    let split = 0;
    for (const source of formats) {
      const f = compileLogFormat(source);
      expect(f.spans).toBeDefined();
      for (let n = 0; n < 3000; n++) {
        const line = Array.from({ length: Math.floor(r() * 24) }, () => alphabet[Math.floor(r() * alphabet.length)]).join('');
        const bytes = Buffer.from(`#${line}#`);
        if (!f.spans!(bytes, 1, bytes.length - 1, out)) continue;
        split++;
        expect(Object.fromEntries(f.fields.map((name, i) => [name, bytes.toString('latin1', out[2 * i], out[2 * i + 1])]))).toEqual({ ...f.parse(line) });
      }
    }
    expect(split).toBeGreaterThan(3000);
    // Regex syntax in a literal, or text after the last field: parse alone.
    expect(compileLogFormat('<Date> \\[<Level>\\] <Content>').spans).toBeUndefined();
    expect(compileLogFormat('<Content> end').spans).toBeUndefined();
    const blank = Buffer.from(' \t ');
    expect(compileLogFormat('<Content>').spans!(blank, 0, blank.length, out)).toBe(false);
  });

  it('refuses a format without fields, or with a field twice', () => {
    expect(() => compileLogFormat('just text')).toThrow(/Content/);
    expect(() => compileLogFormat('<A> <A>')).toThrow(/twice/);
  });
});

describe('TemplateMiner', () => {
  it('empty input: no templates, no lines', () => {
    const m = new TemplateMiner();
    expect(m.templates()).toEqual([]);
    expect(m.lines).toBe(0);
  });

  it('one line: one template, masked, with its exemplar and time', () => {
    const m = new TemplateMiner();
    const h = m.add('Connection to db-1 timed out after 30000ms', 1_000);
    // a number after a dash is a value (node-7, db-1), as in the Loghub labels
    expect(m.templateOf(h)).toBe('Connection to db-<*> timed out after <*>');
    expect(m.templates()).toEqual([
      {
        id: h,
        template: 'Connection to db-<*> timed out after <*>',
        count: 1,
        firstSeen: 1_000,
        lastSeen: 1_000,
        exemplars: ['Connection to db-1 timed out after 30000ms'],
        slots: [{ values: [{ value: '1', count: 1 }] }, { values: [{ value: '30000ms', count: 1 }] }],
      },
    ]);
  });

  it('a message read in place from ASCII bytes mines as its text does, also cut and with extra masks', () => {
    const lines = ['GET /a/1 took 12ms', 'GET /a/2 took 7ms', 'user alice logged in', 'GET /b/33 took 120ms', 'user bob logged in', 'x'.repeat(30) + ' 5', 'user carol logged in', 'GET /a/9 took 1ms'];
    for (const opts of [{}, { maxMessageLength: 20 }, { extraMasks: [/user \w+/] }]) {
      const fromText = new TemplateMiner(opts);
      const fromBytes = new TemplateMiner(opts);
      for (let round = 0; round < 3; round++) {
        lines.forEach((line, i) => {
          const bytes = Buffer.from(`>>${line}<<`);
          expect(fromBytes.addAscii(bytes, 2, bytes.length - 2, i)).toBe(fromText.add(line, i));
        });
      }
      expect(fromBytes.templates()).toEqual(fromText.templates());
      expect(fromBytes.lines).toBe(fromText.lines);
    }
  });

  it('a million identical lines: one template counted exactly, memory bounded by shapes not lines', () => {
    const m = new TemplateMiner();
    for (let i = 0; i < 1_000_000; i++) m.add('GC pause young generation');
    const [t, ...rest] = m.templates();
    expect(rest).toEqual([]);
    expect(t).toMatchObject({ template: 'GC pause young generation', count: 1_000_000, exemplars: ['GC pause young generation'] });
  });

  it('merges a varying word once it has several values, keeps two-valued wording apart', () => {
    const m = new TemplateMiner();
    const users = ['alice', 'bob', 'carol', 'dave', 'erin'];
    const hs = users.map((u) => m.add(`session opened for user ${u} by uid=0`));
    const accepted = m.add('Accepted password for root from 10.0.0.1 port 22 ssh2');
    const failed = m.add('Failed password for root from 10.0.0.2 port 22 ssh2');
    expect(new Set(hs.map((h) => m.templateOf(h)))).toEqual(new Set(['session opened for user <*> by uid=<*>']));
    expect(m.templateOf(accepted)).toBe('Accepted password for root from <*> port <*> ssh2');
    expect(m.templateOf(failed)).toBe('Failed password for root from <*> port <*> ssh2');
    const [top] = m.templates(1);
    expect(top.count).toBe(5);
    expect(top.slots[0].values.map((v) => v.value)).toEqual(['alice', 'bob', 'carol']);
  });

  it('identifier-like values merge at once; event names in the first position do not', () => {
    const m = new TemplateMiner();
    const a = m.add('Resolved host-a.example.com to /default-rack');
    const b = m.add('Resolved db.internal.example.org to /default-rack');
    const c = m.add('getTasks: caller 1000 does not hold REAL_GET_TASKS');
    const d = m.add('getRunningAppProcesses: caller 1000 does not hold REAL_GET_TASKS');
    expect(m.templateOf(a)).toBe(m.templateOf(b));
    expect(m.templateOf(a)).toBe('Resolved <*> to /default-rack');
    expect(m.templateOf(c)).not.toBe(m.templateOf(d));
  });

  it('lists of any length share one template', () => {
    const m = new TemplateMiner({ extraMasks: [/blk_-?\d+/] });
    const one = m.add('ask 10.0.0.1:50010 to delete blk_1');
    const three = m.add('ask 10.0.0.2:50010 to delete blk_2 blk_3 blk_4');
    expect(m.templateOf(one)).toBe(m.templateOf(three));
  });

  it('first and last seen follow the times given, whatever their order (clock skew between services)', () => {
    const m = new TemplateMiner();
    m.add('upstream timeout', 5_000);
    m.add('upstream timeout', 2_000);
    m.add('upstream timeout');
    m.add('upstream timeout', 9_000);
    expect(m.templates()[0]).toMatchObject({ count: 4, firstSeen: 2_000, lastSeen: 9_000 });
    const untimed = new TemplateMiner();
    untimed.add('no clock here');
    expect(untimed.templates()[0].firstSeen).toBeUndefined();
  });

  it('very long lines are mined on their first characters, and exemplars are capped', () => {
    const m = new TemplateMiner({ maxMessageLength: 200 });
    const long = `payload ${'x'.repeat(1_000_000)}`;
    const h1 = m.add(`${long}a`);
    const h2 = m.add(`${long}b`);
    expect(m.templateOf(h1)).toBe(m.templateOf(h2));
    const [t] = m.templates();
    expect(t.exemplars[0].length).toBeLessThanOrEqual(501);
  });

  it('replacement characters from bad bytes do not break mining', () => {
    const m = new TemplateMiner();
    const text = new TextDecoder('utf-8').decode(Buffer.from([0x62, 0x61, 0x64, 0x20, 0xff, 0xfe, 0x20, 0x31]));
    const h = m.add(text);
    expect(m.templateOf(h)).toBe('bad \uFFFD\uFFFD <*>');
  });

  it('stays bounded past its shape limit: new shapes join a matching template or count as overflow', () => {
    const m = new TemplateMiner({ maxShapes: 10 });
    for (const u of ['alice', 'bob', 'carol', 'dave']) m.add(`login ok for ${u}`);
    for (let i = 0; i < 6; i++) m.add(`distinct event kind${String.fromCharCode(97 + i)} here`);
    const late = m.add('login ok for zoe');
    expect(m.templateOf(late)).toBe('login ok for <*>');
    const lost = m.add('something never seen before');
    expect(lost).toBe(-1);
    expect(m.overflow).toBe(1);
    expect(m.lines).toBe(12);
    expect(m.templates().find((t) => t.template === 'login ok for <*>')?.count).toBe(5);
  });

  it('is deterministic: the same lines give the same ids and templates', () => {
    const lines = Array.from({ length: 500 }, (_, i) => `worker ${i % 7} took ${i}ms on shard-${i % 3}.example.net`);
    const run = (): unknown => {
      const m = new TemplateMiner();
      for (const l of lines) m.add(l);
      return m.templates();
    };
    expect(run()).toEqual(run());
  });

  it('reads can interleave with writes: templates refine as lines arrive', () => {
    const m = new TemplateMiner();
    const h = m.add('job alpha finished');
    expect(m.templateOf(h)).toBe('job alpha finished');
    for (const w of ['beta', 'gamma', 'delta']) m.add(`job ${w} finished`);
    expect(m.templateOf(h)).toBe('job <*> finished');
    expect(m.templates()).toHaveLength(1);
  });
});
