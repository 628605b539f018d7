/**
 * Template mining on the Loghub-2k benchmark: accuracy (GA, FGA, PA, FTA on three label
 * variants), speed on one core, memory over an unbounded stream, and Drain3 (PyPI) on the
 * same files in the same run when it is installed.
 *
 *   npm run bench:loghub            one global configuration: only each system's header format
 *   npm run bench:loghub -- --regex also each system's Drain regex list as extra masks
 *
 * LOGHUB_DIR (default ../shared/benchmarks/loghub-2k); DRAIN3_PYTHON: a python with drain3
 * 0.9.11 installed (default /var/lib/telemcp/drain3-venv/bin/python; `python3 -m venv DIR &&
 * DIR/bin/pip install drain3==0.9.11`). Run with `node --expose-gc` for the memory figures.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TemplateMiner } from '../../src/analysis/templates/miner.js';
import { scoreParsing, type ParsingScores } from './evaluate.js';
import { loadDatasets, LOGHUB_DIR, type Dataset, type LabelVariant } from './datasets.js';

const WITH_REGEX = process.argv.includes('--regex');
const SPEED_PASSES = Number(process.env.PASSES ?? 20);
const DRAIN3_PYTHON = process.env.DRAIN3_PYTHON ?? '/var/lib/telemcp/drain3-venv/bin/python';
const TARGETS = { meanGa: 0.95, minGa: 0.85, meanFga: 0.9, meanPa: 0.7 };

function mine(d: Dataset): string[] {
  const miner = new TemplateMiner({ extraMasks: WITH_REGEX ? d.regex : [] });
  const handles = d.contents.map((c) => miner.add(c));
  return handles.map((h) => miner.templateOf(h));
}

function f(n: number): string {
  return n.toFixed(3);
}

function table(title: string, rows: { name: string; s: ParsingScores }[]): Record<'ga' | 'fga' | 'pa' | 'fta', number> & { minGa: number } {
  console.log(`\n${title}`);
  console.log('system       GA     FGA    PA     FTA    templates(true/pred)');
  const mean = { ga: 0, fga: 0, pa: 0, fta: 0, minGa: 1 };
  for (const { name, s } of rows) {
    console.log(`${name.padEnd(11)}  ${f(s.ga)}  ${f(s.fga)}  ${f(s.pa)}  ${f(s.fta)}  ${s.truthTemplates}/${s.predictedTemplates}`);
    mean.ga += s.ga / rows.length;
    mean.fga += s.fga / rows.length;
    mean.pa += s.pa / rows.length;
    mean.fta += s.fta / rows.length;
    mean.minGa = Math.min(mean.minGa, s.ga);
  }
  console.log(`${'mean'.padEnd(11)}  ${f(mean.ga)}  ${f(mean.fga)}  ${f(mean.pa)}  ${f(mean.fta)}`);
  return mean;
}

function score(datasets: Dataset[], predictions: Map<string, string[]>, variant: LabelVariant): { name: string; s: ParsingScores }[] {
  return datasets.filter((d) => d.truth[variant]).map((d) => ({ name: d.name, s: scoreParsing(d.truth[variant]!, predictions.get(d.name)!) }));
}

function linesPerSecond(datasets: Dataset[]): number {
  const start = process.hrtime.bigint();
  let lines = 0;
  for (let pass = 0; pass < SPEED_PASSES; pass++) {
    for (const d of datasets) {
      const miner = new TemplateMiner({ extraMasks: WITH_REGEX ? d.regex : [] });
      for (const c of d.contents) miner.add(c);
      miner.templates(10);
      lines += d.contents.length;
    }
  }
  return lines / (Number(process.hrtime.bigint() - start) / 1e9);
}

/** One miner over a long stream: every line gets fresh numbers, and every 10th a never-seen word. */
function memoryOverStream(datasets: Dataset[], total: number): void {
  const all = datasets.flatMap((d) => d.contents);
  const miner = new TemplateMiner();
  const gc = (globalThis as { gc?: () => void }).gc;
  const heap = (): string => {
    gc?.();
    return `${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(1)} MiB`;
  };
  const checkpoints: string[] = [`start ${heap()}`];
  const start = process.hrtime.bigint();
  for (let i = 0; i < total; i++) {
    let line = all[i % all.length].replace(/\d+/g, (m) => String((Number(m) + i) % 100_000));
    if (i % 10 === 0) line += ` word${i.toString(36).replace(/\d/g, '')}x`;
    miner.add(line, i);
    if ((i + 1) % (total / 4) === 0) checkpoints.push(`${(i + 1) / 1e6}M ${heap()}`);
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const top = miner.templates(5);
  console.log(`\nstream of ${total / 1e6}M lines through one miner (${Math.round(total / seconds).toLocaleString('en-US')} lines/s): heap ${checkpoints.join(', ')}`);
  console.log(`  templates read: ${top.length} shown; overflow lines ${miner.overflow.toLocaleString('en-US')}${gc ? '' : '  (run with node --expose-gc for exact heap figures)'}`);
}

interface Drain3Result {
  name: string;
  templates: string[];
  seconds: number;
  lines: number;
}

function runDrain3(datasets: Dataset[]): Drain3Result[] | string {
  if (!existsSync(DRAIN3_PYTHON)) return `Drain3 not measured: ${DRAIN3_PYTHON} not found (see the header of this file)`;
  const script = fileURLToPath(new URL('./drain3_peer.py', import.meta.url));
  const job = JSON.stringify({ datasets: datasets.map((d) => ({ name: d.name, contents: d.contents })), repeat: 5 });
  const r = spawnSync(DRAIN3_PYTHON, [script], { input: job, maxBuffer: 1 << 28, encoding: 'utf8' });
  if (r.status !== 0) return `Drain3 failed: ${r.stderr.slice(0, 500)}`;
  return JSON.parse(r.stdout) as Drain3Result[];
}

function main(): void {
  const datasets = loadDatasets();
  console.log(`Loghub-2k at ${LOGHUB_DIR}: ${datasets.length} systems, ${datasets.reduce((n, d) => n + d.contents.length, 0)} lines; configuration: ${WITH_REGEX ? 'header format + each system\'s regex list' : 'header format only (one global configuration)'}; node ${process.version}`);
  const ours = new Map(datasets.map((d) => [d.name, mine(d)]));
  const khan = table('telemcp on the corrected labels (Khan et al.), the issue\'s targets', score(datasets, ours, 'khan'));
  table('telemcp on the Loghub-2.0 labels', score(datasets, ours, 'l2'));
  table('telemcp on the original labels', score(datasets, ours, 'orig'));
  const verdict = (ok: boolean): string => (ok ? 'met' : 'NOT MET');
  console.log(
    `\ntargets (corrected labels): mean GA ${f(khan.ga)} >= ${TARGETS.meanGa} ${verdict(khan.ga >= TARGETS.meanGa)}; ` +
      `min GA ${f(khan.minGa)} >= ${TARGETS.minGa} ${verdict(khan.minGa >= TARGETS.minGa)}; ` +
      `mean FGA ${f(khan.fga)} >= ${TARGETS.meanFga} ${verdict(khan.fga >= TARGETS.meanFga)}; ` +
      `mean PA ${f(khan.pa)} >= ${TARGETS.meanPa} ${verdict(khan.pa >= TARGETS.meanPa)}`,
  );

  linesPerSecond(datasets.slice(0, 2)); // warm-up
  const speed = linesPerSecond(datasets);
  console.log(`\nspeed: ${Math.round(speed).toLocaleString('en-US')} lines/s on one core (masking on; a fresh miner per system, ${SPEED_PASSES} passes, templates read at the end)`);

  const drain3 = runDrain3(datasets);
  if (typeof drain3 === 'string') console.log(`\n${drain3}`);
  else {
    const preds = new Map(drain3.map((r) => [r.name, r.templates]));
    const d3 = table('Drain3 0.9.11 (defaults) on the corrected labels, same run', score(datasets, preds, 'khan'));
    const d3Speed = drain3.reduce((n, r) => n + r.lines, 0) / drain3.reduce((s, r) => s + r.seconds, 0);
    console.log(`Drain3 speed: ${Math.round(d3Speed).toLocaleString('en-US')} lines/s (add_log_message only, a fresh miner per system, 5 passes)`);
    console.log(`ratio telemcp / Drain3: GA ${(khan.ga / d3.ga).toFixed(2)}×, FGA ${(khan.fga / d3.fga).toFixed(2)}×, PA ${(khan.pa / d3.pa).toFixed(2)}×, speed ${(speed / d3Speed).toFixed(2)}×`);
  }
  memoryOverStream(datasets, Number(process.env.STREAM_LINES ?? 2_000_000));
}

main();
