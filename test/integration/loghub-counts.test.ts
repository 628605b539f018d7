/**
 * Counts on real logs: Loghub-2k samples of real systems (test/fixtures/loghub) go through
 * `telemcp ingest`'s path (input reader, line splitter, record assembler) into the embedded store,
 * and what elk_detect_errors and logs_patterns state is compared with direct counts over the
 * corrected ground truth (*_structured_corrected.csv): the errors per level, and per template
 * the lines whose message the template matches (`<*>` standing for any text). A sample of 100
 * lines is asked for, so a count scaled from it could not pass.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStructuredCsv, type StructuredRow } from '../../bench/loghub/evaluate.js';
import { buildApp, type App } from '../../src/app.js';
import { openInput } from '../../src/cli/ingest-input.js';
import { forEachLine } from '../../src/cli/read-lines.js';
import { createFileRecordAssembler } from '../../src/ingest/file-records.js';
import type { IngestRecord } from '../../src/ingest/record.js';
import { testConfig } from '../helpers/config.js';
import { CALLERS, callOk } from '../helpers/es-fixtures.js';

const fixture = (file: string): string => fileURLToPath(new URL(`../fixtures/loghub/${file}`, import.meta.url));

interface System {
  name: string;
  /** Ground-truth levels telemcp counts as errors (ERROR_LEVELS, in the system's spelling). */
  errorLevels: string[];
}

/** Systems whose 2,000 lines fit one window (31 days at most) and that log errors. */
const SYSTEMS: System[] = [
  { name: 'Hadoop', errorLevels: ['ERROR', 'FATAL'] },
  { name: 'Apache', errorLevels: ['error'] },
  { name: 'Zookeeper', errorLevels: ['ERROR'] },
];

interface Detect {
  total_errors: number;
  top_error_messages: { message: string; count: number }[];
  counts: string;
  uncounted?: number;
}
interface Patterns {
  total: number;
  templates_found: number;
  counts: string;
  patterns: { template: string; count: number; levels: string[] }[];
}

async function ingest(system: string): Promise<IngestRecord[]> {
  const records: IngestRecord[] = [];
  const assembler = createFileRecordAssembler({ format: 'auto', dataset: `loghub-${system.toLowerCase()}`, receivedAt: Date.parse('2026-01-01T00:00:00Z') }, { record: (r) => records.push(r), bad: () => undefined });
  const input = await openInput(fixture(`${system}_2k.log`));
  await forEachLine(input.text(), (line) => assembler.push(line, 0));
  assembler.end();
  return records;
}

/** A template as a test over whole messages: its fixed text in order, anything where it says `<*>`. */
function matcher(template: string): RegExp {
  const parts = template.split('<*>').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\s+/g, '\\s+'));
  return new RegExp(`^\\s*${parts.join('.*?')}\\s*$`, 's');
}

/**
 * Each template's count against a direct count of the lines its text matches. A template's text
 * is rendered from some of its messages, so it may fail to match an odd member, or match a line a
 * more specific template holds (`Registering class <*> for class <*>`): those few templates are
 * allowed to differ, the rest (at least nine in ten) must be counted exactly as their lines are.
 * When every template is listed, the counts add up to the lines: each is counted once.
 */
function expectCountedAsLines(patterns: { template: string; count: number }[], messages: string[], complete: boolean): void {
  const matchers = patterns.map((p) => matcher(p.template));
  const differing = patterns.filter((p, i) => p.count !== messages.filter((m) => matchers[i].test(m)).length).map((p) => p.template);
  expect(differing.length, differing.join('\n')).toBeLessThanOrEqual(patterns.length / 10);
  if (complete) expect(patterns.reduce((n, p) => n + p.count, 0)).toBe(messages.length);
}

describe.each(SYSTEMS)('exact counts on Loghub $name', (system) => {
  let app: App;
  let records: IngestRecord[];
  let truth: StructuredRow[];
  let window: { start_time: string; end_time: string };
  const scope = `loghub-${system.name.toLowerCase()}`;

  beforeAll(async () => {
    records = await ingest(system.name);
    truth = readStructuredCsv(readFileSync(fixture(`${system.name}_2k.log_structured_corrected.csv`), 'utf8'));
    expect(records).toHaveLength(truth.length);
    app = buildApp(testConfig({ EMBEDDED_STORE: 'on' }));
    expect((await app.store!.ingest(records)).rejected).toEqual([]);
    const times = records.map((r) => r.ts!);
    window = { start_time: new Date(Math.min(...times)).toISOString(), end_time: new Date(Math.max(...times)).toISOString() };
  });

  afterAll(async () => {
    await app?.close();
  });

  /** Each line of the ground truth with the message telemcp stored for it (records come in line order, one per line). */
  const lines = () => truth.map((row, i) => ({ row, message: records[i].message }));

  it('elk_detect_errors: the errors of the ground truth, every top pattern counted as its lines are', async () => {
    const errors = lines().filter((l) => system.errorLevels.includes(l.row.Level));
    const res = await callOk<Detect>(app, 'elk_detect_errors', { ...window, index_pattern: scope, top_n: 50 }, CALLERS.viewer);
    expect(res.total_errors).toBe(errors.length);
    expect(res.counts).toBe('exact');
    expect(res.uncounted).toBeUndefined();
    expectCountedAsLines(res.top_error_messages.map((p) => ({ template: p.message, count: p.count })), errors.map((l) => l.message), res.top_error_messages.length < 50);
  });

  it('logs_patterns: every line of the window in exactly one template, each counted as its lines are', async () => {
    const res = await callOk<Patterns>(app, 'logs_patterns', { ...window, scope, sample_size: 100, top_n: 50 }, CALLERS.viewer);
    expect(res).toMatchObject({ total: truth.length, counts: 'exact' });
    expectCountedAsLines(res.patterns, lines().map((l) => l.message), res.templates_found <= 50);
  });
});
