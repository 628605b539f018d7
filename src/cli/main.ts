#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { VERSION } from '../core/version.js';
import { PATTERNS_USAGE, runPatterns } from './patterns.js';
import { INGEST_USAGE } from './ingest-args.js';
import { CLI_OPTIONS } from './options.js';

const USAGE = `telemcp ${VERSION} — read-only MCP server for observability stacks

Usage:
  telemcp serve [--host H] [--port N] [--config FILE]   MCP over HTTP (default 127.0.0.1:8080)
  telemcp serve --stdio [--config FILE]                 MCP over stdio for desktop clients
  telemcp tools [--role ROLE] [--json]                  list the tools a role may call
  telemcp call TOOL --input JSON [--role ROLE]          run one tool through the same pipeline
  telemcp seed [--seed N] [--now ISO] [--hours H] [--scale K] [--es-url URL] [--prefix logs] [--json]
                                                        write a simulated stack with one incident into Elasticsearch
                                                        (the only command that writes to a backend; telemcp seed --help)
  ${PATTERNS_USAGE}
                                                        mine a log file for its message templates (offline; telemcp patterns --help)
  ${INGEST_USAGE}
                                                        load log files into the embedded store under DATA_DIR (telemcp ingest --help)
  telemcp --version

Configuration comes from environment variables (see README), optionally a YAML file
(--config or TELEMCP_CONFIG) with the same keys.`;

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: CLI_OPTIONS,
  });
  if (values.version) return void process.stdout.write(`${VERSION}\n`);
  const [command, ...rest] = positionals;
  if ((values.help && command !== 'seed' && command !== 'patterns' && command !== 'ingest') || !command) return void process.stdout.write(`${USAGE}\n`);
  // Mining a file reaches no backend and serves nothing: it needs no configuration, and a broken
  // backend setting in the environment must not stop an offline look at a log file.
  if (command === 'patterns') {
    process.exitCode = await runPatterns(values, rest);
    return;
  }

  const { runCommand } = await import('./commands.js');
  await runCommand(command, rest, values, USAGE);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`telemcp: ${(err as Error)?.message ?? String(err)}\n`);
  process.exit(1);
});
