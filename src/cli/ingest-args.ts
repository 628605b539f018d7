import { basename } from 'node:path';
import { compileLogFormat, type LogFormat } from '../analysis/templates/log-format.js';
import { compileTimeFormat, type TimeFormat } from '../analysis/templates/time-format.js';
import { MAX_DATASET_CHARS, MAX_NAME_CHARS } from '../ingest/bounds.js';
import { invalidIndexName } from '../ingest/bulk.js';
import type { FileFormat } from '../ingest/file-records.js';

/**
 * `telemcp ingest`'s arguments, checked before any file is opened or the store is touched, and
 * the dataset names it derives from file names. Pure, so the rules are unit-tested.
 */

export const INGEST_USAGE =
  'telemcp ingest <file…|-> [--format auto|ndjson|ecs|logfmt|syslog|plain] [--timestamp-format FMT] [--log-format FMT] [--service NAME] [--dataset NAME] [--json]';

/** The options of `telemcp ingest`, parsed by the CLI's one parseArgs call (main.ts). */
export const INGEST_OPTIONS = {
  format: { type: 'string' },
  service: { type: 'string' },
  dataset: { type: 'string' },
  'timestamp-format': { type: 'string' },
  'log-format': { type: 'string' },
} as const;

export interface IngestArgValues {
  format?: string;
  service?: string;
  dataset?: string;
  'timestamp-format'?: string;
  'log-format'?: string;
  json?: boolean;
}

export const FILE_FORMATS: readonly FileFormat[] = ['auto', 'ndjson', 'ecs', 'logfmt', 'syslog', 'plain'];
export const STDIN = '-';
const STDIN_DATASET = 'stdin';

export interface IngestInputArg {
  /** A path, or `-` for standard input. */
  path: string;
  dataset: string;
}

export interface IngestArgs {
  inputs: IngestInputArg[];
  format: FileFormat;
  /** --timestamp-format: the format of plain-text timestamps instead of the one learned. */
  timestampFormat?: TimeFormat;
  /** --log-format: the header of plain-text lines instead of the layout learned. */
  logFormat?: LogFormat;
  service?: string;
  /** Given with --dataset: every input goes to it. */
  dataset?: string;
  json: boolean;
}

export class UsageError extends Error {}

// Applied again and again from the end: app.log.1.gz → app.log.1 → app.log → app. A logrotate
// `dateext` suffix is only taken off right after `.log`, so `node-20240501` keeps its name. The
// compressions ingest refuses are taken off too, for the dataset its hint names.
const LOG_SUFFIX = /(?:\.(?:gz|xz|zst|bz2|log|txt|json|jsonl|ndjson|out|err|\d+)|(?<=\.log)-\d{8}(?:\d{2})?)$/i;
const NOT_NAME_CHARS = /[^\p{L}\p{N}._-]+/gu;

/** The longest prefix of `name` whose UTF-8 is at most `maxBytes`, never splitting a character. */
function capBytes(name: string, maxBytes: number): string {
  let out = '';
  let bytes = 0;
  for (const ch of name) {
    bytes += Buffer.byteLength(ch, 'utf8');
    if (bytes > maxBytes) break;
    out += ch;
  }
  return out;
}

/**
 * A dataset name that `_bulk`, a scope and every index-pattern-minded user accept: lowercase,
 * letters, digits, `.`, `_`, `-`, not starting with `.`, `_`, `-` or `+`. Undefined when nothing
 * of `raw` is left.
 */
export function sanitizeDataset(raw: string): string | undefined {
  const name = capBytes(
    raw
      .toLowerCase()
      .replace(NOT_NAME_CHARS, '-')
      .replace(/-{2,}/g, '-')
      .replace(/^[._+-]+/, '')
      .replace(/[.-]+$/, ''),
    MAX_DATASET_CHARS,
  );
  return name === '' || invalidIndexName(name) !== undefined ? undefined : name;
}

/** The dataset a file goes to without --dataset: its name without log extensions, sanitised; `stdin` for `-`. */
export function datasetForPath(path: string): string | undefined {
  if (path === STDIN) return STDIN_DATASET;
  let name = basename(path);
  for (let stripped = name.replace(LOG_SUFFIX, ''); stripped !== name && stripped !== ''; stripped = name.replace(LOG_SUFFIX, '')) name = stripped;
  return sanitizeDataset(name);
}

/** --dataset is taken as given when `_bulk` would take it as an index name, else refused with a sanitised suggestion. */
function checkDataset(raw: string): string {
  const problem = /[\u0000-\u001f\u007f]/.test(raw) ? 'a dataset name must not hold control characters' : invalidIndexName(raw);
  if (problem === undefined) return raw;
  const suggestion = sanitizeDataset(raw);
  throw new UsageError(`--dataset: ${problem}${suggestion ? `; try --dataset ${suggestion}` : ''}`);
}

function checkService(raw: string): string {
  const service = raw.trim();
  if (service === '' || service.length > MAX_NAME_CHARS || /[\u0000-\u001f\u007f]/.test(service)) {
    throw new UsageError(`--service must be 1-${MAX_NAME_CHARS} characters without control characters`);
  }
  return service;
}

function compiled<T>(flag: string, text: string, compile: (text: string) => T): T {
  try {
    return compile(text);
  } catch (err) {
    throw new UsageError(`${flag}: ${(err as Error).message}`);
  }
}

/** --timestamp-format and --log-format, which describe plain text and so make --format plain. */
function layoutFlags(values: IngestArgValues, format: FileFormat): Pick<IngestArgs, 'format' | 'timestampFormat' | 'logFormat'> {
  const timestamp = values['timestamp-format'];
  const header = values['log-format'];
  if (timestamp === undefined && header === undefined) return { format };
  const flag = header !== undefined ? '--log-format' : '--timestamp-format';
  if (format !== 'auto' && format !== 'plain') throw new UsageError(`${flag} describes plain-text lines: it cannot be used with --format ${format}`);
  const logFormat = header === undefined ? undefined : compiled('--log-format', header, compileLogFormat);
  if (logFormat && !logFormat.fields.includes('Content')) throw new UsageError('--log-format must name <Content>, the message of each line');
  const timestampFormat = timestamp === undefined ? undefined : compiled('--timestamp-format', timestamp, compileTimeFormat);
  return { format: 'plain', ...(timestampFormat ? { timestampFormat } : {}), ...(logFormat ? { logFormat } : {}) };
}

export function parseIngestArgs(values: IngestArgValues, positionals: readonly string[]): IngestArgs {
  if (positionals.length === 0) throw new UsageError('give the files to ingest, or - for standard input');
  if (positionals.filter((p) => p === STDIN).length > 1) throw new UsageError('- (standard input) can be given once');
  const requested = (values.format ?? 'auto') as FileFormat;
  if (!FILE_FORMATS.includes(requested)) throw new UsageError(`--format must be one of ${FILE_FORMATS.join(', ')} (got ${JSON.stringify(values.format!.slice(0, 40))})`);
  const layout = layoutFlags(values, requested);
  const dataset = values.dataset === undefined ? undefined : checkDataset(values.dataset);
  const inputs = positionals.map((path) => {
    const name = dataset ?? datasetForPath(path);
    if (name === undefined) throw new UsageError(`no dataset name can be made of the file name ${JSON.stringify(basename(path).slice(0, 80))}; pass --dataset NAME`);
    return { path, dataset: name };
  });
  return { inputs, ...layout, service: values.service === undefined ? undefined : checkService(values.service), dataset, json: values.json ?? false };
}
