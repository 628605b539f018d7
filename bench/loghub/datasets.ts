/**
 * The Loghub-2k benchmark folder (../shared/benchmarks/loghub-2k by default, LOGHUB_DIR to
 * override): per system the raw lines, the header format and regex list of the Drain benchmark
 * settings, and the three ground-truth label variants.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { compileLogFormat } from '../../src/analysis/templates/log-format.js';
import { readStructuredCsv } from './evaluate.js';

export const LOGHUB_DIR = resolve(process.env.LOGHUB_DIR ?? '../shared/benchmarks/loghub-2k');

export type LabelVariant = 'khan' | 'l2' | 'orig';

export interface Dataset {
  name: string;
  /** The message of each line, header removed with the dataset's log format. */
  contents: string[];
  regex: RegExp[];
  truth: Partial<Record<LabelVariant, string[]>>;
}

interface Setting {
  log_format: string;
  regex: string[];
  log_file: string;
}

export function loadDatasets(dir = LOGHUB_DIR): Dataset[] {
  const settingsFile = join(dir, 'settings.json');
  if (!existsSync(settingsFile)) throw new Error(`no Loghub benchmark at ${dir} (set LOGHUB_DIR)`);
  const settings = JSON.parse(readFileSync(settingsFile, 'utf8')) as Record<string, Setting>;
  return Object.entries(settings).map(([name, s]) => {
    const format = compileLogFormat(s.log_format);
    const raw = readFileSync(join(dir, s.log_file), 'utf8').split('\n');
    if (raw.at(-1) === '') raw.pop();
    const contents = raw.map((line, i) => {
      const fields = format.parse(line);
      if (fields?.Content === undefined) throw new Error(`${name} line ${i + 1} does not match its log format`);
      return fields.Content;
    });
    const files: Record<LabelVariant, string> = {
      khan: join(dir, name, `${name}_2k.log_structured_corrected.csv`),
      l2: join(dir, name, 'loghub2', `${name}_2k.log_structured_corrected.csv`),
      orig: join(dir, name, `${name}_2k.log_structured.csv`),
    };
    const truth: Dataset['truth'] = {};
    for (const [variant, file] of Object.entries(files) as [LabelVariant, string][]) {
      if (existsSync(file)) truth[variant] = readStructuredCsv(readFileSync(file, 'utf8')).map((r) => r.EventTemplate);
    }
    return { name, contents, regex: s.regex.map((r) => new RegExp(r)), truth };
  });
}
