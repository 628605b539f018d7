import { z } from 'zod';
import { bool, int, list, optionalString, optionalUrl } from './schema.js';
import type { SettingsFragment } from './fragment.js';

/** How a backend accepts service credentials; a module lists the ones its product supports. */
export type AuthScheme = 'apiKey' | 'basic' | 'bearer';

/** How to reach one backend instance, as configured: what every backend client is built from. */
export interface Connection {
  url: string;
  apiKey?: string;
  username?: string;
  password?: string;
  bearerToken?: string;
  caCertPath?: string;
  /** mTLS: the client certificate and its key (PEM files). */
  clientCertPath?: string;
  clientKeyPath?: string;
  verifyTls: boolean;
  /** This instance's own timeout, when set; otherwise BACKEND_TIMEOUT_MS. */
  timeoutMs?: number;
  /** Fixed by configuration (a tenant id such as X-Scope-OrgID), never by a caller. */
  headers: Record<string, string>;
}

// Headers that carry credentials or framing: set through their own settings or by the client, never as extra headers.
const RESERVED_HEADERS = new Set(['authorization', 'host', 'content-length', 'content-type', 'transfer-encoding', 'connection', 'cookie', 'proxy-authorization', 'te', 'upgrade']);
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

/** `Name=value,Name2=value` in env; a mapping in YAML. Values are kept as written. */
const headers = z.preprocess(
  (v) => (v === '' ? undefined : v),
  z
    .union([z.record(z.string(), z.coerce.string()), z.string()])
    .transform((v, ctx) => {
      const pairs = typeof v === 'string' ? v.split(',').map((p) => p.trim()).filter(Boolean).map((p) => [p.slice(0, p.indexOf('=')).trim(), p.slice(p.indexOf('=') + 1).trim()] as const) : Object.entries(v);
      const out: Record<string, string> = {};
      for (const [name, value] of pairs) {
        if (!HEADER_NAME.test(name) || /[\r\n\0]/.test(value)) ctx.addIssue({ code: 'custom', message: 'must be Name=value pairs separated by commas, such as X-Scope-OrgID=tenant-a' });
        else if (RESERVED_HEADERS.has(name.toLowerCase())) ctx.addIssue({ code: 'custom', message: `${name} cannot be set as an extra header; use the credential settings` });
        else out[name] = value;
      }
      return out;
    })
    .optional(),
);

const SUFFIX = {
  url: 'URL',
  apiKey: 'API_KEY',
  username: 'USERNAME',
  password: 'PASSWORD',
  bearerToken: 'BEARER_TOKEN',
  caCertPath: 'CA_CERT',
  clientCertPath: 'CLIENT_CERT',
  clientKeyPath: 'CLIENT_KEY',
  verifyTls: 'VERIFY_TLS',
  timeoutMs: 'TIMEOUT_MS',
  headers: 'HEADERS',
} as const;

/**
 * The settings every backend connection shares, under one prefix (`KIBANA` → KIBANA_URL,
 * KIBANA_API_KEY, …): URL, the credential schemes the product accepts, CA file, mTLS client
 * certificate, the verify switch, a timeout and extra headers. Secrets, the insecure switch and
 * the checks across them come with it, so no list elsewhere has to repeat them.
 */
export function connectionSettings(prefix: string, auth: readonly AuthScheme[]): SettingsFragment & { read: (config: Readonly<Record<string, unknown>>) => Connection | undefined } {
  const key = (suffix: string) => `${prefix}_${suffix}`;
  const shape: z.ZodRawShape = {
    [key(SUFFIX.url)]: optionalUrl.describe(`the instance's base URL (\`https://host:port\`); setting it turns the backend on`),
    ...(auth.includes('apiKey') ? { [key(SUFFIX.apiKey)]: optionalString.describe('an API key, sent as `Authorization: ApiKey …`') } : {}),
    ...(auth.includes('basic') ? { [key(SUFFIX.username)]: optionalString.describe(`Basic authentication: the user (a read-only one), with \`${key(SUFFIX.password)}\``), [key(SUFFIX.password)]: optionalString.describe(`Basic authentication: the password of \`${key(SUFFIX.username)}\``) } : {}),
    ...(auth.includes('bearer') ? { [key(SUFFIX.bearerToken)]: optionalString.describe('a bearer token, sent as `Authorization: Bearer …`') } : {}),
    [key(SUFFIX.caCertPath)]: optionalString.describe("a CA certificate file (PEM) the instance's TLS certificate is verified against"),
    [key(SUFFIX.clientCertPath)]: optionalString.describe(`mTLS: the client certificate file (PEM), with \`${key(SUFFIX.clientKeyPath)}\``),
    [key(SUFFIX.clientKeyPath)]: optionalString.describe(`mTLS: the client key file (PEM), with \`${key(SUFFIX.clientCertPath)}\``),
    [key(SUFFIX.verifyTls)]: bool.default(true).describe('`false` skips TLS certificate verification: reported as insecure at start-up, in `/readyz` and as a metric'),
    [key(SUFFIX.timeoutMs)]: z.preprocess((v) => (v === '' ? undefined : v), int(100, 600_000).optional()).describe('this instance\'s request deadline, in ms. Unset: `BACKEND_TIMEOUT_MS`'),
    [key(SUFFIX.headers)]: headers.describe('extra headers on every request, `Name=value,…` (a mapping in YAML), such as a tenant\'s `X-Scope-OrgID=tenant-a`: fixed by configuration, never by a caller; `Authorization`, `Host`, `Cookie` and the other credential or framing headers are refused'),
  };
  // Extra headers may carry a token (a gateway's), so their values are kept like secrets.
  const secrets = [SUFFIX.apiKey, SUFFIX.password, SUFFIX.bearerToken, SUFFIX.headers].map(key).filter((k) => k in shape);
  return {
    shape,
    secrets,
    problems(raw) {
      const set = (suffix: string) => raw[key(suffix)] !== undefined && raw[key(suffix)] !== '';
      const out: string[] = [];
      if (set(SUFFIX.username) && !set(SUFFIX.password)) out.push(`config ${key(SUFFIX.password)}: required when ${key(SUFFIX.username)} is set`);
      const schemes = [SUFFIX.apiKey, SUFFIX.username, SUFFIX.bearerToken].filter(set);
      if (schemes.length > 1) out.push(`config ${key(schemes[0]!)}: set one of ${schemes.map(key).join(', ')}, not several`);
      if (set(SUFFIX.clientCertPath) !== set(SUFFIX.clientKeyPath)) out.push(`config ${key(SUFFIX.clientKeyPath)}: ${key(SUFFIX.clientCertPath)} and ${key(SUFFIX.clientKeyPath)} go together (mTLS)`);
      return out;
    },
    insecure: (config) => (config[key(SUFFIX.url)] && config[key(SUFFIX.verifyTls)] === false ? [`${key(SUFFIX.verifyTls)}=false`] : []),
    read(config) {
      const url = config[key(SUFFIX.url)] as string | undefined;
      if (!url) return undefined;
      const get = (suffix: string) => config[key(suffix)] as string | undefined;
      return {
        url,
        apiKey: get(SUFFIX.apiKey),
        username: get(SUFFIX.username),
        password: get(SUFFIX.password),
        bearerToken: get(SUFFIX.bearerToken),
        caCertPath: get(SUFFIX.caCertPath),
        clientCertPath: get(SUFFIX.clientCertPath),
        clientKeyPath: get(SUFFIX.clientKeyPath),
        verifyTls: config[key(SUFFIX.verifyTls)] !== false,
        timeoutMs: config[key(SUFFIX.timeoutMs)] as number | undefined,
        headers: (config[key(SUFFIX.headers)] as Record<string, string> | undefined) ?? {},
      };
    },
  };
}

