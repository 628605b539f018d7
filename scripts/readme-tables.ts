/**
 * The README's tables, generated from the code: the Tools section (tools, discovery tools, prompts,
 * saved searches) from the toolsets, and the Configuration section (server settings, backends,
 * the connection settings they share) from the settings fragments and the backend modules.
 * Each table sits between markers in README.md:
 *
 *   <!-- generated: NAME (npm run docs) -->
 *   …
 *   <!-- end generated -->
 *
 * and the prose around them is the README's own. `npm run docs` rewrites the tables; without
 * `--write` this script only checks them (exit 1 when stale), as test/contract/readme.test.ts does.
 */
import { readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { SERVER_SETTINGS } from '../src/config/schema.js';
import { connectionInstances, type AuthScheme } from '../src/config/connection.js';
import type { SettingsFragment } from '../src/config/fragment.js';
import { BACKEND_MODULES } from '../src/backends/modules.js';
import type { BackendModule } from '../src/backends/module.js';
import { TOOLSETS } from '../src/tools/toolsets.js';
import { DISCOVERY_TOOLSET, LISTED_META_TOOLS, type DiscoveryMode } from '../src/tools/discovery/index.js';
import type { AnyTool } from '../src/tools/tool.js';

export const README = fileURLToPath(new URL('../README.md', import.meta.url));

// ---------------------------------------------------------------- schemas

type AnySchema = z.core.$ZodType;
interface WrapperDef {
  type: string;
  innerType?: AnySchema;
  in?: AnySchema;
  out?: AnySchema;
  defaultValue?: unknown;
}

/** The schema and the ones it wraps (default, optional, preprocess pipes, …), outermost first. */
function chain(schema: AnySchema): AnySchema[] {
  const def = schema._zod.def as unknown as WrapperDef;
  const inner = [def.innerType, def.in, def.out].filter((s): s is AnySchema => s !== undefined);
  return [schema, ...inner.flatMap(chain)];
}

/** A setting's user-facing text: `.describe()` or `.meta({ description })` on it or on what it wraps. */
export function descriptionOf(schema: AnySchema): string | undefined {
  for (const s of chain(schema)) {
    const text = z.globalRegistry.get(s)?.description;
    if (text?.trim()) return text.trim();
  }
  return undefined;
}

/** The zod default, when the setting has one. */
export function defaultOf(schema: AnySchema): { value: unknown } | undefined {
  const withDefault = chain(schema).find((s) => (s._zod.def as unknown as WrapperDef).type === 'default');
  return withDefault ? { value: (withDefault._zod.def as unknown as WrapperDef).defaultValue } : undefined;
}

// ---------------------------------------------------------------- markdown

const code = (s: string) => `\`${s}\``;
/** A table cell: one line, pipes escaped. */
const cell = (s: string) => s.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');
const table = (head: string[], rows: string[][]) =>
  [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');

/** The default column: the zod default as written in env, `—` when none; a secret's never. */
export function defaultCell(schema: AnySchema, secret: boolean): string {
  const d = defaultOf(schema);
  if (secret) return d === undefined ? '— (secret)' : '(secret, not shown)';
  if (d === undefined) return '—';
  const v = d.value;
  if (v === undefined || v === '' || (Array.isArray(v) && v.length === 0)) return '—';
  return code(Array.isArray(v) ? v.join(',') : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v));
}

// ---------------------------------------------------------------- configuration

/** A row of a settings table; `keys` are the settings it documents (each documented exactly once). */
export interface SettingRow {
  keys: string[];
  cells: string[];
}

function settingRows(fragment: SettingsFragment, keys = Object.keys(fragment.shape)): SettingRow[] {
  const secrets = new Set(fragment.secrets);
  return keys.map((key) => {
    const schema = fragment.shape[key] as AnySchema;
    return { keys: [key], cells: [code(key), defaultCell(schema, secrets.has(key)), descriptionOf(schema) ?? ''] };
  });
}

/** Every credential scheme (a new one fails to compile here until it is documented). */
const ALL_AUTH: Record<AuthScheme, true> = { apiKey: true, basic: true, bearer: true };
const AUTH_NAMES: Record<AuthScheme, string> = { apiKey: 'API key', basic: 'Basic', bearer: 'Bearer' };
/** The key that shows a connection accepts a scheme. */
const AUTH_SUFFIX: Record<AuthScheme, string> = { apiKey: 'API_KEY', basic: 'USERNAME', bearer: 'BEARER_TOKEN' };

/** Stands for a backend's prefix (`ES`, `KIBANA`, …) in the shared connection table. */
const PREFIX = '<PREFIX>';
/** The connection settings every backend shares, with every scheme and named instances: what the connection table lists. */
const SHARED = connectionInstances(PREFIX, 'default', Object.keys(ALL_AUTH) as AuthScheme[]).settings({}).fragment;
// `<PREFIX>_INSTANCES` last: it names more of everything above it.
const SHARED_KEYS = Object.keys(SHARED.shape).sort((a, b) => Number(a.endsWith('_INSTANCES')) - Number(b.endsWith('_INSTANCES')));
const SHARED_SUFFIXES = SHARED_KEYS.map((k) => k.slice(PREFIX.length + 1));

interface ModuleSettings {
  module: BackendModule;
  fragment: SettingsFragment;
  /** The prefix of its connection settings, when it has them (the key with `<prefix>_URL` and `<prefix>_VERIFY_TLS`). */
  prefix?: string;
  /** Its connection settings (documented by its row and the shared table); the rest are its own. */
  connectionKeys: string[];
  ownKeys: string[];
}

function moduleSettings(module: BackendModule): ModuleSettings {
  const { fragment } = module.settings({});
  const keys = Object.keys(fragment.shape);
  const prefix = keys.filter((k) => k.endsWith('_URL')).map((k) => k.slice(0, -'_URL'.length)).find((p) => keys.includes(`${p}_VERIFY_TLS`));
  const connectionKeys = prefix ? keys.filter((k) => SHARED_SUFFIXES.some((s) => k === `${prefix}_${s}`)) : [];
  return { module, fragment, prefix, connectionKeys, ownKeys: keys.filter((k) => !connectionKeys.includes(k)) };
}

/** `ES_URL`, `ES_API_KEY` or `ES_USERNAME`/`ES_PASSWORD` or `ES_BEARER_TOKEN`, `ES_CA_CERT`, …: the module's keys, read as the product takes them. */
function connectionKeysCell(m: ModuleSettings): string {
  const has = (suffix: string) => m.connectionKeys.includes(`${m.prefix}_${suffix}`);
  const k = (suffix: string) => code(`${m.prefix}_${suffix}`);
  const pairs: Record<string, string> = { USERNAME: 'PASSWORD', CLIENT_CERT: 'CLIENT_KEY' };
  const paired = new Set(Object.values(pairs));
  const credential = new Set(Object.values(AUTH_SUFFIX).flatMap((s) => [s, pairs[s] ?? s]));
  const parts: string[] = [];
  let schemes: string[] = [];
  const flush = () => {
    if (schemes.length) parts.push(schemes.join(' or '));
    schemes = [];
  };
  for (const suffix of SHARED_SUFFIXES.filter(has)) {
    if (paired.has(suffix) && Object.entries(pairs).some(([a, b]) => b === suffix && has(a))) continue;
    const text = pairs[suffix] && has(pairs[suffix]) ? `${k(suffix)}/${k(pairs[suffix])}` : k(suffix);
    if (credential.has(suffix)) schemes.push(text);
    else {
      flush();
      parts.push(text);
    }
  }
  flush();
  return parts.join(', ');
}

function credentialsCell(m: ModuleSettings): string {
  if (!m.prefix) return '—';
  const schemes = (Object.keys(ALL_AUTH) as AuthScheme[]).filter((s) => m.connectionKeys.includes(`${m.prefix}_${AUTH_SUFFIX[s]}`));
  return schemes.length ? schemes.map((s) => AUTH_NAMES[s]).join(', ') : 'none';
}

export interface ConfigTables {
  settings: SettingRow[];
  backends: SettingRow[];
  connection: SettingRow[];
}

/** The Configuration section's tables, and which settings each row documents. */
export function configTables(): ConfigTables {
  const modules = BACKEND_MODULES.map(moduleSettings);
  return {
    // The server's settings, then any a backend module has besides its connection.
    settings: [...settingRows(SERVER_SETTINGS), ...modules.flatMap((m) => settingRows(m.fragment, m.ownKeys))],
    backends: modules.map((m) => ({
      keys: m.connectionKeys,
      cells: [code(m.module.kind), m.module.description, m.module.enable, m.connectionKeys.length ? connectionKeysCell(m) : 'none of its own', credentialsCell(m)],
    })),
    connection: settingRows(SHARED, SHARED_KEYS).map((row) => ({ keys: [], cells: row.cells })),
  };
}

/** Every setting of the composed schema, as loadConfig composes it with no named instances. */
export function composedSettings(raw: Readonly<Record<string, unknown>> = {}): SettingsFragment[] {
  return [SERVER_SETTINGS, ...BACKEND_MODULES.map((m) => m.settings(raw).fragment)];
}

// ---------------------------------------------------------------- tools

const catalogSets = () => TOOLSETS.filter((s) => s.name !== DISCOVERY_TOOLSET);
const discoverySet = () => TOOLSETS.find((s) => s.name === DISCOVERY_TOOLSET);
const answers = (tool: AnyTool) => tool.readme ?? tool.description;

function toolsTable(): string {
  const rows = catalogSets().flatMap((set) => set.tools.map((t) => [code(t.name), code(set.name), code(t.leastRole), answers(t)]));
  return table(['tool', 'toolset', 'least role', 'what it answers'], rows);
}

function discoveryTable(): string {
  const set = discoverySet();
  if (!set) return '';
  const modes = Object.keys(LISTED_META_TOOLS) as DiscoveryMode[];
  const listedWhen = (name: string) => {
    const where = modes.filter((m) => LISTED_META_TOOLS[m].includes(name));
    return where.length === modes.length ? 'every mode' : where.length ? where.map((m) => code(`TOOL_DISCOVERY=${m}`)).join(', ') : 'never (callable by name)';
  };
  const rows = set.tools.map((t) => [code(t.name), code(t.leastRole), listedWhen(t.name), answers(t)]);
  const names = catalogSets().map((s) => code(s.name)).join(', ');
  return [
    table(['tool', 'least role', 'listed in `tools/list`', 'what it does'], rows),
    '',
    `With ${code('TOOL_DISCOVERY=categories')}, \`tools/list\` shows one tool per toolset instead, named after it (${names}): it runs one of that toolset's tools, chosen by name, with its arguments.`,
  ].join('\n');
}

function promptsTable(): string {
  const prompts = TOOLSETS.flatMap((set) => (set.prompts ?? []).map((p) => ({ set, p })));
  const rows = prompts.map(({ set, p }) => {
    const shape = p.args.shape as Record<string, AnySchema>;
    const args = Object.keys(shape)
      .map((name) => `${code(name)}${(shape[name] as z.ZodType).isOptional() ? ' (optional)' : ''}: ${(p.argDescriptions as Record<string, string>)[name] ?? ''}`)
      .join('; ');
    return [code(p.name), code(set.name), code(p.leastRole), args || '—', p.description];
  });
  return table(['prompt', 'toolset', 'least role', 'arguments', 'what it does'], rows);
}

function resourcesTable(): string {
  const tools = new Map(TOOLSETS.flatMap((s) => s.tools.map((t) => [t.name, t] as const)));
  const rows = TOOLSETS.flatMap((set) =>
    (set.savedSearches ?? []).map((r) => {
      const uri = r.uri ? code(r.uri) : `${code(r.uriTemplate ?? '')} (template)`;
      const role = tools.get(r.tool)?.leastRole;
      return [uri, code(r.tool), role ? code(role) : '—', r.description];
    }),
  );
  return table(['resource', 'runs', 'least role', 'what it reads'], rows);
}

// ---------------------------------------------------------------- README

/** Each generated block of the README, by marker name. */
export function generatedBlocks(): Record<string, string> {
  const config = configTables();
  return {
    tools: toolsTable(),
    discovery: discoveryTable(),
    prompts: promptsTable(),
    resources: resourcesTable(),
    settings: table(['setting', 'default', 'meaning'], config.settings.map((r) => r.cells)),
    backends: table(['backend', 'what it reads', 'turned on by', 'settings', 'credentials'], config.backends.map((r) => r.cells)),
    connection: table(['setting', 'default', 'meaning'], config.connection.map((r) => r.cells)),
  };
}

const BLOCK = /(<!-- generated: ([a-z-]+) \(npm run docs\) -->\n)([\s\S]*?)(<!-- end generated -->)/g;

/** The README's current blocks, by marker name. */
export function readmeBlocks(readme: string): Record<string, string> {
  return Object.fromEntries([...readme.matchAll(BLOCK)].map((m) => [m[2], m[3].replace(/\n$/, '')]));
}

/** The README with every block regenerated; a block the README lacks, or one the code does not know, is an error. */
export function regenerate(readme: string, blocks = generatedBlocks()): string {
  const present = Object.keys(readmeBlocks(readme));
  const missing = Object.keys(blocks).filter((name) => !present.includes(name));
  const unknown = present.filter((name) => !(name in blocks));
  if (missing.length || unknown.length) {
    throw new Error(`README.md markers: ${[...missing.map((n) => `missing <!-- generated: ${n} (npm run docs) -->`), ...unknown.map((n) => `unknown block ${n}`)].join('; ')}`);
  }
  return readme.replace(BLOCK, (_all, open: string, name: string, _old: string, close: string) => `${open}${blocks[name]}\n${close}`);
}

function main(): void {
  const write = process.argv.includes('--write');
  const current = readFileSync(README, 'utf8');
  const next = regenerate(current);
  if (next === current) {
    process.stdout.write('README.md tables are up to date\n');
    return;
  }
  if (write) {
    writeFileSync(README, next);
    process.stdout.write('README.md tables rewritten\n');
    return;
  }
  const stale = Object.entries(readmeBlocks(next)).filter(([name, text]) => readmeBlocks(current)[name] !== text).map(([name]) => name);
  process.stderr.write(`README.md is stale (${stale.join(', ')}): run npm run docs\n`);
  process.exitCode = 1;
}

const invoked = process.argv[1] ? realpathSync(process.argv[1]) : '';
if (invoked === realpathSync(fileURLToPath(import.meta.url))) main();
