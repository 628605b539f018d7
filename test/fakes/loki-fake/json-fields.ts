/**
 * The fields `| json` extracts from a line, as Loki's JSON parser gives them: nested keys joined
 * with `_`, arrays skipped, strings unescaped, numbers and booleans as written in the line (`6.0`
 * stays `6.0`, which JSON.parse would turn into `6`), null as the empty string. Undefined when
 * the line is not a JSON object.
 */
export function jsonFields(line: string): [string, string][] | undefined {
  const reader = new JsonReader(line);
  try {
    reader.skipSpace();
    if (line[reader.pos] !== '{') return undefined;
    const out: [string, string][] = [];
    reader.object('', out);
    reader.skipSpace();
    return reader.pos === line.length ? out : undefined;
  } catch {
    return undefined;
  }
}

class JsonReader {
  pos = 0;

  constructor(private readonly text: string) {}

  skipSpace(): void {
    while (/\s/.test(this.text[this.pos] ?? '')) this.pos += 1;
  }

  private expect(c: string): void {
    this.skipSpace();
    if (this.text[this.pos] !== c) throw new Error(`expected ${c}`);
    this.pos += 1;
  }

  object(prefix: string, out: [string, string][] | undefined): void {
    this.expect('{');
    this.skipSpace();
    if (this.text[this.pos] === '}') {
      this.pos += 1;
      return;
    }
    for (;;) {
      this.skipSpace();
      const key = this.string();
      this.expect(':');
      this.value(prefix ? `${prefix}_${key}` : key, out);
      this.skipSpace();
      const c = this.text[this.pos++];
      if (c === '}') return;
      if (c !== ',') throw new Error('expected , or }');
    }
  }

  private array(): void {
    this.expect('[');
    this.skipSpace();
    if (this.text[this.pos] === ']') {
      this.pos += 1;
      return;
    }
    for (;;) {
      this.value('', undefined);
      this.skipSpace();
      const c = this.text[this.pos++];
      if (c === ']') return;
      if (c !== ',') throw new Error('expected , or ]');
    }
  }

  /** Reads a value; records it under `key` unless `out` is undefined (inside an array). */
  private value(key: string, out: [string, string][] | undefined): void {
    this.skipSpace();
    const c = this.text[this.pos];
    if (c === '{') return this.object(key, out);
    if (c === '[') return this.array();
    if (c === '"') {
      const s = this.string();
      out?.push([key, s]);
      return;
    }
    const literal = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(this.text.slice(this.pos));
    if (!literal) throw new Error('bad value');
    this.pos += literal[0].length;
    out?.push([key, literal[0] === 'null' ? '' : literal[0]]);
  }

  private string(): string {
    if (this.text[this.pos] !== '"') throw new Error('expected string');
    const start = this.pos;
    this.pos += 1;
    while (this.pos < this.text.length && this.text[this.pos] !== '"') this.pos += this.text[this.pos] === '\\' ? 2 : 1;
    if (this.pos >= this.text.length) throw new Error('unterminated string');
    this.pos += 1;
    return JSON.parse(this.text.slice(start, this.pos)) as string;
  }
}
