/**
 * What Loki 3's distributor adds to pushed data by default, so the fake's answers carry the same
 * labels a real Loki 3 returns (https://grafana.com/docs/loki/latest/configure/#limits_config):
 *
 * - `discover_service_name` (default list below): a stream without `service_name` gets it from the
 *   first listed label it has, else `unknown_service`. It is an indexed stream label.
 * - `discover_log_levels` (default true): each entry without `detected_level` structured
 *   metadata gets one, from a level label, a level structured-metadata field, the line's JSON
 *   (two levels deep) or logfmt level field, or else keywords in the line; `unknown` when none.
 *   Behaviour as in Loki's distributor (pkg/distributor/field_detection.go).
 */

export const LOKI_DISCOVER_SERVICE_NAME = ['service', 'app', 'application', 'app_name', 'name', 'app_kubernetes_io_name', 'container', 'container_name', 'k8s_container_name', 'component', 'workload', 'job', 'k8s_job_name'];

const LEVEL_FIELDS = ['level', 'LEVEL', 'Level', 'log.level', 'severity', 'SEVERITY', 'Severity', 'SeverityText', 'lvl', 'LVL', 'Lvl', 'severity_text', 'Severity_Text', 'SEVERITY_TEXT'];

const LEVEL_ALIASES: Record<string, string> = {
  trace: 'trace',
  trc: 'trace',
  debug: 'debug',
  dbg: 'debug',
  info: 'info',
  inf: 'info',
  information: 'info',
  warn: 'warn',
  wrn: 'warn',
  warning: 'warn',
  error: 'error',
  err: 'error',
  critical: 'critical',
  fatal: 'fatal',
};

export function withServiceName(labels: Record<string, string>, discover: readonly string[]): Record<string, string> {
  if (discover.length === 0 || labels.service_name !== undefined) return labels;
  const from = discover.find((name) => labels[name] !== undefined);
  return { ...labels, service_name: from === undefined ? 'unknown_service' : labels[from] };
}

function normalize(level: string): string | undefined {
  return LEVEL_ALIASES[level.toLowerCase()];
}

/** Loki's last resort: fixed keywords in the line, checked in this order. */
function levelFromKeywords(line: string): string {
  const has = (...needles: string[]) => needles.some((n) => line.includes(n));
  if (has('info:', 'INFO:', '[info]', '[INFO]', 'info', 'INFO')) return 'info';
  if (has('err:', 'ERR:', '[err]', '[ERR]', '[error]', '[ERROR]')) return 'error';
  if (has('warn:', 'WARN:', '[warn]', '[WARN]', '[warning]', '[WARNING]', 'warning', 'WARNING')) return 'warn';
  if (has('critical:', 'CRITICAL:', '[critical]', '[CRITICAL]')) return 'critical';
  if (has('debug:', 'DEBUG:', '[debug]', '[DEBUG]', 'debug', 'DEBUG')) return 'debug';
  return 'unknown';
}

function jsonLevel(line: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  const walk = (value: unknown, depth: number): string | undefined => {
    if (depth >= 2 || value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (typeof v === 'string' && LEVEL_FIELDS.includes(k)) return v;
      if (v !== null && typeof v === 'object') {
        const nested = walk(v, depth + 1);
        if (nested !== undefined) return nested;
      }
    }
    return undefined;
  };
  return walk(parsed, 0);
}

/** The logfmt value of the earliest-listed level field present (keys compared case-insensitively). */
function logfmtLevel(line: string): string | undefined {
  let best: { rank: number; value: string } | undefined;
  for (const [, key, quoted, bare] of line.matchAll(/([^\s=]+)=(?:"((?:[^"\\]|\\.)*)"|(\S*))/g)) {
    const rank = LEVEL_FIELDS.findIndex((f) => f.toLowerCase() === key.toLowerCase());
    if (rank >= 0 && (best === undefined || rank < best.rank)) best = { rank, value: quoted ?? bare };
  }
  return best?.value;
}

function levelFromLine(line: string): string {
  const trimmed = line.trim();
  let found: string | undefined;
  if (trimmed.startsWith('{') && trimmed.endsWith('}')) found = jsonLevel(line);
  else if (line.includes('=')) found = logfmtLevel(line);
  else return levelFromKeywords(line);
  return (found === undefined ? undefined : normalize(found)) ?? levelFromKeywords(line);
}

/** The entry's structured metadata with `detected_level` added (or normalised) as Loki does. */
export function withDetectedLevel(streamLabels: Record<string, string>, metadata: Record<string, string>, line: string): Record<string, string> {
  if (metadata.detected_level !== undefined) return { ...metadata, detected_level: normalize(metadata.detected_level) ?? metadata.detected_level };
  const fromLabel = LEVEL_FIELDS.find((f) => streamLabels[f] !== undefined);
  if (fromLabel !== undefined) return { ...metadata, detected_level: normalize(streamLabels[fromLabel]) ?? streamLabels[fromLabel] };
  const fromMetadata = LEVEL_FIELDS.find((f) => metadata[f] !== undefined);
  if (fromMetadata !== undefined) return { ...metadata, detected_level: normalize(metadata[fromMetadata]) ?? metadata[fromMetadata] };
  return { ...metadata, detected_level: levelFromLine(line) };
}
