import { quote, type FindingsView, type TextLeaf } from './findings.js';
import type { Evidence } from './types.js';

/**
 * Failure signatures in free text (log lines, error messages). Texts are normalised first —
 * lowercase, `_`/`-`/whitespace runs folded to one space — so "Connection_Refused",
 * "connection-refused" and "CONNECTION  REFUSED" read alike; patterns are written for that form.
 */

export type SignatureId =
  | 'flood_stage_block'
  | 'es_circuit_breaker'
  | 'es_rejected_execution'
  | 'out_of_memory'
  | 'disk_full'
  | 'pool_exhausted'
  | 'tls_handshake'
  | 'dns_failure'
  | 'circuit_breaker_open'
  | 'no_master'
  | 'rate_limited'
  | 'connection_refused'
  | 'upstream_5xx'
  | 'timeout';

interface Signature {
  id: SignatureId;
  /** A text matching several signatures counts only for the most specific ones. */
  specificity: number;
  pattern: RegExp;
}

const SIGNATURES: Signature[] = [
  {
    id: 'flood_stage_block',
    specificity: 4,
    pattern: /read only( \/)? allow delete|flood stage (disk )?watermark|forbidden\/12\/|too many requests\/12\//,
  },
  { id: 'es_circuit_breaker', specificity: 4, pattern: /circuit ?breaking ?exception|\bdata too large\b/ },
  { id: 'es_rejected_execution', specificity: 4, pattern: /es rejected execution exception|rejected execution of /},
  { id: 'no_master', specificity: 4, pattern: /master not discovered|no master|not enough master nodes|masternotdiscoveredexception/ },
  {
    id: 'out_of_memory',
    specificity: 3,
    pattern:
      /out ?of ?memory|java heap space|gc overhead limit exceeded|oom ?kill|heap out of memory|cannot allocate memory|\benomem\b|memoryerror|memory limit exceeded|allocation failed (.*)?javascript heap/,
  },
  {
    id: 'disk_full',
    specificity: 3,
    pattern:
      /no space left on device|\benospc\b|disk (is )?full|disk quota exceeded|(file ?system|volume|partition|device) (is )?full|not enough (free )?(disk )?space|insufficient disk space/,
  },
  {
    id: 'pool_exhausted',
    specificity: 3,
    pattern:
      /(connection|db|database|jdbc|http|client) ?pool (is )?(exhausted|empty|full|limit|timeout)|pool ?exhausted|(unable|cannot|could not|failed) to (get|acquire|obtain|borrow) (a )?(new )?(jdbc |database |db )?connection|connection is not available|timeout waiting for (idle object|connection)|too many (connections|clients)|remaining connection slots|max(imum)? (client )?connections|queuepool limit|no (more )?connections? available|hikaripool|pooltimeout/,
  },
  {
    id: 'tls_handshake',
    specificity: 3,
    pattern:
      /ssl ?handshake|tls handshake|handshake (failed|failure|error|alert|timeout)|certificate verify failed|certificate (has )?expired|cert has expired|unable to verify (the first|leaf)|self signed certificate|\bx509\b|pkix path|unknown ca|bad certificate|wrong version number|sslexception|ssl routines|unable to get (local )?issuer certificate|err tls|tlsv1(\.\d)? alert|certificate signed by unknown authority|altname/,
  },
  {
    id: 'dns_failure',
    specificity: 3,
    pattern:
      /\benotfound\b|\beai again\b|getaddrinfo|unknownhostexception|unknown host|name or service not known|no such host|temporary failure in name resolution|could not resolve|nxdomain|name resolution|\bdns\b|failed to resolve|cannot resolve|unable to resolve|nodename nor servname/,
  },
  {
    id: 'circuit_breaker_open',
    specificity: 3,
    pattern: /circuit ?breaker[^.;]{0,40}\b(open|opened|tripped|short circuit)|callnotpermittedexception|short circuited|breaker (is )?open|circuit (is )?open|brokencircuitexception/,
  },
  {
    id: 'rate_limited',
    specificity: 2,
    pattern: /(http|status|code|response|error|returned|got|received|answered)\W{0,3}429\b|\b429 (too many|rate)|too many requests|rate ?limit|throttl|quota exceeded|slow ?down|request limit exceeded|toomanyrequests|requestlimitexceeded/,
  },
  {
    id: 'connection_refused',
    specificity: 2,
    pattern:
      /connection refused|econnrefused|connectexception|connect exception|no route to host|ehostunreach|connection reset|econnreset|broken pipe|network is unreachable|enetunreach|(failed|unable|could not|cannot|can't) (to )?connect|connection (was )?closed (by|unexpectedly)|socket hang up|connection aborted/,
  },
  {
    id: 'upstream_5xx',
    specificity: 2,
    pattern:
      /bad gateway|service unavailable|upstream (connect )?error|upstream prematurely|no healthy upstream|internal server error|upstream (returned|responded|failed)|\b5xx\b|(http|status|code|response|error|returned|got|received|answered)\W{0,3}5\d\d\b|\b5\d\d (internal|bad|service|gateway)/,
  },
  {
    id: 'timeout',
    specificity: 1,
    pattern: /timed? ?out|timeout|deadline exceeded|\betimedout\b|\besockettimedout\b|took too long|gateway time ?out|(http|status|code|response|error|returned|got|received|answered)\W{0,3}504\b/,
  },
];

export function normalise(text: string): string {
  return text.slice(0, 2000).toLowerCase().replace(/[_\-\s]+/g, ' ').trim();
}

/** The most specific signatures a text shows; empty when it shows none. */
export function signaturesOf(text: string): SignatureId[] {
  const t = normalise(text);
  const hits = SIGNATURES.filter((s) => s.pattern.test(t));
  if (!hits.length) return [];
  const best = Math.max(...hits.map((s) => s.specificity));
  return hits.filter((s) => s.specificity === best).map((s) => s.id);
}

/** The thing a message says it was talking to ("timeout to fraud-service" → fraud-service), when it says so. */
export function targetOf(text: string): string | undefined {
  const m = /\b(?:to|from|calling|call to|connecting to|connect to|host|upstream|service|resolve|lookup)\s+["'[(]?((?:https?:\/\/)?[a-z0-9][a-z0-9._-]*[a-z0-9](?::\d+)?)/i.exec(text);
  if (!m) return undefined;
  const target = m[1].replace(/^https?:\/\//i, '');
  return /^\d+$/.test(target) || target.length > 80 ? undefined : target;
}

export interface TextHit {
  leaf: TextLeaf;
  ids: SignatureId[];
}

/**
 * Signature hits in log lines and in the call's own error texts. Texts of telemcp error
 * bodies are left to the error-code rules, which know more than a pattern can.
 */
export function textHits(view: FindingsView): TextHit[] {
  return view.memo('text_hits', () =>
    view.texts
      .filter((t) => (t.role === 'log' || t.role === 'error') && !t.underCode)
      .map((leaf) => ({ leaf, ids: signaturesOf(leaf.text) }))
      .filter((h) => h.ids.length > 0),
  );
}

/**
 * One entry per counted object and per distinct text: a pattern and its example share one
 * count, and a sample repeats a message that top_error_messages already counted.
 */
function distinct(hits: TextHit[]): TextHit[] {
  const counted = new Set(hits.filter((h) => h.leaf.weightPath).map((h) => normalise(h.leaf.text)));
  const perObject = new Map<string, TextHit>();
  for (const h of hits) {
    if (!h.leaf.weightPath && counted.has(normalise(h.leaf.text))) continue;
    const key = h.leaf.weightPath ? `object ${h.leaf.parentPath}` : `text ${normalise(h.leaf.text)}`;
    if (!perObject.has(key)) perObject.set(key, h);
  }
  const best = new Map<string, TextHit>();
  for (const h of perObject.values()) {
    const key = normalise(h.leaf.text);
    const seen = best.get(key);
    if (!seen || h.leaf.weight > seen.leaf.weight) best.set(key, h);
  }
  return [...best.values()].sort((a, b) => b.leaf.weight - a.leaf.weight);
}

/** Evidence for a set of hits, most frequent first: each text, then its count where it has one. */
export function hitEvidence(hits: TextHit[]): Evidence[] {
  const out: Evidence[] = [];
  for (const h of distinct(hits)) {
    out.push({ path: h.leaf.path, value: quote(h.leaf.text) });
    if (h.leaf.weightPath) out.push({ path: h.leaf.weightPath, value: h.leaf.weight });
  }
  return out;
}

export function hitWeight(hits: TextHit[]): number {
  return distinct(hits).reduce((sum, h) => sum + h.leaf.weight, 0);
}
