/**
 * Alertmanager's own decisions, recomputed from its configuration: which routes an alert's labels
 * reach (dispatch/route.go), which firing alerts inhibit it (inhibit/inhibit.go), which silences
 * match it, and whether a receiver notifies anybody. Read from the configuration document (the
 * YAML of /api/v2/status `config.original`, already parsed), never from a receiver's settings:
 * only receiver names and the kinds of integration they have leave this module.
 */
import { UnsupportedRegex, compileRegex } from './re2.js';

export type Labels = Readonly<Record<string, string>>;
export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  readonly name: string;
  readonly op: MatchOp;
  readonly value: string;
  /** The anchored regex of =~ and !~. */
  readonly re?: RegExp;
  /** Why the regex cannot be evaluated here (the matcher then matches nothing, and the caller is told). */
  readonly unsupported?: string;
}

export interface RouteNode {
  /** `root`, `routes[2]`, `routes[2].routes[0]`: where the route is in the configuration. */
  path: string;
  matchers: Matcher[];
  /** Effective (inherited from the parent when not set). */
  receiver: string;
  /** Effective; `['...']` when grouping by all labels. */
  groupBy: string[];
  groupWait: string;
  groupInterval: string;
  repeatInterval: string;
  continue: boolean;
  /** Not inherited: Alertmanager takes them from the route itself. */
  muteTimeIntervals: string[];
  activeTimeIntervals: string[];
  routes: RouteNode[];
}

export interface InhibitRule {
  index: number;
  name?: string;
  source: Matcher[];
  target: Matcher[];
  equal: string[];
}

export interface ReceiverInfo {
  name: string;
  /** Kinds of integration configured (`webhook`, `pagerduty`, …): never their settings. */
  integrations: string[];
}

export interface RoutingConfig {
  root?: RouteNode;
  inhibitRules: InhibitRule[];
  receivers: ReadonlyMap<string, ReceiverInfo>;
  /** What could not be read faithfully (a regex JavaScript cannot express, a malformed matcher). */
  problems: string[];
}

export interface MatchedRoute {
  path: string;
  /** The route's own matchers, as Alertmanager prints them. */
  matchers: string[];
  receiver: string;
  group_by: string[];
  continue: boolean;
  group_wait: string;
  group_interval: string;
  repeat_interval: string;
  mute_time_intervals?: string[];
  active_time_intervals?: string[];
}

export interface AlertRef {
  labels: Labels;
  fingerprint?: string;
}

export interface Inhibition<A extends AlertRef = AlertRef> {
  rule: number;
  name?: string;
  equal: string[];
  sources: A[];
}

/** A silence matcher as the v2 API writes it; `isEqual` is absent before 0.22 and means true. */
export interface SilenceMatcherSpec {
  name: string;
  value: string;
  isRegex: boolean;
  isEqual?: boolean;
}

const DEFAULT_TIMING = { groupWait: '30s', groupInterval: '5m', repeatInterval: '4h' };
const MAX_PROBLEMS = 20;

// ---------------------------------------------------------------------------------------------
// Matchers
// ---------------------------------------------------------------------------------------------

export function makeMatcher(name: string, op: MatchOp, value: string): Matcher {
  if (op === '=' || op === '!=') return { name, op, value };
  try {
    return { name, op, value, re: compileRegex(value) };
  } catch (err) {
    if (err instanceof UnsupportedRegex) return { name, op, value, unsupported: err.message };
    throw err;
  }
}

/** Whether the value (`''` for a label the alert lacks, as in Alertmanager) satisfies the matcher. */
export function matcherMatches(m: Matcher, value: string): boolean {
  if (m.unsupported) return false;
  switch (m.op) {
    case '=':
      return value === m.value;
    case '!=':
      return value !== m.value;
    case '=~':
      return m.re ? m.re.test(value) : false;
    case '!~':
      return m.re ? !m.re.test(value) : false;
  }
}

/** A label's value, `''` when the alert lacks it (as Alertmanager reads a missing label). */
export function labelValue(labels: Labels, name: string): string {
  return Object.hasOwn(labels, name) ? labels[name] : '';
}

export function matchesAll(matchers: readonly Matcher[], labels: Labels): boolean {
  for (const m of matchers) if (!matcherMatches(m, labelValue(labels, m.name))) return false;
  return true;
}

