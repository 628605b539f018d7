import type { parseArgs } from 'node:util';
import { SEED_OPTIONS } from './seed-args.js';
import { PATTERNS_OPTIONS } from './patterns.js';
import { INGEST_OPTIONS } from './ingest-args.js';

/** Every option of every command, parsed by main.ts's one parseArgs call. */
export const CLI_OPTIONS = {
  stdio: { type: 'boolean' },
  host: { type: 'string' },
  port: { type: 'string' },
  config: { type: 'string' },
  role: { type: 'string' },
  input: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
  ...SEED_OPTIONS,
  ...PATTERNS_OPTIONS,
  ...INGEST_OPTIONS,
} as const;

export type CliValues = ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: true; options: typeof CLI_OPTIONS }>>['values'];
