/**
 * Log lines built to be the template miner's worst case, seeded so every run sees the same:
 * long enumerations over shifted ranges, lines of thousands of tokens, many distinct keys of
 * one length and first word, keys that differ only at their end (past the shape limit every
 * template is compared to its end), merges that cascade over many positions, and every kind of
 * token the masks and the key treat differently. Used by test/unit/miner-worst-case.test.ts
 * (work per token) and bench/loghub/worst-case.ts (time per line).
 */
import type { MinerOptions } from '../../src/analysis/templates/miner.js';

/** The miner's default tokens per message: the tokens of a line that count. */
export const MAX_TOKENS = 100;

export type Random = () => number;
const int = (r: Random, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T,>(r: Random, list: readonly T[]): T => list[Math.floor(r() * list.length)];
const letters = (r: Random, n: number): string => Array.from({ length: n }, () => String.fromCharCode(97 + int(r, 0, 25))).join('');

const HEADS = ['rack-sync:', 'GET', 'worker', 'kernel:', 'INFO', 'session'];
/** Tokens of every kind the masks and the key treat differently. */
const TOKEN_KINDS: ((r: Random) => string)[] = [
  (r) => letters(r, int(r, 1, 8)),
  (r) => `${letters(r, 3)}.${letters(r, 4)}`,
  (r) => `ord-${letters(r, 8)}`,
  (r) => `${letters(r, int(r, 1, 12))}${pick(r, ['-', '_', '#', ':'])}${int(r, 0, 1e6)}`,
  (r) => String(int(r, 0, 1e9)),
  (r) => `${letters(r, 4)}=${int(r, 0, 99)}`,
  (r) => `node${int(r, 1, 5000)}`,
  (r) => `/data/${letters(r, 3)}/part-${int(r, 0, 99)}`,
  (r) => `${int(r, 0, 255)}.${int(r, 0, 255)}.${int(r, 0, 255)}.${int(r, 0, 255)}:${int(r, 1, 65535)}`,
  (r) => `0x${int(r, 0, 2 ** 31).toString(16)}`,
  (r) => `"${letters(r, 3)} ${letters(r, 2)}"`,
  (r) => `${'a.'.repeat(int(r, 1, 300))}@${letters(r, 3)}.com`,
  (r) => `${'1.'.repeat(int(r, 1, 300))}x`,
  (r) => `${'ab:'.repeat(int(r, 1, 100))}:`,
  (r) => pick(r, ['true', 'null', 'Mon Jan 2 10:00:00 2006', '2026-11-21T10:00:00Z', '12:30:45', "can't", '()', '[x]']),
];
const anyToken = (r: Random): string => pick(r, TOKEN_KINDS)(r);

/** `rack-sync: Warning: could not reach peers node14 node15 …`, each list over its own range. */
export function enumeration(r: Random): string {
  const start = int(r, 1, 10_000);
  const list = Array.from({ length: int(r, 2, 3000) }, (_, i) => `node${start + i}`).join(pick(r, [' ', ', ', ' ,']));
  return `${pick(r, HEADS)} Warning: could not reach peers ${list}${r() < 0.5 ? '' : ` after ${int(r, 1, 99)} tries`}`;
}

function thousandsOfTokens(r: Random): string {
  return Array.from({ length: int(r, 500, 5000) }, () => anyToken(r)).join(' ');
}

/** One length, one first word, random words: as many distinct keys as lines, in one cluster bucket. */
function distinctKeys(r: Random): string {
  return `${HEADS[0]} ${Array.from({ length: MAX_TOKENS - 1 }, () => anyToken(r)).join(' ')}`;
}

/** Keys that agree but for their last two words: past the shape limit, each template is compared to its end. */
function lateDifferences(r: Random): string {
  return `${HEADS[1]} ${Array.from({ length: MAX_TOKENS - 3 }, (_, i) => `w${i}`).join(' ')} ${letters(r, 6)} ${letters(r, 6)}`;
}

/** One wording with identifier-like values at random positions: merges at one position open merges at others. */
function cascade(r: Random): string {
  const words = Array.from({ length: 60 }, (_, i) => (r() < 0.3 ? `${letters(r, 2)}.${letters(r, 3)}` : `w${i}`));
  return `${HEADS[2]} ${words.join(' ')}`;
}

export function mixed(r: Random): string {
  return `${pick(r, HEADS)} ${Array.from({ length: int(r, 1, 150) }, () => anyToken(r)).join(' ')}`;
}

export const ADVERSARIAL_INPUTS: { name: string; lines: number; line: (r: Random) => string; opts?: MinerOptions }[] = [
  { name: 'long enumerations over shifted ranges', lines: 400, line: enumeration },
  { name: 'lines of thousands of tokens', lines: 200, line: thousandsOfTokens },
  { name: 'many distinct keys of one length and first word', lines: 3000, line: distinctKeys },
  { name: 'many distinct keys past the shape limit', lines: 3000, line: distinctKeys, opts: { maxShapes: 500 } },
  { name: 'keys differing only at their end, past the shape limit', lines: 3000, line: lateDifferences, opts: { maxShapes: 500 } },
  { name: 'merges cascading over many positions', lines: 3000, line: cascade },
  { name: 'every kind of token, mixed', lines: 3000, line: mixed, opts: { maxShapes: 1000 } },
];

/** The issue's example: three lines of 115 peers each, the lists starting at 14, 142 and 270. */
export function threeEnumerations(): string[] {
  return [14, 142, 270].map((start) => `rack-sync: Warning: could not reach peers ${Array.from({ length: 115 }, (_, i) => `node${start + i}`).join(' ')}`);
}

/** Tokens of a line that the miner looks at. */
export function minedTokens(line: string): number {
  return Math.min(MAX_TOKENS, line.split(/\s+/).filter(Boolean).length);
}