/** A name several instances of one backend kind are told apart by: the `source` a tool takes. */
const INSTANCE_NAME = /^[a-z][a-z0-9]{0,30}$/;

/**
 * Named instances of one backend kind (two Prometheus servers, a Mimir tenant): `<PREFIX>_INSTANCES=a,b`
 * names them, and each takes the kind's settings under `<PREFIX>_<NAME>_` (PROMETHEUS_MIMIR_URL,
 * PROMETHEUS_MIMIR_HEADERS, …), in env and YAML alike. The unnamed settings stay the default instance.
 */
function instanceNames(raw: Readonly<Record<string, unknown>>, prefix: string): { names: string[]; problems: string[] } {
  const value = raw[`${prefix}_INSTANCES`];
  const given = Array.isArray(value) ? value.map(String) : typeof value === 'string' ? value.split(',') : [];
  const names: string[] = [];
  const problems: string[] = [];
  for (const name of given.map((n) => n.trim().toLowerCase()).filter(Boolean)) {
    if (!INSTANCE_NAME.test(name)) problems.push(`config ${prefix}_INSTANCES: ${JSON.stringify(name.slice(0, 40))} must be a lowercase name of letters and digits starting with a letter`);
    else if (names.includes(name)) problems.push(`config ${prefix}_INSTANCES: ${name} is named twice`);
    else names.push(name);
  }
  return { names, problems };
}

/** The settings prefix of a named instance. */
function instancePrefix(prefix: string, name: string): string {
  return `${prefix}_${name.toUpperCase()}`;
}

/** One configured instance: its name and its connection. */
export interface NamedConnection {
  name: string;
  connection: Connection;
}

/**
 * The settings of a backend kind with named instances: the default instance under `prefix`
 * (named `defaultName`), each named one under its own prefix, and `<PREFIX>_INSTANCES`.
 * `read` gives the instances whose URL is set, default first.
 */
export function connectionInstances(
  prefix: string,
  defaultName: string,
  auth: readonly AuthScheme[],
): {
  settings: (raw: Readonly<Record<string, unknown>>) => { fragment: SettingsFragment; problems: string[] };
  read: (config: Readonly<Record<string, unknown>>) => NamedConnection[];
} {
  const instances = (raw: Readonly<Record<string, unknown>>) => {
    const { names, problems } = instanceNames(raw, prefix);
    const taken = names.includes(defaultName) ? [`config ${prefix}_INSTANCES: ${defaultName} names the default instance (the ${prefix}_* settings); choose another name`] : [];
    return { list: [{ name: defaultName, part: connectionSettings(prefix, auth) }, ...names.filter((n) => n !== defaultName).map((name) => ({ name, part: connectionSettings(instancePrefix(prefix, name), auth) }))], problems: [...problems, ...taken] };
  };
  return {
    settings(raw) {
      const { list: parts, problems } = instances(raw);
      return {
        problems,
        fragment: {
          shape: Object.assign({ [`${prefix}_INSTANCES`]: list.optional().describe(`named instances besides the default one, such as \`eu,us\`: each takes these settings under its own prefix (\`${instancePrefix(prefix, 'eu')}_URL\`, …) in env and YAML alike, and is a \`source\` of the tools that read this backend`) }, ...parts.map((p) => p.part.shape)),
          secrets: parts.flatMap((p) => p.part.secrets),
          problems: (r) => parts.flatMap((p) => p.part.problems?.(r) ?? []),
          insecure: (c) => parts.flatMap((p) => p.part.insecure?.(c) ?? []),
        },
      };
    },
    read: (config) => instances(config).list.flatMap(({ name, part }) => {
      const connection = part.read(config);
      return connection ? [{ name, connection }] : [];
    }),
  };
}
