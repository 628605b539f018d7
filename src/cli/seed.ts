import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../config/load.js';
import { connectionSettings, type Connection } from '../config/connection.js';
import { parseTime } from '../core/time.js';
import { TelemcpError } from '../core/errors.js';
import { EsBulkWriter, SeedWriteError, type ClusterInfo, type PreparedIndex, type WriteReport } from '../seed/es-writer.js';
import { generateSeed, seedPlan } from '../seed/generate.js';
import type { SeedManifest } from '../seed/manifest.js';
import { SEED_DEFAULTS, SEED_LIMITS, SeedOptionError, type SeedInput } from '../seed/plan.js';
import { ProgressBar } from './progress.js';
import type { SeedArgValues } from './seed-args.js';

export const SEED_USAGE = `telemcp seed [--seed N] [--now ISO] [--hours H] [--scale K] [--es-url URL] [--prefix logs]
             [--namespace NS] [--replicas N] [--json]`;

const SEED_HELP = `Usage: ${SEED_USAGE}

Writes a simulated web shop into Elasticsearch/OpenSearch (ES_URL, or --es-url): six services
logging in ECS to <prefix>-<service>-<namespace>, Filebeat host data in filebeat-<date>
(filebeat-<namespace>-<date> outside the default namespace), APM transactions in
traces-apm-<namespace> and errors in logs-apm.error-<namespace>. One incident
(fraud-service's connection pool runs dry; payment-service times out calling it), a steady
warning and a resolved spike as distractors, one delayed and one silent Filebeat host.
The same --seed and --now always give the same documents (and ids: re-running is idempotent).

  --seed N        PRNG seed (default ${SEED_DEFAULTS.seed})
  --now ISO       end of the window: ISO 8601, epoch ms or date math (default: now)
  --hours H       window length, ${SEED_LIMITS.minHours}-${SEED_LIMITS.maxHours} (default ${SEED_DEFAULTS.hours})
  --scale K       multiplies every rate, ${SEED_LIMITS.minScale}-${SEED_LIMITS.maxScale} (default ${SEED_DEFAULTS.scale}: ~48k documents)
  --es-url URL    cluster to write to (default ES_URL, then OPENSEARCH_URL)
  --prefix P      application log index prefix (default ${SEED_DEFAULTS.prefix})
  --namespace NS  data stream namespace, last part of every index name (default ${SEED_DEFAULTS.namespace})
  --replicas N    number_of_replicas of the created indices (default 0)
  --json          print the manifest as JSON on stdout (the summary goes to stderr)

The manifest (incident start, top error pattern and its count, counts per service and level,
delayed and silent hosts, distractors) is also written to DATA_DIR/seed-manifest.json.`;

/** The generator's manifest plus what the write did. */
export interface SeedRunManifest extends SeedManifest {
  write: {
    target: string;
    cluster: ClusterInfo;
    indices: PreparedIndex[];
    replicas: number;
  } & WriteReport;
}

class UsageError extends Error {}

function number(name: string, raw: string | undefined, integer: boolean): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) throw new UsageError(`--${name} must be ${integer ? 'an integer' : 'a number'} (got ${JSON.stringify(raw.slice(0, 40))})`);
  return n;
}

