import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { ServerSettings } from './schema.js';
import type { SettingsFragment } from './fragment.js';

/**
 * A loaded configuration: the server's settings, typed, and every backend's settings by key.
 * Backend settings are read through their module's reader (config/connection.ts), never by key
 * elsewhere, which is why they are not typed here.
 */
export type Config = Readonly<ServerSettings> & Readonly<Record<string, unknown>>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

/** The fragments that make up the settings; named instances make them depend on the raw values. */
export type SettingsFragments = (raw: Readonly<Record<string, unknown>>) => { fragments: SettingsFragment[]; problems: string[] };

function upperKeys(source: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(source).map(([k, v]) => [k.toUpperCase(), v]));
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
  return upperKeys(doc as Record<string, unknown>);
}

function pickKnown(source: Record<string, unknown>, keys: ReadonlySet<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) {
    const upper = key.toUpperCase();
    if (keys.has(upper) && value !== undefined && out[upper] === undefined) out[upper] = value;
  }
  return out;
}

/**
 * defaults < YAML file < environment < flags, validated once and frozen.
 * Every problem is reported on its own line so a user fixes them all in one go.
 */
export function loadSettings(settings: SettingsFragments, opts: { env?: NodeJS.ProcessEnv; file?: string; flags?: Record<string, unknown> } = {}): Config {
  const env = opts.env ?? process.env;
  const file = opts.file ?? env.TELEMCP_CONFIG;
  const yaml = file ? readYaml(file) : {};
  // Instance names are settings too: the first pass reads them from everything given, the second picks the keys they define.
  const { fragments, problems } = settings({ ...yaml, ...upperKeys(env as Record<string, unknown>), ...upperKeys(opts.flags ?? {}) });
  const keys = new Set(fragments.flatMap((f) => Object.keys(f.shape)));
  const secrets = new Set(fragments.flatMap((f) => f.secrets));
  const unknown = Object.keys(yaml).filter((k) => !keys.has(k));
  if (unknown.length) throw new ConfigError(unknown.map((k) => `config file ${file}: unknown key ${k}`));
  const merged = { ...yaml, ...pickKnown(env as Record<string, unknown>, keys), ...pickKnown(opts.flags ?? {}, keys) };
  const schema = z.object(Object.assign({}, ...fragments.map((f) => f.shape))).strict();
  const parsed = schema.safeParse(merged);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = issue.path.join('.') || '(config)';
      const got = secrets.has(String(issue.path[0])) || merged[key] === undefined ? '' : ` (got ${JSON.stringify(String(merged[key])).slice(0, 80)})`;
      problems.push(`config ${key}: ${issue.message}${got}`);
    }
  }
  for (const f of fragments) problems.push(...(f.problems?.(merged) ?? []));
  if (problems.length || !parsed.success) throw new ConfigError(problems);
  const config = Object.freeze(parsed.data) as Config;
  KNOWN.set(config, {
    given: Object.freeze(Object.fromEntries(Object.entries(merged).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : typeof v === 'object' && v ? Object.entries(v).map(([n, x]) => `${n}=${String(x)}`).join(',') : String(v)]))),
    file,
    secrets,
    insecure: fragments.flatMap((f) => f.insecure?.(config) ?? []),
  });
  return config;
}

interface Known {
  given: Readonly<Record<string, string>>;
  file?: string;
  secrets: ReadonlySet<string>;
  insecure: string[];
}
const KNOWN = new WeakMap<Config, Known>();

function known(config: Config): Known {
  const k = KNOWN.get(config);
  if (!k) throw new Error('configuration was not made by loadSettings');
  return k;
}

/**
 * The settings this configuration was given (YAML file, environment, flags), as written, without
 * the defaults: what another telemcp process needs to run as this one does (the stdio config the
 * banner prints). Includes secrets: callers replace those (secretKeys) with placeholders.
 */
export function givenSettings(config: Config): { settings: Readonly<Record<string, string>>; file?: string } {
  const { given, file } = known(config);
  return { settings: given, ...(file ? { file } : {}) };
}

/** Keys whose values must never be echoed back: in a config error, a banner or a printed config. */
export function secretKeys(config: Config): ReadonlySet<string> {
  return known(config).secrets;
}

/** Settings that weaken security (`ES_VERIFY_TLS=false`, `AUDIT_FAIL_MODE=open`), from every fragment. */
export function insecureSettings(config: Config): readonly string[] {
  return known(config).insecure;
}
