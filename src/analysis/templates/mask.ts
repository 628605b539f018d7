/**
 * Built-in masking for template mining: the parts of a message that are almost always variables
 * (numbers, hex, addresses, ids, times, URLs, e-mails) become `<*>` before messages are compared,
 * so the miner only has to decide about the words that remain. Masks never swallow whitespace,
 * so token positions survive; extra patterns (`--regex`) may, and are applied first.
 *
 * What is deliberately NOT masked: digits inside words (`ssh2`, `jk2_init`, `utf8`, `r24=`), since
 * they are usually part of the constant text; words that vary are found by the miner instead.
 */
export const WILDCARD = '<*>';

const UNITS = 'ns|us|µs|ms|s|sec|secs|m|min|mins|h|hr|hrs|d|b|k|kb|kib|m|mb|mib|g|gb|gib|t|tb|tib|bytes?';

interface Rule {
  re: RegExp;
  /** What a match becomes; `<*>` unless the rule keeps a frame (quotes). */
  replace?: string;
  /** A cheap test that must pass for the pattern to have any chance; most lines skip most rules. */
  when: (text: string) => boolean;
}
const digit = (t: string): boolean => /\d/.test(t);
const has = (needle: string) => (t: string) => t.includes(needle);
const digitAnd = (needle: string) => (t: string) => t.includes(needle) && /\d/.test(t);

/**
 * Ordered: the wider shapes first, so the numbers inside them are not masked piecemeal. Extra
 * patterns run between the wide shapes and the narrow ones, so they still see raw numbers.
 */
