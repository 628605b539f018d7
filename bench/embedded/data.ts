/**
 * The bench's log lines: the `telemcp seed` generator's application logs (six services of a web
 * shop, one incident and two distractors, ECS documents) at the scale bench/elk seeds into
 * Elasticsearch under `benchelk1m`: the same options give the same documents, so the embedded
 * store and Elasticsearch answer the same questions over the same lines. Generating them takes
 * about a minute, so they are written once to BENCH_DATA_DIR and reused while the options match:
 *   - files/<index>.ndjson  one ECS document per line, a file per index (what `telemcp ingest` reads;
 *                           the file name is the dataset),
 *   - bulk.ndjson           the same documents in time order as `_bulk` action and source lines,
 *   - records.ndjson        the same lines as store records (seedToIngest), for LogStore.write,
 *   - plain.log             the same lines as plain text (`<ISO time> <LEVEL> [<service>] <message>`),
 *                           for `telemcp ingest --format plain`: the cost of a line without JSON.
 */
import { once } from 'node:events';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { generateSeed } from '../../src/seed/generate.js';
import { seedToIngest } from '../../src/seed/to-ingest.js';

export const SEED = { seed: 42, now: '2026-11-21T12:00:00.000Z', hours: 4, scale: 23.5, namespace: 'benchelk1m' } as const;

export interface BenchData {
  dir: string;
  /** One ECS NDJSON file per index. */
  files: string[];
  bulk: string;
  records: string;
  plain: string;
  lines: number;
  bytes: number;
  window: { start: string; end: string };
  incidentStart: string;
}

interface Manifest {
  options: typeof SEED;
  lines: number;
  bytes: number;
  indices: string[];
  window: { start: string; end: string };
  incidentStart: string;
}

async function write(stream: WriteStream, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

async function close(stream: WriteStream): Promise<void> {
  stream.end();
  await once(stream, 'finish');
}

export async function ensureData(dir: string, log: (line: string) => void): Promise<BenchData> {
  const manifestPath = join(dir, 'manifest.json');
  const data = (m: Manifest): BenchData => ({
    dir,
    files: m.indices.map((index) => join(dir, 'files', `${index}.ndjson`)),
    bulk: join(dir, 'bulk.ndjson'),
    records: join(dir, 'records.ndjson'),
    plain: join(dir, 'plain.log'),
    lines: m.lines,
    bytes: m.bytes,
    window: m.window,
    incidentStart: m.incidentStart,
  });
  if (existsSync(manifestPath)) {
    const m = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
    if (JSON.stringify(m.options) === JSON.stringify(SEED) && existsSync(join(dir, 'plain.log'))) return data(m);
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'files'), { recursive: true });
  log(`generating the seed's log lines into ${dir} (once; reused while the options match)`);
  const started = performance.now();
  const gen = generateSeed({ now: new Date(SEED.now), seed: SEED.seed, hours: SEED.hours, scale: SEED.scale, namespace: SEED.namespace });
  const bulk = createWriteStream(join(dir, 'bulk.ndjson'));
  const records = createWriteStream(join(dir, 'records.ndjson'));
  const plain = createWriteStream(join(dir, 'plain.log'));
  const files = new Map<string, WriteStream>();
  let lines = 0;
  let bytes = 0;
  let step = gen.next();
  for (; !step.done; step = gen.next()) {
    const record = seedToIngest(step.value);
    if (!record) continue;
    const index = step.value.index;
    let file = files.get(index);
    if (!file) files.set(index, (file = createWriteStream(join(dir, 'files', `${index}.ndjson`))));
    const doc = `${JSON.stringify(step.value.doc)}\n`;
    lines++;
    bytes += Buffer.byteLength(doc);
    await write(file, doc);
    await write(bulk, `${JSON.stringify({ create: { _index: index } })}\n${doc}`);
    await write(records, `${JSON.stringify(record)}\n`);
    await write(plain, `${new Date(record.ts).toISOString()} ${(record.level ?? 'info').toUpperCase()} [${record.service ?? '-'}] ${record.message}\n`);
  }
  await Promise.all([bulk, records, plain, ...files.values()].map(close));
  const m: Manifest = {
    options: SEED,
    lines,
    bytes,
    indices: [...files.keys()].sort(),
    window: step.value.window,
    incidentStart: step.value.incident.start,
  };
  writeFileSync(manifestPath, JSON.stringify(m, null, 2));
  log(`generated ${lines.toLocaleString('en-US')} lines in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return data(m);
}
