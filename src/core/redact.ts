/**
 * Secret masking for everything that leaves the process: logs, audit records, error
 * messages and tool results. Pattern-based (credentials have recognisable shapes) plus the
 * exact values of secrets telemcp was configured with.
 */
const MASK = '***';

const SECRET_KEY_NAME = /^(?:.*[_-])?(?:pass(?:word|wd)?|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|secret[_-]?key|private[_-]?key|authorization|cookie|set-cookie|credentials?|session[_-]?id)$/i;

const STRING_PATTERNS: [RegExp, string][] = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g, `-----BEGIN PRIVATE KEY-----${MASK}`],
  // "Token" is also an ordinary word ("token bucket"): only a long credential-looking value follows it.
  [/\b(Bearer|Basic|ApiKey)\s+[A-Za-z0-9._~+/=-]{8,}/gi, `$1 ${MASK}`],
  [/\b(Token)\s+[A-Za-z0-9._~+/=-]{20,}/gi, `$1 ${MASK}`],
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/:@'"]+:[^\s/@'"]+@/gi, `$1${MASK}:${MASK}@`],
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, MASK],
  [/\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, MASK],
  [/\bgh[pousr]_[A-Za-z0-9]{20,}\b/g, MASK],
  [/\bxox[abprs]-[A-Za-z0-9-]{10,}\b/g, MASK],
  [
    /\b((?:[a-z0-9]+[_-])*(?:pass(?:word|wd)?|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|authorization|cookie|credentials?))(["']?\s*[=:]\s*["']?)([^\s"',;&}]+)/gi,
    `$1$2${MASK}`,
  ],
];

const knownSecrets = new Set<string>();

/** Registers a configured secret (backend password, API key) so its exact value is masked wherever it appears. */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 4) knownSecrets.add(value);
}

/**
 * One scan that every STRING_PATTERNS match must also match: most strings (field values,
 * summaries) hold no credential, and this runs on every string of every result and log line.
 */
const MAYBE_SECRET = /pass|pwd|secret|token|api[_-]?key|access[_-]?key|authoriz|cookie|credential|bearer|basic|eyJ|AKIA|ASIA|gh[pousr]_|xox[abprs]-|PRIVATE KEY|:\/\/[^\s/]*@/i;

export function redactString(input: string): string {
  let out = input;
  for (const secret of knownSecrets) if (out.includes(secret)) out = out.split(secret).join(MASK);
  if (!MAYBE_SECRET.test(out)) return out;
  for (const [pattern, replacement] of STRING_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

export function isSecretKeyName(key: string): boolean {
  return SECRET_KEY_NAME.test(key);
}

/**
 * Deep copy with secrets masked; key names are kept so the shape stays readable, but a
 * credential used as a key (`{"https://u:p@h": 1}`) is masked like any other string.
 */
export function redactValue<T>(value: T, depth = 0): T {
  if (typeof value === 'string') return redactString(value) as T;
  if (value === null || typeof value !== 'object' || depth > 64) return value;
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1)) as T;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    out[redactString(key)] = isSecretKeyName(key) && (typeof v === 'string' || typeof v === 'number') ? MASK : redactValue(v, depth + 1);
  }
  return out as T;
}