const WIDE: Rule[] = [
  // A scheme and an e-mail's local part start where their run of characters starts: tried from
  // every word boundary inside a long run (`a.a.a.a…`), each attempt would scan to the run's
  // end, quadratic in the run (2,000 characters took 2.5 and 4 ms a line).
  { re: /(?<![\w+.-])[+.-]*[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi, when: has('://') },
  { re: /(?<![\w.+-])[\w.+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+\b/gi, when: has('@') },
  { re: /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, when: has('-') },
  // C ctime / syslog dates with a weekday: "Fri Jun 17 20:55:07 2005"
  {
    re: /\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\s+(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\s+\d{1,2}\s+\d{2}:\d{2}:\d{2}(?:\s+(?:[A-Z]{3,4}\s+)?\d{4})?\b/g,
    when: digitAnd(':'),
  },
  // ISO 8601 date-times and dates, clock times
  { re: /\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?(?![\w])/g, when: digitAnd('-') },
  { re: /(?<![\w:])\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?(?![\w:])/g, when: digitAnd(':') },
];
const NARROW: Rule[] = [
  // quoted values keep their quotes (an apostrophe inside a word, as in "can't", is not a quote);
  // an empty or over-long quote is left alone
  { re: /"(?:[^"\\\n]|\\.){1,200}"/g, when: has('"'), replace: `"${WILDCARD}"` },
  { re: /(?<![\w])'(?:[^'\\\n]|\\.){1,200}'(?![\w])/g, when: has("'"), replace: `'${WILDCARD}'` },
  // IPv4 (the port, if any, is a number and masked on its own), IPv6 with at least one "::" or 7 colons
  { re: /(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])/g, when: digitAnd('.') },
  {
    re: /(?<![\w:])(?=[0-9a-f:]*::|(?:[0-9a-f]{1,4}:){7})(?=[0-9a-f:]*[0-9a-f])[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}(?![\w:])/gi,
    when: (t) => t.includes('::') || (t.match(/:/g)?.length ?? 0) >= 7,
  },
  { re: /\b0x[0-9a-f]+\b/gi, when: (t) => /0[xX]/.test(t) },
  // literal values of the common languages (not "none", which is also an English word)
  { re: /(?<![\w-])(?:true|false|null|True|False|Null|TRUE|FALSE|NULL)(?![\w-])/g, when: (t) => /true|false|null/i.test(t) },
  // hex strings (hashes, trace and span ids, addresses) mixing digits and letters
  { re: /(?<![\w])(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{6,}(?![\w])/gi, when: (t) => /\d[a-f]|[a-f]\d/i.test(t) },
  // generated ids: 8+ letters and digits with at least two digits (base-36 order ids, tokens)
  { re: /(?<![A-Za-z0-9])(?=[A-Za-z]*\d[A-Za-z]*\d)(?=\d*[A-Za-z])[A-Za-z0-9]{8,}(?![A-Za-z0-9])/g, when: digit },
  // numbers, signed or decimal, with an optional unit: 42, -7, 3.14, 250ms, 32K, 1.5GB
  { re: new RegExp(`(?<![A-Za-z0-9])[-+]?\\d+(?:[.,]\\d+)*(?:${UNITS})?(?![A-Za-z0-9])`, 'gi'), when: digit },
];

export interface Masker {
  (content: string): string;
  /** Whether texts with one digit skeleton mask alike (false with extra patterns, which may read digit values). */
  readonly bySkeleton: boolean;
}

/**
 * The digit skeleton of a text is the text with every digit but `0` written `1`. The built-in
 * masks see digits only as digits (`\d`, `[0-9a-f]`), except the `0` of `0x`, which the skeleton
 * keeps: two texts with one skeleton have their masks at the same places, so when the masked
 * form of one has no digit left, it is the masked form of the other too. Lines of one kind differ
 * mostly in their numbers, so the miner masks one line per skeleton instead of every line.
 *
 * The skeleton is a Map key made of the text's UTF-8 bytes, one character a byte, digits 2-9
 * written `1`: a native encode, one pass over bytes, and V8's own hash and compare of the key.
 * (A hash over the text's characters and a second pass to check a hit cost 1.8x as much on the
 * e2e bench's messages.) UTF-8 is one-to-one on well-formed text and a digit is one byte that no
 * other character's bytes contain, so two texts share a key exactly when they share a skeleton.
 * A text with a lone surrogate (which UTF-8 writes as U+FFFD) has no key.
 */
const SKELETON = Uint8Array.from({ length: 256 }, (_, b) => (b >= 0x32 && b <= 0x39 ? 0x31 : b));
const utf8 = new TextEncoder();
/** ES2024's String.prototype.isWellFormed, which Node 20 has (the project's lib is ES2023). */
const isWellFormed = (text: string): boolean => (text as unknown as { isWellFormed(): boolean }).isWellFormed();

export class SkeletonKeys {
  private readonly bytes: Buffer;

  /** For texts of at most maxChars UTF-16 units (each at most 3 bytes of UTF-8). */
  constructor(private readonly maxChars: number) {
    this.bytes = Buffer.allocUnsafe(3 * maxChars);
  }

  ofText(text: string): string | undefined {
    if (text.length > this.maxChars || !isWellFormed(text)) return undefined;
    return this.key(utf8.encodeInto(text, this.bytes).written);
  }

  /** The key of the text that ASCII bytes [start, end) spell, without making the text. */
  ofAscii(bytes: Buffer, start: number, end: number): string | undefined {
    if (end - start > this.maxChars) return undefined;
    return this.key(bytes.copy(this.bytes, 0, start, end));
  }

  private key(length: number): string {
    const b = this.bytes;
    for (let i = 0; i < length; i++) b[i] = SKELETON[b[i]];
    return b.toString('latin1', 0, length);
  }
}

/** Adjacent wildcards (`<*><*>`) become one: a variable split by masking is still one variable. */
const ADJACENT = /(?:<\*>){2,}/g;

export function createMasker(extra: readonly RegExp[] = []): Masker {
  const always = (): boolean => true;
  const extraRules: Rule[] = extra.map((r) => ({ re: new RegExp(r.source, r.flags.includes('g') ? r.flags : `${r.flags}g`), when: always }));
  const rules = [...WIDE, ...extraRules, ...NARROW];
  const mask = (content: string): string => {
    let text = content;
    for (const rule of rules) if (rule.when(text)) text = text.replace(rule.re, rule.replace ?? WILDCARD);
    return text.includes('<*><*>') ? text.replace(ADJACENT, WILDCARD) : text;
  };
  return Object.assign(mask, { bySkeleton: extraRules.length === 0 });
}