const RESERVED_NAME = /[\s{}!=~,\\"'`]/;

/** `name="value"` with OpenMetrics escaping, as Alertmanager's Matcher.String prints it. */
export function renderMatcher(m: Pick<Matcher, 'name' | 'op' | 'value'>): string {
  const name = RESERVED_NAME.test(m.name) ? JSON.stringify(m.name) : m.name;
  return `${name}${m.op}"${m.value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`;
}

export function silenceMatcher(spec: SilenceMatcherSpec): Matcher {
  const equal = spec.isEqual !== false;
  return makeMatcher(spec.name, spec.isRegex ? (equal ? '=~' : '!~') : equal ? '=' : '!=', spec.value);
}

const CLASSIC = /^[\t\n\f\r ]*([a-zA-Z_:][a-zA-Z0-9_:]*)[\t\n\f\r ]*(=~|=|!=|!~)[\t\n\f\r ]*([\s\S]*?)[\t\n\f\r ]*$/;

/** pkg/labels ParseMatcher: unquoted or double-quoted values, OpenMetrics escapes. */
function classicMatcher(token: string): Matcher {
  const m = CLASSIC.exec(token);
  if (!m) throw new Error(`bad matcher format: ${token}`);
  let raw = m[3];
  let expectQuote = false;
  if (raw.startsWith('"')) {
    raw = raw.slice(1);
    expectQuote = true;
  }
  let value = '';
  let escaped = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (escaped) {
      escaped = false;
      value += c === 'n' ? '\n' : c === '"' || c === '\\' ? c : `\\${c}`;
      continue;
    }
    if (c === '\\') {
      if (i < raw.length - 1) escaped = true;
      else value += '\\';
    } else if (c === '"') {
      if (!expectQuote || i < raw.length - 1) throw new Error(`matcher value contains unescaped double quote: ${m[3]}`);
      expectQuote = false;
    } else value += c;
  }
  if (expectQuote) throw new Error(`matcher value contains unescaped double quote: ${m[3]}`);
  return makeMatcher(m[1], m[2] as MatchOp, value);
}

/** pkg/labels ParseMatchers: a comma-separated list, optionally in braces, commas inside quotes kept. */
function classicMatchers(input: string): Matcher[] {
  let s = input.startsWith('{') ? input.slice(1) : input;
  if (s.endsWith('}')) s = s.slice(0, -1);
  const tokens: string[] = [];
  let token = '';
  let inQuotes = false;
  let escaped = false;
  for (const c of s) {
    if (c === ',' && !inQuotes) {
      tokens.push(token);
      token = '';
      continue;
    }
    if (c === '"') {
      if (!escaped) inQuotes = !inQuotes;
      else escaped = false;
    } else if (c === '\\') escaped = !escaped;
    else if (c !== ',') escaped = false;
    token += c;
  }
  if (token.trim() !== '') tokens.push(token.trim());
  return tokens.map(classicMatcher);
}

/** Go's strconv.Unquote for a double-quoted token. */
function unquote(token: string): string {
  const body = token.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = body[++i];
    const simple: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"' };
    if (n in simple) out += simple[n];
    else if (n === 'x' || n === 'u' || n === 'U') {
      const len = n === 'x' ? 2 : n === 'u' ? 4 : 8;
      const digits = body.slice(i + 1, i + 1 + len);
      if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(digits)) throw new Error(`invalid escape in ${token}`);
      out += String.fromCodePoint(parseInt(digits, 16));
      i += len;
    } else if (/[0-7]/.test(n ?? '')) {
      const digits = body.slice(i, i + 3);
      if (!/^[0-7]{3}$/.test(digits)) throw new Error(`invalid escape in ${token}`);
      out += String.fromCharCode(parseInt(digits, 8));
      i += 2;
    } else throw new Error(`invalid escape in ${token}`);
  }
  return out;
}

const UTF8_TOKEN = /[\s]+|\{|\}|,|=~|!=|!~|=|"(?:[^"\\]|\\.)*"|[^\s{}!=~,\\"'`]+|./gy;

