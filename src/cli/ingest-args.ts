import { basename } from 'node:path';
import { MAX_DATASET_CHARS, MAX_NAME_CHARS } from '../ingest/bounds.js';
import { invalidIndexName } from '../ingest/bulk.js';
import type { FileFormat } from '../ingest/file-records.js';

/**
 * `telemcp ingest`'s arguments, checked before any file is opened or the store is touched, and
 * the dataset names it derives from file names. Pure, so the rules are unit-tested.
 */

export const INGEST_USAGE = 'telemcp ingest <file…|-> [--format auto|ndjson|ecs|logfmt|syslog|plain] [--service NAME] [--dataset NAME] [--json]';

/** The options of `telemcp ingest`, parsed by the CLI's one parseArgs call (main.ts). */
export const INGEST_OPTIONS = {
  format: { type: 'string' },
  service: { type: 'string' },
  dataset: { type: 'string' },
} as const;

export interface IngestArgValues {
  format?: string;
  service?: string;
  dataset?: string;
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
  service?: string;
  /** Given with --dataset: every input goes to it. */
  dataset?: string;
  json: boolean;
}

export class UsageError extends Error {}

// Applied again and again from the end: app.log.1.gz → app.log.1 → app.log → app. A logrotate
// `dateext` suffix is only taken off right after `.log`, so `node-20240501` keeps its name.
const LOG_SUFFIX = /(?:\.(?:gz|log|txt|json|jsonl|ndjson|out|err|\d+)|(?<=\.log)-\d{8}(?:\d{2})?)$/i;
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

export function parseIngestArgs(values: IngestArgValues, positionals: readonly string[]): IngestArgs {
  if (positionals.length === 0) throw new UsageError('give the files to ingest, or - for standard input');
  if (positionals.filter((p) => p === STDIN).length > 1) throw new UsageError('- (standard input) can be given once');
  const format = (values.format ?? 'auto') as FileFormat;
  if (!FILE_FORMATS.includes(format)) throw new UsageError(`--format must be one of ${FILE_FORMATS.join(', ')} (got ${JSON.stringify(values.format!.slice(0, 40))})`);
  const dataset = values.dataset === undefined ? undefined : checkDataset(values.dataset);
  const inputs = positionals.map((path) => {
    const name = dataset ?? datasetForPath(path);
    if (name === undefined) throw new UsageError(`no dataset name can be made of the file name ${JSON.stringify(basename(path).slice(0, 80))}; pass --dataset NAME`);
    return { path, dataset: name };
  });
  return { inputs, format, service: values.service === undefined ? undefined : checkService(values.service), dataset, json: values.json ?? false };
}
