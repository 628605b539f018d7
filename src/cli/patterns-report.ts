import type { LineFormat } from '../analysis/templates/line-reader.js';
import type { TemplateSummary } from '../analysis/templates/miner.js';
import { sanitizeText } from '../security/sanitize.js';

/** What `telemcp patterns` read, before the templates: the first thing a reader (or a script) needs. */
export interface PatternsSummary {
  /** The file, or `-` for stdin. */
  input: string;
  format: LineFormat;
  /** Input lines, blank ones included (the LineIds of `--assignments`). */
  lines: number;
  blank: number;
  /** Lines the format could not read, mined whole. */
  unparsed: number;
  /** Lines past the miner's shape limit that matched no template. */
  overflow: number;
  templates: number;
  elapsed_ms: number;
  /** Lines per level and per service, most frequent first, when the lines say. */
  levels: Record<string, number>;
  services: Record<string, number>;
  assignments?: string;
}

const FORMAT_LABELS: Record<LineFormat, string> = { json: 'JSON lines', logfmt: 'logfmt', plain: 'plain text', 'log-format': '--log-format' };
const MAX_TEMPLATE_SHOWN = 300;
const MAX_EXEMPLAR_SHOWN = 200;
const SLOTS_SHOWN = 4;
const MAX_VALUE_SHOWN = 24;

/** Share of the mined (non-blank) lines, as a fraction rounded to 4 places. */
function share(count: number, mined: number): number {
  return mined ? Math.round((count / mined) * 10_000) / 10_000 : 0;
}

function iso(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : new Date(ms).toISOString();
}

/** `--json`: the summary first, then the templates, keys in snake_case like every telemcp output. */
export function renderJson(summary: PatternsSummary, templates: TemplateSummary[], mined: number): string {
  const rows = templates.map((t) => ({
    id: t.id,
    template: t.template,
    count: t.count,
    share: share(t.count, mined),
    first_seen: iso(t.firstSeen),
    last_seen: iso(t.lastSeen),
    exemplars: t.exemplars,
    slots: t.slots,
  }));
  return `${JSON.stringify({ summary, templates: rows }, null, 2)}\n`;
}

/** One terminal line of log text: no control characters (a log line must not drive the terminal), no line breaks. */
function shown(text: string, max: number): string {
  return sanitizeText(text.replace(/[\r\n\t]+/g, ' '), max).text;
}

function number(n: number): string {
  return n.toLocaleString('en-US');
}

function counted(n: number, noun: string): string {
  return `${number(n)} ${noun}${n === 1 ? '' : 's'}`;
}

function counts(label: string, values: Record<string, number>): string[] {
  const entries = Object.entries(values);
  return entries.length ? [`${label}: ${entries.map(([k, n]) => `${shown(k, MAX_VALUE_SHOWN)} ${number(n)}`).join(', ')}`] : [];
}

function slotLine(t: TemplateSummary): string | undefined {
  const parts = t.slots
    .slice(0, SLOTS_SHOWN)
    .map((s, i) => (s.values.length ? `<*>${i + 1}: ${s.values.map((v) => shown(v.value, MAX_VALUE_SHOWN)).join(', ')}` : undefined))
    .filter((p) => p !== undefined);
  return parts.length ? parts.join('   ') : undefined;
}

/** The default output: a summary line, then one row per template with an exemplar and the values its `<*>` took. */
export function renderTable(summary: PatternsSummary, templates: TemplateSummary[], mined: number): string {
  const s = summary;
  const out = [
    `${shown(s.input, MAX_TEMPLATE_SHOWN)}: ${counted(s.lines, 'line')} (${FORMAT_LABELS[s.format]}), ${counted(s.templates, 'template')} in ${(s.elapsed_ms / 1000).toFixed(2)}s; ` +
      `${number(s.blank)} blank, ${number(s.unparsed)} unparsed, ${number(s.overflow)} overflow`,
    ...counts('levels', s.levels),
    ...counts('services', s.services),
  ];
  if (s.assignments) out.push(`assignments: ${s.assignments}`);
  if (!templates.length) return `${out.join('\n')}\n`;
  const width = Math.max(5, ...templates.map((t) => number(t.count).length));
  const indent = ' '.repeat(width + 10);
  out.push('', `${'count'.padStart(width)}   share  template`);
  for (const t of templates) {
    const template = shown(t.template, MAX_TEMPLATE_SHOWN);
    out.push(`${number(t.count).padStart(width)}  ${`${(share(t.count, mined) * 100).toFixed(1)}%`.padStart(6)}  ${template}`);
    const exemplar = t.exemplars[0] === undefined ? undefined : shown(t.exemplars[0], MAX_EXEMPLAR_SHOWN);
    if (exemplar !== undefined && exemplar !== template) out.push(`${indent}e.g. ${exemplar}`);
    const slots = slotLine(t);
    if (slots) out.push(`${indent}${slots}`);
  }
  return `${out.join('\n')}\n`;
}