/** matcher/parse: the UTF-8 syntax (quoted label names, any unquoted token), used where the classic parser fails. */
function utf8Matchers(input: string): Matcher[] {
  const tokens = (input.match(UTF8_TOKEN) ?? []).filter((t) => !/^\s+$/.test(t));
  let i = 0;
  const out: Matcher[] = [];
  const open = tokens[0] === '{';
  if (open) i++;
  const text = (t: string | undefined): string => {
    if (t === undefined) throw new Error(`unexpected end of input: ${input}`);
    if (t.startsWith('"')) {
      if (t.length < 2 || !t.endsWith('"')) throw new Error(`missing end ": ${input}`);
      return unquote(t);
    }
    if (/^[\s{}!=~,\\"'`]/.test(t)) throw new Error(`unexpected ${t}: ${input}`);
    return t;
  };
  while (i < tokens.length && tokens[i] !== '}') {
    const name = text(tokens[i++]);
    const op = tokens[i++];
    if (op !== '=' && op !== '!=' && op !== '=~' && op !== '!~') throw new Error(`expected an operator in ${input}`);
    out.push(makeMatcher(name, op, text(tokens[i++])));
    if (tokens[i] === ',') i++;
    else if (i < tokens.length && tokens[i] !== '}') throw new Error(`expected a comma in ${input}`);
  }
  if (open !== (tokens[i] === '}')) throw new Error(open ? `expected close brace: ${input}` : `unexpected close brace: ${input}`);
  if (tokens[i] === '}') i++;
  if (i !== tokens.length) throw new Error(`expected end of input: ${input}`);
  return out;
}

/**
 * One entry of a `matchers` list (which may hold several, comma-separated), read as Alertmanager
 * reads it by default: the classic parser's answer, or the UTF-8 parser's where the classic one
 * refuses the input. Throws on input both refuse.
 */
export function parseMatchers(input: string): Matcher[] {
  try {
    return classicMatchers(input);
  } catch (classic) {
    try {
      return utf8Matchers(input);
    } catch {
      throw classic;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------

type Doc = Record<string, unknown>;

const isDoc = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
/** YAML 1.1 booleans, as Go's yaml.v2 reads them (the document may be parsed with every scalar a string). */
const truthy = (v: unknown): boolean => v === true || (typeof v === 'string' && /^(?:y|Y|yes|Yes|YES|true|True|TRUE|on|On|ON)$/.test(v));

class Reader {
  readonly problems: string[] = [];

  problem(text: string): void {
    if (this.problems.length < MAX_PROBLEMS) this.problems.push(text);
  }

  /** The matchers of `match`, `match_re` and `matchers` (or their source_/target_ forms), in that order. */
  matchers(doc: Doc, prefix: '' | 'source_' | 'target_', where: string): Matcher[] {
    const out: Matcher[] = [];
    const eq = doc[`${prefix}match`];
    if (isDoc(eq)) for (const [name, v] of Object.entries(eq)) out.push(makeMatcher(name, '=', str(v) ?? ''));
    const re = doc[`${prefix}match_re`];
    if (isDoc(re)) for (const [name, v] of Object.entries(re)) out.push(makeMatcher(name, '=~', str(v) ?? ''));
    for (const line of list(doc[`${prefix}matchers`])) {
      const text = str(line);
      if (text === undefined) continue;
      try {
        out.push(...parseMatchers(text));
      } catch (err) {
        this.problem(`${where}: matcher ${JSON.stringify(text.slice(0, 80))} is not valid (${(err as Error).message.slice(0, 120)}); read as matching nothing`);
        out.push({ name: '', op: '=', value: '', unsupported: 'invalid matcher' });
      }
    }
    for (const m of out) if (m.unsupported && m.name) this.problem(`${where}: regex of ${renderMatcher(m).slice(0, 100)} cannot be evaluated here (${m.unsupported}); read as matching nothing`);
    return out;
  }

  route(doc: Doc, parent: RouteNode | undefined, path: string): RouteNode {
    const own = str(doc.group_by) !== undefined ? [str(doc.group_by)!] : doc.group_by === undefined || doc.group_by === null ? undefined : list(doc.group_by).map((g) => str(g) ?? '');
    let groupBy = parent?.groupBy ?? [];
    // Alertmanager: a list without `...` replaces the parent's; `[...]` alone groups by all labels.
    if (own?.includes('...')) groupBy = ['...'];
    else if (own) groupBy = own;
    const node: RouteNode = {
      path,
      matchers: parent ? this.matchers(doc, '', `route ${path}`) : [],
      receiver: str(doc.receiver) || parent?.receiver || '',
      groupBy,
      groupWait: str(doc.group_wait) ?? parent?.groupWait ?? DEFAULT_TIMING.groupWait,
      groupInterval: str(doc.group_interval) ?? parent?.groupInterval ?? DEFAULT_TIMING.groupInterval,
      repeatInterval: str(doc.repeat_interval) ?? parent?.repeatInterval ?? DEFAULT_TIMING.repeatInterval,
      continue: truthy(doc.continue),
      muteTimeIntervals: list(doc.mute_time_intervals).map((v) => str(v) ?? ''),
      activeTimeIntervals: list(doc.active_time_intervals).map((v) => str(v) ?? ''),
      routes: [],
    };
    node.routes = list(doc.routes)
      .map((child, i) => (isDoc(child) ? this.route(child, node, `${parent ? `${path}.` : ''}routes[${i}]`) : undefined))
      .filter((r): r is RouteNode => r !== undefined);
    return node;
  }
}

/** The routing tree, inhibition rules and receivers of a parsed Alertmanager configuration. */
export function parseRouting(doc: unknown): RoutingConfig {
  const reader = new Reader();
  if (!isDoc(doc)) return { inhibitRules: [], receivers: new Map(), problems: ['the configuration is not a YAML mapping'] };
  const root = isDoc(doc.route) ? reader.route(doc.route, undefined, 'root') : undefined;
  if (!root) reader.problem('the configuration has no route');
  const inhibitRules = list(doc.inhibit_rules)
    .map((r, index): InhibitRule | undefined => {
      if (!isDoc(r)) return undefined;
      const name = str(r.name);
      const where = `inhibit rule ${index}${name ? ` (${name})` : ''}`;
      return { index, ...(name ? { name } : {}), source: reader.matchers(r, 'source_', where), target: reader.matchers(r, 'target_', where), equal: list(r.equal).map((e) => str(e) ?? '') };
    })
    .filter((r): r is InhibitRule => r !== undefined);
  const receivers = new Map<string, ReceiverInfo>();
  for (const r of list(doc.receivers)) {
    if (!isDoc(r) || !str(r.name)) continue;
    const integrations = Object.entries(r)
      .filter(([key, v]) => key.endsWith('_configs') && Array.isArray(v) && v.length > 0)
      .map(([key]) => key.slice(0, -'_configs'.length));
    receivers.set(str(r.name)!, { name: str(r.name)!, integrations });
  }
  return { root, inhibitRules, receivers, problems: reader.problems };
}

// ---------------------------------------------------------------------------------------------
// Decisions
// ---------------------------------------------------------------------------------------------

/** Route.Match: depth first, left to right; a matching child stops its siblings unless it has `continue`. */
function match(route: RouteNode, labels: Labels): RouteNode[] {
  if (!matchesAll(route.matchers, labels)) return [];
  const all: RouteNode[] = [];
  for (const child of route.routes) {
    const found = match(child, labels);
    all.push(...found);
    if (found.length && !child.continue) break;
  }
  return all.length ? all : [route];
}

/** The routes an alert with these labels reaches, in Alertmanager's order: one per notification it would make. */
export function routeOf(config: Pick<RoutingConfig, 'root'>, labels: Labels): MatchedRoute[] {
  if (!config.root) return [];
  return match(config.root, labels).map((r) => ({
    path: r.path,
    matchers: r.matchers.map(renderMatcher),
    receiver: r.receiver,
    group_by: r.groupBy,
    continue: r.continue,
    group_wait: r.groupWait,
    group_interval: r.groupInterval,
    repeat_interval: r.repeatInterval,
    ...(r.muteTimeIntervals.length ? { mute_time_intervals: r.muteTimeIntervals } : {}),
    ...(r.activeTimeIntervals.length ? { active_time_intervals: r.activeTimeIntervals } : {}),
  }));
}

/**
 * The firing alerts that inhibit `target`, rule by rule (inhibit.go Mutes): a rule applies when the
 * target matches its target side and a source alert matches its source side with every `equal`
 * label the same (a label missing on both counts as equal). When the target matches both sides,
 * sources that also match both are left out, so an alert never inhibits itself or its like.
 */
export function inhibitorsOf<A extends AlertRef>(rules: readonly InhibitRule[], target: Labels, sources: readonly A[]): Inhibition<A>[] {
  const out: Inhibition<A>[] = [];
  for (const rule of rules) {
    if (!matchesAll(rule.target, target)) continue;
    const twoSided = matchesAll(rule.source, target);
    const found = sources.filter(
      (s) =>
        matchesAll(rule.source, s.labels) &&
        rule.equal.every((l) => labelValue(s.labels, l) === labelValue(target, l)) &&
        !(twoSided && matchesAll(rule.target, s.labels)),
    );
    if (found.length) out.push({ rule: rule.index, ...(rule.name ? { name: rule.name } : {}), equal: rule.equal, sources: found });
  }
  return out;
}

/** Whether a receiver sends anything: one with no *_configs notifies nobody. Unknown names say undefined. */
export function receiverNotifies(config: Pick<RoutingConfig, 'receivers'>, name: string): boolean | undefined {
  const r = config.receivers.get(name);
  return r ? r.integrations.length > 0 : undefined;
}

/** Whether a silence's matchers (v2 API form) match these labels. */
export function silenceMatches(matchers: readonly SilenceMatcherSpec[], labels: Labels): boolean {
  return matchers.length > 0 && matchesAll(matchers.map(silenceMatcher), labels);
}
