import { UnsupportedRegex, compileRegex } from '../analysis/metrics/re2.js';

/**
 * Whether a label regex (RE2, anchored, as Prometheus and Loki anchor it) selects every value,
 * for the guards that refuse selectors matching every series or stream. Judged by what the
 * pattern matches, not by how it is written: `.+`, `.{1,}`, `(.+)`, `.+?`, `[\s\S]+`,
 * `(?:api|.+)` and `\S+` all accept every probe below.
 */

/**
 * Values a regex that matches "every value" accepts whatever its spelling: names, label values,
 * punctuation. Short, so testing them with a backtracking engine stays cheap even for a pattern
 * the translation let through.
 */
export const VALUE_PROBES = ['a', 'zq_probe_1', 'x:y', 'Up', 'node_cpu', 'A.b-c/9', '0', '_', 'K', '7', 'm-n', 'Q.R', 'w/v', 'h_8', 'J:9', 'g', 'o', 'f.e'];
/** For Prometheus' metric name: names as Prometheus allows them (a letter, `_` or `:` first). */
export const NAME_PROBES = ['a', 'zq_probe_1', 'x:y', 'Up', 'node_cpu', '_', 'A1'];

/** The RE2 pattern as JavaScript reads it (anchored), or undefined when it cannot be read faithfully or cheaply. */
export function compiledLabelRegex(pattern: string): RegExp | undefined {
  try {
    return compileRegex(pattern);
  } catch (err) {
    if (err instanceof UnsupportedRegex) return undefined;
    throw err;
  }
}

/** Fewest probes left after setting aside those sharing a character with the pattern, for that test to say anything. */
const MIN_PROBES_APART = 3;

/**
 * Whether a regex accepts (almost) every value: it accepts every probe, or every probe that holds
 * none of the letters and digits written in the pattern. A regex that selects does it through
 * what it names (`api.*`, `.+-prod`, `[a-z]+`, `\\d+` each refuse most of those probes); one
 * that only excludes (`[^x]+`, `([^x][^x]*)`) accepts all of them. A pattern JavaScript cannot
 * read faithfully (flags inside it, nested quantifiers, …) is taken to accept every value: a
 * guard cannot tell, so it must not let it stand for a narrowing matcher.
 */
export function matchesEveryValue(pattern: string, probes: readonly string[] = VALUE_PROBES): boolean {
  const re = compiledLabelRegex(pattern);
  if (re === undefined || probes.every((p) => re.test(p))) return true;
  const named = new Set(pattern.toLowerCase().match(/[a-z0-9]/g) ?? []);
  const apart = probes.filter((p) => ![...p.toLowerCase()].some((c) => named.has(c)));
  return apart.length >= MIN_PROBES_APART && apart.every((p) => re.test(p));
}

/** Whether a regex accepts the empty value (a series or stream without the label); unreadable, it is taken to. */
export function matchesEmptyValue(pattern: string): boolean {
  return compiledLabelRegex(pattern)?.test('') ?? true;
}