function parseSeedArgs(values: SeedArgValues, positionals: string[]): { input: SeedInput; esUrl?: string; replicas: number; json: boolean; help: boolean } {
  if (positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0].slice(0, 40))}`);
  let now: Date;
  try {
    now = values.now === undefined ? new Date(Math.floor(Date.now() / 1000) * 1000) : parseTime(values.now, new Date(), false, '--now');
  } catch (err) {
    throw new UsageError(err instanceof TelemcpError ? err.message : String(err));
  }
  const replicas = number('replicas', values.replicas, true) ?? 0;
  if (replicas < 0 || replicas > 10) throw new UsageError('--replicas must be from 0 to 10');
  return {
    input: {
      now,
      seed: number('seed', values.seed, true),
      hours: number('hours', values.hours, false),
      scale: number('scale', values.scale, false),
      prefix: values.prefix,
      namespace: values.namespace,
    },
    esUrl: values['es-url'],
    replicas,
    json: values.json ?? false,
    help: values.help ?? false,
  };
}

/** Where the seed writes: --es-url (with ES_* credentials), else the configured Elasticsearch, else OpenSearch. */
function target(config: Config, esUrl: string | undefined): Connection | undefined {
  const es = connectionSettings('ES', []).read(config);
  if (esUrl) return { ...(es ?? { verifyTls: true, headers: {} }), url: esUrl };
  return es ?? connectionSettings('OPENSEARCH', []).read(config);
}

function summary(m: SeedRunManifest, manifestPath: string): string {
  const rows = Object.entries(m.write.per_index).sort(([a], [b]) => a.localeCompare(b));
  const width = Math.max(...rows.map(([name]) => name.length), 10);
  const lines = [
    `seeded ${m.write.indexed.toLocaleString('en-US')} documents into ${m.write.target} in ${(m.write.duration_ms / 1000).toFixed(1)}s`,
    `time range: ${m.window.start} .. ${m.window.end} (${m.options.hours}h, seed ${m.options.seed}, scale ${m.options.scale})`,
    ...rows.map(([name, n]) => `  ${name.padEnd(width)}  ${n.toLocaleString('en-US').padStart(9)}`),
    `incident: starts ${m.incident.start}; top error pattern "${m.incident.top_error_pattern.pattern}" (${m.incident.top_error_pattern.service}) x${m.incident.top_error_pattern.count}`,
    `filebeat: delayed ${m.filebeat.delayed_hosts.join(', ') || '-'}, silent ${m.filebeat.silent_hosts.join(', ') || '-'}`,
  ];
  if (m.write.already_present) lines.push(`already present (same seed and options seeded before): ${m.write.already_present.toLocaleString('en-US')}`);
  if (m.write.retried) lines.push(`re-sent after 429: ${m.write.retried}`);
  if (m.write.failed) {
    lines.push(`FAILED items: ${m.write.failed}`);
    for (const f of m.write.failures.slice(0, 10)) lines.push(`  ${f.index}: ${f.type} x${f.count} — ${f.reason}`);
  }
  lines.push(`manifest: ${manifestPath}`);
  return `${lines.join('\n')}\n`;
}

/** `telemcp seed`: returns the process exit code (0 ok, 1 failed items or write error, 2 usage). */
export async function runSeed(values: SeedArgValues, positionals: string[], config: Config): Promise<number> {
  let args: ReturnType<typeof parseSeedArgs>;
  try {
    args = parseSeedArgs(values, positionals);
  } catch (err) {
    process.stderr.write(`telemcp seed: ${(err as Error).message}\n\nUsage: ${SEED_USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${SEED_HELP}\n`);
    return 0;
  }
  let plan: ReturnType<typeof seedPlan>;
  try {
    plan = seedPlan(args.input);
  } catch (err) {
    if (!(err instanceof SeedOptionError)) throw err;
    process.stderr.write(`telemcp seed: invalid options\n${err.problems.map((p) => `  - ${p}`).join('\n')}\n`);
    return 2;
  }
  const dest = target(config, args.esUrl);
  if (!dest) {
    process.stderr.write('telemcp seed: no cluster to write to; set ES_URL (or OPENSEARCH_URL) or pass --es-url URL\n');
    return 2;
  }

  const writer = new EsBulkWriter({ ...dest, timeoutMs: Math.max(config.BACKEND_TIMEOUT_MS, 60_000), replicas: args.replicas });
  try {
    const cluster = await writer.info();
    const o = plan.options;
    process.stderr.write(
      `telemcp seed: ${cluster.distribution} ${cluster.version} at ${writer.shownUrl}; ${o.hours}h ending ${o.now.toISOString()}, seed ${o.seed}, scale ${o.scale}, namespace ${o.namespace}\n`,
    );
    const prepared = await writer.prepare(plan.allIndices);
    const span = plan.end.getTime() - plan.start.getTime();
    const bar = new ProgressBar({ label: 'seeding', unit: 'docs' });
    const { report, result } = await writer.write(generateSeed(args.input), ({ docs, at }) => bar.update((at - plan.start.getTime()) / span, docs));
    bar.finish(report.indexed + report.already_present + report.failed);
    await writer.refresh(plan.allIndices.map((i) => i.name));

    const manifest: SeedRunManifest = { ...result, write: { target: writer.shownUrl, cluster, indices: prepared, replicas: args.replicas, ...report } };
    const dataDir = resolve(config.DATA_DIR);
    mkdirSync(dataDir, { recursive: true });
    const manifestPath = join(dataDir, 'seed-manifest.json');
    writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    if (args.json) {
      process.stdout.write(`${JSON.stringify(manifest, null, 2)}\n`);
      process.stderr.write(summary(manifest, manifestPath));
    } else process.stdout.write(summary(manifest, manifestPath));
    return report.failed > 0 ? 1 : 0;
  } catch (err) {
    if (!(err instanceof SeedWriteError)) throw err;
    process.stderr.write(`\ntelemcp seed: ${err.message}\n${err.hint ? `  hint: ${err.hint}\n` : ''}`);
    return 1;
  } finally {
    await writer.close();
  }
}
