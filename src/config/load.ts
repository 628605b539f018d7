import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { configSchema, CONFIG_KEYS, crossFieldProblems, type RawConfig } from './schema.js';

export type Config = Readonly<RawConfig>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

/** Keys whose values must never be echoed back in a config error, a banner or a printed config. */
export const SECRET_KEYS: ReadonlySet<string> = new Set(['API_KEYS', 'ES_API_KEY', 'ES_PASSWORD', 'OPENSEARCH_PASSWORD', 'KIBANA_API_KEY', 'KIBANA_PASSWORD', 'LOGSTASH_PASSWORD', 'CURSOR_SECRET']);

function pickKnown(source: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of CONFIG_KEYS) {
    const value = source[key] ?? source[key.toLowerCase()];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

function readYaml(path: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError([`config file ${path}: ${(err as Error).message.split('\n')[0]}`]);
  }
  if (doc == null) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError([`config file ${path}: must be a mapping of KEY: value`]);
  const unknown = Object.keys(doc).filter((k) => !CONFIG_KEYS.includes(k.toUpperCase() as keyof RawConfig));
  if (unknown.length) throw new ConfigError(unknown.map((k) => `config file ${path}: unknown key ${k}`));
  return pickKnown(doc as Record<string, unknown>);
}

/**
 * defaults < YAML file < environment < flags, validated once and frozen.
 * Every problem is reported on its own line so a user fixes them all in one go.
 */
export function loadConfig(opts: { env?: NodeJS.ProcessEnv; file?: string; flags?: Record<string, unknown> } = {}): Config {
  const env = opts.env ?? process.env;
  const file = opts.file ?? env.TELEMCP_CONFIG;
  const merged = { ...(file ? readYaml(file) : {}), ...pickKnown(env as Record<string, unknown>), ...pickKnown(opts.flags ?? {}) };
  const parsed = configSchema.safeParse(merged);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => {
        const key = issue.path.join('.') || '(config)';
        const got = SECRET_KEYS.has(String(issue.path[0])) || merged[key] === undefined ? '' : ` (got ${JSON.stringify(String(merged[key])).slice(0, 80)})`;
        return `config ${key}: ${issue.message}${got}`;
      });
  problems.push(...crossFieldProblems(merged));
  if (problems.length || !parsed.success) throw new ConfigError(problems);
  const config = Object.freeze(parsed.data);
  GIVEN.set(config, Object.freeze(Object.fromEntries(Object.entries(merged).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : String(v)]))));
  if (file) GIVEN_FILE.set(config, file);
  return config;
}

const GIVEN = new WeakMap<Config, Readonly<Record<string, string>>>();
const GIVEN_FILE = new WeakMap<Config, string>();

/**
 * The settings this configuration was given (YAML file, environment, flags), as written, without
 * the defaults: what another telemcp process needs to run as this one does (the stdio config the
 * banner prints). Includes secrets: callers replace those (SECRET_KEYS) with placeholders.
 */
export function givenSettings(config: Config): { settings: Readonly<Record<string, string>>; file?: string } {
  const file = GIVEN_FILE.get(config);
  return { settings: GIVEN.get(config) ?? {}, ...(file ? { file } : {}) };
}

/** `auto` keeps logs in the embedded store exactly when no Elasticsearch/OpenSearch is configured. */
export function embeddedStoreOn(config: Pick<Config, 'EMBEDDED_STORE' | 'ES_URL' | 'OPENSEARCH_URL'>): boolean {
  return config.EMBEDDED_STORE === 'on' || (config.EMBEDDED_STORE === 'auto' && !config.ES_URL && !config.OPENSEARCH_URL);
}
