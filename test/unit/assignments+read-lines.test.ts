import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readStructuredCsv } from '../../bench/loghub/evaluate.js';
import { HandleList, csvField, writeAssignments } from '../../src/cli/assignments.js';
import { forEachLine, forEachLineBytes } from '../../src/cli/read-lines.js';
import { rng } from '../helpers/random.js';

async function lines(chunks: (string | Buffer)[], maxChars?: number): Promise<string[]> {
  const stream = Readable.from(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c)), { objectMode: false });
  stream.setEncoding('utf8');
  const out: string[] = [];
  await forEachLine(stream, (l) => out.push(l), { maxChars });
  return out;
}

describe('forEachLine', () => {
  it('splits on \\n only, drops one trailing \\r, keeps a last line without newline', async () => {
    expect(await lines(['a\r\nb\n\nc'])).toEqual(['a', 'b', '', 'c']);
    expect(await lines(['a\rb\n'])).toEqual(['a\rb']);
    expect(await lines(['a\n'])).toEqual(['a']);
    expect(await lines([''])).toEqual([]);
  });

  it('joins lines split across chunks, also inside a multi-byte character and between \\r and \\n', async () => {
    const euro = Buffer.from('€'); // 3 bytes
    expect(await lines(['ab', 'c\r', '\nd', Buffer.concat([Buffer.from('x'), euro.subarray(0, 1)]), euro.subarray(1), Buffer.from('y\n')])).toEqual(['abc', 'dx€y']);
  });

  it('reads invalid UTF-8 as U+FFFD', async () => {
    expect(await lines([Buffer.from([0x61, 0xff, 0x62, 0x0a, 0xc3, 0x28, 0x0a])])).toEqual(['a\ufffdb', '\ufffd(']);
  });

  it('cuts a line past maxChars and goes on with the next one', async () => {
    expect(await lines(['abcdef', 'ghij\r\nkl\n'], 4)).toEqual(['abcd', 'kl']);
  });
});

describe('forEachLineBytes', () => {
  async function byteLines(chunks: Buffer[], maxChars?: number): Promise<{ text: string; ascii: boolean }[]> {
    const out: { text: string; ascii: boolean }[] = [];
    await forEachLineBytes(Readable.from(chunks), (l) => out.push({ text: l.text(), ascii: l.ascii }), { maxChars });
    return out;
  }

  it('gives the lines forEachLine gives, whatever the chunks, bytes and line lengths', async () => {
    const r = rng(5);
    const pieces = [Buffer.from('a'), Buffer.from(' 12'), Buffer.from('\n'), Buffer.from('\r\n'), Buffer.from('\r'), Buffer.from('€'), Buffer.from('😀'), Buffer.from([0xff]), Buffer.from([0xe2, 0x82]), Buffer.from([0xc3]), Buffer.from('\ufeff')];
    for (let n = 0; n < 400; n++) {
      const input = Buffer.concat(Array.from({ length: Math.floor(r() * 40) }, () => pieces[Math.floor(r() * pieces.length)]));
      const chunks: Buffer[] = [];
      for (let at = 0; at < input.length; ) {
        const size = 1 + Math.floor(r() * 12);
        chunks.push(input.subarray(at, at + size));
        at += size;
      }
      const maxChars = n % 3 === 0 ? 1 + Math.floor(r() * 6) : undefined;
      const got = await byteLines(chunks, maxChars);
      expect(got.map((l) => l.text)).toEqual(await lines(chunks, maxChars));
      for (const l of got) if (l.ascii) expect(/^[\x00-\x7f]*$/.test(l.text)).toBe(true);
    }
  });

  it('hands ASCII lines as bytes, others decoded', async () => {
    expect(await byteLines([Buffer.from('ab\r\ncaf'), Buffer.from('é\nx')])).toEqual([
      { text: 'ab', ascii: true },
      { text: 'café', ascii: false },
      { text: 'x', ascii: true },
    ]);
  });
});

describe('assignments CSV', () => {
  it('quotes fields with commas, quotes and line breaks (RFC 4180)', () => {
    expect(csvField('plain <*> text')).toBe('plain <*> text');
    expect(csvField('a, b')).toBe('"a, b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('')).toBe('');
  });

  it('writes one LineId,EventTemplate row per handle that the Loghub reader reads back', async () => {
    const handles = new HandleList();
    const templates = ['x=<*>, y="<*>"', 'plain'];
    const n = 200_000; // past the initial capacity, so the list grows
    for (let i = 0; i < n; i++) handles.push(i % 3 === 0 ? -2 : i % 2);
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    await writeAssignments(out, handles, (h) => (h === -2 ? '' : templates[h]));
    const rows = readStructuredCsv(Buffer.concat(chunks).toString('utf8'));
    expect(rows).toHaveLength(n);
    expect(rows.slice(0, 3)).toEqual([
      { LineId: '1', EventTemplate: '' },
      { LineId: '2', EventTemplate: 'plain' },
      { LineId: '3', EventTemplate: 'x=<*>, y="<*>"' },
    ]);
    expect(rows[n - 1]).toEqual({ LineId: String(n), EventTemplate: templates[(n - 1) % 2] });
  });
});
